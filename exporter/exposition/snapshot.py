"""One poll's output: the exposition's sections (exporter.exposition.body) and the other
forms of it (gzip, OpenMetrics) made once each."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from exporter.exposition.body import Plain, Section, gzipped
from exporter.exposition.status import Status, select
from exporter.exposition.status_page import html_sections, json_bytes

T = TypeVar("T")


@dataclass
class Snapshot:
    """One poll's output: the exposition's sections plus the self-metrics.

    The sections hold the renderer's own cached fragments and sealed pieces (shared, not
    copied), so a snapshot costs no second copy of the exposition. The plain text is sent as
    it is iterated; each other form (gzip, OpenMetrics, both) is made once: before publishing,
    for the forms scrapers asked of the previous snapshot (see `prepare`), else on the first
    request. A gzip form costs compressing the live lines only: sealed pieces are reused.
    """

    sections: Sequence[Section]
    self_metrics: bytes = b""
    status: Status | None = None  # the status page's model (None: nothing polled yet)
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

    def _form(self, name: str, make: Callable[[], T], asked: bool = True) -> T:
        if asked:
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

    # The status page's unfiltered forms, made on the first request for them (not `asked`: no
    # poll makes them ahead for a page that people open now and then).
    def status_html(self) -> bytes:
        """The status page's sections; its head (age, filter form) is made per request."""
        status = self.status
        return self._form(
            "status_html", lambda: html_sections(select(status)).encode("utf-8") if status else b"", asked=False
        )

    def status_json(self) -> bytes:
        status = self.status
        return self._form("status_json", lambda: json_bytes(select(status)) if status else b"{}", asked=False)
