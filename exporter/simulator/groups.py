"""The Simulator's applications, deployment groups and their tags: the ground-truth setters
and the operations that read them (ListApplications, ListDeploymentGroups,
BatchGetDeploymentGroups, GetDeploymentGroup, ListTagsForResource)."""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from collections.abc import Iterable
from typing import Any

from .paging import page
from .records import ApiError, GroupRecord, Store

MAX_GROUP_BATCH = 100  # BatchGetDeploymentGroups (facts.py: not stated in the model)
_GROUP_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):codedeploy:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>[A-Za-z]+):(?P<name>.+)$"
)
_TAGGABLE = ("application", "deploymentgroup", "deploymentconfig")


def group_id_for(application: str, group: str) -> str:
    """A stable deploymentGroupId (a UUID, as AWS's are) for an application/group pair."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"{application}/{group}".encode()).digest()[:16]))


def group_config(
    account_id: str,
    application: str,
    group: str,
    compute_platform: str = "Server",
    deployment_config: str = "CodeDeployDefault.OneAtATime",
    deployment_type: str = "IN_PLACE",
    deployment_option: str = "WITHOUT_TRAFFIC_CONTROL",
    auto_rollback_events: Iterable[str] | None = None,
    alarms: Iterable[str] = (),
) -> dict[str, Any]:
    # The members an EC2 group without extras carries in the CLI's
    # batch-get-deployment-groups example (facts.py), plus what the platform implies.
    config: dict[str, Any] = {
        "applicationName": application,
        "deploymentGroupId": group_id_for(application, group),
        "deploymentGroupName": group,
        "deploymentConfigName": deployment_config,
        "computePlatform": compute_platform,
        "deploymentStyle": {
            "deploymentType": deployment_type,
            "deploymentOption": deployment_option,
        },
        "serviceRoleArn": f"arn:aws:iam::{account_id}:role/CodeDeployServiceRole",
        "autoScalingGroups": [],
        "triggerConfigurations": [],
        "autoRollbackConfiguration": {"enabled": False},
    }
    if auto_rollback_events is not None:
        config["autoRollbackConfiguration"] = {
            "enabled": True,
            "events": list(auto_rollback_events),
        }
    alarms = list(alarms)
    if alarms:
        config["alarmConfiguration"] = {
            "enabled": True,
            "ignorePollAlarmFailure": False,
            "alarms": [{"name": a} for a in alarms],
        }
    return config


def _last_deployment(info: dict[str, Any]) -> dict[str, Any]:
    last = {
        "deploymentId": info["deploymentId"],
        "status": info["status"],
        "createTime": info.get("createTime", 0),
    }
    if "completeTime" in info:
        last["endTime"] = info["completeTime"]
    return last


def note_deployment(by_application: dict[str, dict[str, GroupRecord]], account_id: str, info: dict[str, Any]) -> None:
    """Keep the group's last attempted/successful deployment in step (under the lock).

    Like AWS, the group remembers them even after the deployment is removed here."""
    application, group = info["applicationName"], info["deploymentGroupName"]
    groups = by_application.setdefault(application, {})
    record = groups.get(group)
    # A rollback may use another deployment config than its group (captured output), so
    # it only configures a group it creates.
    follows = record is None or (not record.configured and info.get("creator") != "codeDeployRollback")
    if record is None:
        groups[group] = record = GroupRecord({})
    if follows:
        style = info.get("deploymentStyle") or {}
        record.config = group_config(
            account_id,
            application,
            group,
            info.get("computePlatform", "Server"),
            info.get("deploymentConfigName", "CodeDeployDefault.OneAtATime"),
            style.get("deploymentType", "IN_PLACE"),
            style.get("deploymentOption", "WITHOUT_TRAFFIC_CONTROL"),
        )
    last = _last_deployment(info)

    def newer(current: dict[str, Any] | None) -> bool:
        return (
            current is None
            or current["deploymentId"] == last["deploymentId"]
            or (last["createTime"], last["deploymentId"]) >= (current["createTime"], current["deploymentId"])
        )

    if newer(record.last_attempted):
        record.last_attempted = last
    if info["status"] == "Succeeded" and newer(record.last_successful):
        record.last_successful = last


class GroupsApi(Store):
    """Applications, deployment groups and tags: setters for tests and scenarios, and handlers."""

    # ---- state: ground truth -------------------------------------------------------
    def put_application(self, application: str, groups: Iterable[str] = ()) -> None:
        with self._lock:
            known = self._groups.setdefault(application, {})
            for group in groups:
                if group not in known:
                    known[group] = GroupRecord(group_config(self.account_id, application, group))

    def put_deployment_group(
        self,
        application: str,
        group: str,
        compute_platform: str = "Server",
        deployment_config: str = "CodeDeployDefault.OneAtATime",
        deployment_type: str = "IN_PLACE",
        deployment_option: str = "WITHOUT_TRAFFIC_CONTROL",
        tags: dict[str, str] | None = None,
        auto_rollback_events: Iterable[str] | None = None,
        alarms: Iterable[str] = (),
    ) -> str:
        """Create or reconfigure a group (its tags and last deployments are kept unless
        ``tags`` is given); returns its ARN, as ListTagsForResource takes it."""
        config = group_config(
            self.account_id,
            application,
            group,
            compute_platform,
            deployment_config,
            deployment_type,
            deployment_option,
            auto_rollback_events,
            alarms,
        )
        with self._lock:
            groups = self._groups.setdefault(application, {})
            record = groups.get(group)
            if record is None:
                groups[group] = record = GroupRecord(config)
            record.config, record.configured = config, True
            if tags is not None:
                record.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        return self.deployment_group_arn(application, group)

    def tag_deployment_group(self, application: str, group: str, tags: dict[str, str]) -> None:
        """Add or overwrite tags of an existing group (TagResource semantics)."""
        with self._lock:
            record = self._groups[application][group]
            merged = {t["Key"]: t["Value"] for t in record.tags} | tags
            record.tags = [{"Key": k, "Value": v} for k, v in merged.items()]

    def untag_deployment_group(self, application: str, group: str, keys: Iterable[str]) -> None:
        with self._lock:
            record = self._groups[application][group]
            drop = set(keys)
            record.tags = [t for t in record.tags if t["Key"] not in drop]

    def deployment_group_arn(self, application: str, group: str) -> str:
        return f"arn:aws:codedeploy:{self.region}:{self.account_id}:deploymentgroup:{application}/{group}"

    def deployment_group(self, application: str, group: str) -> dict[str, Any]:
        """The group's DeploymentGroupInfo, as BatchGetDeploymentGroups answers it."""
        with self._lock:
            return self._groups[application][group].answer()

    def group_names(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(a, g) for a, groups in self._groups.items() for g in groups]

    # ---- operation handlers: run under the lock and return deep copies --------------
    def _op_list_applications(self, body: dict[str, Any]) -> dict[str, Any]:
        return page("ListApplications", "applications", sorted(self._groups), body, self.page_size)

    def _op_list_deployment_groups(self, body: dict[str, Any]) -> dict[str, Any]:
        application, groups = self._application_and_group(body)
        result = page("ListDeploymentGroups", "deploymentGroups", list(groups), body, self.page_size)
        return {"applicationName": application, **result}

    def _application_and_group(self, body: dict[str, Any]) -> tuple[str, dict[str, GroupRecord]]:
        application = self._known_application(body)
        return application, self._groups[application]

    def _op_batch_get_deployment_groups(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("applicationName"):
            self._application_and_group(body)  # raises the required-name error
        names = body.get("deploymentGroupNames") or []
        if not names:
            raise ApiError("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
        if len(names) > MAX_GROUP_BATCH:
            raise ApiError(
                "BatchLimitExceededException",
                f"The maximum number of names or IDs allowed for this request ({MAX_GROUP_BATCH}) was exceeded.",
            )
        application, groups = self._application_and_group(body)
        missing = [n for n in names if n not in groups]
        return {
            "deploymentGroupsInfo": [groups[n].answer() for n in names if n in groups],
            # Unknown names are left out and named here; "" when all were found (CLI example).
            "errorMessage": (
                f"Deployment groups not found for application {application}: {', '.join(missing)}" if missing else ""
            ),
        }

    def _op_get_deployment_group(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("applicationName"):
            self._application_and_group(body)
        group = body.get("deploymentGroupName")
        if not group:
            raise ApiError("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
        _, groups = self._application_and_group(body)
        if group not in groups:
            raise ApiError(
                "DeploymentGroupDoesNotExistException",
                f"No Deployment Group found for name: {group}",
            )
        return {"deploymentGroupInfo": groups[group].answer()}

    def _op_list_tags_for_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = body.get("ResourceArn")
        if not arn:
            raise ApiError("ResourceArnRequiredException", "The ARN of a resource is required.")
        match = _GROUP_ARN.match(arn)
        if match is None:
            raise ApiError("InvalidArnException", f"The specified ARN is not in a valid format: {arn}")
        if match["kind"] not in _TAGGABLE:
            raise ApiError("ArnNotSupportedException", f"The specified ARN is not supported: {arn}")
        tags: list[dict[str, Any]] = []
        application, _, group = match["name"].partition("/")
        if (
            match["kind"] == "deploymentgroup"
            and (match["region"], match["account"]) == (self.region, self.account_id)
            and group in self._groups.get(application, {})
        ):
            tags = copy.deepcopy(self._groups[application][group].tags)
        # Another account's, or an unknown, resource: an empty list, as moto answers.
        return page("ListTagsForResource", "Tags", tags, body, self.page_size, token="NextToken")
