"""The demo's Lambda (LambdaTarget) timelines: demo-lambda's canary and demo-canary, the same
canary behind a CloudWatch alarm that stops it in even cycles.

* demo-lambda / demo-lambda-prod (Lambda canary): Created until 0.02; BeforeAllowTraffic
  0.02-0.10; AllowTraffic 0.10-0.60 with targetVersionWeight 0.1, 1.0 from 0.50;
  AfterAllowTraffic until 0.66, then Succeeded.
* demo-canary / demo-canary-prod (Lambda canary behind a CloudWatch alarm), hooks as
  demo-lambda: in even cycles the alarm stops it in AllowTraffic at 0.30 (Stopped,
  ALARM_ACTIVE, weight back to 0, the running hook Failed, the rest Skipped); in odd
  cycles it succeeds like demo-lambda. Its revision is inline AppSpec content (a SHA-256).
"""

from __future__ import annotations

from collections.abc import Callable

from ..builders import (
    LAMBDA_HOOKS,
    alarm_stop_error,
    appspec_revision,
    deployment_id_for,
    deployment_info,
    lambda_target,
    lifecycle_event,
    s3_revision,
)
from .timeline import Built, bounded_hooks, last_change, lifecycle, step_value

DEMO_ALARM = "demo-canary-errors"
CANARY_STOPS_AT = 0.30


def demo_lambda(cycle: int, f: float, at: Callable[[float], float]) -> Built:
    dep = deployment_id_for(f"demo-lambda-prod:{cycle}")
    info = deployment_info(
        dep,
        "demo-lambda",
        "demo-lambda-prod",
        "Created",
        at(0.0),
        "Lambda",
        "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        deployment_type="BLUE_GREEN",
        deployment_option="WITH_TRAFFIC_CONTROL",
        revision=s3_revision("demo-lambda-artifacts", "appspec.yaml", "YAML", version=f"v{cycle % 1000 + 1}"),
    )
    bounds = [0.02, 0.10, 0.60, 0.66]
    events, status, last = bounded_hooks(LAMBDA_HOOKS, bounds, f, at)
    shifts = [(0.10, 0.1), (0.50, 1.0)]
    weight = step_value(f, shifts, 0.0)
    last = last_change(f, shifts, last)
    version = cycle % 1000 + 1
    target = lambda_target(
        dep,
        "demo-function:live",
        status,
        events,
        at(last),
        "demo-function",
        "live",
        str(version),
        str(version + 1),
        weight,
    )
    info, started = lifecycle(info, f, 0.02, bounds[-1], False, at)
    return info, [target], started


def demo_canary(cycle: int, f: float, at: Callable[[float], float]) -> Built:
    """demo-lambda's canary, stopped by its alarm in even cycles."""
    dep = deployment_id_for(f"demo-canary-prod:{cycle}")
    info = deployment_info(
        dep,
        "demo-canary",
        "demo-canary-prod",
        "Created",
        at(0.0),
        "Lambda",
        "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        deployment_type="BLUE_GREEN",
        deployment_option="WITH_TRAFFIC_CONTROL",
        revision=appspec_revision(f"demo-canary appspec {cycle}"),
    )
    bounds = [0.02, 0.10, 0.60, 0.66]
    stops = cycle % 2 == 0
    stopped = stops and f >= CANARY_STOPS_AT
    events, status, last = bounded_hooks(LAMBDA_HOOKS, bounds, min(f, CANARY_STOPS_AT) if stopped else f, at)
    shifts = [(0.10, 0.1), (0.50, 1.0)]
    weight = step_value(f, shifts, 0.0)
    last = last_change(f, shifts, last)
    if stopped:
        # The alarm stops the shift: traffic goes back to the current version, the running
        # hook fails and the ones after it never run.
        events = [
            lifecycle_event(e["lifecycleEventName"], "Failed", e["startTime"], at(CANARY_STOPS_AT))
            if e["status"] == "InProgress"
            else lifecycle_event(e["lifecycleEventName"], "Skipped")
            if e["status"] == "Pending"
            else e
            for e in events
        ]
        status, weight, last = "Failed", 0.0, CANARY_STOPS_AT
    version = cycle % 1000 + 1
    target = lambda_target(
        dep,
        "demo-canary-function:live",
        status,
        events,
        at(last),
        "demo-canary-function",
        "live",
        str(version),
        str(version + 1),
        weight,
    )
    info, started = lifecycle(info, f, 0.02, bounds[-1], False, at)
    if stopped:
        info["status"] = "Stopped"
        info["completeTime"] = at(CANARY_STOPS_AT)
        info["errorInformation"] = alarm_stop_error(DEMO_ALARM)
    return info, [target], started
