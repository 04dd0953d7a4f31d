"""The `events:` section: exactly sqs_queue_url, aws, endpoint_url, debounce."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from jsonschema.exceptions import best_match
from support.paths import REPO

from exporter.config import AwsSettings, ConfigError, EventsSettings, SqsAwsSettings, loads_config

QUEUE = "https://sqs.us-east-1.amazonaws.com/111111111111/codedeploy-events"


def test_events_section_is_optional():
    assert loads_config("deployments: [{deployment_id: d-ABCDEF123}]").events is None


def test_events_aws_merges_over_top_level_and_keeps_codedeploy_endpoint_out():
    config = loads_config(f"""
aws: {{region: eu-west-1, profile: ops, endpoint_url: "http://codedeploy.local:1"}}
events:
  sqs_queue_url: {QUEUE}
  aws: {{region: us-east-1}}
  debounce: 500ms
""")
    assert config.events == EventsSettings(
        sqs_queue_url=QUEUE, aws=SqsAwsSettings(region="us-east-1", profile="ops"), debounce=0.5
    )
    assert config.events.connection == AwsSettings(region="us-east-1", profile="ops")


def test_events_endpoint_url_is_the_sqs_clients():
    config = loads_config(f"""
events: {{sqs_queue_url: {QUEUE}, endpoint_url: "http://127.0.0.1:4566"}}
""")
    assert config.events.connection.endpoint_url == "http://127.0.0.1:4566"
    assert config.events.debounce == 1.0


def test_region_comes_from_the_queue_url_when_no_aws_block_names_one():
    config = loads_config("events: {sqs_queue_url: https://sqs.ap-southeast-2.amazonaws.com/1/q}")
    assert config.events.aws.region == "ap-southeast-2"


def test_every_events_problem_is_reported_with_its_path():
    with pytest.raises(ConfigError) as exc:
        loads_config(
            """
events:
  sqs_queue_url: ftp://example.com/q
  debounce: 1h
  aws: {endpoint_url: "http://x:1"}
  debounse: 1s
""",
            source="c.yaml",
        )
    problems = exc.value.problems
    assert len(problems) == 4
    assert problems[0].startswith("c.yaml:3: events.sqs_queue_url: must be an http:// or https:// URL")
    assert problems[1].startswith("c.yaml:4: events.debounce: must be at most 20")
    assert problems[2] == (
        "c.yaml:5: events.aws.endpoint_url: the SQS endpoint is set by events.endpoint_url; "
        "aws.endpoint_url is CodeDeploy's"
    )
    assert problems[3] == "c.yaml:6: events.debounse: unknown key (did you mean 'debounce'?)"


def test_queue_url_must_name_account_and_queue_and_is_required():
    with pytest.raises(ConfigError) as exc:
        loads_config("events: {sqs_queue_url: 'https://sqs.us-east-1.amazonaws.com/'}")
    assert "queue URL like" in str(exc.value.problems)
    with pytest.raises(ConfigError) as exc:
        loads_config("events: {debounce: 1s}", source="c.yaml")
    assert exc.value.problems == ["c.yaml:1: events.sqs_queue_url: required"]


def test_events_aws_endpoint_url_is_refused_by_the_loader_and_by_both_json_schemas():
    text = f"events:\n  sqs_queue_url: {QUEUE}\n  aws: {{endpoint_url: 'http://127.0.0.1:4566'}}\n"
    with pytest.raises(ConfigError) as exc:
        loads_config(text, source="c.yaml")
    assert exc.value.problems == [
        "c.yaml:3: events.aws.endpoint_url: the SQS endpoint is set by events.endpoint_url; "
        "aws.endpoint_url is CodeDeploy's"
    ]
    # What an editor (config.schema.json) and Helm (the chart's values schema) say about it.
    root = REPO
    config = yaml.safe_load(text)
    schema = json.loads((root / "config.schema.json").read_text())
    chart = json.loads((root / "helm/codedeploy-exporter/values.schema.json").read_text())
    for validator, document, at in (
        (jsonschema.Draft202012Validator(schema), config, ["events", "aws"]),
        (jsonschema.Draft7Validator(chart), {"config": config}, ["config", "events", "aws"]),
    ):
        error = best_match(validator.iter_errors(document))
        assert error is not None and list(error.absolute_path) == at
        assert error.message == "Additional properties are not allowed ('endpoint_url' was unexpected)"


def test_events_external_id_without_any_role_arn_is_reported_and_with_one_is_fine():
    with pytest.raises(ConfigError) as raised:
        loads_config(f"events:\n  sqs_queue_url: {QUEUE}\n  aws: {{external_id: ab12}}\n", "config.yaml")
    assert "config.yaml:3: events.aws.external_id: has no effect without role_arn" in str(raised.value)
    role = "arn:aws:iam::111111111111:role/events"
    for text in (
        f"events:\n  sqs_queue_url: {QUEUE}\n  aws: {{external_id: ab12, role_arn: '{role}'}}\n",
        f"aws: {{role_arn: '{role}'}}\nevents:\n  sqs_queue_url: {QUEUE}\n  aws: {{external_id: ab12}}\n",
    ):
        assert loads_config(text, "config.yaml").events is not None
