"""The straightforward exporter the benchmark compares against.

What a first version of a CodeDeploy exporter typically looks like: one boto3
``GetDeploymentTarget`` per configured (deployment, target) pair in a sequential loop, one
``GetDeployment`` per deployment, long-lived labelled ``prometheus_client.Gauge``s set in that
loop, and ``generate_latest`` over the registry on every scrape. It emits the same series as
the exporter's metric contract (checked by the smoke test), so the two are compared on equal
output. Written for the benchmark only; it is not a second implementation to maintain.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from prometheus_client import CollectorRegistry, Gauge, generate_latest

TARGET_STATUSES = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Unknown", "Ready")
EVENT_STATUSES = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Unknown")
TASK_SET_STATUSES = ("PRIMARY", "ACTIVE", "DRAINING")
DEPLOYMENT_STATUSES = ("Created", "Queued", "InProgress", "Baking", "Succeeded", "Failed", "Stopped", "Ready")
BODY_KEYS = ("instanceTarget", "lambdaTarget", "ecsTarget", "cloudFormationTarget")

T = ["application", "deployment_group", "deployment_id", "target_id"]
D = ["application", "deployment_group", "deployment_id"]
E = T + ["lifecycle_event"]
S = T + ["task_set_id", "task_set_label"]


def _seconds(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


class ReferenceExporter:
    def __init__(
        self, pairs: list[tuple[str, str]], endpoint_url: str, credentials: tuple[str, str], region: str = "us-east-1"
    ) -> None:
        self.pairs = pairs
        self.client = boto3.client(
            "codedeploy",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=credentials[0],
            aws_secret_access_key=credentials[1],
        )
        self.registry = r = CollectorRegistry()

        def gauge(name: str, labels: list[str]) -> Gauge:
            return Gauge(name, name.replace("_", " "), labels, registry=r)

        self.target_info = gauge("codedeploy_target_info", T + ["target_type", "target_arn", "instance_label"])
        self.target_status = gauge("codedeploy_target_status", T + ["status"])
        self.target_updated = gauge("codedeploy_target_last_updated_timestamp_seconds", T)
        self.event_status = gauge("codedeploy_lifecycle_event_status", E + ["status"])
        self.event_start = gauge("codedeploy_lifecycle_event_start_timestamp_seconds", E)
        self.event_duration = gauge("codedeploy_lifecycle_event_duration_seconds", E)
        self.event_diag = gauge("codedeploy_lifecycle_event_diagnostics_info", E + ["error_code", "script_name"])
        self.lambda_weight = gauge(
            "codedeploy_lambda_target_version_weight_ratio",
            T + ["function_name", "function_alias", "current_version", "target_version"],
        )
        self.ecs_weight = gauge("codedeploy_ecs_task_set_traffic_weight_ratio", S + ["target_group"])
        self.ecs_desired = gauge("codedeploy_ecs_task_set_desired_tasks", S)
        self.ecs_pending = gauge("codedeploy_ecs_task_set_pending_tasks", S)
        self.ecs_running = gauge("codedeploy_ecs_task_set_running_tasks", S)
        self.ecs_status = gauge("codedeploy_ecs_task_set_status", S + ["status"])
        self.cfn_weight = gauge("codedeploy_cloudformation_target_version_weight_ratio", T + ["resource_type"])
        self.poll_success = gauge("codedeploy_exporter_target_poll_success", T)
        self.dep_info = gauge(
            "codedeploy_deployment_info", D + ["compute_platform", "deployment_config", "deployment_type", "creator"]
        )
        self.dep_status = gauge("codedeploy_deployment_status", D + ["status"])
        self.dep_created = gauge("codedeploy_deployment_create_timestamp_seconds", D)
        self.dep_completed = gauge("codedeploy_deployment_complete_timestamp_seconds", D)
        self.dep_targets = gauge("codedeploy_deployment_targets", D + ["status"])

    def poll(self) -> None:
        groups = {}
        for deployment_id in dict.fromkeys(d for d, _ in self.pairs):
            info = self.client.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
            groups[deployment_id] = (info["applicationName"], info["deploymentGroupName"])
            self._set_deployment(info)
        for deployment_id, target_id in self.pairs:
            labels = [*groups[deployment_id], deployment_id, target_id]
            try:
                target = self.client.get_deployment_target(deploymentId=deployment_id, targetId=target_id)[
                    "deploymentTarget"
                ]
            except (BotoCoreError, ClientError):
                self.poll_success.labels(*labels).set(0)
                continue
            self.poll_success.labels(*labels).set(1)
            self._set_target(labels, target)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def _set_deployment(self, info: Mapping[str, Any]) -> None:
        labels = [info["applicationName"], info["deploymentGroupName"], info["deploymentId"]]
        self.dep_info.labels(
            *labels,
            info.get("computePlatform", ""),
            info.get("deploymentConfigName", ""),
            info.get("deploymentStyle", {}).get("deploymentType", ""),
            info.get("creator", ""),
        ).set(1)
        self._status_set(self.dep_status, labels, info.get("status", ""), DEPLOYMENT_STATUSES)
        if "createTime" in info:
            self.dep_created.labels(*labels).set(_seconds(info["createTime"]))
        if "completeTime" in info:
            self.dep_completed.labels(*labels).set(_seconds(info["completeTime"]))
        for status, count in info.get("deploymentOverview", {}).items():
            self.dep_targets.labels(*labels, status).set(count)

    def _set_target(self, labels: list[str], target: Mapping[str, Any]) -> None:
        kind = target.get("deploymentTargetType", "")
        body = next(target[key] for key in BODY_KEYS if key in target)
        self.target_info.labels(*labels, kind, body.get("targetArn", ""), body.get("instanceLabel", "")).set(1)
        self._status_set(self.target_status, labels, body.get("status", ""), TARGET_STATUSES)
        if "lastUpdatedAt" in body:
            self.target_updated.labels(*labels).set(_seconds(body["lastUpdatedAt"]))
        for event in body.get("lifecycleEvents", []):
            ev = [*labels, event["lifecycleEventName"]]
            self._status_set(self.event_status, ev, event.get("status", ""), EVENT_STATUSES)
            if "startTime" in event:
                start = _seconds(event["startTime"])
                self.event_start.labels(*ev).set(start)
                if "endTime" in event:
                    self.event_duration.labels(*ev).set(_seconds(event["endTime"]) - start)
            diag = event.get("diagnostics")
            if diag and diag.get("errorCode") != "Success":
                self.event_diag.labels(*ev, diag.get("errorCode", ""), diag.get("scriptName", "")).set(1)
        fn = body.get("lambdaFunctionInfo")
        if fn and "targetVersionWeight" in fn:
            self.lambda_weight.labels(
                *labels,
                fn.get("functionName", ""),
                fn.get("functionAlias", ""),
                fn.get("currentVersion", ""),
                fn.get("targetVersion", ""),
            ).set(fn["targetVersionWeight"])
        for ts in body.get("taskSetsInfo", []):
            s = [*labels, ts.get("identifer", ""), ts.get("taskSetLabel", "")]
            if "trafficWeight" in ts:
                self.ecs_weight.labels(*s, ts.get("targetGroup", {}).get("name", "")).set(ts["trafficWeight"] / 100)
            for gauge, key in (
                (self.ecs_desired, "desiredCount"),
                (self.ecs_pending, "pendingCount"),
                (self.ecs_running, "runningCount"),
            ):
                if key in ts:
                    gauge.labels(*s).set(ts[key])
            self._status_set(self.ecs_status, s, ts.get("status", ""), TASK_SET_STATUSES)
        if kind == "CloudFormationTarget" and "targetVersionWeight" in body:
            self.cfn_weight.labels(*labels, body.get("resourceType", "")).set(body["targetVersionWeight"])

    @staticmethod
    def _status_set(gauge: Gauge, labels: list[str], current: str, known: tuple[str, ...]) -> None:
        for status in known:
            gauge.labels(*labels, status).set(1 if status == current else 0)
        if current and current not in known:
            gauge.labels(*labels, current).set(1)
