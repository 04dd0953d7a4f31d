"""In-memory CodeDeploy state, operation dispatch and fault injection (no sockets).

Everything is stored and returned as API-shaped JSON dicts, exactly as the CodeDeploy
JSON 1.1 wire format carries them (camelCase, epoch-second timestamps, the API's own
``identifer`` spelling for ECS task sets), so the HTTP layer only has to serialize.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .faults import Faults

ACCOUNT, REGION = "123456789012", "us-east-1"  # the simulator's own account and region

TARGET_KINDS = {
    "InstanceTarget": "instanceTarget",
    "LambdaTarget": "lambdaTarget",
    "ECSTarget": "ecsTarget",
    "CloudFormationTarget": "cloudFormationTarget",
}
TARGET_STATUSES = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Unknown", "Ready")
DEPLOYMENT_STATUSES = (
    "Created",
    "Queued",
    "InProgress",
    "Baking",
    "Succeeded",
    "Failed",
    "Stopped",
    "Ready",
)
OVERVIEW_KEYS = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")
MAX_BATCH = 25  # both BatchGetDeployments and BatchGetDeploymentTargets
MAX_GROUP_BATCH = 100  # BatchGetDeploymentGroups (facts.py: not stated in the model)
DEFAULT_PAGE_SIZE = 100  # list operations (facts.py: AWS documents no page size)
_GROUP_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):codedeploy:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>[A-Za-z]+):(?P<name>.+)$"
)
_TAGGABLE = ("application", "deploymentgroup", "deploymentconfig")
_DEPLOYMENT_ID = re.compile(r"^d-[A-Z0-9]{9}$")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_SCOPE_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/")


class ApiError(Exception):
    """An AWS error response: ``{"__type": code, "message": ...}`` with an HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


@dataclass(frozen=True)
class Call:
    operation: str
    params: dict[str, Any]
    access_key_id: str | None
    time: float
    region: str | None = None  # from the SigV4 credential scope: the region the client signed for


@dataclass
class _Deployment:
    info: dict[str, Any]
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: bool = True
    derive_overview: bool = True


@dataclass
class _Group:
    """A deployment group's configuration and the deployments it last saw (DeploymentGroupInfo)."""

    config: dict[str, Any]
    tags: list[dict[str, Any]] = field(default_factory=list)
    last_attempted: dict[str, Any] | None = None  # LastDeploymentInfo
    last_successful: dict[str, Any] | None = None
    # Configured by put_deployment_group; otherwise the group takes its platform, config and
    # style from the deployments put into it (a group created by put_application or on the fly).
    configured: bool = False


def group_id_for(application: str, group: str) -> str:
    """A stable deploymentGroupId (a UUID, as AWS's are) for an application/group pair."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"{application}/{group}".encode()).digest()[:16]))


def _last_deployment(info: dict[str, Any]) -> dict[str, Any]:
    last = {
        "deploymentId": info["deploymentId"],
        "status": info["status"],
        "createTime": info.get("createTime", 0),
    }
    if "completeTime" in info:
        last["endTime"] = info["completeTime"]
    return last


def access_key_from_authorization(header: str | None) -> str | None:
    """Parse the access key id out of a SigV4 ``Authorization`` header."""
    match = _CREDENTIAL.search(header or "")
    return match.group(1) if match else None


def region_from_authorization(header: str | None) -> str | None:
    """Parse the signing region out of a SigV4 ``Authorization`` header's credential scope."""
    match = _SCOPE_REGION.search(header or "")
    return match.group(1) if match else None


def target_body(target: dict[str, Any]) -> dict[str, Any]:
    """The type-specific part of a deploymentTarget (``instanceTarget`` etc.)."""
    key = TARGET_KINDS.get(target.get("deploymentTargetType", ""))
    if key is None or key not in target:
        raise ValueError(f"not a deploymentTarget dict: {target!r}")
    body: dict[str, Any] = target[key]
    return body


def target_id_of(target: dict[str, Any]) -> str:
    target_id: str = target_body(target)["targetId"]
    return target_id


def _overview(targets: Iterable[dict[str, Any]]) -> dict[str, Any]:
    counts = dict.fromkeys(OVERVIEW_KEYS, 0)
    for target in targets:
        status = target_body(target).get("status")
        if status in counts:
            counts[status] += 1
    return counts


class Simulator:
    """Thread-safe CodeDeploy state plus call accounting and fault injection."""

    def __init__(
        self,
        page_size: int = DEFAULT_PAGE_SIZE,
        clock: Callable[[], float] = time.time,
        max_calls: int = 100_000,
        account_id: str = ACCOUNT,
        region: str = REGION,
    ) -> None:
        self.page_size = page_size
        self.account_id, self.region = account_id, region
        self._clock = clock
        self._lock = threading.Lock()
        self._deployments: dict[str, _Deployment] = {}
        self._groups: dict[str, dict[str, _Group]] = {}  # application -> group name -> group
        self._key_accounts: dict[str, str] = {}  # access key id -> account (GetCallerIdentity)
        self.faults = Faults()
        self.calls: list[Call] = []
        self.max_calls = max_calls  # bounds memory in long --demo runs

    # ---- state: ground truth -------------------------------------------------------
    def put_application(self, application: str, groups: Iterable[str] = ()) -> None:
        with self._lock:
            known = self._groups.setdefault(application, {})
            for group in groups:
                if group not in known:
                    known[group] = _Group(self._group_config(application, group))

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
        config = self._group_config(
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
                groups[group] = record = _Group(config)
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
            return self._group_info(application, group, self._groups[application][group])

    def group_names(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(a, g) for a, groups in self._groups.items() for g in groups]

    def set_account(self, access_key_id: str, account_id: str) -> None:
        """Make GetCallerIdentity answer ``account_id`` for calls signed with this key."""
        with self._lock:
            self._key_accounts[access_key_id] = account_id

    def _group_config(
        self,
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
            "serviceRoleArn": f"arn:aws:iam::{self.account_id}:role/CodeDeployServiceRole",
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

    def _group_info(self, application: str, group: str, record: _Group) -> dict[str, Any]:
        info = copy.deepcopy(record.config)
        if record.last_successful is not None:
            info["lastSuccessfulDeployment"] = copy.deepcopy(record.last_successful)
        if record.last_attempted is not None:
            info["lastAttemptedDeployment"] = copy.deepcopy(record.last_attempted)
        return info

    def _note_deployment(self, info: dict[str, Any]) -> None:
        """Keep the group's last attempted/successful deployment in step (under the lock).

        Like AWS, the group remembers them even after the deployment is removed here."""
        application, group = info["applicationName"], info["deploymentGroupName"]
        groups = self._groups.setdefault(application, {})
        record = groups.get(group)
        # A rollback may use another deployment config than its group (captured output), so
        # it only configures a group it creates.
        follows = record is None or (not record.configured and info.get("creator") != "codeDeployRollback")
        if record is None:
            groups[group] = record = _Group({})
        if follows:
            style = info.get("deploymentStyle") or {}
            record.config = self._group_config(
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

    def put_deployment(
        self, info: dict[str, Any], targets: Iterable[dict[str, Any]] = (), started: bool = True
    ) -> None:
        deployment_id = info["deploymentId"]
        if not _DEPLOYMENT_ID.match(deployment_id):
            raise ValueError(f"malformed deployment id {deployment_id!r}")
        record = _Deployment(
            info=copy.deepcopy(info),
            targets={target_id_of(t): copy.deepcopy(t) for t in targets},
            started=started,
            derive_overview="deploymentOverview" not in info,
        )
        with self._lock:
            self._deployments[deployment_id] = record
            self._note_deployment(record.info)

    def put_target(self, deployment_id: str, target: dict[str, Any]) -> None:
        with self._lock:
            self._deployments[deployment_id].targets[target_id_of(target)] = copy.deepcopy(target)

    def update_deployment(self, deployment_id: str, started: bool | None = None, **fields: Any) -> None:
        with self._lock:
            record = self._deployments[deployment_id]
            record.info.update(copy.deepcopy(fields))
            self._note_deployment(record.info)
            if "deploymentOverview" in fields:
                record.derive_overview = False
            if started is not None:
                record.started = started

    def remove_deployment(self, deployment_id: str) -> None:
        with self._lock:
            self._deployments.pop(deployment_id, None)

    def deployment_ids(self) -> list[str]:
        with self._lock:
            return list(self._deployments)

    def target_ids(self, deployment_id: str) -> list[str]:
        with self._lock:
            return list(self._deployments[deployment_id].targets)

    def deployment(self, deployment_id: str) -> dict[str, Any]:
        with self._lock:
            return self._info(self._deployments[deployment_id])

    def target(self, deployment_id: str, target_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._deployments[deployment_id].targets[target_id])

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "deployments": {
                    deployment_id: {
                        "info": self._info(record),
                        "targets": copy.deepcopy(record.targets),
                    }
                    for deployment_id, record in self._deployments.items()
                },
                "deploymentGroups": {
                    application: {
                        group: {
                            "info": self._group_info(application, group, record),
                            "tags": copy.deepcopy(record.tags),
                        }
                        for group, record in groups.items()
                    }
                    for application, groups in self._groups.items()
                },
            }

    def _info(self, record: _Deployment) -> dict[str, Any]:
        info = copy.deepcopy(record.info)
        if record.derive_overview:
            info["deploymentOverview"] = _overview(record.targets.values())
        return info

    # ---- call accounting -----------------------------------------------------------
    def call_count(self, operation: str | None = None) -> int:
        with self._lock:
            return sum(1 for c in self.calls if operation is None or c.operation == operation)

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    # ---- fault injection (see faults.Faults) ---------------------------------------
    def set_latency(self, seconds: float, operation: str | None = None) -> None:
        self.faults.set_latency(seconds, operation)

    def throttle(self, count: int, operation: str | None = None) -> None:
        self.faults.throttle(count, operation)

    def fail(
        self,
        count: int,
        code: str,
        status: int = 400,
        operation: str | None = None,
        message: str | None = None,
    ) -> None:
        self.faults.fail(count, code, status, operation, message)

    def hang(self, seconds: float, operation: str | None = None, count: int = 1) -> None:
        self.faults.hang(seconds, operation, count)

    def clear_faults(self) -> None:
        self.faults.clear()

    def interrupt_waits(self) -> None:
        """End all latency/hang waits now (so a server can stop promptly)."""
        self.faults.interrupt_waits()

    # ---- dispatch ------------------------------------------------------------------
    def handle(
        self,
        operation: str,
        body: dict[str, Any],
        access_key_id: str | None = None,
        service: str = "codedeploy",
        region: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one API call: ``(http_status, json_body)``. Faults apply first.

        ``service="sts"`` answers STS operations (the HTTP layer turns the dict into XML)."""
        with self._lock:
            self.calls.append(Call(operation, copy.deepcopy(body), access_key_id, self._clock(), region))
            if len(self.calls) > self.max_calls:
                del self.calls[: len(self.calls) - self.max_calls // 2]
        injected = self.faults.before_call(operation)  # may sleep: outside the lock
        if injected is not None:
            return injected.status, {"__type": injected.code, "message": injected.message}
        if service == "sts":
            if operation != "GetCallerIdentity":
                return 400, ApiError("InvalidAction", f"Could not find operation {operation}").body()
            with self._lock:
                return 200, self._caller_identity(access_key_id)
        handler = _OPERATIONS.get(operation)
        if handler is None:
            return 400, ApiError("UnknownOperationException", f"Unknown operation {operation}").body()
        try:
            with self._lock:
                return 200, handler(self, body)
        except ApiError as error:
            return error.status, error.body()

    def _caller_identity(self, access_key_id: str | None) -> dict[str, Any]:
        account = self._key_accounts.get(access_key_id or "", self.account_id)
        # An IAM user per access key: UserId is the user's unique id (AIDA...), as in the
        # CLI's get-caller-identity example.
        digest = hashlib.sha256((access_key_id or "").encode()).hexdigest().upper()
        return {
            "UserId": "AIDA" + digest[:17],
            "Account": account,
            "Arn": f"arn:aws:iam::{account}:user/simulator",
        }

    # Operation handlers run under the lock and return deep copies.
    def _get_started(self, body: dict[str, Any]) -> _Deployment:
        record = self._get(body.get("deploymentId"))
        if not record.started:
            raise ApiError("DeploymentNotStartedException", "The specified deployment has not started.")
        return record

    def _get(self, deployment_id: str | None) -> _Deployment:
        if not deployment_id:
            raise ApiError("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
        if not _DEPLOYMENT_ID.match(deployment_id):
            raise ApiError("InvalidDeploymentIdException", f"Invalid deployment id {deployment_id}")
        record = self._deployments.get(deployment_id)
        if record is None:
            raise ApiError(
                "DeploymentDoesNotExistException",
                f"The deployment {deployment_id} could not be found.",
            )
        return record

    def _lookup_target(self, record: _Deployment, target_id: str) -> dict[str, Any]:
        if not isinstance(target_id, str) or not target_id:
            raise ApiError("InvalidDeploymentTargetIdException", "The target ID provided was not valid.")
        target = record.targets.get(target_id)
        if target is None:
            raise ApiError(
                "DeploymentTargetDoesNotExistException",
                f"The provided target ID does not belong to the deployment: {target_id}",
            )
        return copy.deepcopy(target)

    def _op_get_deployment_target(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._get_started(body)
        if "targetId" not in body:
            raise ApiError("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
        return {"deploymentTarget": self._lookup_target(record, body["targetId"])}

    def _op_batch_get_deployment_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._get_started(body)
        target_ids = body.get("targetIds") or []
        if not target_ids:
            raise ApiError("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
        limit = 1 if record.info.get("computePlatform") in ("ECS", "Lambda") else MAX_BATCH
        if len(target_ids) > limit:
            raise ApiError(
                "DeploymentTargetListSizeExceededException",
                f"The maximum number of targets that can be requested is {limit}.",
            )
        return {"deploymentTargets": [self._lookup_target(record, t) for t in target_ids]}

    def _op_list_deployment_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._get_started(body)
        filters = body.get("targetFilters") or {}
        unknown = set(filters) - {"TargetStatus", "ServerInstanceLabel"}
        if unknown:
            raise ApiError("InvalidTargetFilterNameException", f"Invalid target filter {sorted(unknown)}")
        statuses, labels = filters.get("TargetStatus"), filters.get("ServerInstanceLabel")
        if statuses and not set(statuses) <= set(TARGET_STATUSES):
            raise ApiError("InvalidInstanceStatusException", "The specified instance status does not exist.")
        ids = [
            target_id
            for target_id, target in record.targets.items()
            if (not statuses or target_body(target).get("status") in statuses)
            and (not labels or target_body(target).get("instanceLabel") in labels)
        ]
        return self._page("ListDeploymentTargets", "targetIds", ids, body)

    def _op_get_deployment(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"deploymentInfo": self._info(self._get(body.get("deploymentId")))}

    def _op_batch_get_deployments(self, body: dict[str, Any]) -> dict[str, Any]:
        ids = body.get("deploymentIds") or []
        if not ids:
            raise ApiError("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
        if len(ids) > MAX_BATCH:
            raise ApiError(
                "BatchLimitExceededException",
                f"The maximum number of names or IDs allowed for this request ({MAX_BATCH}) was exceeded.",
            )
        for deployment_id in ids:
            if not _DEPLOYMENT_ID.match(deployment_id):
                raise ApiError("InvalidDeploymentIdException", f"Invalid deployment id {deployment_id}")
        # Unknown ids are silently left out, as AWS does.
        return {"deploymentsInfo": [self._info(self._deployments[d]) for d in ids if d in self._deployments]}

    def _op_list_deployments(self, body: dict[str, Any]) -> dict[str, Any]:
        application, group = body.get("applicationName"), body.get("deploymentGroupName")
        if group and not application:
            raise ApiError(
                "ApplicationNameRequiredException",
                "The minimum number of required application names was not specified.",
            )
        if application and not group:
            raise ApiError(
                "DeploymentGroupNameRequiredException",
                "The deployment group name was not specified.",
            )
        if application and application not in self._groups:
            raise ApiError("ApplicationDoesNotExistException", f"No application found for name: {application}")
        if application and group not in self._groups[application]:
            raise ApiError(
                "DeploymentGroupDoesNotExistException",
                f"No Deployment Group found for name: {group}",
            )
        statuses = body.get("includeOnlyStatuses") or []
        external_id = body.get("externalId")
        if not set(statuses) <= set(DEPLOYMENT_STATUSES):
            raise ApiError("InvalidDeploymentStatusException", "The specified deployment status doesn't exist.")
        time_range = body.get("createTimeRange") or {}
        start, end = time_range.get("start"), time_range.get("end")
        if start is not None and end is not None and start > end:
            raise ApiError(
                "InvalidTimeRangeException",
                "The specified time range was specified in an invalid format.",
            )
        infos = [
            r.info
            for r in self._deployments.values()
            if (not application or (r.info["applicationName"], r.info["deploymentGroupName"]) == (application, group))
            and (not statuses or r.info.get("status") in statuses)
            and (not external_id or r.info.get("externalId") == external_id)
            and (start is None or r.info.get("createTime", 0) >= start)
            and (end is None or r.info.get("createTime", 0) <= end)
        ]
        infos.sort(key=lambda i: (i.get("createTime", 0), i["deploymentId"]), reverse=True)
        return self._page("ListDeployments", "deployments", [i["deploymentId"] for i in infos], body)

    def _op_list_applications(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._page("ListApplications", "applications", sorted(self._groups), body)

    def _op_list_deployment_groups(self, body: dict[str, Any]) -> dict[str, Any]:
        application, groups = self._application_and_group(body)
        page = self._page("ListDeploymentGroups", "deploymentGroups", list(groups), body)
        return {"applicationName": application, **page}

    def _application_and_group(self, body: dict[str, Any]) -> tuple[str, dict[str, _Group]]:
        application = body.get("applicationName")
        if not application:
            raise ApiError(
                "ApplicationNameRequiredException",
                "The minimum number of required application names was not specified.",
            )
        if application not in self._groups:
            raise ApiError("ApplicationDoesNotExistException", f"No application found for name: {application}")
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
            "deploymentGroupsInfo": [self._group_info(application, n, groups[n]) for n in names if n in groups],
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
        application, groups = self._application_and_group(body)
        if group not in groups:
            raise ApiError(
                "DeploymentGroupDoesNotExistException",
                f"No Deployment Group found for name: {group}",
            )
        return {"deploymentGroupInfo": self._group_info(application, group, groups[group])}

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
        offset = _decode_token("ListTagsForResource", body.get("NextToken"))
        result: dict[str, Any] = {"Tags": tags[offset : offset + self.page_size]}
        if offset + self.page_size < len(tags):
            result["NextToken"] = _encode_token("ListTagsForResource", offset + self.page_size)
        return result

    def _page(self, operation: str, key: str, items: list[Any], body: dict[str, Any]) -> dict[str, Any]:
        offset = _decode_token(operation, body.get("nextToken"))
        result: dict[str, Any] = {key: items[offset : offset + self.page_size]}
        if offset + self.page_size < len(items):
            result["nextToken"] = _encode_token(operation, offset + self.page_size)
        return result


def _encode_token(operation: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{operation}:{offset}".encode()).decode()


def _decode_token(operation: str, token: str | None) -> int:
    if token is None:
        return 0
    try:
        name, offset = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        if name == operation and int(offset) >= 0:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError("InvalidNextTokenException", "The next token was specified in an invalid format.")


_OPERATIONS: dict[str, Callable[[Simulator, dict[str, Any]], dict[str, Any]]] = {
    "GetDeploymentTarget": Simulator._op_get_deployment_target,
    "BatchGetDeploymentTargets": Simulator._op_batch_get_deployment_targets,
    "ListDeploymentTargets": Simulator._op_list_deployment_targets,
    "GetDeployment": Simulator._op_get_deployment,
    "BatchGetDeployments": Simulator._op_batch_get_deployments,
    "ListDeployments": Simulator._op_list_deployments,
    "ListApplications": Simulator._op_list_applications,
    "ListDeploymentGroups": Simulator._op_list_deployment_groups,
    "BatchGetDeploymentGroups": Simulator._op_batch_get_deployment_groups,
    "GetDeploymentGroup": Simulator._op_get_deployment_group,
    "ListTagsForResource": Simulator._op_list_tags_for_resource,
}
