"""Pages reach the owning team: simulator groups tagged `team` -> the exporter
(`metrics.group_tags: [team]`) -> a real Prometheus with the shipped rules -> a real
Alertmanager configured with docs/monitoring.md's routing example, unchanged. Each group's
deployment fails; the alert must carry the group's `tag_team` and be routed to that team's
receiver, and the alert of a group without a team tag must still fire and reach the catch-all."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from support.docsnippets import fenced_blocks
from support.tools import require_binary

from exporter.simulator import SimulatorServer, deployment_info, instance_target, lifecycle_event

from .e2e_stack import (
    EVALUATION_INTERVAL,
    GROUP_WAIT,
    ROOT,
    RULES,
    SCRAPE_INTERVAL,
    Alertmanager,
    Process,
    Prometheus,
    free_port,
    wait_for,
    wait_ready,
)

JOB = "codedeploy-exporter"
ALERT = "CodeDeployGroupDeploymentFailed"
DOCS = ROOT / "docs" / "monitoring.md"
# application -> the team tag of its group (None: tagged, but not with team), and the receiver
# the docs' example must route its alert to.
GROUPS = {"checkout": ("payments", "payments"), "catalog": ("search", "search"), "batch": (None, "platform")}


def _routing_example() -> dict:
    (block,) = [
        b
        for b in fenced_blocks(str(DOCS), DOCS.read_text())
        if b.heading == "Routing pages to the owning team" and b.language == "yaml"
    ]
    config = yaml.safe_load(block.text)
    # Only the timing changes, so the test does not wait Alertmanager's default 30 s.
    config["route"].update(group_wait=f"{GROUP_WAIT:g}s", group_interval="1s", repeat_interval="1h")
    return config


@pytest.fixture(scope="module")
def routed_alertmanager(tmp_path_factory) -> Iterator[Alertmanager]:
    workdir = tmp_path_factory.mktemp("routing-alertmanager")
    config = workdir / "alertmanager.yml"
    config.write_text(yaml.safe_dump(_routing_example()))
    port = free_port()
    process = Process(
        "alertmanager",
        [
            require_binary("prometheus-alertmanager", "alertmanager"),
            f"--config.file={config}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        workdir / "alertmanager.log",
    )
    try:
        wait_ready(process, f"http://127.0.0.1:{port}/-/ready")
        yield Alertmanager(f"http://127.0.0.1:{port}", process)
    finally:
        process.stop()


def _start_exporter(workdir: Path, endpoint: str, account: str, port: int) -> Process:
    config = workdir / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                # The account named, not asked of STS (which the simulator's endpoint does not
                # serve here): a group's tags are read by its ARN, which needs the account.
                "aws": {"region": "us-east-1", "endpoint_url": endpoint, "account_id": account},
                "poll": {"interval": "2s"},
                "metrics": {"group_tags": ["team"]},
                "deployment_groups": [{"application": app, "deployment_group": "prod", "latest": 1} for app in GROUPS],
            }
        )
    )
    with pytest.MonkeyPatch.context() as env:  # the simulator checks no signature; boto3 needs keys
        env.setenv("AWS_ACCESS_KEY_ID", "e2e")
        env.setenv("AWS_SECRET_ACCESS_KEY", "e2e")
        env.delenv("AWS_PROFILE", raising=False)
        return Process(
            "exporter",
            [sys.executable, "-m", "exporter", "--config.file", str(config)]
            + ["--web.listen-address", f"127.0.0.1:{port}"],
            workdir / "exporter.log",
            cwd=ROOT,
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory, routed_alertmanager: Alertmanager) -> Iterator[SimulatorServer]:
    workdir = tmp_path_factory.mktemp("routing")
    now = time.time()
    server = SimulatorServer().start()
    for n, (application, (team, _)) in enumerate(GROUPS.items()):
        server.simulator.put_deployment_group(application, "prod", tags={"team": team} if team else {"owner": "x"})
        deployment = f"d-ROUTE{n:03d}A"
        hook = lifecycle_event("ApplicationStart", "Failed", now - 60, now - 30)
        server.simulator.put_deployment(
            deployment_info(deployment, application, "prod", "Failed", now - 120),
            [instance_target(deployment, f"i-0e2e{n:013x}", "Failed", [hook], now - 30)],
        )
    port = free_port()
    exporter = _start_exporter(workdir, server.endpoint_url, server.simulator.account_id, port)
    prometheus = None
    try:
        wait_ready(exporter, f"http://127.0.0.1:{port}/readyz")
        prom_config = workdir / "prometheus.yml"
        prom_config.write_text(
            yaml.safe_dump(
                {
                    "global": {
                        "scrape_interval": f"{SCRAPE_INTERVAL:g}s",
                        "scrape_timeout": f"{SCRAPE_INTERVAL:g}s",
                        "evaluation_interval": f"{EVALUATION_INTERVAL:g}s",
                    },
                    "rule_files": [str(RULES)],
                    "alerting": {
                        "alertmanagers": [
                            {"static_configs": [{"targets": [routed_alertmanager.url.removeprefix("http://")]}]}
                        ]
                    },
                    "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}],
                }
            )
        )
        prom_port = free_port()
        prometheus = Process(
            "prometheus",
            [
                require_binary("prometheus"),
                f"--config.file={prom_config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            workdir / "prometheus.log",
        )
        wait_ready(prometheus, f"http://127.0.0.1:{prom_port}/-/ready")
        client = Prometheus(f"http://127.0.0.1:{prom_port}", prometheus)
        wait_for(
            lambda: len(client.query(f'codedeploy_deployment_group_tags{{job="{JOB}"}}')) == len(GROUPS) or None,
            60,
            "every group's tags series in Prometheus",
        )
        yield server
    finally:
        if prometheus is not None:
            prometheus.stop()
        exporter.stop()
        server.stop()


def test_a_failed_deployment_pages_the_team_its_group_is_tagged_with(stack, routed_alertmanager):
    def every_group_alerting() -> dict[str, dict] | None:
        alerts = {a["labels"]["application"]: a for a in routed_alertmanager.alerts(ALERT)}
        return alerts if set(alerts) == set(GROUPS) else None

    alerts = wait_for(every_group_alerting, 90, f"{ALERT} for every group in Alertmanager")
    for application, (team, receiver) in GROUPS.items():
        alert = alerts[application]
        assert alert["status"]["state"] == "active", alert
        # An untagged group has no tag_team (or an empty one, which Alertmanager drops).
        assert alert["labels"].get("tag_team", "") == (team or ""), alert["labels"]
        assert [r["name"] for r in alert["receivers"]] == [receiver], (application, alert["receivers"])
