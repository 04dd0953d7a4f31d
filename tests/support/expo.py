"""Helpers for reading expositions, faking time and putting deployments in the simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from exporter.simulator import Simulator, deployment_info, diagnostics, instance_target, lifecycle_event

NOW = 1_800_000_000.0  # where FakeClock starts


class FakeClock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def samples(body: bytes | str) -> dict[tuple[str, frozenset], float]:
    """Parse an exposition into {(sample name, frozenset(labels.items())): value}."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in out, f"duplicate series {key}"
            out[key] = sample.value
    return out


def value(body, name: str, **labels) -> float | None:
    """The value of the one series of `name` whose labels include `labels` (None if absent)."""
    found = [v for (n, ls), v in samples(body).items() if n == name and set(labels.items()) <= set(ls)]
    assert len(found) <= 1, f"{name}{labels} matches {len(found)} series"
    return found[0] if found else None


def installed_target(deployment_id: str, target_id: str, status: str) -> dict[str, Any]:
    """An instance target in `status` whose one lifecycle event, Install, succeeded (with diagnostics)."""
    return instance_target(
        deployment_id,
        target_id,
        status,
        [lifecycle_event("Install", "Succeeded", NOW - 60, NOW - 50, diagnostics())],
        NOW - 10,
    )


def put_ec2(
    sim: Simulator,
    deployment_id: str,
    n_targets: int,
    status: str = "InProgress",
    target_status: str = "InProgress",
    group: str = "prod",
    create_time: float = NOW - 600,
    complete_time: float | None = None,
    target: Callable[[str, str, str], dict[str, Any]] = installed_target,
) -> list[str]:
    """Put an EC2/on-premises deployment of application `web` with `n_targets` instance targets,
    each made by `target(deployment_id, target_id, target_status)`; returns the target IDs."""
    targets = [target(deployment_id, f"i-{deployment_id[-4:].lower()}{n:05d}", target_status) for n in range(n_targets)]
    sim.put_deployment(
        deployment_info(deployment_id, "web", group, status, create_time, complete_time=complete_time), targets
    )
    return [t["instanceTarget"]["targetId"] for t in targets]
