"""Soak: a day of deployment churn on a fake clock; does retention bound the series count?"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass, field

from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.config import parse_config
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.simulator import Simulator, SimulatorServer, deployment_info, instance_target, lifecycle_event


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class SoakResult:
    hours: float
    deployments_created: int
    polls: int
    retention: float
    latest: int
    series: list[int] = field(default_factory=list)  # series count after each poll
    tracked_deployments: list[int] = field(default_factory=list)
    rss_mib_start: float = 0.0
    rss_mib_end: float = 0.0


def _series_count(body: bytes) -> int:
    return sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))


def _rss_mib() -> float:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def soak_test(
    hours: float = 24.0,
    every: float = 1800.0,
    poll_interval: float = 300.0,
    targets_per_deployment: int = 5,
    retention: float = 7200.0,
    latest: int = 2,
) -> SoakResult:
    """One deployment every `every` seconds of fake time, each running one poll interval and
    then succeeding; the exporter follows the group with `latest` and `retention`."""
    clock = FakeClock(1_800_000_000.0)
    sim = Simulator()
    result = SoakResult(hours, 0, 0, retention, latest)
    with SimulatorServer(sim) as sim_server:
        config = parse_config(
            {
                "aws": {"region": "us-east-1", "endpoint_url": sim_server.endpoint_url},
                "poll": {"interval": poll_interval, "retention": retention, "max_requests_per_second": 1000},
                "deployment_groups": [{"application": "shop", "deployment_group": "prod", "latest": latest}],
            }
        )
        metrics = ExporterMetrics()
        exporter = Exporter(
            config, ClientFactory(metrics, 8, 1000, static_credentials=("t", "t")), metrics, clock=clock
        )
        end = clock.now + hours * 3600
        next_deployment = clock.now
        running: list[str] = []
        result.rss_mib_start = _rss_mib()
        while clock.now < end:
            for deployment_id in running:  # what ran during the last interval has finished
                for target_id in sim.target_ids(deployment_id):
                    target = sim.target(deployment_id, target_id)
                    target["instanceTarget"]["status"] = "Succeeded"
                    target["instanceTarget"]["lastUpdatedAt"] = clock.now
                    sim.put_target(deployment_id, target)
                sim.update_deployment(deployment_id, status="Succeeded", completeTime=clock.now)
            running = []
            while next_deployment <= clock.now:
                deployment_id = f"d-SOAK{result.deployments_created:05d}"
                sim.put_deployment(
                    deployment_info(deployment_id, "shop", "prod", "InProgress", clock.now),
                    [
                        instance_target(
                            deployment_id,
                            f"i-{result.deployments_created:08x}{n}",
                            "InProgress",
                            [lifecycle_event("Install", "InProgress", clock.now)],
                            clock.now,
                        )
                        for n in range(targets_per_deployment)
                    ],
                )
                running.append(deployment_id)
                result.deployments_created += 1
                next_deployment += every
            exporter.poll_once()
            result.polls += 1
            result.series.append(_series_count(exporter.snapshot.body))
            result.tracked_deployments.append(len(exporter.poller.deployments))
            clock.now += poll_interval
        result.rss_mib_end = _rss_mib()
    return result


def plateaus(result: SoakResult) -> bool:
    rest = result.series[len(result.series) // 4 :]
    return max(rest[len(rest) // 2 :]) <= max(rest[: len(rest) // 2])


def soak_bound(result: SoakResult, every: float) -> int:
    """Deployments the exporter may follow at once: the newest `latest`, plus those completed
    within `retention` (one per `every`), plus the one running."""
    return result.latest + int(result.retention // every) + 2
