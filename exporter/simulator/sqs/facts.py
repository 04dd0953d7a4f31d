"""The simulator's SQS behaviours, each with where it comes from (a declarative table);
tests/simulator/test_simulator_sqs.py checks each against the simulator and against moto's SQS."""

from __future__ import annotations

from dataclasses import dataclass


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
