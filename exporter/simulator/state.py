"""The Simulator: in-memory CodeDeploy state (no sockets) behind one ``handle`` that records
each call, applies injected faults and dispatches to the operation handlers.

The state and its operations live in mixins by resource (deployments.py, groups.py), the
fault controls in faults.py and the stored records in records.py.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .deployments import DeploymentsApi
from .faults import FaultControls, Faults
from .groups import GroupsApi
from .paging import DEFAULT_PAGE_SIZE
from .records import ACCOUNT, REGION, ApiError
from .revisions import RevisionsApi
from .sts import user_identity


@dataclass(frozen=True)
class Call:
    operation: str
    params: dict[str, Any]
    access_key_id: str | None
    time: float
    region: str | None = None  # from the SigV4 credential scope: the region the client signed for


class Simulator(DeploymentsApi, GroupsApi, RevisionsApi, FaultControls):
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
        self._deployments = {}
        self._groups = {}
        self._revisions = {}
        self._key_accounts: dict[str, str] = {}  # access key id -> account (GetCallerIdentity)
        self.faults = Faults()
        self.calls: list[Call] = []
        self.max_calls = max_calls  # bounds memory in long --demo runs

    def set_account(self, access_key_id: str, account_id: str) -> None:
        """Make GetCallerIdentity answer ``account_id`` for calls signed with this key."""
        with self._lock:
            self._key_accounts[access_key_id] = account_id

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "deployments": {
                    deployment_id: {
                        "info": record.answer(),
                        "targets": copy.deepcopy(record.targets),
                    }
                    for deployment_id, record in self._deployments.items()
                },
                "deploymentGroups": {
                    application: {
                        group: {
                            "info": record.answer(),
                            "tags": copy.deepcopy(record.tags),
                        }
                        for group, record in groups.items()
                    }
                    for application, groups in self._groups.items()
                },
            }

    # ---- call accounting -----------------------------------------------------------
    def call_count(self, operation: str | None = None) -> int:
        with self._lock:
            return sum(1 for c in self.calls if operation is None or c.operation == operation)

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

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
        return user_identity(access_key_id, self._key_accounts.get(access_key_id or "", self.account_id))


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
    "BatchGetApplicationRevisions": Simulator._op_batch_get_application_revisions,
    "RegisterApplicationRevision": Simulator._op_register_application_revision,
}
