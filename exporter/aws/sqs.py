"""The SQS calls of the event consumer, with errors as ApiError."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from exporter.aws.errors import ApiError

if TYPE_CHECKING:  # the stubs are a test dependency: never imported at run time
    from mypy_boto3_sqs import SQSClient

SQS_WAIT_SECONDS = 20  # ReceiveMessage's longest long poll
SQS_MAX_MESSAGES = 10  # ReceiveMessage / DeleteMessageBatch maximum
# The read timeout must outlast the long poll, or every empty poll would end in a timeout.
SQS_READ_TIMEOUT = SQS_WAIT_SECONDS + 10


class SqsApi:
    """The SQS calls of the event consumer, with errors as ApiError (not rate-limited: the
    CodeDeploy limiter protects CodeDeploy's quotas, and a long poll is one call per 20 s)."""

    def __init__(self, client: SQSClient) -> None:
        self._client = client

    def _call(self, operation: str, method: str, **params: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self._client, method)(**params)
            return response
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ApiError(operation, error.get("Code", "Unknown"), error.get("Message", "")) from None
        except BotoCoreError as exc:
            raise ApiError(operation, type(exc).__name__, str(exc)) from None

    def receive(self, queue_url: str, wait_seconds: int = SQS_WAIT_SECONDS) -> list[dict[str, Any]]:
        response = self._call(
            "ReceiveMessage",
            "receive_message",
            QueueUrl=queue_url,
            WaitTimeSeconds=wait_seconds,
            MaxNumberOfMessages=SQS_MAX_MESSAGES,
            MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
        )
        return response.get("Messages") or []

    def queue_attributes(self, queue_url: str, names: list[str]) -> dict[str, str]:
        response = self._call("GetQueueAttributes", "get_queue_attributes", QueueUrl=queue_url, AttributeNames=names)
        return response.get("Attributes") or {}

    def delete(self, queue_url: str, receipt_handles: list[str]) -> list[tuple[int, str]]:
        """Delete up to 10 messages; returns (index, error code) of those SQS did not delete."""
        entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(receipt_handles)]
        response = self._call("DeleteMessageBatch", "delete_message_batch", QueueUrl=queue_url, Entries=entries)
        return [(int(f["Id"]), f.get("Code", "Unknown")) for f in response.get("Failed") or []]
