"""The event consumer: long-polls SQS, debounces, asks for a refresh, then deletes.

Two daemon threads: a receiver that sits in ``ReceiveMessage`` (20 s long poll, 10 messages) and
a worker that waits ``debounce`` after the first pending event, hands every pending event to one
refresh, and deletes their messages once that refresh has completed (successfully or with its
error recorded). A message that is not a CodeDeploy event is counted, logged once and deleted
straight away. Nothing the queue delivers can stop either thread; a queue outage (AccessDenied,
deleted queue, no network) is logged once, retried with backoff, and never touches polling.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exporter.aws.errors import ApiError
from exporter.aws.parse_errors import ParseErrors
from exporter.aws.responses import Dropped
from exporter.aws.sqs import SQS_MAX_MESSAGES, SQS_WAIT_SECONDS, SqsApi
from exporter.events.metrics import EventMetrics
from exporter.events.parse import DeploymentChange, parse_message
from exporter.events.refresh import Refresh, RefreshOutcome
from exporter.log import quote

log = logging.getLogger(__name__)

ERROR_BACKOFF = (1.0, 60.0)  # first and longest wait after a failed ReceiveMessage
MIN_REFRESH_TIME = 10.0  # headroom a refresh (and a poll it may wait for) gets within the visibility timeout
_LOGGED_IDS_MAX = 10_000  # message ids remembered for log-once


@dataclass
class _Pending:
    receipt_handle: str
    change: DeploymentChange


class EventConsumer:
    def __init__(
        self,
        sqs: SqsApi,
        queue_url: str,
        debounce: float,
        refresh: Refresh,
        metrics: EventMetrics,
        republish: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
        wait_seconds: int = SQS_WAIT_SECONDS,
        error_backoff: tuple[float, float] = ERROR_BACKOFF,
        parse_errors: ParseErrors | None = None,
    ) -> None:
        # A date present but unreadable costs the event its time (the SNS timestamp or the
        # message's SentTimestamp stands in); it is counted with the exporter's parse errors.
        self._parse_errors = parse_errors if parse_errors is not None else ParseErrors()
        self.queue_url = queue_url
        self.debounce = debounce
        self._sqs, self._refresh, self.metrics, self._republish = sqs, refresh, metrics, republish
        self._counted_only = False  # messages were counted but no refresh is due: republish metrics
        self._clock, self._wait_seconds, self._backoff = clock, wait_seconds, error_backoff
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._pending: dict[str, _Pending] = {}
        self._first_pending: float | None = None  # monotonic time the debounce window opened
        self._busy = False  # a refresh (and its deletes) is under way
        self._outages: dict[str, str] = {}  # operation -> error code of an ongoing outage
        self._logged: OrderedDict[str, None] = OrderedDict()
        self._threads: list[threading.Thread] = []

    # ---- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> EventConsumer:
        for name, target in (("events-receiver", self._receive_loop), ("events-worker", self._work_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("event=events_consumer_started queue=%s debounce=%.3fs", quote(self.queue_url), self.debounce)
        return self

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop both threads. The receiver may sit in a long poll: it is a daemon thread and is not
        waited for. Returns False if a refresh was still running after `timeout`."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        worker = self._threads[1] if len(self._threads) > 1 else None
        if worker is not None:
            worker.join(timeout)
        return worker is None or not worker.is_alive()

    def idle(self) -> bool:
        """No event waiting for or in a refresh (tests wait on this instead of sleeping)."""
        with self._cond:
            return not self._pending and not self._busy and not self._counted_only

    # ---- receiving ---------------------------------------------------------------------------------
    def _check_queue(self) -> None:
        """Say which queue this is, and warn when its visibility timeout is too short: a message
        that becomes visible again before its refresh completed is delivered twice."""
        try:
            attributes = self._sqs.queue_attributes(self.queue_url, ["QueueArn", "VisibilityTimeout"])
        except ApiError as exc:
            # Counted; the outage itself, if it is one, is logged by the receive loop.
            self.metrics.errors.labels(exc.operation, exc.code).inc()
            log.warning("event=events_queue_check_failed error_code=%s message=%s", exc.code, quote(exc.message))
            return
        visibility = float(attributes.get("VisibilityTimeout", "30"))
        log.info(
            "event=events_queue queue_arn=%s visibility_timeout=%.0fs",
            quote(attributes.get("QueueArn", "")),
            visibility,
        )
        wanted = self.debounce + MIN_REFRESH_TIME
        if visibility < wanted:
            log.warning(
                "event=events_queue_visibility_short visibility_timeout=%.0fs debounce=%.3fs hint=%s",
                visibility,
                self.debounce,
                quote(
                    f"raise the queue's VisibilityTimeout to at least {wanted:.0f}s or messages may be handled twice"
                ),
            )

    def _receive_loop(self) -> None:
        if self._stop.is_set():
            return  # stopped before this thread ran: no call to make
        self._check_queue()
        failures = 0
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive(self.queue_url, self._wait_seconds)
            except ApiError as exc:
                self._failed(exc)
                failures += 1
                first, longest = self._backoff
                self._stop.wait(min(longest, first * 2 ** min(failures - 1, 16)))
                continue
            except Exception:  # never let the receiver die
                log.exception("event=events_receive_crashed")
                self._stop.wait(self._backoff[0])
                continue
            failures = 0
            self._recovered("ReceiveMessage")
            if messages and not self._stop.is_set():
                self._accept(messages)

    def _accept(self, messages: list[dict[str, Any]]) -> None:
        now = self._clock()
        newest = None
        discard = []
        with self._cond:
            for message in messages:
                message_id = str(message.get("MessageId", ""))
                handle = message.get("ReceiptHandle")
                if not isinstance(handle, str):
                    continue
                parsed = parse_message(message.get("Body", "") if isinstance(message.get("Body"), str) else "")
                self.metrics.received.labels(parsed.type).inc()
                if parsed.change is None:
                    if parsed.outcome == "malformed":
                        self.metrics.malformed.inc()
                    else:
                        self.metrics.ignored.labels("not_codedeploy").inc()
                    self._log_once(message_id, parsed.outcome, parsed.reason)
                    discard.append(handle)
                    continue
                if parsed.unreadable_date:
                    field, _, value = parsed.unreadable_date.partition(": ")
                    self._parse_errors.dropped(
                        Dropped(
                            "ReceiveMessage",
                            field,
                            f"deploymentId={parsed.change.deployment_id}",
                            "bad_value",
                            f"unreadable date {value}",
                        )
                    )
                when = parsed.change.time or _sent_timestamp(message)
                if when is not None:
                    newest = when if newest is None else max(newest, when)
                pending = self._pending.get(message_id)
                if pending is not None:
                    pending.receipt_handle = handle  # redelivered: only the newest handle deletes it
                else:
                    self._pending[message_id] = _Pending(handle, parsed.change)
                if self._first_pending is None:
                    self._first_pending = time.monotonic()
            if newest is not None:
                self.metrics.age.set(max(0.0, now - newest))
            if discard:
                self._counted_only = True
            self._cond.notify_all()
        if discard:
            self._delete(discard)

    def _log_once(self, message_id: str, outcome: str, reason: str) -> None:
        if message_id in self._logged:
            return
        self._logged[message_id] = None
        if len(self._logged) > _LOGGED_IDS_MAX:
            self._logged.popitem(last=False)
        log.warning(
            "event=event_message_%s message_id=%s reason=%s action=deleted",
            "malformed" if outcome == "malformed" else "ignored",
            quote(message_id),
            quote(reason),
        )

    # ---- refreshing --------------------------------------------------------------------------------
    def _work_loop(self) -> None:
        while True:
            with self._cond:
                while not self._stop.is_set() and not self._pending and not self._counted_only:
                    self._cond.wait()
                if not self._pending and not self._stop.is_set():
                    self._counted_only = False
                    republish = True
                else:
                    republish = False
            if republish:
                self._republish_metrics()
                continue
            with self._cond:
                while not self._stop.is_set():
                    remaining = (self._first_pending or 0.0) + self.debounce - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                if self._stop.is_set():
                    return  # pending messages stay on the queue and come back after their visibility timeout
                batch, self._pending, self._first_pending = self._pending, {}, None
                self._counted_only = False  # the refresh publishes the counts too
                self._busy = True
            try:
                self._apply(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _republish_metrics(self) -> None:
        try:
            self._republish()
        except Exception:
            log.exception("event=events_republish_crashed")

    def _apply(self, batch: dict[str, _Pending]) -> None:
        changes = [p.change for p in batch.values()]

        def account(outcome: RefreshOutcome) -> None:
            self.metrics.refreshes.labels("error" if outcome.api_wide_errors else "success").inc()
            self.metrics.last_refresh.set(self._clock())
            for change in changes:
                verdict = outcome.result_of(change.deployment_id)
                if verdict == "applied":
                    self.metrics.applied.inc()
                else:
                    self.metrics.ignored.labels(verdict).inc()

        try:
            outcome = self._refresh(changes, account)
            log.debug(
                "event=event_refresh messages=%d applied=%s untracked=%d finished=%d duration=%.3f",
                len(changes),
                ",".join(sorted(outcome.applied)) or "none",
                len(outcome.untracked),
                len(outcome.finished),
                outcome.duration,
            )
        except Exception:  # recorded, and the messages are still deleted: the poll catches up
            log.exception("event=event_refresh_crashed deployments=%d", len({c.deployment_id for c in changes}))
            self.metrics.refreshes.labels("error").inc()
            self._republish_metrics()
        self._delete([p.receipt_handle for p in batch.values()])

    def _delete(self, handles: list[str]) -> None:
        for start in range(0, len(handles), SQS_MAX_MESSAGES):
            chunk = handles[start : start + SQS_MAX_MESSAGES]
            try:
                failed = self._sqs.delete(self.queue_url, chunk)
            except ApiError as exc:
                self._failed(exc)  # not deleted: delivered again after the visibility timeout
                continue
            self._recovered("DeleteMessageBatch")
            for _index, code in failed:
                self.metrics.errors.labels("DeleteMessageBatch", code).inc()

    # ---- outages -----------------------------------------------------------------------------------
    def _failed(self, exc: ApiError) -> None:
        self.metrics.errors.labels(exc.operation, exc.code).inc()
        if self._outages.get(exc.operation) != exc.code:
            self._outages[exc.operation] = exc.code
            log.error(
                "event=events_consumer_error operation=%s error_code=%s message=%s queue=%s polling=continues",
                exc.operation,
                exc.code,
                quote(exc.message),
                quote(self.queue_url),
            )

    def _recovered(self, operation: str) -> None:
        code = self._outages.pop(operation, None)
        if code is not None:
            log.info("event=events_consumer_recovered operation=%s error_code=%s", operation, code)


def _sent_timestamp(message: dict[str, Any]) -> float | None:
    try:
        return int((message.get("Attributes") or {})["SentTimestamp"]) / 1000.0
    except (KeyError, TypeError, ValueError):
        return None
