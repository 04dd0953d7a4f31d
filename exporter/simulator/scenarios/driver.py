"""The demo scenarios put into a Simulator: the demo groups, every group's deployments of a
cycle (cycle_deployments), DemoScenarios (the simulator at the timeline's state) and
DemoDriver (advances it in a thread)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from typing import Any

from ..builders import deployment_id_for
from ..state import Simulator
from .cloudformation import demo_cfn
from .ec2 import demo_api, demo_web
from .ecs import demo_ecs
from .lambdas import DEMO_ALARM, demo_canary, demo_lambda
from .timeline import Built

DEMO_GROUPS = [
    ("demo-web", "demo-web-prod"),
    ("demo-ecs", "demo-ecs-prod"),
    ("demo-lambda", "demo-lambda-prod"),
    ("demo-cfn", "demo-cfn-prod"),
    ("demo-api", "demo-api-prod"),
    ("demo-canary", "demo-canary-prod"),
]


def cycle_deployments(cycle: int, cycle_seconds: float, now: float) -> list[Built]:
    """The demo deployments of ``cycle`` as they are at time ``now`` (pure): one per demo
    group, plus demo-api's rollback once its deployment failed."""
    t0 = cycle * cycle_seconds
    f = min(max((now - t0) / cycle_seconds, 0.0), 1.0)

    def at(fraction: float) -> float:
        return round(t0 + fraction * cycle_seconds, 3)

    built = [build(cycle, f, at) for build in (demo_web, demo_ecs, demo_lambda, demo_cfn)]
    return [*built, *demo_api(cycle, f, at), demo_canary(cycle, f, at)]


# Groups are configured like their deployments (DeploymentGroupInfo follows them):
# application, group, and put_deployment_group's other arguments.
_BLUE_GREEN = {"deployment_type": "BLUE_GREEN", "deployment_option": "WITH_TRAFFIC_CONTROL"}
_LAMBDA_CANARY = {"compute_platform": "Lambda", "deployment_config": "CodeDeployDefault.LambdaCanary10Percent5Minutes"}
_CONTAINERS = {"team": "containers", "env": "prod"}
_GROUP_SETTINGS: list[tuple[str, str, dict[str, Any]]] = [
    ("demo-web", "demo-web-prod", {"tags": {"team": "web", "env": "prod"}}),
    (
        "demo-ecs",
        "demo-ecs-prod",
        {"compute_platform": "ECS", "deployment_config": "DemoECSSteps10-50-100", **_BLUE_GREEN, "tags": _CONTAINERS},
    ),
    (
        "demo-lambda",
        "demo-lambda-prod",
        {**_LAMBDA_CANARY, **_BLUE_GREEN, "tags": {"team": "functions", "env": "prod"}},
    ),
    (
        "demo-cfn",
        "demo-cfn-prod",
        {
            "compute_platform": "ECS",
            "deployment_config": "CodeDeployDefault.ECSAllAtOnce",
            **_BLUE_GREEN,
            "tags": _CONTAINERS,
        },
    ),
    (
        "demo-api",
        "demo-api-prod",
        {"tags": {"team": "api", "env": "prod"}, "auto_rollback_events": ["DEPLOYMENT_FAILURE"]},
    ),
    (
        "demo-canary",
        "demo-canary-prod",
        {**_LAMBDA_CANARY, **_BLUE_GREEN, "tags": {"team": "functions", "env": "prod"}, "alarms": [DEMO_ALARM]},
    ),
]


class DemoScenarios:
    """Keeps ``sim`` at the demo timeline's state for the current and ``history`` past cycles."""

    def __init__(
        self,
        sim: Simulator,
        clock: Callable[[], float] = time.time,
        cycle_seconds: float = 60.0,
        history: int = 2,
        applications: Collection[str] | None = None,
        id_salt: str = "",
    ) -> None:
        """``applications``: play only these demo applications' groups (default: all).
        ``id_salt``: gives the deployments IDs of their own (another account's demo: real
        deployment IDs are unique across accounts)."""
        self.id_salt = id_salt
        self.sim, self._clock = sim, clock
        self.cycle_seconds, self.history = cycle_seconds, history
        self._ours: set[str] = set()
        self.applications = set(applications) if applications is not None else {app for app, _ in DEMO_GROUPS}
        for application, group, settings in _GROUP_SETTINGS:
            if application in self.applications:
                sim.put_deployment_group(application, group, **settings)

    def cycle(self, now: float | None = None) -> int:
        return int((self._clock() if now is None else now) // self.cycle_seconds)

    def advance(self, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        current = self.cycle(now)
        live = {}
        for cycle in range(current - self.history, current + 1):
            for info, targets, started in cycle_deployments(cycle, self.cycle_seconds, now):
                if info["applicationName"] in self.applications:
                    if self.id_salt:
                        info, targets = _salted(self.id_salt, info, targets)
                    live[info["deploymentId"]] = (info, targets, started)
        for stale in self._ours - live.keys():
            self.sim.remove_deployment(stale)
        for info, targets, started in live.values():
            self.sim.put_deployment(info, targets, started=started)
        self._ours = set(live)


def _salted(salt: str, info: dict[str, Any], targets: list[dict[str, Any]]) -> tuple[dict[str, Any], Any]:
    """The deployment with its ID (and every mention of it, e.g. in its targets) salted."""
    old = info["deploymentId"]
    new = deployment_id_for(f"{salt}:{old}")

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: rename(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        return new if value == old else value

    return rename(info), rename(targets)


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
