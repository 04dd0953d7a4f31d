"""The demo's EC2 (InstanceTarget) timelines: demo-web's rolling deployment and demo-api's
failure with its automatic rollback.

* demo-web / demo-web-prod (Server, IN_PLACE, CodeDeployDefault.OneAtATime), 4 instances,
  13 hooks each, a hook every 0.0065 of the cycle:
  f < 0.01 Created (target operations answer DeploymentNotStartedException);
  instance 1 runs f 0.02-0.105, instance 2 f 0.105-0.189, instance 3 starts at 0.189.
  In even cycles (a broken release) instance 3 fails ApplicationStart at f ~0.247
  (ScriptFailed, scripts/start_server.sh, log tail); its later hooks and instance 4 are
  Skipped and the deployment ends Failed (HEALTH_CONSTRAINTS). In odd cycles (the fix) every
  instance succeeds, instance 4 ends at 0.358 and the deployment Succeeded: the group's next
  ordinary deployment after each failure succeeds, so the failure alerts resolve.
* demo-api / demo-api-prod (Server, IN_PLACE, automatic rollback on failure), 2 instances,
  7 hooks (ApplicationStop..ValidateService) of 0.01 each, S3 revision of the cycle:
  Created until 0.01; instance 1 runs 0.02-0.09, instance 2 fails ValidateService at 0.16
  and the deployment ends Failed (HEALTH_CONSTRAINTS). At 0.16 CodeDeploy creates the
  rollback deployment (creator codeDeployRollback, the previous cycle's revision): Created
  until 0.17, both instances redeploy 0.18-0.25 and 0.25-0.32, Succeeded at 0.32;
  rollbackInfo links the two both ways from 0.16.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from ..builders import (
    EC2_IN_PLACE_HOOKS,
    deployment_id_for,
    deployment_info,
    github_revision,
    instance_target,
    lifecycle_event,
    link_rollback,
    s3_revision,
)
from .timeline import Built, commit, lifecycle, run_hooks

EC2_HOOK_STEP, EC2_FIRST = 0.0065, 0.02


def demo_web(cycle: int, f: float, at: Callable[[float], float]) -> Built:
    """demo-web's rolling deployment: a broken release in even cycles, its fix in odd ones."""
    dep = deployment_id_for(f"demo-web-prod:{cycle}")
    fails = cycle % 2 == 0
    info = deployment_info(
        dep,
        "demo-web",
        "demo-web-prod",
        "Created",
        at(0.0),
        revision=github_revision("example/demo-web", commit(f"demo-web:{cycle}")),
    )
    per_instance = len(EC2_IN_PLACE_HOOKS) * EC2_HOOK_STEP
    targets, failed_at = [], None
    for n in range(4):
        instance = "i-0" + hashlib.sha256(f"demo-web-{n}".encode()).hexdigest()[:16]
        first = EC2_FIRST + n * per_instance
        if failed_at is not None and f >= failed_at:
            events = [lifecycle_event(h, "Skipped") for h in EC2_IN_PLACE_HOOKS]
            status, last = "Skipped", failed_at
        else:
            events, status, last = run_hooks(
                EC2_IN_PLACE_HOOKS,
                first,
                EC2_HOOK_STEP,
                f,
                at,
                fail_at="ApplicationStart" if fails and n == 2 else None,
                with_diagnostics=True,
            )
        if fails and n == 2:
            failed_at = first + (EC2_IN_PLACE_HOOKS.index("ApplicationStart") + 1) * EC2_HOOK_STEP
        targets.append(instance_target(dep, instance, status, events, at(last)))
    if failed_at is not None:
        info, started = lifecycle(info, f, 0.01, failed_at, f >= failed_at, at)
    else:
        info, started = lifecycle(info, f, 0.01, EC2_FIRST + 4 * per_instance, False, at)
    return info, targets, started


API_HOOKS = EC2_IN_PLACE_HOOKS[3:10]  # ApplicationStop .. ValidateService
API_STEP = 0.01
API_FAILS_AT = 0.02 + len(API_HOOKS) * API_STEP * 2  # instance 2's ValidateService ends: 0.16


def _api_revision(cycle: int) -> dict[str, Any]:
    return s3_revision(
        "demo-api-artifacts",
        f"demo-api/{cycle}.zip",
        version=commit(f"demo-api-version:{cycle}")[:32],
        etag=commit(f"demo-api-etag:{cycle}")[:32],
    )


def _api_instances(dep: str, first: float, f: float, at: Callable[[float], float], fail: bool) -> list[dict[str, Any]]:
    targets = []
    for n in range(2):
        instance = "i-0" + hashlib.sha256(f"demo-api-{n}".encode()).hexdigest()[:16]
        events, status, last = run_hooks(
            API_HOOKS,
            first + n * len(API_HOOKS) * API_STEP,
            API_STEP,
            f,
            at,
            fail_at="ValidateService" if fail and n == 1 else None,
            with_diagnostics=True,
        )
        targets.append(instance_target(dep, instance, status, events, at(last)))
    return targets


def demo_api(cycle: int, f: float, at: Callable[[float], float]) -> list[Built]:
    """A failing deployment and, once it failed, its automatic rollback."""
    dep = deployment_id_for(f"demo-api-prod:{cycle}")
    info = deployment_info(dep, "demo-api", "demo-api-prod", "Created", at(0.0), revision=_api_revision(cycle))
    targets = _api_instances(dep, 0.02, f, at, fail=True)
    failed = f >= API_FAILS_AT
    info, started = lifecycle(info, f, 0.01, API_FAILS_AT, failed, at)
    built: list[Built] = [(info, targets, started)]
    if failed:
        rollback_id = deployment_id_for(f"demo-api-prod-rollback:{cycle}")
        rollback = deployment_info(
            rollback_id,
            "demo-api",
            "demo-api-prod",
            "Created",
            at(API_FAILS_AT),
            revision=_api_revision(cycle - 1),
        )
        first = API_FAILS_AT + 0.02
        end = first + 2 * len(API_HOOKS) * API_STEP
        rollback_targets = _api_instances(rollback_id, first, f, at, fail=False)
        rollback, rollback_started = lifecycle(rollback, f, API_FAILS_AT + 0.01, end, False, at)
        info, rollback = link_rollback(info, rollback)
        built = [(info, targets, started), (rollback, rollback_targets, rollback_started)]
    return built
