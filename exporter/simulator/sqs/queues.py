"""The simulator's SQS queues and messages, and the ground-truth methods tests and the demo
call directly (create, send, depth, failing every call), under one condition variable that
long polls wait on."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import SqsError

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_VISIBILITY_TIMEOUT = 30


@dataclass
class Message:
    message_id: str
    body: str
    sent_ms: int
    visible_at: float = 0.0  # monotonic time
    receive_count: int = 0
    first_receive_ms: int | None = None
    receipt_handle: str | None = None


@dataclass
class Queue:
    name: str
    account: str
    visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT
    created: float = field(default_factory=time.time)
    messages: list[Message] = field(default_factory=list)
    handles: set[str] = field(default_factory=set)  # every receipt handle ever issued


class QueueStore:
    """Thread-safe in-memory queues; SqsService (service.py) answers the wire operations on them."""

    def __init__(self, clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._clock, self._monotonic = clock, monotonic
        self._cond = threading.Condition()
        self._queues: dict[str, Queue] = {}  # "/account/name" -> queue
        self._failing: tuple[str, int] | None = None  # (code, status): every call fails
        self._interrupted = False

    # ---- ground truth and faults (tests, demo) -------------------------------------------------
    def create_queue(
        self,
        name: str,
        endpoint: str = "http://127.0.0.1",
        account: str = DEFAULT_ACCOUNT,
        visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT,
    ) -> str:
        with self._cond:
            self._queues.setdefault(f"/{account}/{name}", Queue(name, account, visibility_timeout))
        return f"{endpoint.rstrip('/')}/{account}/{name}"

    def delete_queue(self, queue_url: str) -> None:
        with self._cond:
            self._queues.pop(_path(queue_url), None)
            self._cond.notify_all()

    def send(self, queue_url: str, body: str) -> str:
        """Put a message on a queue (what EventBridge or SNS would do); returns its MessageId."""
        with self._cond:
            queue = self._queue(queue_url)
            message = Message(str(uuid.uuid4()), body, int(self._clock() * 1000))
            queue.messages.append(message)
            self._cond.notify_all()
            return message.message_id

    def depth(self, queue_url: str) -> tuple[int, int]:
        """(visible, in flight) messages."""
        with self._cond:
            queue = self._queue(queue_url)
            now = self._monotonic()
            visible = sum(1 for m in queue.messages if m.visible_at <= now)
            return visible, len(queue.messages) - visible

    def fail_all(self, code: str = "AccessDenied", status: int = 403) -> None:
        """Every call fails with this error until :meth:`recover` (a revoked policy, say)."""
        with self._cond:
            self._failing = (code, status)
            self._cond.notify_all()

    def recover(self) -> None:
        with self._cond:
            self._failing = None

    def interrupt_waits(self) -> None:
        """End every long poll now (server shutdown)."""
        with self._cond:
            self._interrupted = True
            self._cond.notify_all()

    def _queue(self, queue_url: object) -> Queue:
        # Under the condition's lock; an unknown URL is the API's QueueDoesNotExist.
        if not isinstance(queue_url, str) or not queue_url:
            raise SqsError("InvalidAddress", "QueueUrl is required")
        queue = self._queues.get(_path(queue_url))
        if queue is None:
            raise SqsError("QueueDoesNotExist", "The specified queue does not exist.")
        return queue


def _path(queue_url: str) -> str:
    return urlsplit(queue_url).path.rstrip("/")
