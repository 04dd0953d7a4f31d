"""docs/codedeploy-events.yaml: valid for cfn-lint, and, deployed into moto, it routes what the
exporter understands (EventBridge CodeDeploy events, trigger JSON through SNS) and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import yaml
from support.paths import REPO, TESTS

from exporter.events.parse import DETAIL_TYPES, parse_message

TEMPLATE = REPO / "docs" / "codedeploy-events.yaml"
FIXTURES = TESTS / "fixtures" / "events"


class _CfnLoader(yaml.SafeLoader):
    pass


# !Ref, !GetAtt, !Sub ... as plain data, to read the template's structure.
_CfnLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_mapping(node)
    ),
)


def template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def test_template_passes_cfn_lint():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_matches_exactly_the_detail_types_the_exporter_understands():
    pattern = template()["Resources"]["StateChangeRule"]["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.codedeploy"]
    assert sorted(pattern["detail-type"]) == sorted(DETAIL_TYPES)


def test_queue_has_a_dead_letter_queue_and_outlasts_the_longest_debounce():
    queue = template()["Resources"]["EventQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == "DeadLetterQueue.Arn"
    assert queue["VisibilityTimeout"] > 20  # events.debounce is at most 20 s
    policy = template()["Resources"]["ExporterQueuePolicy"]["Properties"]["PolicyDocument"]
    assert policy["Statement"][0]["Action"] == ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]


def test_deployed_stack_delivers_codedeploy_events_and_triggers_and_filters_the_rest(moto_url):
    kw = dict(
        region_name="us-east-1",
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    topic = boto3.client("sns", **kw).create_topic(Name="codedeploy-triggers")["TopicArn"]
    cfn = boto3.client("cloudformation", **kw)
    cfn.create_stack(
        StackName="codedeploy-events",
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[{"ParameterKey": "TriggerTopicArn", "ParameterValue": topic}],
    )
    stack = cfn.describe_stacks(StackName="codedeploy-events")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    queue_url = outputs["QueueUrl"]
    # moto 5's CloudFormation skips AWS::SNS::Subscription (and does not enforce queue policies):
    # make the template's TriggerSubscription by hand, with the same properties.
    subscription = template()["Resources"]["TriggerSubscription"]["Properties"]
    boto3.client("sns", **kw).subscribe(
        TopicArn=topic,
        Protocol=subscription["Protocol"],
        Endpoint=outputs["QueueArn"],
        Attributes={"RawMessageDelivery": str(subscription["RawMessageDelivery"]).lower()},
    )

    event = json.loads((FIXTURES / "eventbridge_instance_state_change.json").read_text())
    boto3.client("events", **kw).put_events(
        Entries=[
            {"Source": "aws.codedeploy", "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])},
            {"Source": "aws.ec2", "DetailType": "EC2 Instance State-change Notification", "Detail": "{}"},
            {"Source": "aws.codedeploy", "DetailType": "AWS API Call via CloudTrail", "Detail": "{}"},
        ]
    )
    trigger = (FIXTURES / "trigger_deployment.json").read_text()
    boto3.client("sns", **kw).publish(TopicArn=topic, Message=trigger)

    sqs = boto3.client("sqs", **kw)
    bodies = []
    for _ in range(5):
        bodies += [
            m["Body"]
            for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            )
        ]
        if len(bodies) >= 2:
            break
    parsed = sorted((parse_message(body) for body in bodies), key=lambda p: p.type)
    assert [p.type for p in parsed] == ["deployment_trigger", "instance_state_change"]
    assert parsed[0].change.deployment_id == "d-75I7MBT7C"
    assert (parsed[1].change.deployment_id, parsed[1].change.target_id) == ("d-123456789", "i-0000000aaaaaaaaaa")
