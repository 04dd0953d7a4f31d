"""An account-sized fleet for benchmarks of region-wide discovery: many applications and
tagged groups, and a long history of finished deployments spread over time."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .builders import (
    EC2_IN_PLACE_HOOKS,
    deployment_id_for,
    deployment_info,
    diagnostics,
    error_information,
    github_revision,
    instance_target,
    lifecycle_event,
    s3_revision,
)
from .state import Simulator

TEAMS = ("payments", "search", "checkout", "platform", "identity")
ENVIRONMENTS = ("prod", "staging", "dev")


@dataclass(frozen=True)
class Account:
    applications: tuple[str, ...]
    groups: tuple[tuple[str, str], ...]  # (application, group)
    tags: dict[tuple[str, str], dict[str, str]]
    deployments: tuple[str, ...]  # newest first, as ListDeployments answers


def group_tags(index: int) -> dict[str, str]:
    """Deterministic tags for the ``index``-th group: a team and an environment."""
    return {"team": TEAMS[index % len(TEAMS)], "env": ENVIRONMENTS[index % len(ENVIRONMENTS)]}


def build_account(
    sim: Simulator,
    applications: int = 50,
    groups: int = 300,
    deployments: int = 3000,
    spread_seconds: float = 30 * 86400.0,
    failed_every: int = 20,
    hooks: int = 3,
    now: float | None = None,
) -> Account:
    """``groups`` groups spread round-robin over ``applications`` applications (named
    ``app-NN`` and ``app-NN-<env>``, tagged by :func:`group_tags`), and ``deployments``
    finished deployments spread round-robin over the groups, created evenly over the
    ``spread_seconds`` before ``now`` (the newest 60 s before it), each with one instance
    target; every ``failed_every``-th Failed (HEALTH_CONSTRAINTS), the rest Succeeded."""
    if applications < 1 or groups < applications:
        raise ValueError("need at least one application and one group per application")
    now = time.time() if now is None else now
    apps = tuple(f"app-{a:02d}" for a in range(applications))
    names: list[tuple[str, str]] = []
    tags: dict[tuple[str, str], dict[str, str]] = {}
    for g in range(groups):
        application = apps[g % applications]
        tag = group_tags(g)
        name = f"{application}-{tag['env']}-{g // applications:02d}"
        names.append((application, name))
        tags[(application, name)] = tag
        sim.put_deployment_group(application, name, tags=tag)
    ids = []
    step = spread_seconds / max(deployments, 1)
    hook_names = EC2_IN_PLACE_HOOKS[3 : 3 + hooks]
    for n in range(deployments):
        application, group = names[n % groups]
        created = now - 60 - (deployments - 1 - n) * step
        dep = deployment_id_for(f"account:{application}/{group}:{n}")
        failed = failed_every > 0 and n % failed_every == failed_every - 1
        status = "Failed" if failed else "Succeeded"
        events = [
            lifecycle_event(h, "Succeeded", created + 1 + i, created + 2 + i, diagnostics())
            for i, h in enumerate(hook_names)
        ]
        if failed:
            events[-1] = lifecycle_event(
                hook_names[-1],
                "Failed",
                created + hooks,
                created + hooks + 1,
                diagnostics("ScriptFailed", "scripts/check.sh", "exit code 1", "[stderr]x"),
            )
        revision = (
            github_revision(f"example/{application}", f"{n:040x}")
            if n % 2
            else s3_revision(f"{application}-artifacts", f"{group}/{n}.zip", etag=f"{n:032x}")
        )
        info = deployment_info(
            dep,
            application,
            group,
            status,
            created,
            start_time=created + 1,
            complete_time=created + hooks + 1,
            error_information=error_information("HEALTH_CONSTRAINTS") if failed else None,
            revision=revision,
        )
        target = instance_target(dep, "i-" + dep[2:].lower().rjust(17, "0"), status, events, created + hooks + 1)
        sim.put_deployment(info, [target])
        ids.append(dep)
    return Account(apps, tuple(names), tags, tuple(reversed(ids)))
