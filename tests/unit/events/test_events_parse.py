"""Event formats: AWS documentation's example payloads (tests/fixtures/events/SOURCES.md), raw and
wrapped in SNS, and what must never break the parser."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.paths import TESTS

from exporter.events.parse import parse_message

FIXTURES = TESTS / "fixtures" / "events"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def sns(message: dict | str) -> str:
    envelope = fixture("sns_envelope")
    envelope["Message"] = message if isinstance(message, str) else json.dumps(message)
    return json.dumps(envelope)


def test_deployment_state_change_names_the_deployment_its_group_and_time():
    parsed = parse_message(json.dumps(fixture("eventbridge_deployment_state_change")))
    assert parsed.outcome == "event"
    change = parsed.change
    assert change.type == "deployment_state_change"
    assert change.deployment_id == "d-123456789"
    assert (change.application, change.deployment_group) == ("myApplication", "myDeploymentGroup")
    assert change.region == "us-east-1" and change.state == "SUCCESS"
    assert change.target_id is None
    assert change.time == datetime(2016, 6, 30, 22, 6, 31, tzinfo=timezone.utc).timestamp()


def test_instance_state_change_names_the_instance_as_target():
    change = parse_message(json.dumps(fixture("eventbridge_instance_state_change"))).change
    assert change.type == "instance_state_change"
    assert change.deployment_id == "d-123456789"
    assert change.target_id == "i-0000000aaaaaaaaaa"
    assert change.time == datetime(2016, 6, 30, 23, 18, 50, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize("name", ["eventbridge_deployment_state_change", "eventbridge_instance_state_change"])
def test_eventbridge_event_wrapped_in_sns_reads_the_same_as_raw(name):
    raw = parse_message(json.dumps(fixture(name)))
    wrapped = parse_message(sns(fixture(name)))
    assert wrapped == raw


def test_deployment_trigger_in_sns_names_deployment_group_and_completion_time():
    change = parse_message(sns(fixture("trigger_deployment"))).change
    assert change.type == "deployment_trigger"
    assert change.deployment_id == "d-75I7MBT7C"
    assert (change.application, change.deployment_group) == ("ProductionApp-us-west-3", "dep-group-def-456")
    assert change.state == "Failed"
    assert change.time == 1446744190.402  # completeTime, the most recent of the trigger's times


def test_instance_trigger_in_sns_takes_the_instance_id_out_of_its_arn():
    change = parse_message(sns(fixture("trigger_instance"))).change
    assert change.type == "instance_trigger"
    assert change.deployment_id == "d-75I7MBT7C"
    assert change.target_id == "i-496589f7"
    assert change.application is None  # instance triggers do not name the application
    assert change.state == "Succeeded" and change.time == 1446744207.564


def test_event_without_its_own_time_falls_back_to_the_sns_timestamp():
    event = fixture("eventbridge_deployment_state_change")
    del event["time"]
    change = parse_message(sns(event)).change
    assert change.time == datetime(2012, 5, 2, 0, 54, 6, 655000, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    "body,reason",
    [
        (
            json.dumps({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
            "source 'aws.ec2'",
        ),
        (
            json.dumps({"source": "aws.codedeploy", "detail-type": "AWS API Call via CloudTrail", "detail": {}}),
            "detail-type",
        ),
        (sns("Hello world!"), "non-JSON message"),
        (
            json.dumps(
                {
                    "Type": "SubscriptionConfirmation",
                    "TopicArn": "arn:aws:sns:us-east-1:1:t",
                    "Message": "You have chosen to subscribe",
                }
            ),
            "SubscriptionConfirmation",
        ),
        (json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}), "not a CodeDeploy event"),
        (json.dumps([1, 2]), "not an object"),
    ],
)
def test_messages_that_are_not_codedeploy_events_are_other(body, reason):
    parsed = parse_message(body)
    assert parsed.outcome == "other"
    assert reason in parsed.reason


@pytest.mark.parametrize(
    "mutate,reason",
    [
        (lambda e: e["detail"].pop("deploymentId"), "deploymentId None"),
        (lambda e: e["detail"].update(deploymentId="d-1; DROP"), "not a deployment id"),
        (lambda e: e["detail"].update(deploymentId=12), "not a deployment id"),
        (lambda e: e.update(detail="text"), "without a detail object"),
        (lambda e: e["detail"].update(application=["x"]), "application"),
    ],
)
def test_codedeploy_events_with_bad_fields_are_malformed(mutate, reason):
    event = fixture("eventbridge_deployment_state_change")
    mutate(event)
    for body in (json.dumps(event), sns(event)):
        parsed = parse_message(body)
        assert parsed.outcome == "malformed"
        assert reason in parsed.reason


@pytest.mark.parametrize("body", ["", "{", "not json", "\x00\xff", "[" * 100_000])
def test_bodies_that_are_not_json_are_malformed(body):
    assert parse_message(body).outcome == "malformed"


def test_trigger_with_a_bad_deployment_id_is_malformed():
    trigger = fixture("trigger_deployment")
    trigger["deploymentId"] = None
    assert parse_message(sns(trigger)).outcome == "malformed"


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=True) | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "source",
                        "detail-type",
                        "detail",
                        "deploymentId",
                        "time",
                        "Type",
                        "TopicArn",
                        "Message",
                        "eventTriggerName",
                        "instanceId",
                        "application",
                        "region",
                        "lastUpdatedAt",
                    ]
                )
                | st.text(max_size=5),
                children,
                max_size=6,
            )
        ),
        max_leaves=20,
    )
)
def test_no_json_document_makes_the_parser_raise(document):
    parsed = parse_message(json.dumps(document))
    assert parsed.outcome in ("event", "other", "malformed")
    assert (parsed.change is not None) == (parsed.outcome == "event")
