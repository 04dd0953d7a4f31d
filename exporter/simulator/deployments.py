"""The Simulator's deployments and their targets: the ground-truth setters and getters, and
the operations that read them (GetDeployment, BatchGetDeployments, ListDeployments,
GetDeploymentTarget, BatchGetDeploymentTargets, ListDeploymentTargets)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from .groups import note_deployment
from .paging import page
from .records import (
    DEPLOYMENT_STATUSES,
    TARGET_STATUSES,
    ApiError,
    DeploymentRecord,
    Store,
    target_body,
    target_id_of,
)

MAX_BATCH = 25  # both BatchGetDeployments and BatchGetDeploymentTargets
_DEPLOYMENT_ID = re.compile(r"^d-[A-Z0-9]{9}$")


class DeploymentsApi(Store):
    """Deployments and targets: setters and getters for tests and scenarios, and handlers."""

    # ---- state: ground truth -------------------------------------------------------
    def put_deployment(
        self, info: dict[str, Any], targets: Iterable[dict[str, Any]] = (), started: bool = True
    ) -> None:
        deployment_id = info["deploymentId"]
        if not _DEPLOYMENT_ID.match(deployment_id):
            raise ValueError(f"malformed deployment id {deployment_id!r}")
        record = DeploymentRecord(
            info=copy.deepcopy(info),
            targets={target_id_of(t): copy.deepcopy(t) for t in targets},
            started=started,
            derive_overview="deploymentOverview" not in info,
        )
        with self._lock:
            self._deployments[deployment_id] = record
            note_deployment(self._groups, self.account_id, record.info)

    def put_target(self, deployment_id: str, target: dict[str, Any]) -> None:
        with self._lock:
            self._deployments[deployment_id].targets[target_id_of(target)] = copy.deepcopy(target)

    def update_deployment(self, deployment_id: str, started: bool | None = None, **fields: Any) -> None:
        with self._lock:
            record = self._deployments[deployment_id]
            record.info.update(copy.deepcopy(fields))
            note_deployment(self._groups, self.account_id, record.info)
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
            return self._deployments[deployment_id].answer()

    def target(self, deployment_id: str, target_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._deployments[deployment_id].targets[target_id])

    # ---- operation handlers: run under the lock and return deep copies --------------
    def _get_started(self, body: dict[str, Any]) -> DeploymentRecord:
        record = self._get(body.get("deploymentId"))
        if not record.started:
            raise ApiError("DeploymentNotStartedException", "The specified deployment has not started.")
        return record

    def _get(self, deployment_id: str | None) -> DeploymentRecord:
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

    def _lookup_target(self, record: DeploymentRecord, target_id: str) -> dict[str, Any]:
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
        return page("ListDeploymentTargets", "targetIds", ids, body, self.page_size)

    def _op_get_deployment(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"deploymentInfo": self._get(body.get("deploymentId")).answer()}

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
        return {"deploymentsInfo": [self._deployments[d].answer() for d in ids if d in self._deployments]}

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
        return page("ListDeployments", "deployments", [i["deploymentId"] for i in infos], body, self.page_size)
