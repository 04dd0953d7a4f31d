"""The cycling demo scenarios (builders and benchmark fleets are re-exported from here).

scenario_timeline -- every cycle (``cycle_seconds``, default 60 s; ``f`` = fraction of the
cycle) creates one new deployment in each demo group, with ids fixed per cycle:

* demo-web / demo-web-prod (Server, IN_PLACE, CodeDeployDefault.OneAtATime), 4 instances,
  13 hooks each, a hook every 0.0065 of the cycle:
  f < 0.01 Created (target operations answer DeploymentNotStartedException);
  instance 1 runs f 0.02-0.105, instance 2 f 0.105-0.189, instance 3 starts at 0.189.
  In even cycles (a broken release) instance 3 fails ApplicationStart at f ~0.247
  (ScriptFailed, scripts/start_server.sh, log tail); its later hooks and instance 4 are
  Skipped and the deployment ends Failed (HEALTH_CONSTRAINTS). In odd cycles (the fix) every
  instance succeeds, instance 4 ends at 0.358 and the deployment Succeeded: the group's next
  ordinary deployment after each failure succeeds, so the failure alerts resolve.
* demo-ecs / demo-ecs-prod (ECS, BLUE_GREEN): Created until 0.02; BeforeInstall 0.02-0.06;
  Install 0.06-0.16 starts the Green task set (pending 4 -> 2 -> 0, running 0 -> 2 -> 4);
  AfterInstall, AllowTestTraffic, AfterAllowTestTraffic, BeforeAllowTraffic until 0.34;
  AllowTraffic 0.34-0.70 shifts Green trafficWeight 0 -> 10 (0.34) -> 50 (0.46) -> 100 (0.58),
  Blue the complement; AfterAllowTraffic until 0.76, then Succeeded: Green PRIMARY,
  Blue DRAINING with 0 tasks.
* demo-lambda / demo-lambda-prod (Lambda canary): Created until 0.02; BeforeAllowTraffic
  0.02-0.10; AllowTraffic 0.10-0.60 with targetVersionWeight 0.1, 1.0 from 0.50;
  AfterAllowTraffic until 0.66, then Succeeded.
* demo-cfn / demo-cfn-prod (CloudFormation blue/green of an AWS::ECS::Service): Created until
  0.04; hooks as ECS; targetVersionWeight 0 -> 0.5 (0.40) -> 1.0 (0.60); Succeeded at 0.85.

* demo-api / demo-api-prod (Server, IN_PLACE, automatic rollback on failure), 2 instances,
  7 hooks (ApplicationStop..ValidateService) of 0.01 each, S3 revision of the cycle:
  Created until 0.01; instance 1 runs 0.02-0.09, instance 2 fails ValidateService at 0.16
  and the deployment ends Failed (HEALTH_CONSTRAINTS). At 0.16 CodeDeploy creates the
  rollback deployment (creator codeDeployRollback, the previous cycle's revision): Created
  until 0.17, both instances redeploy 0.18-0.25 and 0.25-0.32, Succeeded at 0.32;
  rollbackInfo links the two both ways from 0.16.
* demo-canary / demo-canary-prod (Lambda canary behind a CloudWatch alarm), hooks as
  demo-lambda: in even cycles the alarm stops it in AllowTraffic at 0.30 (Stopped,
  ALARM_ACTIVE, weight back to 0, the running hook Failed, the rest Skipped); in odd
  cycles it succeeds like demo-lambda. Its revision is inline AppSpec content (a SHA-256).

The previous ``history`` cycles' (terminal) deployments are kept so groups have history.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .account import Account, build_account  # noqa: F401 (re-exported)
from .builders import (  # noqa: F401 (re-exported: one import for scenario authors)
    ACCOUNT,
    EC2_BLUE_GREEN_ORIGINAL_HOOKS,
    EC2_BLUE_GREEN_REPLACEMENT_HOOKS,
    EC2_IN_PLACE_HOOKS,
    ECS_HOOKS,
    LAMBDA_HOOKS,
    REGION,
    alarm_stop_error,
    appspec_revision,
    cloudformation_target,
    deployment_id_for,
    deployment_info,
    diagnostics,
    ecs_target,
    error_information,
    github_revision,
    instance_target,
    lambda_target,
    lifecycle_event,
    link_rollback,
    s3_revision,
    string_revision,
    task_set,
)
from .fleet import build_fleet, mutate_fraction  # noqa: F401 (re-exported)
from .history import (  # noqa: F401 (re-exported)
    put_failed_deployment,
    put_finished_deployment,
    put_rollback,
    put_stopped_deployment,
)
from .state import Simulator

DEMO_GROUPS = [
    ("demo-web", "demo-web-prod"),
    ("demo-ecs", "demo-ecs-prod"),
    ("demo-lambda", "demo-lambda-prod"),
    ("demo-cfn", "demo-cfn-prod"),
    ("demo-api", "demo-api-prod"),
    ("demo-canary", "demo-canary-prod"),
]
DEMO_ALARM = "demo-canary-errors"


def _run_hooks(
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


def _step_value(f: float, steps: Sequence[tuple[float, float]], initial: float) -> float:
    value = initial
    for since, v in steps:
        if f >= since:
            value = v
    return value


def _last_change(f: float, steps: list[tuple[float, float]], last: float) -> float:
    """A step (traffic shift, task count) that happened by ``f`` also updates the target."""
    return max([last] + [since for since, _ in steps if since <= f])


def _lifecycle(
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


Built = tuple[dict[str, Any], list[dict[str, Any]], bool]  # (DeploymentInfo, targets, started)
EC2_HOOK_STEP, EC2_FIRST = 0.0065, 0.02


def _ec2(cycle: int, f: float, at: Callable[[float], float]) -> Built:
    """demo-web's rolling deployment: a broken release in even cycles, its fix in odd ones."""
    dep = deployment_id_for(f"demo-web-prod:{cycle}")
    fails = cycle % 2 == 0
    info = deployment_info(
        dep,
        "demo-web",
        "demo-web-prod",
        "Created",
        at(0.0),
        revision=github_revision("example/demo-web", _commit(f"demo-web:{cycle}")),
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
            events, status, last = _run_hooks(
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
        info, started = _lifecycle(info, f, 0.01, failed_at, f >= failed_at, at)
    else:
        info, started = _lifecycle(info, f, 0.01, EC2_FIRST + 4 * per_instance, False, at)
    return info, targets, started


def _ecs(cycle: int, f: float, at: Callable[[float], float]) -> Built:
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
    )
    # BeforeInstall 0.02-0.06, Install 0.06-0.16, short hooks, AllowTraffic 0.34-0.70.
    bounds = [0.02, 0.06, 0.16, 0.20, 0.24, 0.30, 0.34, 0.70, 0.76]
    events, status, last = _bounded_hooks(ECS_HOOKS, bounds, f, at)
    shifts = [(0.34, 10.0), (0.46, 50.0), (0.58, 100.0)]
    green_weight = _step_value(f, shifts, 0.0)
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
        running = int(_step_value(f, tasks, 0))
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
        last = _last_change(f, tasks + shifts, last)
    target = ecs_target(dep, "demo-cluster:demo-service", status, events, at(last), task_sets)
    info, started = _lifecycle(info, f, 0.02, bounds[-1], False, at)
    # The original (Blue) task set's termination wait starts once traffic has moved.
    info["instanceTerminationWaitTimeStarted"] = done
    return info, [target], started


def _lambda(cycle: int, f: float, at: Callable[[float], float]) -> Built:
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
    events, status, last = _bounded_hooks(LAMBDA_HOOKS, bounds, f, at)
    shifts = [(0.10, 0.1), (0.50, 1.0)]
    weight = _step_value(f, shifts, 0.0)
    last = _last_change(f, shifts, last)
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
    info, started = _lifecycle(info, f, 0.02, bounds[-1], False, at)
    return info, [target], started


def _cloudformation(cycle: int, f: float, at: Callable[[float], float]) -> Built:
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
    events, status, last = _bounded_hooks(ECS_HOOKS, bounds, f, at)
    shifts = [(0.40, 0.5), (0.60, 1.0)]
    weight = _step_value(f, shifts, 0.0)
    last = _last_change(f, shifts, last)
    target = cloudformation_target(dep, "DemoECSService", status, events, at(last), target_version_weight=weight)
    info, started = _lifecycle(info, f, 0.04, bounds[-1], False, at)
    return info, [target], started


API_HOOKS = EC2_IN_PLACE_HOOKS[3:10]  # ApplicationStop .. ValidateService
API_STEP = 0.01
API_FAILS_AT = 0.02 + len(API_HOOKS) * API_STEP * 2  # instance 2's ValidateService ends: 0.16


def _api_revision(cycle: int) -> dict[str, Any]:
    return s3_revision(
        "demo-api-artifacts",
        f"demo-api/{cycle}.zip",
        version=_commit(f"demo-api-version:{cycle}")[:32],
        etag=_commit(f"demo-api-etag:{cycle}")[:32],
    )


def _api_instances(dep: str, first: float, f: float, at: Callable[[float], float], fail: bool) -> list[dict[str, Any]]:
    targets = []
    for n in range(2):
        instance = "i-0" + hashlib.sha256(f"demo-api-{n}".encode()).hexdigest()[:16]
        events, status, last = _run_hooks(
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


def _api(cycle: int, f: float, at: Callable[[float], float]) -> list[Built]:
    """A failing deployment and, once it failed, its automatic rollback."""
    dep = deployment_id_for(f"demo-api-prod:{cycle}")
    info = deployment_info(dep, "demo-api", "demo-api-prod", "Created", at(0.0), revision=_api_revision(cycle))
    targets = _api_instances(dep, 0.02, f, at, fail=True)
    failed = f >= API_FAILS_AT
    info, started = _lifecycle(info, f, 0.01, API_FAILS_AT, failed, at)
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
        rollback, rollback_started = _lifecycle(rollback, f, API_FAILS_AT + 0.01, end, False, at)
        info, rollback = link_rollback(info, rollback)
        built = [(info, targets, started), (rollback, rollback_targets, rollback_started)]
    return built


CANARY_STOPS_AT = 0.30


def _canary(cycle: int, f: float, at: Callable[[float], float]) -> Built:
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
    events, status, last = _bounded_hooks(LAMBDA_HOOKS, bounds, min(f, CANARY_STOPS_AT) if stopped else f, at)
    shifts = [(0.10, 0.1), (0.50, 1.0)]
    weight = _step_value(f, shifts, 0.0)
    last = _last_change(f, shifts, last)
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
    info, started = _lifecycle(info, f, 0.02, bounds[-1], False, at)
    if stopped:
        info["status"] = "Stopped"
        info["completeTime"] = at(CANARY_STOPS_AT)
        info["errorInformation"] = alarm_stop_error(DEMO_ALARM)
    return info, [target], started


def _commit(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


def _bounded_hooks(
    names: tuple[str, ...], bounds: list[float], f: float, at: Callable[[float], float]
) -> tuple[list[dict[str, Any]], str, float]:
    """Like _run_hooks but hook i spans bounds[i]..bounds[i+1]."""
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


def _task_set_id(cycle: int) -> str:
    return "ecs-svc/" + str(int(hashlib.sha256(f"ts:{cycle}".encode()).hexdigest(), 16))[:19]


def cycle_deployments(cycle: int, cycle_seconds: float, now: float) -> list[Built]:
    """The demo deployments of ``cycle`` as they are at time ``now`` (pure): one per demo
    group, plus demo-api's rollback once its deployment failed."""
    t0 = cycle * cycle_seconds
    f = min(max((now - t0) / cycle_seconds, 0.0), 1.0)

    def at(fraction: float) -> float:
        return round(t0 + fraction * cycle_seconds, 3)

    built = [build(cycle, f, at) for build in (_ec2, _ecs, _lambda, _cloudformation)]
    return [*built, *_api(cycle, f, at), _canary(cycle, f, at)]


class DemoScenarios:
    """Keeps ``sim`` at the demo timeline's state for the current and ``history`` past cycles."""

    def __init__(
        self,
        sim: Simulator,
        clock: Callable[[], float] = time.time,
        cycle_seconds: float = 60.0,
        history: int = 2,
    ) -> None:
        self.sim, self._clock = sim, clock
        self.cycle_seconds, self.history = cycle_seconds, history
        self._ours: set[str] = set()
        # Groups are configured like their deployments (DeploymentGroupInfo follows them).
        blue_green = ("BLUE_GREEN", "WITH_TRAFFIC_CONTROL")
        sim.put_deployment_group("demo-web", "demo-web-prod", tags={"team": "web", "env": "prod"})
        sim.put_deployment_group(
            "demo-ecs",
            "demo-ecs-prod",
            "ECS",
            "DemoECSSteps10-50-100",
            *blue_green,
            tags={"team": "containers", "env": "prod"},
        )
        sim.put_deployment_group(
            "demo-lambda",
            "demo-lambda-prod",
            "Lambda",
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            *blue_green,
            tags={"team": "functions", "env": "prod"},
        )
        sim.put_deployment_group(
            "demo-cfn",
            "demo-cfn-prod",
            "ECS",
            "CodeDeployDefault.ECSAllAtOnce",
            *blue_green,
            tags={"team": "containers", "env": "prod"},
        )
        sim.put_deployment_group(
            "demo-api",
            "demo-api-prod",
            tags={"team": "api", "env": "prod"},
            auto_rollback_events=["DEPLOYMENT_FAILURE"],
        )
        sim.put_deployment_group(
            "demo-canary",
            "demo-canary-prod",
            "Lambda",
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            "BLUE_GREEN",
            "WITH_TRAFFIC_CONTROL",
            tags={"team": "functions", "env": "prod"},
            alarms=[DEMO_ALARM],
        )

    def cycle(self, now: float | None = None) -> int:
        return int((self._clock() if now is None else now) // self.cycle_seconds)

    def advance(self, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        current = self.cycle(now)
        live = {}
        for cycle in range(current - self.history, current + 1):
            for info, targets, started in cycle_deployments(cycle, self.cycle_seconds, now):
                live[info["deploymentId"]] = (info, targets, started)
        for stale in self._ours - live.keys():
            self.sim.remove_deployment(stale)
        for info, targets, started in live.values():
            self.sim.put_deployment(info, targets, started=started)
        self._ours = set(live)


class DemoDriver:
    """Advances the demo scenarios every ``tick`` seconds in a daemon thread."""

    def __init__(self, sim: Simulator, scenarios: DemoScenarios | None = None, tick: float = 0.5) -> None:
        self.scenarios = scenarios if scenarios is not None else DemoScenarios(sim)
        self.tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DemoDriver:
        self.scenarios.advance()  # state is complete before anyone polls
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="codedeploy-demo", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            self.scenarios.advance()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
