"""The "stress mix" of issue 28 on the simulator: a whole account where every deployment has
finished and about two thirds of the targets Failed or were Skipped.

Deployments have 25 or 26 EC2 targets (25.75 on average, as the issue's 100,010 targets in
3,881 deployments) with 10 in-place hooks each, and run HalfAtATime: two waves of targets. A
third of the deployments Succeeded: every target and hook Succeeded. The others Failed in their
first wave: 0 or 1 target Succeeded, the others Failed at the same script hook (ValidateService,
or ApplicationStart for one in four; diagnostics ScriptFailed with a script name and a log
tail; the hooks after it Skipped), and the second wave was Skipped, every hook with it. That is
about 35% of targets Succeeded, 32% Failed and 33% Skipped, and at 10,000 targets about 18.8
series and 4.7 KB of exposition per target with the exporter of 2026-12 (the issue measured
19.5 and 4.8 KB on its mix).

Deployments go round-robin to groups of at most DEPLOYMENTS_PER_GROUP, six groups per
application, all created within `spread_seconds` before `now`: one `discovery:` scope with
`latest: DEPLOYMENTS_PER_GROUP` and a 24 h retention follows every one of them.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Any

from exporter.simulator import (
    Simulator,
    deployment_info,
    diagnostics,
    error_information,
    instance_target,
    lifecycle_event,
    s3_revision,
)
from exporter.simulator.builders import EC2_IN_PLACE_HOOKS, deployment_id_for

HOOKS = EC2_IN_PLACE_HOOKS[:10]  # as build_fleet's 10-hook fleet
# Sizes repeat in this cycle: 25.75 targets per deployment on average.
SIZES = (25, 26, 26, 26)
DEPLOYMENTS_PER_GROUP = 13  # about the 3,881 deployments over 300 groups
GROUPS_PER_APPLICATION = 6
SUCCEEDED_EVERY = 3  # every third deployment Succeeded
WAVE_SECONDS = 10 * 20.0 + 5.0  # longest a wave takes: 10 hooks of at most 20 s, 5 s of jitter
# The hooks a deployment fails at, with the script its AppSpec runs there.
SCRIPTS = {"ApplicationStart": "scripts/start_server.sh", "ValidateService": "scripts/validate_service.sh"}


@dataclass(frozen=True)
class StressAccount:
    applications: int
    groups: int
    deployments: tuple[str, ...]
    targets: int
    succeeded: int  # targets, by status
    failed: int
    skipped: int


def deployment_sizes(targets: int) -> list[int]:
    """Targets per deployment: SIZES in turn, the last deployment taking what remains."""
    sizes: list[int] = []
    left = targets
    while left > 0:
        size = min(SIZES[len(sizes) % len(SIZES)], left)
        sizes.append(size)
        left -= size
    return sizes


def build_stress_account(
    sim: Simulator, targets: int, spread_seconds: float = 6 * 3600.0, now: float | None = None
) -> StressAccount:
    """Put the stress mix of `targets` EC2 targets into `sim` (see the module's docstring)."""
    if targets < 1:
        raise ValueError("need at least one target")
    now = time.time() if now is None else now
    sizes = deployment_sizes(targets)
    groups = math.ceil(len(sizes) / DEPLOYMENTS_PER_GROUP)
    applications = math.ceil(groups / GROUPS_PER_APPLICATION)
    names = []
    for g in range(groups):
        application = f"app-{g % applications:03d}"
        name = f"{application}-group-{g // applications:02d}"
        sim.put_deployment_group(application, name)
        names.append((application, name))
    ids: list[str] = []
    counts = {"Succeeded": 0, "Failed": 0, "Skipped": 0}
    step = spread_seconds / len(sizes)
    # Instance IDs and hook durations at random (seeded): like real ones, they vary from target
    # to target, which is what the gzip ratio of an exposition depends on.
    rng = random.Random(28)
    for n, size in enumerate(sizes):
        application, group = names[n % groups]
        created = round(now - 600 - (len(sizes) - 1 - n) * step, 3)  # the newest 10 minutes ago
        dep = deployment_id_for(f"stress:{application}/{group}:{n}")
        succeeded = n % SUCCEEDED_EVERY == 0
        # HalfAtATime: two waves of targets, each target running its hooks one after the other.
        # A failed deployment's first wave had 0 or 1 target Succeed and the others Fail at the
        # same hook, mostly the health check; its second wave never started (Skipped).
        first_wave = (size + 1) // 2
        succeeding = size if succeeded else min(n % 2, first_wave - 1)
        failed_hook = "ApplicationStart" if n % 4 == 0 else "ValidateService"
        complete = round(created + 1.0 + (2 if succeeded else 1) * WAVE_SECONDS, 3)
        body = []
        for position in range(size):
            target_id = f"i-{rng.getrandbits(68):017x}"
            start = created + 1.0 + (WAVE_SECONDS if position >= first_wave else 0.0) + rng.uniform(0, 5)
            if position < succeeding:
                status, events = "Succeeded", _hooks(rng, start, None)
            elif position < first_wave:
                status, events = "Failed", _hooks(rng, start, failed_hook)
            else:
                status, events = "Skipped", [lifecycle_event(h, "Skipped") for h in HOOKS]
            updated = max((e["endTime"] for e in events if "endTime" in e), default=complete)
            counts[status] += 1
            body.append(instance_target(dep, target_id, status, events, updated))
        info = deployment_info(
            dep,
            application,
            group,
            "Succeeded" if succeeded else "Failed",
            created,
            config_name="CodeDeployDefault.HalfAtATime",
            start_time=created + 1.0,
            complete_time=complete,
            error_information=None if succeeded else error_information("HEALTH_CONSTRAINTS"),
            revision=s3_revision(f"{application}-artifacts", f"{group}/{n}.zip", etag=f"{n:032x}"),
        )
        sim.put_deployment(info, body)
        ids.append(dep)
    return StressAccount(
        applications, groups, tuple(ids), targets, counts["Succeeded"], counts["Failed"], counts["Skipped"]
    )


def _hooks(rng: random.Random, start: float, failed_hook: str | None) -> list[dict[str, Any]]:
    """HOOKS run one after the other from `start`, each for 0.5-20 s (epoch seconds with
    milliseconds, as the API answers); all Succeeded, or `failed_hook` Failed (ScriptFailed,
    with its script's name and log tail) and the later ones Skipped."""
    events, clock, broken = [], start, False
    for hook in HOOKS:
        if broken:
            events.append(lifecycle_event(hook, "Skipped"))
            continue
        end = clock + rng.uniform(0.5, 20.0)
        if hook == failed_hook:
            script = SCRIPTS[hook]
            diagnosis = diagnostics(
                "ScriptFailed",
                script,
                f"Script at specified location: {script} run as user root failed with exit code 1",
                f"[stderr]+ {script}\n[stderr]curl: (7) Failed to connect to localhost port 8080: Connection refused\n",
            )
            events.append(lifecycle_event(hook, "Failed", round(clock, 3), round(end, 3), diagnosis))
            broken = True
        else:
            events.append(lifecycle_event(hook, "Succeeded", round(clock, 3), round(end, 3), diagnostics()))
        clock = end
    return events
