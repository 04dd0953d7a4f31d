"""Tests for exporter.config: parsing, every class of error, and robustness."""

from __future__ import annotations

import json
import os
import tempfile

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from support.paths import REPO

from exporter.config import (
    AwsSettings,
    Config,
    ConfigError,
    DeploymentEntry,
    GroupEntry,
    MetricsSettings,
    PollSettings,
    TargetEntry,
    config_warnings,
    load_config,
    loads_config,
    parse_config,
    parse_duration,
)
from tools.generate.config_schema import fields, outputs

REPO_ROOT = REPO
EXAMPLE = REPO_ROOT / "config.example.yaml"


def problems_of(text: str, source: str = "config.yaml") -> list[str]:
    with pytest.raises(ConfigError) as excinfo:
        loads_config(text, source)
    return excinfo.value.problems


def only_problem(text: str) -> str:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


# --- durations ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30.0),
        ("5m", 300.0),
        ("24h", 86400.0),
        ("1d", 86400.0),
        ("1w", 604800.0),
        ("1h30m", 5400.0),
        ("1m30s500ms", 90.5),
        ("0s", 0.0),
        (30, 30.0),
        (0.25, 0.25),
        ("45", 45.0),
    ],
)
def test_duration_is_converted_to_seconds(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    "value",
    [
        "",
        "5 minutes",
        "1.5h",
        "30m1h",
        "-5s",
        "s",
        "10x",
        True,
        None,
        [],
        {},
        float("nan"),
        float("inf"),
    ],
)
def test_invalid_duration_raises_value_error_with_a_hint(value):
    with pytest.raises(ValueError) as excinfo:
        parse_duration(value)
    assert str(excinfo.value)  # a message a user can act on, never empty


def test_bad_duration_in_poll_section_names_the_field_and_the_value():
    problem = only_problem("poll: {interval: 5 minutes}")
    assert problem == (
        "config.yaml:1: poll.interval: must be a duration like 30s, 5m or 1h30m, "
        "or a number of seconds, got string '5 minutes'"
    )


# --- defaults and empty documents ----------------------------------------------


def test_empty_file_is_a_valid_config_with_defaults(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    config = load_config(str(path))
    assert config == Config(aws=AwsSettings(), poll=PollSettings(), metrics=MetricsSettings(), source=str(path))


def test_null_sections_and_null_fields_mean_defaults():
    config = loads_config(
        "aws:\npoll:\n  interval: null\nmetrics: null\ntargets:\ndeployments: null\n"
        "deployment_groups: [{application: web, deployment_group: prod, latest: null}]\n"
    )
    assert config.poll == PollSettings()
    assert config.metrics == MetricsSettings()
    assert config.targets == () and config.deployments == ()
    assert config.deployment_groups[0].latest == 1


def test_values_are_parsed_into_typed_settings():
    config = loads_config(
        "poll: {interval: 1h30m, max_concurrency: 3, max_requests_per_second: 2.5,"
        " retention: 1d}\nmetrics: {sparse_status: true}\n"
    )
    assert config.poll == PollSettings(
        interval=5400.0, max_concurrency=3, max_requests_per_second=2.5, retention=86400.0
    )
    assert config.metrics.sparse_status is True


def test_config_is_immutable():
    config = loads_config("poll: {interval: 5s}")
    with pytest.raises(ValidationError, match="frozen"):
        config.poll.interval = 1.0  # type: ignore[misc]


# --- each class of error, with its exact path -----------------------------------


def test_top_level_document_must_be_a_mapping():
    assert only_problem("- a\n- b\n") == "config.yaml:1: (top level): expected a mapping, got a list"


def test_section_must_be_a_mapping():
    assert only_problem("poll: 30s") == "config.yaml:1: poll: expected a mapping, got string '30s'"


def test_entry_list_must_be_a_list():
    assert only_problem("targets: {deployment_id: d-ABCDEF123}") == (
        "config.yaml:1: targets: expected a list, got a mapping"
    )


def test_unknown_key_gets_a_did_you_mean_hint():
    assert only_problem("poll: {intervall: 5s}") == (
        "config.yaml:1: poll.intervall: unknown key (did you mean 'interval'?)"
    )


def test_unknown_top_level_key_gets_a_hint_when_one_is_close():
    assert only_problem("target: []") == ("config.yaml:1: target: unknown key (did you mean 'targets'?)")
    assert only_problem("zzz: 1") == "config.yaml:1: zzz: unknown key"


def test_unknown_key_in_an_entry_names_the_entry_index():
    problem = only_problem(
        "deployment_groups:\n  - {application: a, deployment_group: b}\n"
        "  - {application: a, deployment_group: c, lastest: 2}\n"
    )
    assert problem == ("config.yaml:3: deployment_groups[1].lastest: unknown key (did you mean 'latest'?)")


def test_string_where_an_integer_is_expected_is_reported_with_the_value():
    assert only_problem("poll: {max_concurrency: eight}") == (
        "config.yaml:1: poll.max_concurrency: expected an integer, got string 'eight'"
    )


def test_booleans_are_not_accepted_as_integers():
    assert only_problem("poll: {max_concurrency: true}") == (
        "config.yaml:1: poll.max_concurrency: expected an integer, got boolean true"
    )


def test_float_is_not_accepted_as_an_integer():
    assert only_problem("poll: {max_concurrency: 2.5}") == (
        "config.yaml:1: poll.max_concurrency: expected an integer, got number 2.5"
    )


def test_sparse_status_must_be_a_real_boolean():
    assert only_problem("metrics: {sparse_status: 'true'}") == (
        "config.yaml:1: metrics.sparse_status: expected true or false, got string 'true'"
    )


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("poll: {interval: 0}", "poll.interval: must be greater than 0, got integer 0"),
        ("poll: {interval: 0s}", "poll.interval: must be greater than 0, got string '0s'"),
        ("poll: {max_concurrency: 0}", "poll.max_concurrency: must be at least 1, got integer 0"),
        (
            "poll: {max_requests_per_second: 0}",
            "poll.max_requests_per_second: must be greater than 0, got integer 0",
        ),
        (
            "poll: {max_requests_per_second: .inf}",
            "poll.max_requests_per_second: must be a finite number, got number inf",
        ),
        ("poll: {retention: -1}", "poll.retention: must be at least 0, got integer -1"),
        (
            "deployment_groups: [{application: a, deployment_group: b, latest: 0}]",
            "deployment_groups[0].latest: must be at least 1, got integer 0",
        ),
        (
            "deployment_groups: [{application: a, deployment_group: b, latest: 101}]",
            "deployment_groups[0].latest: must be at most 100, got integer 101",
        ),
    ],
)
def test_out_of_range_values_are_reported(yaml_text, expected):
    assert only_problem(yaml_text) == f"config.yaml:1: {expected}"


def test_zero_retention_is_allowed():
    assert loads_config("poll: {retention: 0}").poll.retention == 0.0


def test_missing_required_fields_are_reported_per_entry():
    problems = problems_of(
        "targets:\n  - {deployment_id: d-ABCDEF123}\n  - {target_id: i-1}\n"
        "deployments:\n  - {}\n"
        "deployment_groups:\n  - {application: web}\n"
    )
    assert problems == [
        "config.yaml:2: targets[0].target_id: required",
        "config.yaml:3: targets[1].deployment_id: required",
        "config.yaml:5: deployments[0].deployment_id: required",
        "config.yaml:7: deployment_groups[0].deployment_group: required",
    ]


def test_null_entry_is_not_a_mapping():
    assert only_problem("deployments: [null]") == ("config.yaml:1: deployments[0]: expected a mapping, got null")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("''", "must not be empty"),
        ("'   '", "must not be empty"),
        ("' d-ABCDEF123'", "must not have leading or trailing whitespace, got string ' d-ABCDEF123'"),
        ("123", "expected a string, got integer 123"),
    ],
)
def test_ids_must_be_non_empty_trimmed_strings(value, message):
    assert only_problem(f"deployments: [{{deployment_id: {value}}}]") == (
        f"config.yaml:1: deployments[0].deployment_id: {message}"
    )


def test_application_name_longer_than_the_api_allows_is_rejected():
    name = "a" * 101
    assert only_problem(f"deployment_groups: [{{application: {name}, deployment_group: g}}]") == (
        "config.yaml:1: deployment_groups[0].application: must be at most 100 characters, got 101"
    )


def test_unusual_deployment_id_is_accepted_but_warned_about():
    config = loads_config("deployments: [{deployment_id: d-ABCDEF123}, {deployment_id: dep-1}]")
    assert [e.deployment_id for e in config.deployments] == ["d-ABCDEF123", "dep-1"]
    assert config_warnings(config) == [
        (
            "<config>: deployments[1].deployment_id: 'dep-1' does not look like a CodeDeploy "
            "deployment ID ('d-' followed by 9 upper-case letters or digits)"
        )
    ]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/exporter",
        "arn:aws-cn:iam::123456789012:role/exporter",
        "arn:aws-us-gov:iam::123456789012:role/path/to/exporter",
    ],
)
def test_role_arns_in_any_partition_are_accepted(arn):
    assert loads_config(f"aws: {{role_arn: '{arn}'}}").aws.role_arn == arn


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::12345:role/exporter",  # account ID is not 12 digits
        "arn:aws:iam::123456789012:user/alice",  # a user, not a role
        "arn:aws:sts::123456789012:assumed-role/x/y",  # a session, not a role
        "exporter",
    ],
)
def test_role_arn_must_look_like_an_iam_role_arn(arn):
    problem = only_problem(f"aws: {{role_arn: '{arn}'}}")
    assert problem.startswith("config.yaml:1: aws.role_arn: must be an IAM role ARN")
    assert repr(arn) in problem


@pytest.mark.parametrize("url", ["ftp://example.com", "localhost:4566", "http://", "http://h:x"])
def test_endpoint_url_must_be_an_http_url(url):
    assert only_problem(f"aws: {{endpoint_url: '{url}'}}") == (
        f"config.yaml:1: aws.endpoint_url: must be an http:// or https:// URL, got string {url!r}"
    )


def test_endpoint_url_with_port_is_accepted():
    config = loads_config("aws: {endpoint_url: 'http://127.0.0.1:4566'}")
    assert config.aws.endpoint_url == "http://127.0.0.1:4566"


def test_region_must_be_a_plausible_region_name():
    assert only_problem("aws: {region: 'us east 1'}") == (
        "config.yaml:1: aws.region: must be an AWS region name like us-east-1, got string 'us east 1'"
    )


def test_external_id_without_role_arn_is_reported():
    assert only_problem("aws: {external_id: abc123}") == (
        "config.yaml:1: aws.external_id: has no effect without role_arn"
    )
    problem = only_problem("deployments: [{deployment_id: d-ABCDEF123, aws: {external_id: ab}}]")
    assert problem.startswith("config.yaml:1: deployments[0].aws.external_id: has no effect")


def test_top_level_external_id_is_fine_when_every_entry_assumes_a_role():
    config = loads_config(
        "aws: {external_id: shared-id}\n"
        "deployments:\n"
        "  - {deployment_id: d-ABCDEF123, aws: {role_arn: 'arn:aws:iam::123456789012:role/r'}}\n"
    )
    assert config.deployments[0].aws.external_id == "shared-id"


def test_duplicate_target_names_both_positions():
    problem = only_problem(
        "targets:\n  - {deployment_id: d-ABCDEF123, target_id: i-1}\n"
        "  - {deployment_id: d-ABCDEF123, target_id: i-2}\n"
        "  - {deployment_id: d-ABCDEF123, target_id: i-1}\n"
    )
    assert problem == (
        "config.yaml:4: targets[2]: duplicate target (deployment_id 'd-ABCDEF123', target_id 'i-1');"
        " first listed at targets[0]"
    )


def test_duplicate_deployment_and_group_are_reported():
    problems = problems_of(
        "deployments: [{deployment_id: d-ABCDEF123}, {deployment_id: d-ABCDEF123}]\n"
        "deployment_groups:\n"
        "  - {application: web, deployment_group: prod}\n"
        "  - {application: web, deployment_group: prod, latest: 2}\n"
    )
    assert problems == [
        (
            "config.yaml:1: deployments[1]: duplicate deployment (deployment_id 'd-ABCDEF123');"
            " first listed at deployments[0]"
        ),
        (
            "config.yaml:4: deployment_groups[1]: duplicate deployment group (application 'web',"
            " deployment_group 'prod'); first listed at deployment_groups[0]"
        ),
    ]


def test_same_ids_in_another_region_are_still_duplicates():
    # Region is not a metric label, so both entries would export the same series.
    problems = problems_of(
        "deployments:\n  - {deployment_id: d-ABCDEF123}\n  - {deployment_id: d-ABCDEF123, aws: {region: eu-west-1}}\n"
    )
    assert problems == [
        (
            "config.yaml:3: deployments[1]: duplicate deployment (deployment_id 'd-ABCDEF123');"
            " first listed at deployments[0]"
        )
    ]


def test_duplicate_yaml_key_is_an_error_with_both_lines():
    problem = only_problem("poll:\n  interval: 5s\n  interval: 10s\n")
    assert problem == "config.yaml:3: poll.interval: duplicate key (first defined on line 2)"


def test_every_duplicate_key_is_reported_along_with_other_problems():
    assert problems_of("aws: {region: a, region: b}\npoll: {interval: 0}\naws: {}\n") == [
        "config.yaml:1: aws.region: duplicate key (first defined on line 1)",
        "config.yaml:2: poll.interval: must be greater than 0, got integer 0",
        "config.yaml:3: aws: duplicate key (first defined on line 1)",
    ]


def test_yaml_merge_keys_may_be_overridden():
    config = loads_config(
        "deployments:\n"
        "  - &base {deployment_id: d-ABCDEF123, aws: {region: us-east-1}}\n"
        "  - <<: *base\n    deployment_id: d-GHIJKL456\n"
    )
    assert [e.deployment_id for e in config.deployments] == ["d-ABCDEF123", "d-GHIJKL456"]
    assert config.deployments[1].aws.region == "us-east-1"


# --- all at once, in document order ----------------------------------------------


def test_all_problems_are_reported_at_once_in_document_order():
    text = (
        "poll:\n"
        "  intervall: 5s\n"  # 1: unknown key
        "  max_concurrency: eight\n"  # 2: wrong type
        "aws:\n"
        "  endpoint_url: ftp://x\n"  # 3: bad URL
        "targets:\n"
        "  - {deployment_id: d-ABCDEF123}\n"  # 4: missing target_id
        "metrics: {sparse_status: 1}\n"  # 5: wrong type
    )
    problems = problems_of(text)
    assert [p.split(": ")[:2] for p in problems] == [
        ["config.yaml:2", "poll.intervall"],
        ["config.yaml:3", "poll.max_concurrency"],
        ["config.yaml:5", "aws.endpoint_url"],
        ["config.yaml:7", "targets[0].target_id"],
        ["config.yaml:8", "metrics.sparse_status"],
    ]


def test_config_error_str_lists_every_problem_on_its_own_line():
    with pytest.raises(ConfigError) as excinfo:
        loads_config("poll: {interval: 0, max_concurrency: 0}", "c.yaml")
    assert str(excinfo.value).splitlines() == excinfo.value.problems
    assert len(excinfo.value.problems) == 2


def test_parse_config_uses_the_given_source_name():
    with pytest.raises(ConfigError) as excinfo:
        parse_config({"poll": {"interval": "soon"}}, source="inline")
    assert excinfo.value.problems[0].startswith("inline: poll.interval: ")


# --- aws merging -------------------------------------------------------------------


def test_entry_aws_block_overrides_top_level_field_by_field():
    config = loads_config(
        "aws: {region: us-east-1, profile: ops, endpoint_url: 'http://127.0.0.1:9'}\n"
        "targets:\n"
        "  - deployment_id: d-ABCDEF123\n"
        "    target_id: i-1\n"
        "    aws: {region: eu-west-1, profile: null,"
        " role_arn: 'arn:aws:iam::210987654321:role/r'}\n"
        "  - {deployment_id: d-ABCDEF123, target_id: i-2}\n"
    )
    overridden, inherited = config.targets
    assert overridden.aws == AwsSettings(
        region="eu-west-1",
        profile="ops",  # null in the entry means "inherit", not "unset"
        role_arn="arn:aws:iam::210987654321:role/r",
        endpoint_url="http://127.0.0.1:9",
    )
    assert inherited.aws == config.aws
    assert config.aws.role_arn is None  # the top level is not changed by entries


def test_invalid_entry_aws_value_is_reported_with_the_entry_path():
    assert (
        only_problem("deployments: [{deployment_id: d-ABCDEF123, aws: {regoin: eu-west-1}}]")
        == "config.yaml:1: deployments[0].aws.regoin: unknown key (did you mean 'region'?)"
    )


# --- files ---------------------------------------------------------------------------


def test_yaml_syntax_error_reports_file_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("poll:\n  interval: 5s\n targets: [\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(str(path))
    (problem,) = excinfo.value.problems
    assert problem.startswith(f"{path}:3: invalid YAML: ")
    assert problem.endswith("(column 2)")


def test_missing_file_is_a_config_error_not_a_traceback(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as excinfo:
        load_config(str(path))
    assert excinfo.value.problems == [f"{path}: cannot read file: No such file or directory"]


def test_non_utf8_file_is_a_config_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"aws: {region: \xe9}\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(str(path))
    assert excinfo.value.problems[0].startswith(f"{path}: not UTF-8 text")


def test_pathological_yaml_is_a_config_error_not_a_crash():
    assert problems_of("[" * 5000 + "]" * 5000) == ["config.yaml: invalid YAML: nested too deeply"]
    assert problems_of("x: " + "9" * 5000)[0].startswith("config.yaml: invalid YAML value: ")
    assert problems_of("aws: {region: 2024-13-45}")[0].startswith("config.yaml: invalid YAML")


def test_example_config_validates_and_shows_all_three_modes():
    config = load_config(str(EXAMPLE))
    assert config.aws.region == "us-east-1"
    assert config.poll == PollSettings()  # the example documents the defaults
    assert config.metrics == MetricsSettings()
    top = AwsSettings(region="us-east-1")
    assert config.targets == (
        TargetEntry(deployment_id="d-ABCDEF123", target_id="i-0123456789abcdef0", aws=top),
        TargetEntry(deployment_id="d-ABCDEF123", target_id="i-0fedcba9876543210", aws=top),
    )
    assert config.deployments == (DeploymentEntry(deployment_id="d-GHIJKL456", aws=top),)
    assert config.deployment_groups == (
        GroupEntry(application="web", deployment_group="prod", latest=3, aws=top),
        GroupEntry(
            application="payments",
            deployment_group="prod-eu",
            latest=1,
            aws=AwsSettings(
                region="eu-west-1",
                role_arn="arn:aws:iam::210987654321:role/codedeploy-exporter",
                external_id="codedeploy-exporter-monitoring",
            ),
        ),
    )
    assert config_warnings(config) == []


def test_example_config_documents_every_key():
    text = EXAMPLE.read_text()
    keys = {
        "aws",
        "poll",
        "metrics",
        "targets",
        "deployments",
        "deployment_groups",
        "deployment_id",
        "target_id",
        "application",
        "deployment_group",
        "latest",
        "discovery",
        "applications",
        "include",
        "exclude",
        "tags",
        "refresh",
    }
    keys |= {path.rsplit(".", 1)[-1] for path, _ in fields()}
    for key in keys:
        assert f"{key}:" in text, key


# --- robustness ------------------------------------------------------------------------

REAL_KEYS = [
    "aws",
    "poll",
    "metrics",
    "targets",
    "deployments",
    "deployment_groups",
    "region",
    "profile",
    "role_arn",
    "external_id",
    "endpoint_url",
    "interval",
    "max_concurrency",
    "max_requests_per_second",
    "retention",
    "sparse_status",
    "lifecycle_events",
    "include",
    "exclude",
    "account_id",
    "deployment_id",
    "target_id",
    "application",
    "deployment_group",
    "latest",
]

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
keys = st.sampled_from(REAL_KEYS) | st.text(max_size=10)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
# Biased towards the right shape so the generator reaches deep validators too.
shaped = st.dictionaries(
    st.sampled_from(REAL_KEYS),
    st.dictionaries(keys, documents, max_size=5)
    | st.lists(st.dictionaries(keys, documents, max_size=5), max_size=3)
    | documents,
    max_size=6,
)


def _outcome(call):
    try:
        config = call()
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return exc
    assert isinstance(config, Config)
    return config


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents | shaped)
def test_any_document_gives_a_config_or_a_config_error(document):
    direct = _outcome(lambda: parse_config(document, "random.yaml"))
    # The same document through YAML text must behave identically.
    text = yaml.safe_dump(document)
    via_yaml = _outcome(lambda: loads_config(text, "random.yaml"))
    if isinstance(direct, Config):
        assert via_yaml == direct
    else:
        assert isinstance(via_yaml, ConfigError)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=200))
def test_any_file_contents_give_a_config_or_a_config_error(contents):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "config.yaml")
        with open(path, "wb") as handle:
            handle.write(contents)
        _outcome(lambda: load_config(path))


# --- the generated schema ------------------------------------------------------------------

SCHEMA = json.loads((REPO_ROOT / "config.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())

# Valid configs the tests above and the chart's CI values use.
GOOD_CONFIGS = [
    EXAMPLE.read_text(),
    "",
    "aws:\npoll:\n  interval: null\nmetrics: null\ntargets:\ndeployments: null\n"
    "deployment_groups: [{application: web, deployment_group: prod, latest: null}]\n",
    "poll: {interval: 1h30m, max_concurrency: 3, max_requests_per_second: 2.5, retention: 1d}\n"
    "metrics: {sparse_status: true, lifecycle_events: all, include: ['codedeploy_.*'], exclude: []}\n",
    "aws: {role_arn: 'arn:aws-us-gov:iam::123456789012:role/path/to/exporter', account_id: '123456789012'}",
    "aws: {endpoint_url: 'http://127.0.0.1:4566', external_id: shared-id}\n"
    "deployments:\n  - {deployment_id: d-ABCDEF123, aws: {role_arn: 'arn:aws:iam::123456789012:role/r'}}\n",
    "events:\n  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/111111111111/q\n"
    "  aws: {region: us-east-1, profile: ops, role_arn: 'arn:aws:iam::123456789012:role/r', external_id: x1}\n"
    "  endpoint_url: 'http://127.0.0.1:4566'\n",
    *(
        yaml.safe_dump(yaml.safe_load(p.read_text())["config"])
        for p in sorted((REPO_ROOT / "helm/codedeploy-exporter/ci").glob("*-values.yaml"))
        if "config" in yaml.safe_load(p.read_text())
    ),
]
# Bad configs the schema can see (the loader refuses each of them too).
BAD_CONFIGS = [
    "- a\n- b\n",
    "poll: 30s",
    "targets: {deployment_id: d-ABCDEF123}",
    "poll: {intervall: 5s}",
    "poll: {max_concurrency: eight}",
    "poll: {max_concurrency: true}",
    "poll: {max_concurrency: 2.5}",
    "metrics: {sparse_status: 'true'}",
    "poll: {interval: 0}",
    "poll: {interval: 5 minutes}",
    "poll: {max_concurrency: 0}",
    "poll: {retention: -1}",
    "metrics: {lifecycle_events: some}",
    "deployment_groups: [{application: a, deployment_group: b, latest: 101}]",
    "targets: [{deployment_id: d-ABCDEF123}]",
    "deployments: [null]",
    "deployments: [{deployment_id: ' d-ABCDEF123'}]",
    "deployments: [{deployment_id: ''}]",
    f"deployment_groups: [{{application: {'a' * 101}, deployment_group: g}}]",
    "aws: {role_arn: 'arn:aws:iam::123456789012:user/alice'}",
    "aws: {endpoint_url: 'ftp://x'}",
    "aws: {region: 'us east 1'}",
    "aws: {account_id: '12345'}",
    "events: {sqs_queue_url: 'https://sqs.us-east-1.amazonaws.com/111111111111/q', aws: {endpoint_url: 'http://x:1'}}",
    "target: []",
]


@pytest.mark.parametrize("text", GOOD_CONFIGS)
def test_schema_accepts_every_valid_config(text):
    loads_config(text)  # valid for the exporter ...
    errors = [e.message for e in VALIDATOR.iter_errors(yaml.safe_load(text) or {})]
    assert errors == []  # ... and for editors


@pytest.mark.parametrize("text", BAD_CONFIGS)
def test_schema_rejects_bad_configs_the_loader_rejects(text):
    with pytest.raises(ConfigError):
        loads_config(text)
    assert not VALIDATOR.is_valid(yaml.safe_load(text))


def test_example_config_points_editors_at_the_schema():
    assert EXAMPLE.read_text().startswith("# yaml-language-server: $schema=./config.schema.json\n")


def test_generated_files_are_up_to_date():
    # config.schema.json, the chart's config subtree and the README reference all come from the
    # models; run `python -m tools.generate.config_schema` after changing them.
    for path, text in outputs().items():
        assert path.read_text() == text, f"{path} is stale: run python -m tools.generate.config_schema"


def test_chart_schema_embeds_the_config_schema_with_resolvable_references():
    chart = json.loads((REPO_ROOT / "helm/codedeploy-exporter/values.schema.json").read_text())
    validator = jsonschema.Draft7Validator(chart)
    values = {"config": yaml.safe_load(EXAMPLE.read_text())}
    assert list(validator.iter_errors(values)) == []  # every $ref resolves where it is nested
    bad = {"config": {"poll": {"interval": "5 minutes"}, "deployment_groups": [{"application": "a"}]}}
    assert len(list(validator.iter_errors(bad))) == 2


def test_readme_documents_every_key_with_its_description():
    readme = (REPO_ROOT / "README.md").read_text()
    for path, info in fields():
        if "[].aws." not in path:
            assert f"| `{path}` |" in readme and info.description in readme, path


def test_source_is_not_a_key_of_the_file():
    # Config.source says where the config came from; a file cannot set it.
    assert only_problem("source: elsewhere.yaml") == "config.yaml:1: source: unknown key"
    assert loads_config("", "mine.yaml").source == "mine.yaml"


def test_entries_with_equal_aws_settings_share_one_settings_object():
    config = loads_config(
        "aws: {region: us-east-1}\n"
        "targets:\n"
        "  - {deployment_id: d-ABCDEF123, target_id: i-1}\n"
        "  - {deployment_id: d-ABCDEF123, target_id: i-2, aws: {region: us-east-1}}\n"
        "deployments:\n"
        "  - {deployment_id: d-ABCDEF124}\n"
        "  - {deployment_id: d-ABCDEF125, aws: {region: eu-west-1}}\n"
        "  - {deployment_id: d-ABCDEF126, aws: {region: eu-west-1}}\n"
    )
    # Work keyed by settings identity (account and region labels) runs once per block.
    assert config.targets[0].aws is config.targets[1].aws is config.deployments[0].aws is config.aws
    assert config.deployments[1].aws is config.deployments[2].aws
    assert config.deployments[1].aws.region == "eu-west-1" and config.deployments[1].aws != config.aws
