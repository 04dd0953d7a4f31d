"""Values and objects the exporter could not read: counted, logged, and left out alone.

AWS adds and reshapes response fields over time. A value botocore cannot parse is dropped
(exporter.aws.responses); an object whose record or samples cannot be made is skipped. Either way
`codedeploy_exporter_parse_errors_total{operation,reason}` counts it, one WARNING names the
object and the field, and every other object of the same response and poll is exported.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from exporter.aws.responses import Dropped, object_id
from exporter.log import quote

if TYPE_CHECKING:
    from prometheus_client import Counter

log = logging.getLogger(__name__)
T = TypeVar("T")

_INDEX = re.compile(r"\[\d+\]")


class ParseErrors:
    """Counts and logs. The first occurrence of each kind (operation, field without list
    indexes, reason) logs a WARNING; repeats, such as the same odd group every refresh, log
    at DEBUG so a reshaped field cannot flood the log."""

    def __init__(self, counter: Counter | None = None) -> None:
        self._counter = counter
        self._seen: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def dropped(self, problem: Dropped) -> None:
        """botocore could not parse one value of a response (see exporter.aws.responses)."""
        self._note(_INDEX.sub("[]", problem.field), problem)

    def failed(self, operation: str, reason: str, owner: str, exc: BaseException) -> None:
        """One object's record or samples could not be made: it is left out."""
        where = _where(exc)
        detail = f"{type(exc).__name__}: {exc}"[:200]
        self._note(where, Dropped(operation, where, owner, reason, detail))

    def _note(self, kind: str, problem: Dropped) -> None:
        operation, reason = problem.operation, problem.reason
        if self._counter is not None:
            self._counter.labels(operation, reason).inc()
        with self._lock:
            first = (operation, kind, reason) not in self._seen
            self._seen.add((operation, kind, reason))
        log.log(
            logging.WARNING if first else logging.DEBUG,
            "event=parse_error operation=%s object=%s field=%s reason=%s detail=%s",
            operation,
            quote(problem.object_id or "unknown"),
            quote(problem.field),
            reason,
            quote(problem.detail),
        )


def parse_each(
    items: Iterable[object],
    parse: Callable[[object], T],
    errors: ParseErrors,
    operation: str,
) -> list[T]:
    """`parse` applied to each raw object; one that raises is counted, logged and skipped."""
    parsed: list[T] = []
    for item in items:
        try:
            parsed.append(parse(item))
        except Exception as exc:  # any shape AWS may send: one object, not the response
            errors.failed(operation, "record", raw_object_id(item), exc)
    return parsed


def raw_object_id(item: object) -> str:
    """The id of a raw API object for a log line (the target's, deployment's or group's)."""
    if not isinstance(item, dict):
        return ""
    return object_id([item, *(v for v in item.values() if isinstance(v, dict))])  # a target's id is in its body


def _where(exc: BaseException) -> str:
    """The innermost exporter function the exception passed through (the field's reader)."""
    tb, name = exc.__traceback__, "unknown"
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("exporter."):
            name = f"{tb.tb_frame.f_code.co_name}()"
        tb = tb.tb_next
    return name
