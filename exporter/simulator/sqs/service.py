"""The SQS wire operations (JSON 1.0, ``X-Amz-Target: AmazonSQS.<Operation>``) the simulator's
HTTP server hands over: SqsService dispatches each to its handler over the queues of
queues.py, as facts.py describes them."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from .errors import SqsError
from .queues import DEFAULT_ACCOUNT, DEFAULT_VISIBILITY_TIMEOUT, Queue, QueueStore

TARGET_PREFIX = "AmazonSQS."
CONTENT_TYPE = "application/x-amz-json-1.0"
MAX_WAIT_SECONDS = 20
MAX_MESSAGES = 10

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


class SqsService(QueueStore):
    """The queues on the wire: ``handle(operation, body, endpoint)`` -> (status, body, headers)."""

    def __init__(self, clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock, monotonic)
        self.calls: list[str] = []

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

    # ---- operation handlers ----------------------------------------------------------------------
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

    def _delete(self, queue: Queue, handle: object) -> None:
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


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the protocol's checksum


def _int_in(body: dict[str, Any], name: str, default: int, low: int, high: int, reason: str) -> int:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SqsError("InvalidParameterValue", f"Value {value} for parameter {name} is invalid. Reason: {reason}.")
    return value
