"""Finished deployments with the facts AWS reports about them (error codes, rollbacks,
revisions, stops), put straight into a simulator: for tests that need one of each."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from .builders import (
    EC2_IN_PLACE_HOOKS,
    alarm_stop_error,
    deployment_info,
    diagnostics,
    error_information,
    instance_target,
    lifecycle_event,
    link_rollback,
)
from .state import Simulator

_HOOKS = EC2_IN_PLACE_HOOKS[3:10]  # ApplicationStop .. ValidateService: an in-place run


def _instance(
    deployment_id: str, n: int, status: str, start: float, end: float, failed_hook: str | None
) -> dict[str, Any]:
    """An EC2 target whose hooks ran from ``start`` to ``end``; after a failed hook, or when
    the target was never reached (Skipped), the remaining hooks are Skipped."""
    step = (end - start) / len(_HOOKS)
    events, broken = [], status == "Skipped"
    for i, hook in enumerate(_HOOKS):
        t0 = start + i * step
        if broken:
            events.append(lifecycle_event(hook, "Skipped"))
        elif hook == failed_hook:
            diag = diagnostics("ScriptFailed", "scripts/validate.sh", "exit code 1", "[stderr]503")
            events.append(lifecycle_event(hook, "Failed", t0, t0 + step, diag))
            broken = True
        else:
            events.append(lifecycle_event(hook, "Succeeded", t0, t0 + step, diagnostics()))
    target_id = "i-" + hashlib.sha256(f"{deployment_id}:{n}".encode()).hexdigest()[:17]
    return instance_target(deployment_id, target_id, status, events, end)


def put_finished_deployment(
    sim: Simulator,
    deployment_id: str,
    application: str,
    group: str,
    status: str,
    create_time: float,
    duration: float = 60.0,
    instances: int = 2,
    error: dict[str, Any] | None = None,
    creator: str = "user",
    revision: dict[str, Any] | None = None,
    config_name: str = "CodeDeployDefault.OneAtATime",
) -> dict[str, Any]:
    """A Succeeded, Failed or Stopped EC2 in-place deployment with ``instances`` targets.

    Failed: the last instance fails ValidateService. Stopped: the last instance was running
    when the stop came (its hook Failed) and none after it ran. Returns the DeploymentInfo."""
    if status not in ("Succeeded", "Failed", "Stopped"):
        raise ValueError(f"not a terminal deployment status: {status}")
    if status != "Succeeded" and error is None:
        error = error_information("HEALTH_CONSTRAINTS" if status == "Failed" else "MANUAL_STOP")
    start, end = create_time + 1, create_time + duration
    per = (end - start) / max(instances, 1)
    targets = []
    for n in range(instances):
        t0, t1 = start + n * per, start + (n + 1) * per
        if status == "Succeeded" or n < instances - 1:
            targets.append(_instance(deployment_id, n, "Succeeded", t0, t1, None))
        else:
            targets.append(_instance(deployment_id, n, "Failed", t0, t1, "ValidateService"))
    info = deployment_info(
        deployment_id,
        application,
        group,
        status,
        create_time,
        config_name=config_name,
        creator=creator,
        start_time=start,
        complete_time=end,
        error_information=error,
        revision=revision,
    )
    sim.put_deployment(info, targets)
    return info


def put_failed_deployment(
    sim: Simulator,
    deployment_id: str,
    application: str,
    group: str,
    create_time: float,
    code: str = "HEALTH_CONSTRAINTS",
    message: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    return put_finished_deployment(
        sim,
        deployment_id,
        application,
        group,
        "Failed",
        create_time,
        error=error_information(code, message),
        **kwargs,
    )


def put_stopped_deployment(
    sim: Simulator,
    deployment_id: str,
    application: str,
    group: str,
    create_time: float,
    alarms: Sequence[str] = (),
    **kwargs: Any,
) -> dict[str, Any]:
    """Stopped by a CloudWatch alarm (ALARM_ACTIVE) when ``alarms`` are named, else by a user
    (MANUAL_STOP)."""
    error = alarm_stop_error(*alarms) if alarms else error_information("MANUAL_STOP")
    return put_finished_deployment(
        sim, deployment_id, application, group, "Stopped", create_time, error=error, **kwargs
    )


def put_rollback(
    sim: Simulator,
    triggering_id: str,
    rollback_id: str,
    create_time: float | None = None,
    status: str = "Succeeded",
    **kwargs: Any,
) -> dict[str, Any]:
    """The automatic rollback of ``triggering_id`` (a Failed or Stopped deployment in ``sim``):
    created by codeDeployRollback when the trigger ended, rollbackInfo on both sides."""
    triggering = sim.deployment(triggering_id)
    when = triggering.get("completeTime", triggering["createTime"]) if create_time is None else (create_time)
    rollback = put_finished_deployment(
        sim,
        rollback_id,
        triggering["applicationName"],
        triggering["deploymentGroupName"],
        status,
        when,
        creator="codeDeployRollback",
        **kwargs,
    )
    linked_trigger, linked_rollback = link_rollback(triggering, rollback)
    sim.update_deployment(triggering_id, rollbackInfo=linked_trigger["rollbackInfo"])
    sim.update_deployment(rollback_id, rollbackInfo=linked_rollback["rollbackInfo"])
    return sim.deployment(rollback_id)
