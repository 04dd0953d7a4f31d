"""Pages reach the owning team: simulator groups tagged `team` -> the exporter
(`metrics.group_tags: [team]`) -> a real Prometheus with the shipped rules -> a real
Alertmanager configured with docs/monitoring.md's routing example, unchanged. Each group's
deployment fails; the alert must carry the group's `tag_team` and be routed to that team's
receiver, and the alert of a group without a team tag must still fire and reach the catch-all."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import yaml
from support.docsnippets import fenced_blocks

from exporter.simulator import SimulatorServer, deployment_info, instance_target, lifecycle_event

from .e2e_stack import (
    GROUP_WAIT,
    ROOT,
    RULES,
    Alertmanager,
    free_port,
    scraped_exporter,
    start_alertmanager,
    wait_for,
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
    alertmanager = start_alertmanager(tmp_path_factory.mktemp("routing-alertmanager"), _routing_example())
    try:
        yield alertmanager
    finally:
        alertmanager.process.stop()


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
    config = {
        # The account named, not asked of STS (which the simulator's endpoint does not serve
        # here): a group's tags are read by its ARN, which needs the account.
        "aws": {"region": "us-east-1", "endpoint_url": server.endpoint_url, "account_id": server.simulator.account_id},
        "poll": {"interval": "2s"},
        "metrics": {"group_tags": ["team"]},
        "deployment_groups": [{"application": app, "deployment_group": "prod", "latest": 1} for app in GROUPS],
    }
    port = free_port()
    try:
        with scraped_exporter(workdir, config, port, JOB, (RULES,), routed_alertmanager) as client:
            wait_for(
                lambda: len(client.query(f'codedeploy_deployment_group_tags{{job="{JOB}"}}')) == len(GROUPS) or None,
                60,
                "every group's tags series in Prometheus",
            )
            yield server
    finally:
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
