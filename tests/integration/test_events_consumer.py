"""The event consumer end to end in-process: moto's SQS (an independent implementation) as the
queue, the simulator as CodeDeploy, real boto3 for both."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timezone

import boto3
import pytest
from prometheus_client import CollectorRegistry
from support import expo
from support.expo import value
from support.paths import TESTS

from exporter.aws.clients import ClientFactory
from exporter.events.consumer import EventConsumer
from exporter.events.metrics import EventMetrics
from exporter.events.refresh import refresh_through
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.simulator import deployment_info, instance_target, lifecycle_event

NOW = 1_800_000_000.0
FIXTURES = TESTS / "fixtures" / "events"


@pytest.fixture
def sqs(moto_url):
    return boto3.client(
        "sqs",
        region_name="us-east-1",
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


_queues = iter(range(10**6))


@pytest.fixture
def queue(sqs):
    return sqs.create_queue(QueueName=f"codedeploy-events-{next(_queues)}-{time.monotonic_ns()}")["QueueUrl"]


@pytest.fixture
def consumers():
    started: list[EventConsumer] = []
    yield started
    for consumer in started:
        assert consumer.stop(), "the consumer's worker did not stop"


@pytest.fixture
def start_consumer(consumers, moto_url):
    def start(exporter, queue_url, debounce=0.0, registry=None, backoff=(0.05, 0.2)):
        metrics = EventMetrics(registry or exporter.metrics.registry)
        factory = ClientFactory(ExporterMetrics(), static_credentials=("testing", "testing"))
        sqs_api = factory.sqs(_aws(moto_url))
        consumer = EventConsumer(
            sqs_api,
            queue_url,
            debounce,
            refresh_through(exporter),
            metrics,
            republish=exporter.republish,
            wait_seconds=1,
            error_backoff=backoff,
        ).start()
        consumers.append(consumer)
        return consumer

    return start


def _aws(endpoint):
    from exporter.config import AwsSettings

    return AwsSettings(region="us-east-1", endpoint_url=endpoint)


def wait_for(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def instance_event(deployment_id, instance_id, state="FAILURE", application="web", group="prod"):
    event = json.loads((FIXTURES / "eventbridge_instance_state_change.json").read_text())
    event["time"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"].update(
        deploymentId=deployment_id, instanceId=instance_id, state=state, application=application, deploymentGroup=group
    )
    return json.dumps(event)


def deployment_event(deployment_id, state="START", application="web", group="prod"):
    event = json.loads((FIXTURES / "eventbridge_deployment_state_change.json").read_text())
    event["time"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"].update(deploymentId=deployment_id, state=state, application=application, deploymentGroup=group)
    return json.dumps(event)


def _target(deployment_id, target_id, status):
    hook = "Failed" if status == "Failed" else "Succeeded"
    return instance_target(
        deployment_id, target_id, status, [lifecycle_event("ApplicationStart", hook, NOW - 60, NOW - 50)], NOW - 10
    )


def put_ec2(sim, deployment_id, n_targets, **options):
    """expo.put_ec2 with this module's targets: one ApplicationStart hook, failed with the target."""
    return expo.put_ec2(sim, deployment_id, n_targets, target=_target, **options)


def in_queue(sqs, queue_url) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def metric(exporter, name, **labels):
    return exporter.metrics.registry.get_sample_value(name, labels)


def status_of(exporter, target_id):
    for status in ("Failed", "InProgress", "Succeeded"):
        if value(exporter.snapshot.body, "codedeploy_target_status", target_id=target_id, status=status) == 1:
            return status
    return None


def test_failed_target_event_refreshes_only_its_deployment_and_publishes_without_a_poll(
    sim, make_exporter, sqs, queue, start_consumer
):
    ids = put_ec2(sim, "d-EVENTAAA1", 30)
    other = put_ec2(sim, "d-EVENTAAA2", 5)
    exporter = make_exporter(
        poll={"interval": "5m"}, deployments=[{"deployment_id": "d-EVENTAAA1"}, {"deployment_id": "d-EVENTAAA2"}]
    )
    exporter.poll_once()
    last_poll = metric(exporter, "codedeploy_exporter_last_poll_success_timestamp_seconds")
    poll_duration = metric(exporter, "codedeploy_exporter_poll_duration_seconds")
    sim.reset_calls()
    sim.put_target("d-EVENTAAA1", _target("d-EVENTAAA1", ids[7], "Failed"))
    sim.put_target("d-EVENTAAA2", _target("d-EVENTAAA2", other[0], "Failed"))  # no event for this one
    sqs.send_message(QueueUrl=queue, MessageBody=instance_event("d-EVENTAAA1", ids[7]))
    consumer = start_consumer(exporter, queue)

    wait_for(lambda: status_of(exporter, ids[7]) == "Failed", what="the failed target in /metrics")
    wait_for(lambda: in_queue(sqs, queue) == 0, what="the message to be deleted")
    wait_for(consumer.idle)
    # Only that deployment's refresh: its status, its target list, its targets (30 = 25 + 5).
    calls = [(c.operation, c.params.get("deploymentIds") or c.params.get("deploymentId")) for c in sim.calls]
    assert (
        sorted(op for op, _ in calls)
        == ["BatchGetDeploymentTargets", "BatchGetDeploymentTargets", "BatchGetDeployments"]
        + ["ListDeploymentTargets"] * 3
    )
    assert all(dep in ("d-EVENTAAA1", ["d-EVENTAAA1"]) for _, dep in calls)
    assert status_of(exporter, other[0]) == "InProgress"  # waits for the poll, as nobody told us
    # Not a poll: the poll's self-metrics still describe the one poll.
    assert metric(exporter, "codedeploy_exporter_last_poll_success_timestamp_seconds") == last_poll
    assert metric(exporter, "codedeploy_exporter_poll_duration_seconds") == poll_duration
    body = exporter.snapshot.body
    assert value(body, "codedeploy_exporter_events_received_total", type="instance_state_change") == 1
    assert value(body, "codedeploy_exporter_events_applied_total") == 1
    assert value(body, "codedeploy_exporter_event_refreshes_total", result="success") == 1
    assert 0 <= value(body, "codedeploy_exporter_event_age_seconds") < 3600


def test_events_within_the_debounce_window_share_one_batch_get_deployments(
    sim, make_exporter, sqs, queue, start_consumer
):
    deployments = [f"d-DEBOUNCE{n}" for n in range(3)]
    targets = {d: put_ec2(sim, d, 2) for d in deployments}
    exporter = make_exporter(deployments=[{"deployment_id": d} for d in deployments])
    exporter.poll_once()
    sim.reset_calls()
    for d in deployments:
        sqs.send_message(QueueUrl=queue, MessageBody=instance_event(d, targets[d][0]))
        sqs.send_message(QueueUrl=queue, MessageBody=deployment_event(d))
    consumer = start_consumer(exporter, queue, debounce=1.5)
    wait_for(lambda: metric(exporter, "codedeploy_exporter_events_applied_total") == 6, what="6 applied events")
    wait_for(consumer.idle)
    batches = [c.params["deploymentIds"] for c in sim.calls if c.operation == "BatchGetDeployments"]
    assert len(batches) == 1 and sorted(batches[0]) == deployments
    assert metric(exporter, "codedeploy_exporter_event_refreshes_total", result="success") == 1


def test_new_deployment_of_a_followed_group_is_picked_up_from_its_event(sim, make_exporter, sqs, queue, start_consumer):
    put_ec2(sim, "d-GROUPAAA1", 2, create_time=NOW - 900)
    exporter = make_exporter(
        poll={"interval": "5m"}, deployment_groups=[{"application": "web", "deployment_group": "prod", "latest": 2}]
    )
    exporter.poll_once()
    new = put_ec2(sim, "d-GROUPAAA2", 3, create_time=NOW - 100)
    put_ec2(sim, "d-ELSEWHER1", 3, group="staging")  # a group nobody follows
    sim.reset_calls()
    sqs.send_message(QueueUrl=queue, MessageBody=deployment_event("d-GROUPAAA2"))
    sqs.send_message(QueueUrl=queue, MessageBody=deployment_event("d-ELSEWHER1", group="staging"))
    consumer = start_consumer(exporter, queue)
    wait_for(lambda: status_of(exporter, new[2]) == "InProgress", what="the new deployment's targets")
    wait_for(consumer.idle)
    assert value(exporter.snapshot.body, "codedeploy_deployment_info", deployment_id="d-GROUPAAA2") == 1
    assert value(exporter.snapshot.body, "codedeploy_deployment_info", deployment_id="d-ELSEWHER1") is None
    assert sim.call_count("ListDeployments") == 1  # the followed group's listing, incremental
    assert metric(exporter, "codedeploy_exporter_events_ignored_total", reason="untracked") == 1


def test_duplicate_and_out_of_order_events_end_at_the_apis_state(sim, make_exporter, sqs, queue, start_consumer):
    ids = put_ec2(sim, "d-ORDERAAA1", 1)
    exporter = make_exporter(deployments=[{"deployment_id": "d-ORDERAAA1"}])
    exporter.poll_once()
    sim.put_target("d-ORDERAAA1", _target("d-ORDERAAA1", ids[0], "Succeeded"))
    # The SUCCESS event arrives first, then a stale START, then SUCCESS again (duplicate).
    for state in ("SUCCESS", "START", "SUCCESS"):
        sqs.send_message(QueueUrl=queue, MessageBody=instance_event("d-ORDERAAA1", ids[0], state))
    consumer = start_consumer(exporter, queue, debounce=0.3)
    wait_for(lambda: metric(exporter, "codedeploy_exporter_events_applied_total") == 3, what="3 applied events")
    wait_for(consumer.idle)
    assert status_of(exporter, ids[0]) == "Succeeded"  # events say which, the API says what
    assert in_queue(sqs, queue) == 0


def test_late_event_for_a_finished_frozen_deployment_costs_no_api_call(sim, make_exporter, sqs, queue, start_consumer):
    ids = put_ec2(sim, "d-LATEAAAA1", 3, status="Succeeded", target_status="Succeeded", complete_time=NOW - 30)
    exporter = make_exporter(deployments=[{"deployment_id": "d-LATEAAAA1"}])
    exporter.poll_once()
    sim.reset_calls()
    sqs.send_message(QueueUrl=queue, MessageBody=instance_event("d-LATEAAAA1", ids[0], "START"))
    consumer = start_consumer(exporter, queue)
    wait_for(
        lambda: metric(exporter, "codedeploy_exporter_events_ignored_total", reason="finished") == 1,
        what="the late event to be ignored",
    )
    wait_for(consumer.idle)
    assert sim.calls == []
    assert in_queue(sqs, queue) == 0


def test_poison_and_foreign_messages_are_counted_logged_once_and_deleted(
    sim, make_exporter, sqs, queue, start_consumer, caplog
):
    ids = put_ec2(sim, "d-POISONAA1", 1)
    exporter = make_exporter(deployments=[{"deployment_id": "d-POISONAA1"}])
    exporter.poll_once()
    sqs.send_message(QueueUrl=queue, MessageBody="{not json")
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=json.dumps(
            {"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}
        ),
    )
    bad_id = json.loads(deployment_event("d-POISONAA1"))
    bad_id["detail"]["deploymentId"] = {"$": "x" * 5000}
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(bad_id))
    sim.put_target("d-POISONAA1", _target("d-POISONAA1", ids[0], "Failed"))
    sqs.send_message(QueueUrl=queue, MessageBody=instance_event("d-POISONAA1", ids[0]))
    caplog.set_level(logging.WARNING, logger="exporter.events.consumer")
    consumer = start_consumer(exporter, queue)
    wait_for(lambda: status_of(exporter, ids[0]) == "Failed", what="the good event after the poison")
    wait_for(lambda: in_queue(sqs, queue) == 0, what="every message deleted")
    wait_for(consumer.idle)
    body = exporter.snapshot.body
    assert value(body, "codedeploy_exporter_events_malformed_total") == 2
    assert value(body, "codedeploy_exporter_events_received_total", type="malformed") == 2
    assert value(body, "codedeploy_exporter_events_ignored_total", reason="not_codedeploy") == 1
    assert value(body, "codedeploy_exporter_events_applied_total") == 1
    lines = [r.getMessage() for r in caplog.records if "event=event_message_" in r.getMessage()]
    assert len(lines) == 3 and all("message_id=" in line and "action=deleted" in line for line in lines)


def test_deleted_queue_is_logged_once_polling_goes_on_and_events_resume_when_it_is_back(
    sim, make_exporter, sqs, queue, start_consumer, caplog
):
    ids = put_ec2(sim, "d-OUTAGEAA1", 1)
    exporter = make_exporter(deployments=[{"deployment_id": "d-OUTAGEAA1"}])
    exporter.poll_once()
    caplog.set_level(logging.INFO, logger="exporter.events.consumer")
    consumer = start_consumer(exporter, queue)
    name = queue.rsplit("/", 1)[1]
    sqs.delete_queue(QueueUrl=queue)
    code = "AWS.SimpleQueueService.NonExistentQueue"
    wait_for(
        lambda: (
            (
                metric(
                    exporter,
                    "codedeploy_exporter_event_consumer_errors_total",
                    operation="ReceiveMessage",
                    error_code=code,
                )
                or 0
            )
            >= 3
        ),
        what="3 failed receives",
    )
    assert exporter.poll_once().api_wide_errors == []  # polling is not affected
    errors = [r for r in caplog.records if "event=events_consumer_error" in r.getMessage()]
    assert len(errors) == 1 and code in errors[0].getMessage() and errors[0].levelno == logging.ERROR
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == queue
    sim.put_target("d-OUTAGEAA1", _target("d-OUTAGEAA1", ids[0], "Failed"))
    sqs.send_message(QueueUrl=queue, MessageBody=instance_event("d-OUTAGEAA1", ids[0]))
    wait_for(lambda: status_of(exporter, ids[0]) == "Failed", what="the event after the queue came back")
    wait_for(consumer.idle)
    assert len([r for r in caplog.records if "event=events_consumer_recovered" in r.getMessage()]) == 1
    assert len([r for r in caplog.records if "event=events_consumer_error" in r.getMessage()]) == 1


def test_a_message_is_deleted_only_after_its_refresh_completed(sim, make_exporter, sqs, queue, start_consumer):
    ids = put_ec2(sim, "d-SLOWAAAA1", 1)
    exporter = make_exporter(deployments=[{"deployment_id": "d-SLOWAAAA1"}])
    exporter.poll_once()
    sim.reset_calls()
    sim.hang(30, operation="BatchGetDeploymentTargets")  # the refresh stalls in its target batch
    sqs.send_message(QueueUrl=queue, MessageBody=instance_event("d-SLOWAAAA1", ids[0]))
    consumer = start_consumer(exporter, queue)
    wait_for(lambda: sim.call_count("BatchGetDeploymentTargets") >= 1, what="the refresh to reach its targets")
    assert in_queue(sqs, queue) == 1  # received, refresh under way: still on the queue
    assert not consumer.idle()
    sim.interrupt_waits()
    wait_for(consumer.idle, what="the refresh to complete")
    wait_for(lambda: in_queue(sqs, queue) == 0, what="the deletion after the refresh")


def test_event_before_the_first_poll_neither_readies_the_exporter_nor_counts_as_a_poll(
    sim, make_exporter, sqs, queue, start_consumer
):
    ids = put_ec2(sim, "d-EARLYAAA1", 1)
    exporter = make_exporter(deployments=[{"deployment_id": "d-EARLYAAA1"}])
    sqs.send_message(QueueUrl=queue, MessageBody=instance_event("d-EARLYAAA1", ids[0]))
    consumer = start_consumer(exporter, queue)
    wait_for(
        lambda: metric(exporter, "codedeploy_exporter_events_ignored_total", reason="untracked") == 1,
        what="the event to be handled",
    )
    wait_for(consumer.idle)
    assert not exporter.ready.is_set()
    assert metric(exporter, "codedeploy_exporter_last_poll_success_timestamp_seconds") == 0


def test_access_denied_from_the_simulators_queue_is_counted_and_the_consumer_recovers(
    sim, sim_server, make_exporter, consumers, caplog
):
    ids = put_ec2(sim, "d-DENIEDAA1", 1)
    exporter = make_exporter(deployments=[{"deployment_id": "d-DENIEDAA1"}])
    exporter.poll_once()
    url = sim_server.sqs.create_queue("codedeploy-events", sim_server.endpoint_url)
    sim_server.sqs.fail_all("AccessDenied", 403)
    caplog.set_level(logging.INFO, logger="exporter.events.consumer")
    factory = ClientFactory(ExporterMetrics(), static_credentials=("testing", "testing"))
    metrics = EventMetrics(CollectorRegistry())
    consumer = EventConsumer(
        factory.sqs(_aws(sim_server.endpoint_url)),
        url,
        0.0,
        refresh_through(exporter),
        metrics,
        wait_seconds=1,
        error_backoff=(0.05, 0.1),
    ).start()
    consumers.append(consumer)
    denied = metrics.errors.labels("ReceiveMessage", "AccessDenied")
    wait_for(lambda: denied._value.get() >= 2, what="failed receives")
    sim_server.sqs.recover()
    sim.put_target("d-DENIEDAA1", _target("d-DENIEDAA1", ids[0], "Failed"))
    sim_server.sqs.send(url, instance_event("d-DENIEDAA1", ids[0]))
    wait_for(lambda: status_of(exporter, ids[0]) == "Failed", what="the event after access came back")
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "event=events_consumer_error" in m]) == 1
    assert len([m for m in messages if "event=events_consumer_recovered" in m]) == 1


def test_stop_returns_while_the_receiver_sits_in_a_20_second_long_poll(make_exporter, queue, moto_url):
    exporter = make_exporter()
    factory = ClientFactory(ExporterMetrics(), static_credentials=("testing", "testing"))
    consumer = EventConsumer(
        factory.sqs(_aws(moto_url)),
        queue,
        1.0,
        refresh_through(exporter),
        EventMetrics(CollectorRegistry()),
        wait_seconds=20,
    ).start()
    receiver = next(t for t in threading.enumerate() if t.name == "events-receiver")
    assert receiver.daemon  # cannot hold the process at exit
    assert consumer.stop(timeout=5)


def test_queue_is_named_at_start_and_a_too_short_visibility_timeout_is_warned(
    make_exporter, sqs, start_consumer, caplog
):
    short = sqs.create_queue(QueueName=f"short-{time.monotonic_ns()}", Attributes={"VisibilityTimeout": "5"})[
        "QueueUrl"
    ]
    caplog.set_level(logging.INFO, logger="exporter.events.consumer")
    start_consumer(make_exporter(), short, debounce=1.0)
    wait_for(
        lambda: any("event=events_queue_visibility_short" in r.getMessage() for r in caplog.records),
        what="the visibility warning",
    )
    # Only this test's queue: a consumer an earlier test stopped may still be finishing its
    # own check (its receiver is a daemon thread that stop() does not wait for).
    [named] = [
        r.getMessage() for r in caplog.records if "event=events_queue " in r.getMessage() and "short-" in r.getMessage()
    ]
    assert 'queue_arn="arn:aws:sqs:us-east-1:123456789012:short-' in named and "visibility_timeout=5s" in named


def test_new_deployment_of_a_discovered_group_is_picked_up_from_its_event(
    sim, make_exporter, sqs, queue, start_consumer, clock
):
    sim.put_deployment_group("web-shop", "shop-prod", tags={"team": "payments"})
    put_ec2_in(sim, "d-SCOPEEVE1", "web-shop", "shop-prod", clock.now - 600)
    exporter = make_exporter(
        poll={"interval": "5m", "retention": "1d"},
        discovery=[{"applications": {"include": "web-.*"}, "deployment_groups": {"include": ".*-prod"}, "latest": 2}],
    )
    exporter.poll_once()
    assert value(exporter.snapshot.body, "codedeploy_deployment_info", deployment_id="d-SCOPEEVE1") == 1
    new = put_ec2_in(sim, "d-SCOPEEVE2", "web-shop", "shop-prod", clock.now - 10)
    sim.reset_calls()
    sqs.send_message(
        QueueUrl=queue, MessageBody=deployment_event("d-SCOPEEVE2", application="web-shop", group="shop-prod")
    )
    consumer = start_consumer(exporter, queue)
    wait_for(lambda: status_of(exporter, new) == "InProgress", what="the discovered group's new deployment")
    wait_for(consumer.idle)
    # One region-wide listing (the scope's, incremental), not a poll: no ListApplications etc.
    assert sorted({c.operation for c in sim.calls}) == [
        "BatchGetDeploymentTargets",
        "BatchGetDeployments",
        "ListDeploymentTargets",
        "ListDeployments",
    ]
    assert metric(exporter, "codedeploy_exporter_events_applied_total") == 1


def put_ec2_in(sim, deployment_id, application, group, create_time):
    target_id = f"i-{deployment_id[-6:].lower()}"
    sim.put_deployment(
        deployment_info(deployment_id, application, group, "InProgress", create_time),
        [_target(deployment_id, target_id, "InProgress")],
    )
    return target_id


def test_events_from_accounts_nobody_watches_are_ignored_without_a_listing(
    sim, make_exporter, sqs, queue, start_consumer
):
    """A central bus forwards every account's events; one from an account no entry polls is
    counted as unwatched_account and costs no API call, one from the watched account is applied."""
    ids = put_ec2(sim, "d-WATCHED01", 1)
    exporter = make_exporter(
        deployment_groups=[{"application": "web", "deployment_group": "prod", "aws": {"account_id": "123456789012"}}]
    )
    exporter.poll_once()
    sim.reset_calls()
    foreign = json.loads(deployment_event("d-FOREIGN01"))
    foreign["account"] = "999999999999"
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(foreign))
    consumer = start_consumer(exporter, queue)
    wait_for(lambda: in_queue(sqs, queue) == 0, what="the foreign event deleted")
    wait_for(consumer.idle)
    body = exporter.snapshot.body
    assert value(body, "codedeploy_exporter_events_ignored_total", reason="unwatched_account") == 1
    assert value(body, "codedeploy_exporter_events_ignored_total", reason="untracked") == 0
    assert sim.calls == []  # no listing of the group for it
    sim.put_target("d-WATCHED01", _target("d-WATCHED01", ids[0], "Failed"))
    sqs.send_message(QueueUrl=queue, MessageBody=instance_event("d-WATCHED01", ids[0]))
    wait_for(lambda: status_of(exporter, ids[0]) == "Failed", what="the watched account's event")
