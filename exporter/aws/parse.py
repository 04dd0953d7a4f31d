"""API response dicts -> typed records. Pure and forgiving: odd shapes degrade, never raise.

Accepts both what boto3 returns (datetime timestamps) and raw JSON 1.1 bodies (epoch floats),
so the same parser serves the exporter and the simulator's tests.
"""

from __future__ import annotations

import hashlib
import math
import sys
from datetime import datetime
from typing import Any

from exporter.model import (
    LOG_TAIL_MAX,
    AlarmOverride,
    Deployment,
    Diagnostics,
    GroupRecord,
    LambdaFunction,
    LastDeployment,
    LifecycleEvent,
    Revision,
    Target,
    TaskSet,
)

# Bounds on CodeDeploy's free text kept per deployment (shown and logged, never labels).
MESSAGE_MAX = 256
MESSAGES_MAX = 5
# RevisionLocation: the block each revisionType reads.
_REVISION_BLOCKS = {
    "S3": "s3Location",
    "GitHub": "gitHubLocation",
    "String": "string",
    "AppSpecContent": "appSpecContent",
}

_TARGET_KEYS = {
    "InstanceTarget": "instanceTarget",
    "LambdaTarget": "lambdaTarget",
    "ECSTarget": "ecsTarget",
    "CloudFormationTarget": "cloudFormationTarget",
}


def _mapping(value: Any) -> dict[str, Any]:  # a raw API response object
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _word(value: Any) -> str:
    """_text for values that repeat across targets (statuses, hook names, error codes): one
    shared string each instead of one per occurrence in every parsed response."""
    text = value if type(value) is str else _text(value)  # (the common case first: ~10 a hook)
    return sys.intern(text) if len(text) <= 64 else text


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _count(value: Any) -> int | None:
    number = _number(value)
    if number is None or not math.isfinite(number):
        return None
    return int(number)


def percent_ratio(value: Any) -> float | None:
    """ECS `trafficWeight` as a 0-1 ratio. The wire carries percent: the Amazon ECS Developer
    Guide's blue/green tutorial shows `get-deployment-target` with task sets at 0.0 and 100.0.
    Outside 0-100 it is no weight: None."""
    number = _number(value)
    if number is None or not 0.0 <= number <= 100.0:  # (NaN fails both comparisons)
        return None
    return number / 100.0


def either_ratio(value: Any) -> float | None:
    """Lambda's and CloudFormation's `targetVersionWeight` as a 0-1 ratio. botocore documents
    both only as "percentage" (shape TrafficWeight, a double, shared with ECS's percent
    `trafficWeight`), and no published response shows a value, so both readings are taken:
    above 1 it is percent (a fraction cannot exceed 1); from 0 to 1 it is a fraction (on the
    percent scale every step of a deployment config is a whole percent, so a value strictly
    between 0 and 1 cannot be one). The one value both readings share, 1.0, reads as 100 %:
    only a custom config with a 1 % step would be misread, and only at that step."""
    number = _number(value)
    if number is None or not 0.0 <= number <= 100.0:
        return None
    return number / 100.0 if number > 1.0 else number


def timestamp(value: Any) -> float | None:
    """A CodeDeploy timestamp as Unix seconds: boto3 gives datetimes, the wire gives numbers."""
    if type(value) is float:  # the wire's, kept as numbers (exporter.aws.clients._epoch_seconds)
        return value
    if isinstance(value, datetime):
        return value.timestamp()
    return _number(value)


# Diagnostics repeat across targets (every succeeded hook has the same four words): one shared
# record per distinct short value, up to a bound, instead of one per hook of every target.
_DIAGNOSTICS: dict[tuple[Any, ...], Diagnostics] = {}
_DIAGNOSTICS_MAX = 4096
_SHARED_TEXT = 64  # the longest field of a shared record (_word's bound)


def _diagnostics(raw: dict[str, Any]) -> Diagnostics:
    key = (raw.get("errorCode"), raw.get("scriptName"), raw.get("message"), raw.get("logTail"))
    try:
        found = _DIAGNOSTICS.get(key)
    except TypeError:  # a list or an object where text belongs: read as text below, not shared
        found = None
    if found is not None:
        return found
    made = Diagnostics(
        error_code=_word(key[0]),
        script_name=_word(key[1]),
        message=_word(key[2]),
        log_tail=_word(key[3])[-LOG_TAIL_MAX:],  # the API's own bound, kept whatever it sends
    )
    if len(_DIAGNOSTICS) < _DIAGNOSTICS_MAX and all(type(v) is str and len(v) <= _SHARED_TEXT for v in key):
        _DIAGNOSTICS[key] = made
    return made


def parse_lifecycle_event(data: Any) -> LifecycleEvent:
    data = _mapping(data)
    raw = data.get("diagnostics")
    diagnostics = _diagnostics(raw) if isinstance(raw, dict) else None
    return LifecycleEvent(
        name=_word(data.get("lifecycleEventName")),
        status=_word(data.get("status")),
        start=timestamp(data.get("startTime")),
        end=timestamp(data.get("endTime")),
        diagnostics=diagnostics,
    )


def _parse_task_set(data: Any) -> TaskSet:
    data = _mapping(data)
    return TaskSet(
        id=_text(data.get("identifer")),  # sic: the API's own spelling
        label=_text(data.get("taskSetLabel")),
        target_group=_text(_mapping(data.get("targetGroup")).get("name")),
        status=_text(data.get("status")),
        desired=_count(data.get("desiredCount")),
        pending=_count(data.get("pendingCount")),
        running=_count(data.get("runningCount")),
        traffic_weight=percent_ratio(data.get("trafficWeight")),
    )


def parse_target(data: Any) -> Target:
    """One element of BatchGetDeploymentTargets' deploymentTargets (or GetDeploymentTarget's)."""
    data = _mapping(data)
    target_type = _text(data.get("deploymentTargetType"))
    body_key = _TARGET_KEYS.get(target_type)
    if body_key is None:
        # Unknown or missing type: take whichever body is present.
        body_key = next((key for key in _TARGET_KEYS.values() if key in data), "")
    body = _mapping(data.get(body_key))
    lambda_function = None
    if body_key == "lambdaTarget" and isinstance(body.get("lambdaFunctionInfo"), dict):
        info = body["lambdaFunctionInfo"]
        lambda_function = LambdaFunction(
            function_name=_text(info.get("functionName")),
            function_alias=_text(info.get("functionAlias")),
            current_version=_text(info.get("currentVersion")),
            target_version=_text(info.get("targetVersion")),
            weight=either_ratio(info.get("targetVersionWeight")),
        )
    is_cfn = body_key == "cloudFormationTarget"
    return Target(
        deployment_id=_text(body.get("deploymentId")),
        target_id=_text(body.get("targetId")),
        target_type=_word(target_type),
        target_arn=_text(body.get("targetArn")),
        status=_word(body.get("status")),
        last_updated=timestamp(body.get("lastUpdatedAt")),
        instance_label=_text(body.get("instanceLabel")),
        lifecycle_events=tuple([parse_lifecycle_event(e) for e in _list(body.get("lifecycleEvents"))]),
        lambda_function=lambda_function,
        task_sets=tuple(_parse_task_set(t) for t in _list(body.get("taskSetsInfo"))),
        cfn_resource_type=_text(body.get("resourceType")) if is_cfn else None,
        cfn_weight=either_ratio(body.get("targetVersionWeight")) if is_cfn else None,
    )


def parse_deployment(data: Any) -> Deployment:
    """One element of BatchGetDeployments' deploymentsInfo."""
    data = _mapping(data)
    overview = tuple(
        (_text(status), count)
        for status, raw in _mapping(data.get("deploymentOverview")).items()
        if (count := _count(raw)) is not None
    )
    error = _mapping(data.get("errorInformation"))
    rollback = _mapping(data.get("rollbackInfo"))
    wait = data.get("instanceTerminationWaitTimeStarted")
    blue_green = _mapping(data.get("blueGreenDeploymentConfiguration"))
    ready = _mapping(blue_green.get("deploymentReadyOption"))
    termination = _mapping(blue_green.get("terminateBlueInstancesOnDeploymentSuccess"))
    messages = [_text(m) for m in _list(data.get("deploymentStatusMessages")) if m]
    if data.get("additionalDeploymentStatusInfo"):  # deprecated for deploymentStatusMessages
        messages.append(_text(data["additionalDeploymentStatusInfo"]))
    return Deployment(
        deployment_id=_text(data.get("deploymentId")),
        application=_text(data.get("applicationName")),
        deployment_group=_text(data.get("deploymentGroupName")),
        status=_text(data.get("status")),
        compute_platform=_text(data.get("computePlatform")),
        deployment_config=_text(data.get("deploymentConfigName")),
        deployment_type=_text(_mapping(data.get("deploymentStyle")).get("deploymentType")),
        creator=_text(data.get("creator")),
        create_time=timestamp(data.get("createTime")),
        complete_time=timestamp(data.get("completeTime")),
        overview=overview,
        start_time=timestamp(data.get("startTime")),
        error_code=_text(error.get("code")),
        error_message=_text(error.get("message")),
        rollback_deployment_id=_text(rollback.get("rollbackDeploymentId")),
        rollback_triggering_deployment_id=_text(rollback.get("rollbackTriggeringDeploymentId")),
        revision=parse_revision(data.get("revision")),
        termination_wait_started=wait if isinstance(wait, bool) else None,
        status_messages=tuple(_bounded(m) for m in dict.fromkeys(messages))[:MESSAGES_MAX],
        rollback_message=_bounded(_text(rollback.get("rollbackMessage"))),
        alarm_override=_alarm_override(data.get("overrideAlarmConfiguration")),
        auto_update_root=_text(
            _mapping(data.get("relatedDeployments")).get("autoUpdateOutdatedInstancesRootDeploymentId")
        ),
        ready_action=_word(ready.get("actionOnTimeout")),
        ready_wait=_wait_minutes(ready.get("waitTimeInMinutes")),
        termination_action=_word(termination.get("action")),
        termination_wait=_wait_minutes(termination.get("terminationWaitTimeInMinutes")),
    )
    # Read and left alone (no question needs them): previousRevision, targetInstances,
    # deploymentMode, externalId, description, fileExistsBehavior and the configuration blocks
    # other than blueGreenDeploymentConfiguration.


# The longest wait CodeDeploy allows (BlueInstanceTerminationOption: "The maximum setting is 2880
# minutes (2 days)"); a longer or odd value is not a wait the exporter believes.
WAIT_MINUTES_MAX = 2880


def _wait_minutes(value: Any) -> float | None:
    """A Duration in minutes (an integer) -> seconds, or None when missing or out of range."""
    minutes = _number(value)
    if minutes is None or not math.isfinite(minutes) or minutes != int(minutes):
        return None
    return minutes * 60.0 if 0 <= minutes <= WAIT_MINUTES_MAX else None


def _bounded(text: str) -> str:
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 1] + "\u2026"


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _alarm_override(data: Any) -> AlarmOverride | None:
    if not isinstance(data, dict):
        return None
    return AlarmOverride(
        enabled=_flag(data.get("enabled")),
        ignore_poll_alarm_failure=_flag(data.get("ignorePollAlarmFailure")),
        alarms=len(_list(data.get("alarms"))),
    )


def parse_revision(data: Any) -> Revision | None:
    """RevisionLocation: S3 bucket/key/version, GitHub repository/commit, or inline content,
    which is summarised by its SHA-256 (the API's own when it gives one).

    Only the block `revisionType` names is read (S3 -> s3Location, GitHub -> gitHubLocation,
    String -> string, AppSpecContent -> appSpecContent), so a stray block of another type never
    mixes into the labels. Without a known revisionType, the one block present is read and its
    type stands in; with several blocks and no type, none is."""
    if not isinstance(data, dict):
        return None
    kind = _text(data.get("revisionType"))
    block = _REVISION_BLOCKS.get(kind)
    if block is None:
        present = [(t, b) for t, b in _REVISION_BLOCKS.items() if isinstance(data.get(b), dict)]
        if len(present) == 1:
            kind, block = present[0] if not kind else (kind, present[0][1])
    fields = _mapping(data.get(block)) if block else {}
    s3 = fields if block == "s3Location" else {}
    github = fields if block == "gitHubLocation" else {}
    inline = fields if block in ("string", "appSpecContent") else {}
    digest = _text(inline.get("sha256"))
    if not digest and isinstance(inline.get("content"), str):
        digest = hashlib.sha256(inline["content"].encode("utf-8", "replace")).hexdigest()
    return Revision(
        revision_type=kind,
        s3_bucket=_text(s3.get("bucket")),
        s3_key=_text(s3.get("key")),
        s3_version=_text(s3.get("version")),
        github_repository=_text(github.get("repository")),
        github_commit=_text(github.get("commitId")),
        content_sha256=digest,
        s3_bundle_type=_text(s3.get("bundleType")),
        s3_etag=_text(s3.get("eTag")),
    )


def _last_deployment(data: Any) -> LastDeployment | None:
    if not isinstance(data, dict) or not data.get("deploymentId"):
        return None
    return LastDeployment(
        deployment_id=_text(data.get("deploymentId")),
        status=_text(data.get("status")),
        create_time=timestamp(data.get("createTime")),
        end_time=timestamp(data.get("endTime")),
    )


def parse_deployment_group(data: Any) -> GroupRecord:
    """One element of BatchGetDeploymentGroups' deploymentGroupsInfo."""
    data = _mapping(data)
    style = _mapping(data.get("deploymentStyle"))
    return GroupRecord(
        application=_text(data.get("applicationName")),
        deployment_group=_text(data.get("deploymentGroupName")),
        compute_platform=_text(data.get("computePlatform")),
        deployment_config=_text(data.get("deploymentConfigName")),
        deployment_type=_text(style.get("deploymentType")),
        deployment_option=_text(style.get("deploymentOption")),
        last_attempted=_last_deployment(data.get("lastAttemptedDeployment")),
        last_success=_last_deployment(data.get("lastSuccessfulDeployment")),
    )
