"""The demo's ECS (ECSTarget) timeline: demo-ecs's blue/green deployment.

* demo-ecs / demo-ecs-prod (ECS, BLUE_GREEN): Created until 0.02; BeforeInstall 0.02-0.06;
  Install 0.06-0.16 starts the Green task set (pending 4 -> 2 -> 0, running 0 -> 2 -> 4);
  AfterInstall, AllowTestTraffic, AfterAllowTestTraffic until 0.22; then Ready 0.22-0.30, the
  deployment (and its target) waiting for a person to reroute production traffic
  (deploymentReadyOption STOP_DEPLOYMENT, 60 minutes; the demo's person continues it at 0.30),
  so the demo shows the waiting phase; BeforeAllowTraffic 0.30-0.34; AllowTraffic 0.34-0.70
  shifts Green trafficWeight 0 -> 10 (0.34) -> 50 (0.46) -> 100 (0.58), Blue the complement;
  AfterAllowTraffic until 0.76, then Succeeded: Green PRIMARY, Blue DRAINING with 0 tasks (a
  termination wait of 0 minutes: no Baking, instanceTerminationWaitTimeStarted true at the end).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ..builders import (
    ECS_HOOKS,
    appspec_revision,
    blue_green_configuration,
    deployment_id_for,
    deployment_info,
    ecs_target,
    task_set,
)
from .timeline import Built, bounded_hooks, last_change, lifecycle, step_value

# Waiting in Ready for a manual reroute, between the test traffic hooks and BeforeAllowTraffic.
READY = (0.22, 0.30)
DEMO_ECS_BLUE_GREEN = blue_green_configuration(
    termination_wait_minutes=0, ready_action="STOP_DEPLOYMENT", ready_wait_minutes=60
)


def demo_ecs(cycle: int, f: float, at: Callable[[float], float]) -> Built:
    dep = deployment_id_for(f"demo-ecs-prod:{cycle}")
    info = deployment_info(
        dep,
        "demo-ecs",
        "demo-ecs-prod",
        "Created",
        at(0.0),
        "ECS",
        "DemoECSSteps10-50-100",
        deployment_type="BLUE_GREEN",
        deployment_option="WITH_TRAFFIC_CONTROL",
        revision=appspec_revision(f"demo-ecs task definition revision {cycle}"),
        instance_termination_wait_time_started=False,
        blue_green_configuration=DEMO_ECS_BLUE_GREEN,
    )
    # BeforeInstall 0.02-0.06, Install 0.06-0.16, short hooks, Ready, AllowTraffic 0.34-0.70.
    before, after = [0.02, 0.06, 0.16, 0.18, 0.20, READY[0]], [READY[1], 0.34, 0.70, 0.76]
    events, status, last = bounded_hooks(ECS_HOOKS[:5], before, f, at)
    later, later_status, later_last = bounded_hooks(ECS_HOOKS[5:], after, f, at)
    events += later
    if f >= READY[1]:
        status, last = later_status, max(last, later_last)
    elif f >= READY[0]:
        status = "Ready"  # TargetStatus Ready: installed, waiting for production traffic
    bounds = before + after
    shifts = [(0.34, 10.0), (0.46, 50.0), (0.58, 100.0)]
    green_weight = step_value(f, shifts, 0.0)
    done = f >= bounds[-1]
    # Each deployment moves traffic to the other target group of the pair.
    tg = ("demo-ecs-tg-1", "demo-ecs-tg-2") if cycle % 2 == 0 else ("demo-ecs-tg-2", "demo-ecs-tg-1")
    blue = task_set(
        _task_set_id(cycle - 1),
        "Blue",
        "DRAINING" if done else "PRIMARY",
        100.0 - green_weight,
        0 if done else 4,
        0,
        0 if done else 4,
        tg[0],
    )
    task_sets = [blue]
    if f >= 0.06:
        tasks = [(0.09, 2), (0.12, 4)]
        running = int(step_value(f, tasks, 0))
        task_sets.append(
            task_set(
                _task_set_id(cycle),
                "Green",
                "PRIMARY" if done else "ACTIVE",
                green_weight,
                4,
                4 - running,
                running,
                tg[1],
            )
        )
        last = last_change(f, tasks + shifts, last)
    target = ecs_target(dep, "demo-cluster:demo-service", status, events, at(last), task_sets)
    info, started = lifecycle(info, f, 0.02, bounds[-1], False, at)
    if READY[0] <= f < READY[1]:
        info["status"] = "Ready"
    # The original (Blue) task set's termination wait starts once traffic has moved.
    info["instanceTerminationWaitTimeStarted"] = done
    return info, [target], started


def _task_set_id(cycle: int) -> str:
    return "ecs-svc/" + str(int(hashlib.sha256(f"ts:{cycle}".encode()).hexdigest(), 16))[:19]
