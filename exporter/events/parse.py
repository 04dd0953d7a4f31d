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
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
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
# Java's Date.toString() ("EEE MMM dd HH:mm:ss zzz yyyy"), as CodeDeploy's trigger messages
# write createTime and completeTime: "Fri Oct 07 19:50:41 UTC 2016".
_JAVA_DATE = re.compile(
    r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) "
    r"(\d{2}):(\d{2}):(\d{2}) ([A-Za-z]{1,5}|[+-]\d{2}:?\d{2}) (\d{4})$"
)
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# Only unambiguous zone names: CST, IST and others name several zones, so such a date is
# reported unreadable and the SNS timestamp stands in.
_ZONES = {"UTC": 0, "GMT": 0, "UT": 0, "Z": 0}


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
    account: str | None = None  # the account it happened in (EventBridge events say; triggers do not)


@dataclass(frozen=True)
class ParsedMessage:
    outcome: Literal["event", "other", "malformed"]
    change: DeploymentChange | None = None
    reason: str = ""  # for "other" and "malformed": what it was, for the one log line
    unreadable_date: str = ""  # "field: value" of a date present but unreadable (its time is lost)

    @property
    def type(self) -> str:
        return self.change.type if self.change is not None else self.outcome


def parse_message(body: str) -> ParsedMessage:
    """Classify one SQS message body. Never raises: a fault of the parser's own costs the
    message (malformed), never the consumer."""
    try:
        return _parse_message(body)
    except Exception as exc:
        return ParsedMessage("malformed", reason=f"unreadable ({type(exc).__name__}: {_short(str(exc))})")


def _parse_message(body: str) -> ParsedMessage:
    try:
        document = json.loads(body)
    except (ValueError, TypeError, RecursionError):
        return ParsedMessage("malformed", reason="body is not JSON")
    if not isinstance(document, dict):
        return ParsedMessage("other", reason="JSON body is not an object")
    sent_at = None
    if document.get("Type") == "Notification" and "TopicArn" in document:
        sent_at = date(document.get("Timestamp"))
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
            time=date(event.get("time")) or sent_at,
            account=_name(event, "account"),
        ),
        unreadable_date=_unreadable(event, ("time",)),
    )


def _trigger(trigger: dict[str, Any], sent_at: float | None) -> ParsedMessage:
    instance = _name(trigger, "instanceId")
    kind = "instance_trigger" if instance is not None else "deployment_trigger"
    when = None
    for key in _TRIGGER_TIMES:
        when = date(trigger.get(key))
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
        unreadable_date=_unreadable(trigger, _TRIGGER_TIMES),
    )


_TRIGGER_TIMES = ("lastUpdatedAt", "completeTime", "createTime")  # the most recent first


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


def date(value: Any) -> float | None:
    """Unix seconds from every date form CodeDeploy's messages carry, None if unreadable:
    epoch seconds as a number or a string (trigger JSON: "1446744188.595"), ISO 8601 with or
    without an offset (EventBridge's "time", SNS's "Timestamp"; no offset is UTC), and Java's
    Date.toString() (trigger JSON: "Fri Oct 07 19:50:41 UTC 2016")."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return _iso(text) if text[:1].isdigit() else _java(text)
    else:
        number = float(value)
    return number if math.isfinite(number) and number > 0 else None


def _iso(text: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)).timestamp()


def _java(text: str) -> float | None:
    match = _JAVA_DATE.match(text)
    if match is None:
        return None
    month, day, hour, minute, second, zone, year = match.groups()
    if zone[0] in "+-":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
    elif zone.upper() in _ZONES:
        offset = _ZONES[zone.upper()]
    else:
        return None
    try:
        local = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))
    except ValueError:  # Feb 30, hour 25
        return None
    return local.replace(tzinfo=timezone(timedelta(minutes=offset))).timestamp()


def _unreadable(document: dict[str, Any], keys: tuple[str, ...]) -> str:
    """The first of `keys` that holds a value that is no readable date ("" if none)."""
    for key in keys:
        value = document.get(key)
        if value is not None and date(value) is None:
            return f"{key}: {_short(value)}"
    return ""


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
