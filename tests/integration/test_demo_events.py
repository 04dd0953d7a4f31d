"""`--demo.events`: the simulator turns its own state changes into EventBridge events on its SQS
queue, and the exporter follows them between (slow) polls."""

from __future__ import annotations

import json
import re
import time

from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.demo import DEMO_CREDENTIALS, Demo
from exporter.events.parse import parse_message
from exporter.events.runner import EventsRunner
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.simulator import Simulator, deployment_info, instance_target
from exporter.simulator.eventbridge import StateChangeWatcher, state_changes
from exporter.simulator.sqs.service import SqsService

NOW = 1_800_000_000.0


def test_a_target_turning_failed_becomes_one_parseable_instance_event():
    sim = Simulator()
    target = instance_target("d-WATCHAAA1", "i-1", "InProgress", [], NOW)
    sim.put_deployment(deployment_info("d-WATCHAAA1", "web", "prod", "InProgress", NOW), [target])
    before = sim.snapshot()
    sim.put_target("d-WATCHAAA1", instance_target("d-WATCHAAA1", "i-1", "Failed", [], NOW + 5))
    [event] = state_changes(before, sim.snapshot(), NOW + 6)
    change = parse_message(json.dumps(event)).change
    assert (change.type, change.deployment_id, change.target_id, change.state) == (
        "instance_state_change",
        "d-WATCHAAA1",
        "i-1",
        "FAILURE",
    )
    assert (change.application, change.deployment_group, change.time) == ("web", "prod", NOW + 6)


def test_watcher_puts_deployment_and_target_changes_on_the_queue_and_nothing_when_idle():
    sim, sqs = Simulator(), SqsService()
    url = sqs.create_queue("events")
    sim.put_deployment(
        deployment_info("d-WATCHAAA2", "web", "prod", "Created", NOW),
        [instance_target("d-WATCHAAA2", "i-1", "Pending", [], NOW)],
    )
    watcher = StateChangeWatcher(sim, sqs, url)
    assert watcher.check() == 0  # what existed at start is not a change
    sim.update_deployment("d-WATCHAAA2", status="InProgress")
    sim.put_target("d-WATCHAAA2", instance_target("d-WATCHAAA2", "i-1", "InProgress", [], NOW))
    assert watcher.check() == 2
    assert sqs.depth(url) == (2, 0)
    assert watcher.check() == 0


def test_demo_with_events_refreshes_between_polls(tmp_path):
    demo = Demo(cycle_seconds=8.0, events=True).start()
    runner = None
    try:
        config = demo.config()
        assert config.poll.interval == 60.0 and config.events.connection.endpoint_url == demo.server.endpoint_url
        metrics = ExporterMetrics()
        clients = ClientFactory(metrics, 4, 50, static_credentials=DEMO_CREDENTIALS)
        exporter = Exporter(config, clients, metrics)
        exporter.poll_once()
        poll_duration = metrics.registry.get_sample_value("codedeploy_exporter_poll_duration_seconds")
        runner = EventsRunner(exporter, clients)
        runner.apply(config.events)
        registry = metrics.registry
        deadline = time.monotonic() + 30

        def published_applied() -> float:
            # The counter moves just before the refresh publishes its snapshot: read the
            # published one, which is what scrapes see.
            found = re.search(rb"^codedeploy_exporter_events_applied_total (\S+)$", exporter.snapshot.body, re.M)
            return float(found.group(1)) if found else 0.0

        while published_applied() < 3:
            assert time.monotonic() < deadline, "no events applied within 30 s of demo scenarios"
            time.sleep(0.1)
        # No second poll (its interval is 60 s): every update since came from events.
        assert registry.get_sample_value("codedeploy_exporter_poll_duration_seconds") == poll_duration
    finally:
        if runner is not None:
            assert runner.stop()
        demo.stop()
