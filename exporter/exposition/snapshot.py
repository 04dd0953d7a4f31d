"""One poll's output as the cached byte strings it is made of, and the other forms of it
(gzip, OpenMetrics) made once each."""

from __future__ import annotations

import html
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from exporter.exposition.cache import openmetrics

T = TypeVar("T")

GZIP_BLOCK = 1 << 20  # bytes handed to zlib per call


@dataclass
class Snapshot:
    """One poll's output: the exposition as the cached byte strings it is made of.

    The chunks are the renderer's own cached fragments (shared, not copied), so a snapshot
    costs no second copy of the exposition; the server joins them into blocks as it sends
    them. Each other form (gzip, OpenMetrics, both) is made once: before publishing, for the
    forms scrapers asked of the previous snapshot (see `prepare`), else on the first request.
    """

    chunks: list[bytes]
    landing_cells: list[tuple[str, ...]] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    # The record-rendered chunks and a maker of the self-metrics in OpenMetrics form: the
    # OpenMetrics body is built from them on the first request that asks for it.
    openmetrics_parts: tuple[list[bytes], Callable[[], bytes]] | None = None
    asked: set[str] = field(default_factory=set)  # the forms scrapers asked of this snapshot
    _forms: dict[str, Any] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)  # forms are made of forms

    def prepare(self, forms: Iterable[str]) -> None:
        """Make `forms` now, before this snapshot is published: else the first scrape after a
        poll compresses ~6 MB (1,000 targets) while every other scrape of that form waits."""
        for form in list(forms):  # one step (the GIL held): scrapers may still add to it
            getattr(self, form)()
        self.asked.clear()  # made, not asked: what the next snapshot makes is what scrapers ask

    def made(self) -> set[str]:
        """The forms made so far (names of the methods that return them)."""
        with self._lock:
            return set(self._forms)

    def _form(self, name: str, make: Callable[[], T]) -> T:
        self.asked.add(name)
        with self._lock:
            if name not in self._forms:
                self._forms[name] = make()
            form: T = self._forms[name]
            return form

    def gzipped(self) -> bytes:
        return self._form("gzipped", lambda: _gzip(self.chunks))

    def openmetrics(self) -> list[bytes]:
        """The exposition as OpenMetrics 1.0 chunks."""
        data, self_metrics = self.openmetrics_parts or ([], lambda: b"# EOF\n")
        return self._form("openmetrics", lambda: openmetrics(data, self_metrics()))

    def openmetrics_gzipped(self) -> bytes:
        return self._form("openmetrics_gzipped", lambda: _gzip(self.openmetrics()))

    @cached_property
    def length(self) -> int:
        return sum(map(len, self.chunks))

    @property
    def body(self) -> bytes:
        """The whole exposition as one byte string (for --once and tests; scrapes use chunks)."""
        return b"".join(self.chunks)

    @cached_property
    def html_rows(self) -> str:
        return "\n".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>" for cells in self.landing_cells
        )


def blocks(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The chunks joined into blocks of about `size` bytes (the last may be shorter); a
    single chunk comes back as it is, not copied."""
    block: list[bytes] = []
    length = 0
    for chunk in chunks:
        block.append(chunk)
        length += len(chunk)
        if length >= size:
            yield b"".join(block)
            block, length = [], 0
    if block:
        yield b"".join(block)


def _gzip(chunks: list[bytes]) -> bytes:
    # zlib releases the GIL while it compresses, and must take it back after every call: a call
    # per small chunk (thousands) waits for the GIL thousands of times while scrapers hold it.
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip container
    parts = [compressor.compress(block) for block in blocks(chunks, GZIP_BLOCK)]
    parts.append(compressor.flush())
    return b"".join(parts)
