"""Finished deployments with the facts AWS reports about them (error codes, rollbacks,
revisions, stops), put straight into a simulator: for tests that need one of each."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from .builders import (
    EC2_IN_PLACE_HOOKS,
    alarm_stop_error,
    blue_green_configuration,
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


class BlueGreenRun:
    """One EC2 (Server) or ECS blue/green deployment moved through its statuses over time;
    `at(now)` puts the deployment as it stands at `now` into the simulator:

    Created at `create_time`; InProgress from startTime (`create_time` + 1) while the
    replacement is installed (`install` seconds); Ready while it waits to reroute traffic
    (`deploymentReadyOption`: CONTINUE_DEPLOYMENT waits `ready_wait_minutes`, 0 not at all;
    STOP_DEPLOYMENT waits for a person: `reroute_after` seconds, or without one the whole
    `ready_wait_minutes`, then Stopped); InProgress while traffic is rerouted (`reroute`
    seconds); Baking through the original fleet's termination wait (TERMINATE:
    `termination_wait_minutes`, instanceTerminationWaitTimeStarted true from its start;
    KEEP_ALIVE: no wait, the flag stays false); then Succeeded. `fail_install`: Failed when
    the install ends (HEALTH_CONSTRAINTS), never Ready."""

    def __init__(
        self,
        sim: Simulator,
        deployment_id: str,
        application: str,
        group: str,
        create_time: float,
        install: float,
        platform: str = "Server",
        ready_action: str = "CONTINUE_DEPLOYMENT",
        ready_wait_minutes: int = 0,
        reroute_after: float | None = None,
        reroute: float = 60.0,
        termination_action: str = "TERMINATE",
        termination_wait_minutes: int = 5,
        fail_install: bool = False,
        revision: dict[str, Any] | None = None,
    ) -> None:
        if platform not in ("Server", "ECS"):
            raise ValueError(f"blue/green deployments are EC2 (Server) or ECS, not {platform}")
        self.sim, self.deployment_id = sim, deployment_id
        start = create_time + 1
        config = blue_green_configuration(
            termination_wait_minutes, termination_action, ready_action, ready_wait_minutes
        )
        # (from, status, termination wait started): the deployment's timeline.
        steps: list[tuple[float, str, bool]] = [(create_time, "Created", False), (start, "InProgress", False)]
        t = start + install
        if fail_install:
            steps.append((t, "Failed", False))
        else:
            if ready_action == "STOP_DEPLOYMENT":
                ready = reroute_after if reroute_after is not None else ready_wait_minutes * 60.0
            else:
                ready = ready_wait_minutes * 60.0
            if ready > 0:
                steps.append((t, "Ready", False))
                t += ready
            if ready_action == "STOP_DEPLOYMENT" and reroute_after is None:
                steps.append((t, "Stopped", False))  # nobody rerouted before the wait ran out
            else:
                steps += [(t, "InProgress", False)]
                t += reroute
                waits = termination_action == "TERMINATE" and termination_wait_minutes > 0
                if waits:
                    steps.append((t, "Baking", True))
                    t += termination_wait_minutes * 60.0
                steps.append((t, "Succeeded", termination_action == "TERMINATE"))
        self.steps = steps
        self.info = deployment_info(
            deployment_id,
            application,
            group,
            "Created",
            create_time,
            compute_platform=platform,
            config_name="CodeDeployDefault.AllAtOnce" if platform == "Server" else "CodeDeployDefault.ECSAllAtOnce",
            deployment_type="BLUE_GREEN",
            deployment_option="WITH_TRAFFIC_CONTROL",
            revision=revision,
            instance_termination_wait_time_started=False,
            blue_green_configuration=config,
        )
        sim.put_deployment(self.info, started=False)
        self.start = start
        self.complete = steps[-1][0]

    def at(self, now: float) -> str:
        """Put the deployment's state at `now`; returns its status."""
        if now < self.steps[0][0]:
            raise ValueError(f"{self.deployment_id} is created at {self.steps[0][0]}, not yet at {now}")
        since, status, waiting = [s for s in self.steps if s[0] <= now][-1]
        fields: dict[str, Any] = {"status": status, "instanceTerminationWaitTimeStarted": waiting}
        if status != "Created":
            fields["startTime"] = self.start
        if status in ("Succeeded", "Failed", "Stopped"):
            fields["completeTime"] = since
        if status == "Failed":
            fields["errorInformation"] = error_information("HEALTH_CONSTRAINTS")
        if status == "Stopped":
            fields["errorInformation"] = error_information(
                "TIMEOUT", "The deployment was stopped because traffic was not rerouted in time."
            )
        self.sim.update_deployment(self.deployment_id, started=status != "Created", **fields)
        return status
