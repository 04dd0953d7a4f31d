"""Benchmark fleets: many deployments with many targets, and controlled churn among them."""

from __future__ import annotations

import random
import time
from typing import Any

from .builders import (
    EC2_IN_PLACE_HOOKS,
    ECS_HOOKS,
    LAMBDA_HOOKS,
    cloudformation_target,
    deployment_id_for,
    deployment_info,
    diagnostics,
    ecs_target,
    instance_target,
    lambda_target,
    lifecycle_event,
    task_set,
)
from .records import target_body
from .state import Simulator


def build_fleet(
    sim: Simulator,
    instance_targets: int,
    per_deployment: int = 25,
    hooks: int = 10,
    ecs: int = 0,
    lambdas: int = 0,
    cloudformation: int = 0,
    finished: bool = False,
    now: float | None = None,
) -> list[tuple[str, list[str]]]:
    """Deployments of up to ``per_deployment`` EC2 targets with ``hooks`` events each, plus
    single-target ECS/Lambda/CloudFormation deployments; all InProgress or all Succeeded."""
    if not 0 < hooks <= len(EC2_IN_PLACE_HOOKS):
        raise ValueError(f"hooks must be 1..{len(EC2_IN_PLACE_HOOKS)}")
    now = time.time() if now is None else now
    status = "Succeeded" if finished else "InProgress"
    done = hooks if finished else hooks // 2  # hooks finished so far

    def events(names: tuple[str, ...], n_done: int) -> list[dict[str, Any]]:
        out = []
        for i, name in enumerate(names):
            start = now - 60 + i
            if i < n_done:
                out.append(lifecycle_event(name, "Succeeded", start, start + 1, diagnostics()))
            elif i == n_done:
                out.append(lifecycle_event(name, "InProgress", start))
            else:
                out.append(lifecycle_event(name, "Pending"))
        return out

    result: list[tuple[str, list[str]]] = []

    def add(dep: str, group: str, platform: str, targets: list[dict[str, Any]]) -> None:
        info = deployment_info(
            dep,
            "fleet",
            group,
            status,
            now - 120,
            platform,
            start_time=now - 100,
            complete_time=now - 1 if finished else None,
        )
        sim.put_deployment(info, targets)
        result.append((dep, [target_body(t)["targetId"] for t in targets]))

    counter = iter(range(10**9))
    for first in range(0, instance_targets, per_deployment):
        dep = deployment_id_for(f"fleet:{next(counter)}")
        names = EC2_IN_PLACE_HOOKS[:hooks]
        add(
            dep,
            "fleet-ec2",
            "Server",
            [
                instance_target(dep, f"i-{n:017x}", status, events(names, done), now - 1)
                for n in range(first, min(first + per_deployment, instance_targets))
            ],
        )
    for n in range(ecs):
        dep = deployment_id_for(f"fleet:{next(counter)}")
        sets = [
            task_set(f"ecs-svc/{n:019d}", "Blue", "PRIMARY", 0.0 if finished else 50.0, 2, 0, 2, "tg-1"),
            task_set(
                f"ecs-svc/{n + 1:019d}",
                "Green",
                "ACTIVE",
                100.0 if finished else 50.0,
                2,
                0,
                2,
                "tg-2",
            ),
        ]
        add(
            dep,
            "fleet-ecs",
            "ECS",
            [
                ecs_target(
                    dep,
                    f"fleet-cluster:service-{n}",
                    status,
                    events(ECS_HOOKS, 8 if finished else 6),
                    now - 1,
                    sets,
                )
            ],
        )
    for n in range(lambdas):
        dep = deployment_id_for(f"fleet:{next(counter)}")
        add(
            dep,
            "fleet-lambda",
            "Lambda",
            [
                lambda_target(
                    dep,
                    f"function-{n}:live",
                    status,
                    events(LAMBDA_HOOKS, 3 if finished else 1),
                    now - 1,
                    f"function-{n}",
                    "live",
                    "1",
                    "2",
                    1.0 if finished else 0.1,
                )
            ],
        )
    for n in range(cloudformation):
        dep = deployment_id_for(f"fleet:{next(counter)}")
        add(
            dep,
            "fleet-cfn",
            "ECS",
            [
                cloudformation_target(
                    dep,
                    f"Service{n}",
                    status,
                    events(ECS_HOOKS, 8 if finished else 6),
                    now - 1,
                    target_version_weight=1.0 if finished else 0.5,
                )
            ],
        )
    return result


def mutate_fraction(sim: Simulator, fraction: float, rng: random.Random) -> list[tuple[str, str]]:
    """Flip the status (InProgress <-> Succeeded) and bump lastUpdatedAt of ``fraction`` of all
    targets; returns the (deployment_id, target_id) pairs changed."""
    pairs = [(d, t) for d in sim.deployment_ids() for t in sim.target_ids(d)]
    chosen = rng.sample(pairs, round(len(pairs) * fraction))
    for deployment_id, target_id in chosen:
        target = sim.target(deployment_id, target_id)
        body = target_body(target)
        body["status"] = "InProgress" if body["status"] == "Succeeded" else "Succeeded"
        body["lastUpdatedAt"] = body["lastUpdatedAt"] + 1.0
        sim.put_target(deployment_id, target)
    return chosen
