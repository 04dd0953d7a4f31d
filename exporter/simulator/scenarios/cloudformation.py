"""The demo's CloudFormation (CloudFormationTarget) timeline: demo-cfn's blue/green update.

* demo-cfn / demo-cfn-prod (CloudFormation blue/green of an AWS::ECS::Service): Created until
  0.04; hooks as ECS; targetVersionWeight 0 -> 0.5 (0.40) -> 1.0 (0.60); Succeeded at 0.85.
"""

from __future__ import annotations

from collections.abc import Callable

from ..builders import ECS_HOOKS, cloudformation_target, deployment_id_for, deployment_info, string_revision
from .timeline import Built, bounded_hooks, last_change, lifecycle, step_value


def demo_cfn(cycle: int, f: float, at: Callable[[float], float]) -> Built:
    dep = deployment_id_for(f"demo-cfn-prod:{cycle}")
    info = deployment_info(
        dep,
        "demo-cfn",
        "demo-cfn-prod",
        "Created",
        at(0.0),
        "ECS",
        "CodeDeployDefault.ECSAllAtOnce",
        creator="CloudFormation",
        deployment_type="BLUE_GREEN",
        deployment_option="WITH_TRAFFIC_CONTROL",
        revision=string_revision(f"demo-cfn stack update {cycle}"),
    )
    bounds = [0.04, 0.08, 0.20, 0.24, 0.28, 0.32, 0.36, 0.80, 0.85]
    events, status, last = bounded_hooks(ECS_HOOKS, bounds, f, at)
    shifts = [(0.40, 0.5), (0.60, 1.0)]
    weight = step_value(f, shifts, 0.0)
    last = last_change(f, shifts, last)
    target = cloudformation_target(dep, "DemoECSService", status, events, at(last), target_version_weight=weight)
    info, started = lifecycle(info, f, 0.04, bounds[-1], False, at)
    return info, [target], started
