"""What the CodeDeploy simulator stores: its records, the store the API mixins share, and the
API's enums and error shape.

Everything is stored and returned as API-shaped JSON dicts, exactly as the CodeDeploy
JSON 1.1 wire format carries them (camelCase, epoch-second timestamps, the API's own
``identifer`` spelling for ECS task sets), so the HTTP layer only has to serialize.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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


class ApiError(Exception):
    """An AWS error response: ``{"__type": code, "message": ...}`` with an HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


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


def overview(targets: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A deploymentOverview counted from the targets' statuses."""
    counts = dict.fromkeys(OVERVIEW_KEYS, 0)
    for target in targets:
        status = target_body(target).get("status")
        if status in counts:
            counts[status] += 1
    return counts


@dataclass
class DeploymentRecord:
    info: dict[str, Any]
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: bool = True
    derive_overview: bool = True

    def answer(self) -> dict[str, Any]:
        """The DeploymentInfo as the API answers it: a copy, its overview counted unless given."""
        info = copy.deepcopy(self.info)
        if self.derive_overview:
            info["deploymentOverview"] = overview(self.targets.values())
        return info


@dataclass
class GroupRecord:
    """A deployment group's configuration and the deployments it last saw (DeploymentGroupInfo)."""

    config: dict[str, Any]
    tags: list[dict[str, Any]] = field(default_factory=list)
    last_attempted: dict[str, Any] | None = None  # LastDeploymentInfo
    last_successful: dict[str, Any] | None = None
    # Configured by put_deployment_group; otherwise the group takes its platform, config and
    # style from the deployments put into it (a group created by put_application or on the fly).
    configured: bool = False

    def answer(self) -> dict[str, Any]:
        """The DeploymentGroupInfo as BatchGetDeploymentGroups answers it (a copy)."""
        info = copy.deepcopy(self.config)
        if self.last_successful is not None:
            info["lastSuccessfulDeployment"] = copy.deepcopy(self.last_successful)
        if self.last_attempted is not None:
            info["lastAttemptedDeployment"] = copy.deepcopy(self.last_attempted)
        return info


class Store:
    """The state the Simulator's API mixins share, assigned by ``Simulator.__init__``.

    Every read and write of the two dicts holds ``_lock``; operation handlers run under it."""

    page_size: int
    account_id: str
    region: str
    _lock: threading.Lock
    _deployments: dict[str, DeploymentRecord]
    _groups: dict[str, dict[str, GroupRecord]]  # application -> group name -> group

    def _known_application(self, body: dict[str, Any]) -> str:
        """The request's applicationName, answered as CodeDeploy does when missing or unknown."""
        application = body.get("applicationName")
        if not application:
            raise ApiError(
                "ApplicationNameRequiredException",
                "The minimum number of required application names was not specified.",
            )
        if application not in self._groups:
            raise ApiError("ApplicationDoesNotExistException", f"No application found for name: {application}")
        return str(application)
