"""What the demo timelines share: hooks run over a fraction of the cycle, stepped values
(traffic weights, task counts) and a deployment's status at fraction ``f``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from ..builders import diagnostics, error_information, lifecycle_event

Built = tuple[dict[str, Any], list[dict[str, Any]], bool]  # (DeploymentInfo, targets, started)


def run_hooks(
    names: tuple[str, ...],
    first: float,
    step: float,
    f: float,
    at: Callable[[float], float],
    fail_at: str | None = None,
    with_diagnostics: bool = False,
) -> tuple[list[dict[str, Any]], str, float]:
    """Hooks run back to back from fraction ``first``, ``step`` each.

    Returns (events, target status, fraction of the last change). After a failure the
    remaining hooks are Skipped, as CodeDeploy reports them.
    """
    events, failed, last = [], False, 0.0
    for i, name in enumerate(names):
        start, end = first + i * step, first + (i + 1) * step
        if failed:
            events.append(lifecycle_event(name, "Skipped"))
        elif f < start:
            events.append(lifecycle_event(name, "Pending"))
        elif f < end:
            events.append(lifecycle_event(name, "InProgress", at(start)))
            last = start
        else:
            failed = name == fail_at
            diag = None
            if failed:
                diag = diagnostics(
                    "ScriptFailed",
                    "scripts/start_server.sh",
                    "Script at specified location: scripts/start_server.sh run as user root failed with exit code 1",
                    "[stdout]Starting demo-web on :8080\n[stderr]bind: address already in use\n",
                )
            elif with_diagnostics:
                diag = diagnostics()
            events.append(lifecycle_event(name, "Failed" if failed else "Succeeded", at(start), at(end), diag))
            last = end
    if failed:
        status = "Failed"
    elif f >= first + len(names) * step:
        status = "Succeeded"
    else:
        status = "Pending" if f < first else "InProgress"
    return events, status, last


def bounded_hooks(
    names: tuple[str, ...], bounds: list[float], f: float, at: Callable[[float], float]
) -> tuple[list[dict[str, Any]], str, float]:
    """Like run_hooks but hook i spans bounds[i]..bounds[i+1]."""
    events, last = [], 0.0
    for name, start, end in zip(names, bounds[:-1], bounds[1:], strict=True):
        if f < start:
            events.append(lifecycle_event(name, "Pending"))
        elif f < end:
            events.append(lifecycle_event(name, "InProgress", at(start)))
            last = start
        else:
            events.append(lifecycle_event(name, "Succeeded", at(start), at(end)))
            last = end
    status = "Pending" if f < bounds[0] else "Succeeded" if f >= bounds[-1] else "InProgress"
    return events, status, last


def step_value(f: float, steps: Sequence[tuple[float, float]], initial: float) -> float:
    value = initial
    for since, v in steps:
        if f >= since:
            value = v
    return value


def last_change(f: float, steps: list[tuple[float, float]], last: float) -> float:
    """A step (traffic shift, task count) that happened by ``f`` also updates the target."""
    return max([last] + [since for since, _ in steps if since <= f])


def lifecycle(
    info: dict[str, Any],
    f: float,
    created_until: float,
    end: float | None,
    failed: bool,
    at: Callable[[float], float],
) -> tuple[dict[str, Any], bool]:
    """Set status/startTime/completeTime on ``info``; returns (info, started)."""
    if f < created_until:
        return info, False
    info["startTime"] = at(created_until)
    if end is not None and (failed or f >= end):
        info["status"] = "Failed" if failed else "Succeeded"
        info["completeTime"] = at(end)
        if failed:
            info["errorInformation"] = error_information("HEALTH_CONSTRAINTS")
    else:
        info["status"] = "InProgress"
    return info, True


def commit(seed: str) -> str:
    """A stable commit-like hex id (revisions, versions) for a seed."""
    return hashlib.sha1(seed.encode()).hexdigest()
