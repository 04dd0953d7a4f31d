"""Pure builders of API-shaped CodeDeploy dicts (deployment targets, lifecycle events,
DeploymentInfo), exactly as the JSON 1.1 wire format carries them."""

from __future__ import annotations

import hashlib
from typing import Any

ACCOUNT, REGION = "123456789012", "us-east-1"
EC2_IN_PLACE_HOOKS = (
    "BeforeBlockTraffic",
    "BlockTraffic",
    "AfterBlockTraffic",
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)
EC2_BLUE_GREEN_REPLACEMENT_HOOKS = (
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)
EC2_BLUE_GREEN_ORIGINAL_HOOKS = ("BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic")
ECS_HOOKS = (
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)
LAMBDA_HOOKS = ("BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")
_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# ErrorInformation.code values the scenarios use, with messages as AWS words them (facts.py).
HEALTH_CONSTRAINTS_MESSAGE = (
    "The overall deployment failed because too many individual instances failed deployment, "
    "too few healthy instances are available for deployment, or some instances in your "
    "deployment group are experiencing problems."
)
ALARM_ACTIVE_MESSAGE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you "
    "selected, and the affected deployments have been stopped. Activated alarms: <{alarms}>"
)
MANUAL_STOP_MESSAGE = "The deployment was stopped by a user."


def lifecycle_event(
    name: str,
    status: str,
    start: float | None = None,
    end: float | None = None,
    diagnostics: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {"lifecycleEventName": name, "status": status}
    if diagnostics is not None:
        event["diagnostics"] = diagnostics
    if start is not None:
        event["startTime"] = start
    if end is not None:
        event["endTime"] = end
    return event


def diagnostics(
    error_code: str = "Success",
    script_name: str = "",
    message: str = "Succeeded",
    log_tail: str = "",
) -> dict[str, Any]:
    return {
        "errorCode": error_code,
        "scriptName": script_name,
        "message": message,
        "logTail": log_tail,
    }


def instance_target(
    deployment_id: str,
    target_id: str,
    status: str,
    lifecycle_events: list[dict[str, Any]],
    last_updated: float,
    instance_label: str | None = None,
    arn: str | None = None,
) -> dict[str, Any]:
    body = {
        "deploymentId": deployment_id,
        "targetId": target_id,
        "targetArn": arn or f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{target_id}",
        "status": status,
        "lastUpdatedAt": last_updated,
        "lifecycleEvents": lifecycle_events,
    }
    if instance_label is not None:
        body["instanceLabel"] = instance_label
    return {"deploymentTargetType": "InstanceTarget", "instanceTarget": body}


def lambda_target(
    deployment_id: str,
    target_id: str,
    status: str,
    lifecycle_events: list[dict[str, Any]],
    last_updated: float,
    function_name: str,
    function_alias: str,
    current_version: str,
    target_version: str,
    target_version_weight: float,
    arn: str | None = None,
) -> dict[str, Any]:
    return {
        "deploymentTargetType": "LambdaTarget",
        "lambdaTarget": {
            "deploymentId": deployment_id,
            "targetId": target_id,
            "targetArn": arn or f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}:{function_alias}",
            "status": status,
            "lastUpdatedAt": last_updated,
            "lifecycleEvents": lifecycle_events,
            "lambdaFunctionInfo": {
                "functionName": function_name,
                "functionAlias": function_alias,
                "currentVersion": current_version,
                "targetVersion": target_version,
                "targetVersionWeight": target_version_weight,
            },
        },
    }


def task_set(
    identifier: str,
    label: str,
    status: str,
    traffic_weight: float,
    desired: int,
    pending: int,
    running: int,
    target_group: str,
) -> dict[str, Any]:
    return {  # "identifer" is the API's own spelling
        "identifer": identifier,
        "desiredCount": desired,
        "pendingCount": pending,
        "runningCount": running,
        "status": status,
        "trafficWeight": traffic_weight,
        "targetGroup": {"name": target_group},
        "taskSetLabel": label,
    }


def ecs_target(
    deployment_id: str,
    target_id: str,
    status: str,
    lifecycle_events: list[dict[str, Any]],
    last_updated: float,
    task_sets: list[dict[str, Any]],
    arn: str | None = None,
) -> dict[str, Any]:
    cluster, _, service = target_id.partition(":")
    return {
        "deploymentTargetType": "ECSTarget",
        "ecsTarget": {
            "deploymentId": deployment_id,
            "targetId": target_id,
            "targetArn": arn or f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{service}",
            "lastUpdatedAt": last_updated,
            "lifecycleEvents": lifecycle_events,
            "status": status,
            "taskSetsInfo": task_sets,
        },
    }


def cloudformation_target(
    deployment_id: str,
    target_id: str,
    status: str,
    lifecycle_events: list[dict[str, Any]],
    last_updated: float,
    resource_type: str = "AWS::ECS::Service",
    target_version_weight: float = 0.0,
) -> dict[str, Any]:
    return {
        "deploymentTargetType": "CloudFormationTarget",
        "cloudFormationTarget": {
            "deploymentId": deployment_id,
            "targetId": target_id,
            "lastUpdatedAt": last_updated,
            "lifecycleEvents": lifecycle_events,
            "status": status,
            "resourceType": resource_type,
            "targetVersionWeight": target_version_weight,
        },
    }


def deployment_info(
    deployment_id: str,
    application: str,
    group: str,
    status: str,
    create_time: float,
    compute_platform: str = "Server",
    config_name: str = "CodeDeployDefault.OneAtATime",
    creator: str = "user",
    deployment_type: str = "IN_PLACE",
    deployment_option: str = "WITHOUT_TRAFFIC_CONTROL",
    start_time: float | None = None,
    complete_time: float | None = None,
    overview: dict[str, Any] | None = None,
    error_information: dict[str, Any] | None = None,
    revision: dict[str, Any] | None = None,
    rollback_info: dict[str, Any] | None = None,
    instance_termination_wait_time_started: bool | None = None,
    description: str | None = None,
    blue_green_configuration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A DeploymentInfo; without ``overview`` the simulator derives it from the targets."""
    info: dict[str, Any] = {
        "applicationName": application,
        "deploymentGroupName": group,
        "deploymentConfigName": config_name,
        "deploymentId": deployment_id,
        "status": status,
        "createTime": create_time,
        "creator": creator,
        "computePlatform": compute_platform,
        "deploymentStyle": {
            "deploymentType": deployment_type,
            "deploymentOption": deployment_option,
        },
    }
    optional = {
        "startTime": start_time,
        "completeTime": complete_time,
        "deploymentOverview": overview,
        "errorInformation": error_information,
        "revision": revision,
        "rollbackInfo": rollback_info,
        "instanceTerminationWaitTimeStarted": instance_termination_wait_time_started,
        "description": description,
        "blueGreenDeploymentConfiguration": blue_green_configuration,
    }
    info.update({k: v for k, v in optional.items() if v is not None})
    return info


def blue_green_configuration(
    termination_wait_minutes: int = 5,
    termination_action: str = "TERMINATE",
    ready_action: str = "CONTINUE_DEPLOYMENT",
    ready_wait_minutes: int = 0,
) -> dict[str, Any]:
    """A BlueGreenDeploymentConfiguration as a blue/green deployment carries it:
    terminateBlueInstancesOnDeploymentSuccess {action, terminationWaitTimeInMinutes} and
    deploymentReadyOption {actionOnTimeout, waitTimeInMinutes} (botocore's model shapes)."""
    return {
        "terminateBlueInstancesOnDeploymentSuccess": {
            "action": termination_action,
            "terminationWaitTimeInMinutes": termination_wait_minutes,
        },
        "deploymentReadyOption": {"actionOnTimeout": ready_action, "waitTimeInMinutes": ready_wait_minutes},
    }


def deployment_id_for(seed: str) -> str:
    """A valid, deterministic deployment id (``d-`` + 9 of [A-Z0-9]) for ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "d-" + "".join(_ID_CHARS[b % len(_ID_CHARS)] for b in digest[:9])


# ---- deployment facts: revisions, errors, rollbacks ----------------------------------------
def s3_revision(
    bucket: str,
    key: str,
    bundle_type: str = "zip",
    version: str | None = None,
    etag: str | None = None,
) -> dict[str, Any]:
    """A RevisionLocation of type S3 (S3Location: bucket, key, bundleType, version, eTag)."""
    location = {"bucket": bucket, "key": key, "bundleType": bundle_type}
    if version is not None:
        location["version"] = version
    if etag is not None:
        location["eTag"] = etag
    return {"revisionType": "S3", "s3Location": location}


def github_revision(repository: str, commit_id: str) -> dict[str, Any]:
    return {
        "revisionType": "GitHub",
        "gitHubLocation": {"repository": repository, "commitId": commit_id},
    }


def appspec_revision(content: str) -> dict[str, Any]:
    """An inline AppSpec revision as GetDeployment/BatchGetDeployments return it: the content
    is left out and only its SHA-256 is given (GetDeployment's documentation)."""
    digest = hashlib.sha256(content.encode()).hexdigest()
    return {"revisionType": "AppSpecContent", "appSpecContent": {"sha256": digest}}


def string_revision(content: str) -> dict[str, Any]:
    """The deprecated inline ``String`` revision type (RawString: content, sha256)."""
    digest = hashlib.sha256(content.encode()).hexdigest()
    return {"revisionType": "String", "string": {"content": content, "sha256": digest}}


def error_information(code: str, message: str | None = None) -> dict[str, Any]:
    defaults = {"HEALTH_CONSTRAINTS": HEALTH_CONSTRAINTS_MESSAGE, "MANUAL_STOP": MANUAL_STOP_MESSAGE}
    return {"code": code, "message": message if message is not None else defaults.get(code, code)}


def alarm_stop_error(*alarms: str) -> dict[str, Any]:
    return error_information("ALARM_ACTIVE", ALARM_ACTIVE_MESSAGE.format(alarms="> <".join(alarms)))


def rollback_message(rollback_id: str, triggering_id: str) -> str:
    return f"Deployment {rollback_id} is triggered to roll back deployment {triggering_id}."


def link_rollback(triggering: dict[str, Any], rollback: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mark ``rollback`` as the automatic rollback of ``triggering`` the way AWS shows it:
    the triggering deployment names the rollback (rollbackDeploymentId), the rollback deployment
    is created by codeDeployRollback and names its trigger (rollbackTriggeringDeploymentId,
    with a message). Returns updated copies."""
    triggering, rollback = dict(triggering), dict(rollback)
    triggering["rollbackInfo"] = {"rollbackDeploymentId": rollback["deploymentId"]}
    rollback["creator"] = "codeDeployRollback"
    rollback["rollbackInfo"] = {
        "rollbackTriggeringDeploymentId": triggering["deploymentId"],
        "rollbackMessage": rollback_message(rollback["deploymentId"], triggering["deploymentId"]),
    }
    return triggering, rollback
