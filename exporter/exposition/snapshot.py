"""One poll's output: the exposition's sections (exporter.exposition.body) and the other
forms of it (gzip, OpenMetrics) made once each."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from exporter.exposition.body import Plain, Section, gzipped

T = TypeVar("T")


@dataclass
class Snapshot:
    """One poll's output: the exposition's sections plus the self-metrics.

    The sections hold the renderer's own cached fragments and sealed members (shared, not
    copied), so a snapshot costs no second copy of the exposition. The plain text is sent as
    it is iterated; each other form (gzip, OpenMetrics, both) is made once: before publishing,
    for the forms scrapers asked of the previous snapshot (see `prepare`), else on the first
    request. A gzip form costs compressing the live lines only: sealed members are reused.
    """

    sections: Sequence[Section]
    self_metrics: bytes = b""
    landing_cells: list[tuple[str, ...]] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    # The self-metrics in OpenMetrics form (which end in `# EOF`), made on the first request.
    openmetrics_self_metrics: Callable[[], bytes] = lambda: b"# EOF\n"
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
        return self._form("gzipped", lambda: gzipped(self.sections, self.self_metrics))

    def openmetrics(self) -> Plain:
        """The exposition as OpenMetrics 1.0."""
        return self._form("openmetrics", lambda: Plain(self.sections, self._openmetrics_tail, openmetrics=True))

    def openmetrics_gzipped(self) -> bytes:
        return self._form(
            "openmetrics_gzipped", lambda: gzipped(self.sections, self._openmetrics_tail, openmetrics=True)
        )

    @cached_property
    def _openmetrics_tail(self) -> bytes:
        return self.openmetrics_self_metrics()

    @cached_property
    def chunks(self) -> Plain:
        """The text format 0.0.4, iterated as it is sent."""
        return Plain(self.sections, self.self_metrics)

    @property
    def length(self) -> int:
        return self.chunks.length

    @property
    def body(self) -> bytes:
        """The whole exposition as one byte string (for --once and tests; scrapes use chunks)."""
        return b"".join(self.chunks)

    @cached_property
    def html_rows(self) -> str:
        return "\n".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>" for cells in self.landing_cells
        )
