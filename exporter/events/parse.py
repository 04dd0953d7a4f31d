"""SQS message body -> which CodeDeploy deployment changed. Pure: no I/O, no clock.

Understood formats (fixtures and their documentation sources: tests/fixtures/events/SOURCES.md):
- EventBridge events from ``aws.codedeploy``: "CodeDeploy Deployment State-change Notification"
  and "CodeDeploy Instance State-change Notification", delivered raw (an EventBridge rule
  targeting the queue) or wrapped in an SNS notification (rule -> topic -> queue);
- CodeDeploy trigger JSON, which CodeDeploy publishes to SNS, so it arrives wrapped in an SNS
  notification (accepted unwrapped as well).

The exporter never trusts an event's state: it only learns *which* deployment changed and asks the
API. That makes duplicates, reordering and late delivery harmless by construction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

DEPLOYMENT_STATE_CHANGE = "CodeDeploy Deployment State-change Notification"
INSTANCE_STATE_CHANGE = "CodeDeploy Instance State-change Notification"
DETAIL_TYPES = {
    DEPLOYMENT_STATE_CHANGE: "deployment_state_change",
    INSTANCE_STATE_CHANGE: "instance_state_change",
}
# Every kind an event can have, for pre-initialised self-metrics.
EVENT_TYPES = (
    "deployment_state_change",
    "instance_state_change",
    "deployment_trigger",
    "instance_trigger",
    "other",
    "malformed",
)

_DEPLOYMENT_ID = re.compile(r"^d-[A-Z0-9]{9}$")
_MAX_NAME = 256


@dataclass(frozen=True)
class DeploymentChange:
    """One CodeDeploy notification: the deployment it names and where it happened."""

    type: str  # one of EVENT_TYPES except other/malformed
    deployment_id: str
    application: str | None = None
    deployment_group: str | None = None
    region: str | None = None
    state: str | None = None
    target_id: str | None = None
    time: float | None = None  # when the change happened, Unix seconds (None if the message lacks it)


@dataclass(frozen=True)
class ParsedMessage:
    outcome: Literal["event", "other", "malformed"]
    change: DeploymentChange | None = None
    reason: str = ""  # for "other" and "malformed": what it was, for the one log line

    @property
    def type(self) -> str:
        return self.change.type if self.change is not None else self.outcome


def parse_message(body: str) -> ParsedMessage:
    """Classify one SQS message body. Never raises."""
    try:
        document = json.loads(body)
    except (ValueError, TypeError, RecursionError):
        return ParsedMessage("malformed", reason="body is not JSON")
    if not isinstance(document, dict):
        return ParsedMessage("other", reason="JSON body is not an object")
    sent_at = None
    if document.get("Type") == "Notification" and "TopicArn" in document:
        sent_at = _iso_time(document.get("Timestamp"))
        inner = document.get("Message")
        if not isinstance(inner, str):
            return ParsedMessage("malformed", reason="SNS notification without a Message string")
        try:
            document = json.loads(inner)
        except (ValueError, RecursionError):
            return ParsedMessage("other", reason="SNS notification with a non-JSON message")
        if not isinstance(document, dict):
            return ParsedMessage("other", reason="SNS notification whose message is not a JSON object")
    elif isinstance(document.get("Type"), str) and "TopicArn" in document:
        return ParsedMessage("other", reason=f"SNS {_short(document['Type'])} message")
    try:
        if "detail-type" in document or "source" in document:
            return _eventbridge(document, sent_at)
        if "eventTriggerName" in document:
            return _trigger(document, sent_at)
    except _Malformed as exc:
        return ParsedMessage("malformed", reason=str(exc))
    return ParsedMessage("other", reason="not a CodeDeploy event")


class _Malformed(Exception):
    pass


def _eventbridge(event: dict[str, Any], sent_at: float | None) -> ParsedMessage:
    source, detail_type = event.get("source"), event.get("detail-type")
    if source != "aws.codedeploy":
        return ParsedMessage("other", reason=f"EventBridge event from source {_short(source)}")
    kind = DETAIL_TYPES.get(detail_type)  # type: ignore[arg-type]  # None or non-str: no kind
    if kind is None:
        return ParsedMessage("other", reason=f"aws.codedeploy event of detail-type {_short(detail_type)}")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise _Malformed(f"{detail_type} without a detail object")
    target = _name(detail, "instanceId") if kind == "instance_state_change" else None
    return ParsedMessage(
        "event",
        DeploymentChange(
            type=kind,
            deployment_id=_deployment_id(detail.get("deploymentId")),
            application=_name(detail, "application"),
            deployment_group=_name(detail, "deploymentGroup"),
            region=_name(detail, "region") or _name(event, "region"),
            state=_name(detail, "state"),
            target_id=target,
            time=_iso_time(event.get("time")) or sent_at,
        ),
    )


def _trigger(trigger: dict[str, Any], sent_at: float | None) -> ParsedMessage:
    instance = _name(trigger, "instanceId")
    kind = "instance_trigger" if instance is not None else "deployment_trigger"
    when = None
    for key in ("lastUpdatedAt", "completeTime", "createTime"):
        when = _epoch(trigger.get(key))
        if when is not None:
            break
    return ParsedMessage(
        "event",
        DeploymentChange(
            type=kind,
            deployment_id=_deployment_id(trigger.get("deploymentId")),
            application=_name(trigger, "applicationName"),
            deployment_group=_name(trigger, "deploymentGroupName"),
            region=_name(trigger, "region"),
            state=_name(trigger, "instanceStatus" if instance is not None else "status"),
            # Instance triggers name the instance by ARN; targets are listed by instance id.
            target_id=instance.rsplit("/", 1)[-1] if instance is not None else None,
            time=when or sent_at,
        ),
    )


def _deployment_id(value: Any) -> str:
    if not isinstance(value, str) or not _DEPLOYMENT_ID.match(value):
        raise _Malformed(f"deploymentId {_short(value)} is not a deployment id (d- and 9 characters)")
    return value


def _name(document: dict[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_NAME:
        raise _Malformed(f"{key} {_short(value)} is not a name")
    return value


def _iso_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _epoch(value: Any) -> float | None:
    # Trigger JSON carries epoch seconds as strings ("1446744188.595").
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 and number == number and number != float("inf") else None


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
