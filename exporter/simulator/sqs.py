"""The SQS operations the exporter's event consumer uses, in memory, for demos, tests and benchmarks.

Amazon SQS speaks the AWS JSON 1.0 protocol (botocore's sqs model: ``"protocol": "json"``,
``"jsonVersion": "1.0"``, ``"targetPrefix": "AmazonSQS"``), so the simulator's HTTP server
routes ``X-Amz-Target: AmazonSQS.<Operation>`` here. Every behaviour implemented is listed in
:data:`FACTS` with where it comes from; tests/test_simulator_sqs.py checks each fact against this
simulator and against moto's SQS through real boto3.

Queues are keyed by the path of their URL (``/<account>/<name>``), so a client pointed at the
simulator with ``endpoint_url`` can use an AWS-looking queue URL such as
``https://sqs.us-east-1.amazonaws.com/111111111111/codedeploy-events``.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

TARGET_PREFIX = "AmazonSQS."
CONTENT_TYPE = "application/x-amz-json-1.0"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_VISIBILITY_TIMEOUT = 30
MAX_WAIT_SECONDS = 20
MAX_MESSAGES = 10


@dataclass(frozen=True)
class Fact:
    key: str
    behaviour: str
    source: str


_MODEL = "botocore data/sqs/2012-11-05/service-2.json"
FACTS: tuple[Fact, ...] = (
    Fact(
        "protocol.json",
        "Requests are POST / with X-Amz-Target AmazonSQS.<Operation> and a JSON 1.0 body; responses "
        "are application/x-amz-json-1.0.",
        f"{_MODEL}: metadata protocol=json, jsonVersion=1.0, targetPrefix=AmazonSQS",
    ),
    Fact(
        "receive.max_messages",
        "ReceiveMessage returns at most MaxNumberOfMessages messages; valid values 1 to 10, default 1; "
        "others fail with InvalidParameterValue (HTTP 400).",
        f"{_MODEL}: ReceiveMessageRequest.MaxNumberOfMessages ('Valid values: 1 to 10. Default: 1.'); "
        "moto sqs: same error",
    ),
    Fact(
        "receive.wait_time",
        "WaitTimeSeconds must be 0 to 20; others fail with InvalidParameterValue (HTTP 400).",
        "AWS SQS API Reference, ReceiveMessage, WaitTimeSeconds; moto sqs: same error",
    ),
    Fact(
        "receive.long_poll",
        "With WaitTimeSeconds > 0 the call returns as soon as a message is available; when none arrives "
        "within the wait it returns no message list (no Messages key).",
        f"{_MODEL}: ReceiveMessageRequest.WaitTimeSeconds",
    ),
    Fact(
        "receive.visibility",
        "A received message is hidden for VisibilityTimeout seconds (the queue's, 30 by default, unless "
        "the request gives one) and is then received again with a new receipt handle.",
        f"{_MODEL}: ReceiveMessageRequest.VisibilityTimeout, Message.ReceiptHandle ('A new receipt handle "
        "is returned every time you receive a message')",
    ),
    Fact(
        "receive.attributes",
        "Message system attributes are returned only when asked for (MessageSystemAttributeNames or "
        "AttributeNames, 'All' for all); SentTimestamp and ApproximateFirstReceiveTimestamp are epoch "
        "milliseconds and ApproximateReceiveCount a count, all as strings.",
        f"{_MODEL}: ReceiveMessageRequest.MessageSystemAttributeNames, Message.Attributes",
    ),
    Fact(
        "message.md5",
        "SendMessage returns MessageId and MD5OfMessageBody; received messages carry MessageId, "
        "ReceiptHandle, MD5OfBody (hex MD5 of the body) and Body.",
        f"{_MODEL}: SendMessageResult, Message",
    ),
    Fact(
        "delete.receipt_handle",
        "DeleteMessage with a receipt handle the queue never issued fails with ReceiptHandleIsInvalid; "
        "a deleted message is never received again.",
        f"{_MODEL}: DeleteMessage errors; moto sqs",
    ),
    Fact(
        "delete.batch",
        "DeleteMessageBatch takes 1 to 10 entries (Id, ReceiptHandle) and answers per entry in "
        "Successful (Id) or Failed (Id, SenderFault, Code, Message); an empty batch fails with "
        "EmptyBatchRequest, more than 10 with TooManyEntriesInBatchRequest (botocore reports the legacy "
        "AWS.SimpleQueueService.* codes from x-amzn-query-error, as moto does).",
        f"{_MODEL}: DeleteMessageBatchResult, DeleteMessageBatch errors; SQS API Reference "
        "DeleteMessageBatch ('up to ten messages')",
    ),
    Fact(
        "queue.missing",
        "Any operation on an unknown queue URL fails with HTTP 400 QueueDoesNotExist; the response's "
        "x-amzn-query-error header makes botocore report the legacy code "
        "AWS.SimpleQueueService.NonExistentQueue.",
        f"{_MODEL}: QueueDoesNotExist error, metadata awsQueryCompatible; moto sqs answers the same",
    ),
    Fact(
        "queue.attributes",
        "GetQueueAttributes returns the named attributes as strings (All for every one), among them "
        "QueueArn, VisibilityTimeout, ApproximateNumberOfMessages and ApproximateNumberOfMessagesNotVisible; "
        "an unknown name fails with InvalidAttributeName.",
        f"{_MODEL}: GetQueueAttributesRequest.AttributeNames, QueueAttributeName enum",
    ),
    Fact(
        "queue.create",
        "CreateQueue answers QueueUrl <endpoint>/<account>/<name>; GetQueueUrl answers the same URL.",
        f"{_MODEL}: CreateQueueResult, GetQueueUrlResult; moto sqs",
    ),
)

_QUEUE_ATTRIBUTES = (
    "QueueArn",
    "VisibilityTimeout",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
)
_ALL_QUEUE_ATTRIBUTE_NAMES = frozenset(
    {
        "All",
        "Policy",
        "VisibilityTimeout",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "QueueArn",
        "ApproximateNumberOfMessagesDelayed",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
        "RedrivePolicy",
        "FifoQueue",
        "ContentBasedDeduplication",
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "DeduplicationScope",
        "FifoThroughputLimit",
        "RedriveAllowPolicy",
        "SqsManagedSseEnabled",
    }
)
_MESSAGE_ATTRIBUTES = ("SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp")

# Legacy (query protocol) codes botocore reports for awsQueryCompatible errors.
_QUERY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
}


class SqsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status

    def body(self) -> dict[str, Any]:
        return {"__type": f"com.amazonaws.sqs#{self.code}", "message": self.message}

    def headers(self) -> dict[str, str]:
        return {"x-amzn-query-error": f"{_QUERY_CODES.get(self.code, self.code)};Sender"}


@dataclass
class _Message:
    message_id: str
    body: str
    sent_ms: int
    visible_at: float = 0.0  # monotonic time
    receive_count: int = 0
    first_receive_ms: int | None = None
    receipt_handle: str | None = None


@dataclass
class _Queue:
    name: str
    account: str
    visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT
    created: float = field(default_factory=time.time)
    messages: list[_Message] = field(default_factory=list)
    handles: set[str] = field(default_factory=set)  # every receipt handle ever issued


class SqsService:
    """Thread-safe in-memory queues. ``handle(operation, body, endpoint)`` -> (status, body, headers)."""

    def __init__(self, clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._clock, self._monotonic = clock, monotonic
        self._cond = threading.Condition()
        self._queues: dict[str, _Queue] = {}  # "/account/name" -> queue
        self._failing: tuple[str, int] | None = None  # (code, status): every call fails
        self._interrupted = False
        self.calls: list[str] = []

    # ---- ground truth and faults (tests, demo) -------------------------------------------------
    def create_queue(
        self,
        name: str,
        endpoint: str = "http://127.0.0.1",
        account: str = DEFAULT_ACCOUNT,
        visibility_timeout: int = DEFAULT_VISIBILITY_TIMEOUT,
    ) -> str:
        with self._cond:
            self._queues.setdefault(f"/{account}/{name}", _Queue(name, account, visibility_timeout))
        return f"{endpoint.rstrip('/')}/{account}/{name}"

    def delete_queue(self, queue_url: str) -> None:
        with self._cond:
            self._queues.pop(_path(queue_url), None)
            self._cond.notify_all()

    def send(self, queue_url: str, body: str) -> str:
        """Put a message on a queue (what EventBridge or SNS would do); returns its MessageId."""
        with self._cond:
            queue = self._queue(queue_url)
            message = _Message(str(uuid.uuid4()), body, int(self._clock() * 1000))
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

    # ---- dispatch --------------------------------------------------------------------------------
    def handle(self, operation: str, body: dict[str, Any], endpoint: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        handler = _OPERATIONS.get(operation)
        with self._cond:
            self.calls.append(operation)
            failing = self._failing
        try:
            if failing is not None:
                raise SqsError(failing[0], "simulated failure", failing[1])
            if handler is None:
                raise SqsError("UnsupportedOperation", f"Unknown operation {operation}")
            return 200, handler(self, body, endpoint), {}
        except SqsError as error:
            return error.status, error.body(), error.headers()

    def _queue(self, queue_url: object) -> _Queue:
        if not isinstance(queue_url, str) or not queue_url:
            raise SqsError("InvalidAddress", "QueueUrl is required")
        queue = self._queues.get(_path(queue_url))
        if queue is None:
            raise SqsError("QueueDoesNotExist", "The specified queue does not exist.")
        return queue

    def _op_create_queue(self, body: dict[str, Any], endpoint: str) -> dict[str, Any]:
        name = body.get("QueueName")
        if not isinstance(name, str) or not name:
            raise SqsError("InvalidParameterValue", "QueueName is required")
        timeout = int((body.get("Attributes") or {}).get("VisibilityTimeout", DEFAULT_VISIBILITY_TIMEOUT))
        return {"QueueUrl": self.create_queue(name, endpoint, visibility_timeout=timeout)}

    def _op_get_queue_url(self, body: dict[str, Any], endpoint: str) -> dict[str, Any]:
        account = body.get("QueueOwnerAWSAccountId") or DEFAULT_ACCOUNT
        url = f"{endpoint.rstrip('/')}/{account}/{body.get('QueueName')}"
        with self._cond:
            self._queue(url)
        return {"QueueUrl": url}

    def _op_send_message(self, body: dict[str, Any], endpoint: str) -> dict[str, Any]:
        text = body.get("MessageBody")
        if not isinstance(text, str) or not text:
            raise SqsError("InvalidParameterValue", "MessageBody must be at least one character")
        message_id = self.send(body.get("QueueUrl", ""), text)  # "" fails like a missing one
        return {"MessageId": message_id, "MD5OfMessageBody": _md5(text)}

    def _op_receive_message(self, body: dict[str, Any], endpoint: str) -> dict[str, Any]:
        limit = _int_in(body, "MaxNumberOfMessages", 1, 1, MAX_MESSAGES, "must be between 1 and 10, if provided")
        wait = _int_in(body, "WaitTimeSeconds", 0, 0, MAX_WAIT_SECONDS, "must be >= 0 and <= 20 if provided")
        wanted = set(body.get("MessageSystemAttributeNames") or []) | set(body.get("AttributeNames") or [])
        names = _MESSAGE_ATTRIBUTES if "All" in wanted else tuple(n for n in _MESSAGE_ATTRIBUTES if n in wanted)
        deadline = self._monotonic() + wait
        with self._cond:
            while True:
                queue = self._queue(body.get("QueueUrl"))
                timeout = body.get("VisibilityTimeout")
                hidden_for = queue.visibility_timeout if timeout is None else int(timeout)
                now = self._monotonic()
                ready = [m for m in queue.messages if m.visible_at <= now][:limit]
                if ready or now >= deadline or self._interrupted:
                    break
                # Wake for new messages (notify) or when the next in-flight one becomes visible.
                next_visible = min((m.visible_at for m in queue.messages), default=deadline)
                self._cond.wait(max(0.0, min(deadline, next_visible) - now) + 0.001)
            out = []
            wall_ms = int(self._clock() * 1000)
            for message in ready:
                message.receive_count += 1
                message.first_receive_ms = message.first_receive_ms or wall_ms
                message.visible_at = now + hidden_for
                message.receipt_handle = uuid.uuid4().hex + uuid.uuid4().hex
                queue.handles.add(message.receipt_handle)
                item: dict[str, Any] = {
                    "MessageId": message.message_id,
                    "ReceiptHandle": message.receipt_handle,
                    "MD5OfBody": _md5(message.body),
                    "Body": message.body,
                }
                values = {
                    "SenderId": "AIDASIMULATOR",
                    "SentTimestamp": str(message.sent_ms),
                    "ApproximateReceiveCount": str(message.receive_count),
                    "ApproximateFirstReceiveTimestamp": str(message.first_receive_ms),
                }
                if names:
                    item["Attributes"] = {n: values[n] for n in names}
                out.append(item)
        return {"Messages": out} if out else {}

    def _delete(self, queue: _Queue, handle: object) -> None:
        if not isinstance(handle, str) or handle not in queue.handles:
            raise SqsError(
                "ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not a valid receipt handle.'
            )
        queue.messages = [m for m in queue.messages if m.receipt_handle != handle]

    def _op_delete_message(self, body: dict[str, Any], endpoint: str) -> dict[str, Any]:
        with self._cond:
            self._delete(self._queue(body.get("QueueUrl")), body.get("ReceiptHandle"))
        return {}

    def _op_delete_message_batch(self, body: dict[str, Any], endpoint: str) -> dict[str, Any]:
        entries = body.get("Entries") or []
        with self._cond:
            queue = self._queue(body.get("QueueUrl"))
            if not entries:
                raise SqsError("EmptyBatchRequest", "There should be at least one DeleteMessageBatchRequestEntry")
            if len(entries) > MAX_MESSAGES:
                raise SqsError(
                    "TooManyEntriesInBatchRequest",
                    f"Maximum number of entries per request are {MAX_MESSAGES}. You have sent {len(entries)}.",
                )
            ok, failed = [], []
            for entry in entries:
                try:
                    self._delete(queue, entry.get("ReceiptHandle"))
                    ok.append({"Id": entry.get("Id")})
                except SqsError as error:
                    failed.append(
                        {"Id": entry.get("Id"), "SenderFault": True, "Code": error.code, "Message": error.message}
                    )
        return {"Successful": ok, "Failed": failed}

    def _op_get_queue_attributes(self, body: dict[str, Any], endpoint: str) -> dict[str, Any]:
        names = body.get("AttributeNames") or []
        unknown = [n for n in names if n not in _ALL_QUEUE_ATTRIBUTE_NAMES]
        if unknown:
            raise SqsError("InvalidAttributeName", f"Unknown Attribute {unknown[0]}.")
        with self._cond:
            queue = self._queue(body.get("QueueUrl"))
            now = self._monotonic()
            visible = sum(1 for m in queue.messages if m.visible_at <= now)
            values = {
                "QueueArn": f"arn:aws:sqs:us-east-1:{queue.account}:{queue.name}",
                "VisibilityTimeout": str(queue.visibility_timeout),
                "ApproximateNumberOfMessages": str(visible),
                "ApproximateNumberOfMessagesNotVisible": str(len(queue.messages) - visible),
                "ApproximateNumberOfMessagesDelayed": "0",
                "CreatedTimestamp": str(int(queue.created)),
                "LastModifiedTimestamp": str(int(queue.created)),
                "DelaySeconds": "0",
                "ReceiveMessageWaitTimeSeconds": "0",
                "MaximumMessageSize": "1048576",
                "MessageRetentionPeriod": "345600",
            }
        wanted = _QUEUE_ATTRIBUTES if "All" in names else [n for n in names if n in values]
        return {"Attributes": {n: values[n] for n in wanted}} if wanted else {}


_OPERATIONS: dict[str, Callable[[SqsService, dict[str, Any], str], dict[str, Any]]] = {
    "CreateQueue": SqsService._op_create_queue,
    "GetQueueUrl": SqsService._op_get_queue_url,
    "SendMessage": SqsService._op_send_message,
    "ReceiveMessage": SqsService._op_receive_message,
    "DeleteMessage": SqsService._op_delete_message,
    "DeleteMessageBatch": SqsService._op_delete_message_batch,
    "GetQueueAttributes": SqsService._op_get_queue_attributes,
}


def _path(queue_url: str) -> str:
    return urlsplit(queue_url).path.rstrip("/")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the protocol's checksum


def _int_in(body: dict[str, Any], name: str, default: int, low: int, high: int, reason: str) -> int:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SqsError("InvalidParameterValue", f"Value {value} for parameter {name} is invalid. Reason: {reason}.")
    return value
