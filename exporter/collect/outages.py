"""API-wide errors of a poll (throttling, lost credentials, a role that cannot be assumed),
logged once per outage of each account-region and when they end, and kept per AWS settings so
each account-region's health can be told apart."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from exporter.aws.errors import ApiError
from exporter.config import AwsSettings
from exporter.log import quote

log = logging.getLogger(__name__)

_Key = tuple[str, AwsSettings | None]  # (error code, the settings of the client that failed)


class Outages:
    def __init__(self, identity: Callable[[AwsSettings], tuple[str, str]] | None = None) -> None:
        self.current: list[str] = []  # API-wide error codes of the current poll
        self.first: list[ApiError] = []  # ... the first error of each, for `--once` to report
        self.failed: dict[AwsSettings, str] = {}  # ... the first code of each AWS settings
        self._keys: set[_Key] = set()  # ... by settings, for logging once per outage
        self._before: set[_Key] = set()  # ... and of the previous poll
        self._known: set[str] = set()  # codes a run between polls treats as ongoing
        self._identity = identity  # -> (account id, region), for the log
        self._lock = threading.Lock()

    def begin_poll(self) -> None:
        self.current, self.first, self.failed, self._keys = [], [], {}, set()

    def note(self, exc: ApiError, where: str) -> None:
        # Logged when an outage starts, not per target or per poll: throttling or lost
        # credentials would otherwise flood the log. Its end is logged by end_poll().
        key = (exc.code, exc.settings)
        with self._lock:
            if exc.settings is not None:
                self.failed.setdefault(exc.settings, exc.code)
            if exc.code not in self.current:
                self.current.append(exc.code)
                self.first.append(exc)
            if key in self._keys:
                return
            self._keys.add(key)
            ongoing = key in self._before or exc.code in self._known
        if not ongoing:
            account, region = ("", "")
            if exc.settings is not None and self._identity is not None:
                account, region = self._identity(exc.settings)
            log.error(
                "event=api_error operation=%s where=%s account_id=%s region=%s error_code=%s message=%s",
                exc.operation,
                quote(where),
                quote(account),
                quote(region),
                exc.code,
                quote(exc.message),
            )

    @contextmanager
    def apart(self, known: set[str]) -> Iterator[list[str]]:
        """A run between polls (an event refresh): its API-wide errors are collected in the
        list yielded, and logged only if neither the last poll (for that account-region) nor
        `known` (error codes of the last such run) had them; the poll's own state is as
        before afterwards."""
        saved = self.current, self.first, self.failed, self._keys, self._known
        self.current, self.first, self.failed, self._keys, self._known = [], [], {}, set(), known
        try:
            yield self.current
        finally:
            self.current, self.first, self.failed, self._keys, self._known = saved

    def end_poll(self) -> list[str]:
        ended = {code for code, _ in self._before}.difference(self.current)
        if ended:
            log.info("event=api_recovered error_codes=%s", ",".join(sorted(ended)))
        self._before = set(self._keys)
        return list(self.current)
