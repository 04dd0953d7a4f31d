"""API-wide errors of a poll (throttling, lost credentials), logged once per outage and its end."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from exporter.aws.errors import ApiError
from exporter.log import quote

log = logging.getLogger(__name__)


class Outages:
    def __init__(self) -> None:
        self.current: list[str] = []  # API-wide error codes of the current poll
        self.first: list[ApiError] = []  # ... the first error of each, for `--once` to report
        self._before: set[str] = set()  # ... and of the previous one
        self._lock = threading.Lock()

    def begin_poll(self) -> None:
        self.current, self.first = [], []

    def note(self, exc: ApiError, where: str) -> None:
        # Logged when an outage starts, not per target or per poll: throttling or lost
        # credentials would otherwise flood the log. Its end is logged by end_poll().
        with self._lock:
            if exc.code in self.current:
                return
            self.current.append(exc.code)
            self.first.append(exc)
            ongoing = exc.code in self._before
        if not ongoing:
            log.error(
                "event=api_error operation=%s where=%s error_code=%s message=%s",
                exc.operation,
                quote(where),
                exc.code,
                quote(exc.message),
            )

    @contextmanager
    def apart(self, known: set[str]) -> Iterator[list[str]]:
        """A run between polls (an event refresh): its API-wide errors are collected in the
        list yielded, and logged only if neither `known` nor the last poll had them; the
        poll's own state is as before afterwards."""
        saved = self.current, self.first, self._before
        self.current, self.first, self._before = [], [], saved[2] | known
        try:
            yield self.current
        finally:
            self.current, self.first, self._before = saved

    def end_poll(self) -> list[str]:
        ended = self._before.difference(self.current)
        if ended:
            log.info("event=api_recovered error_codes=%s", ",".join(sorted(ended)))
        self._before = set(self.current)
        return list(self.current)
