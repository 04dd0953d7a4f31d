"""An alert driven by a CodeDeploy event: exporter (`poll.interval: 1h`) -> Prometheus -> the
shipped rules (CodeDeployDeploymentTargetsFailed) -> Alertmanager, with real binaries. The only
way the failure can reach Alertmanager within the test is the event on the queue: the next poll
is an hour away."""

from __future__ import annotations

import json
import time

import pytest
from support.tools import EVENT_METRICS

from exporter.simulator import SimulatorServer, deployment_info, instance_target, lifecycle_event
from exporter.simulator.eventbridge import instance_event

from .e2e_stack import RULES, free_port, http_get, scraped_exporter, wait_for

DEPLOYMENT = "d-E2EVENTS1"
JOB = "codedeploy-exporter"  # the shipped rules select this job; this stack has its own Prometheus
ALERT = "CodeDeployDeploymentTargetsFailed"


def _target(target_id: str, status: str, now: float) -> dict:
    hook = (
        lifecycle_event("ApplicationStart", "InProgress", now - 30)
        if status == "InProgress"
        else lifecycle_event(
            "ApplicationStart",
            "Failed",
            now - 30,
            now,
            {"errorCode": "ScriptFailed", "scriptName": "scripts/start.sh", "message": "exit code 1", "logTail": "e2e"},
        )
    )
    return instance_target(DEPLOYMENT, target_id, status, [hook], now)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, alertmanager):
    workdir = tmp_path_factory.mktemp("events")
    now = time.time()
    server = SimulatorServer().start()
    server.simulator.put_deployment(
        deployment_info(DEPLOYMENT, "shop", "prod", "InProgress", now - 120),
        [_target(f"i-0e2e{n:013x}", "InProgress", now) for n in range(3)],
    )
    queue = server.sqs.create_queue("codedeploy-events", server.endpoint_url)
    config = {
        "aws": {"region": "us-east-1", "endpoint_url": server.endpoint_url},
        "poll": {"interval": "1h"},
        # No history read at start (no DORA windows, no phase histogram, which would read
        # metrics.duration_window back): the group is then listed exactly once at start-up,
        # which the test counts to prove no poll ran.
        "metrics": {"windows": [], "exclude": ["codedeploy_deployment_group_phase_duration_seconds"]},
        "deployment_groups": [{"application": "shop", "deployment_group": "prod", "latest": 1}],
        "events": {"sqs_queue_url": queue, "endpoint_url": server.endpoint_url, "debounce": "500ms"},
    }
    port = free_port()
    try:
        with scraped_exporter(workdir, config, port, JOB, (RULES,), alertmanager) as client:
            wait_for(
                lambda: client.query(f'codedeploy_target_status{{job="{JOB}",status="InProgress"}} == 1'),
                30,
                "the first scrape of the in-progress deployment",
            )
            yield server, queue, client, f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_an_event_brings_a_failed_target_to_alertmanager_long_before_the_next_poll(stack, alertmanager):
    server, queue, prometheus, exporter_url = stack
    failing = "i-0e2e0000000000001"

    def firing() -> list[dict]:
        return [a for a in alertmanager.alerts(ALERT) if a["labels"].get("deployment_id") == DEPLOYMENT]

    assert firing() == []
    polls_before = server.simulator.call_count("ListDeployments")
    started = time.monotonic()
    info = server.simulator.deployment(DEPLOYMENT)
    server.simulator.put_target(DEPLOYMENT, _target(failing, "Failed", time.time()))
    server.sqs.send(queue, json.dumps(instance_event(info, failing, "FAILURE", time.time())))

    [alert] = wait_for(firing, 60, f"{ALERT} in Alertmanager")
    elapsed = time.monotonic() - started
    assert alert["status"]["state"] == "active" and failing in alert["annotations"]["description"]
    # No poll ran: the group was listed once, at start-up; the hour-long interval is far away.
    assert server.simulator.call_count("ListDeployments") == polls_before == 1
    body = http_get(exporter_url + "/metrics")[1].decode()
    assert 'codedeploy_exporter_events_received_total{type="instance_state_change"} 1.0' in body
    assert "codedeploy_exporter_events_applied_total 1.0" in body
    assert server.sqs.depth(queue) == (0, 0)  # handled and deleted
    exposed = {
        line.split("{")[0].split(" ")[0]
        for line in body.splitlines()
        if line.startswith(("codedeploy_exporter_event", "codedeploy_exporter_last_event"))
    }
    assert exposed == EVENT_METRICS
    print(f"event -> Alertmanager in {elapsed:.1f} s with poll.interval 1h")
