"""The SQS error responses: a JSON 1.0 ``__type`` and the query-protocol code botocore reports."""

from __future__ import annotations

from typing import Any

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
