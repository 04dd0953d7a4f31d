"""`discovery:` scopes and `poll.group_refresh` in the config."""

from __future__ import annotations

import pytest

from exporter.config import ConfigError, loads_config

ISSUE_EXAMPLE = """
aws: {region: eu-west-1, profile: ops}
discovery:
  - aws: {region: us-east-1, role_arn: "arn:aws:iam::111111111111:role/codedeploy-read"}
    applications: {include: "web-.*|api", exclude: "sandbox-.*"}
    deployment_groups: {include: ".*-prod", exclude: null}
    tags: {team: "payments", env: "prod|staging"}
    latest: 3
    refresh: 10m
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as excinfo:
        loads_config(text, "config.yaml")
    return excinfo.value.problems


def test_the_issue_example_parses_with_aws_merged_over_the_top_level_block():
    scope = loads_config(ISSUE_EXAMPLE).discovery[0]
    assert (scope.aws.region, scope.aws.profile) == ("us-east-1", "ops")
    assert scope.aws.role_arn == "arn:aws:iam::111111111111:role/codedeploy-read"
    assert (scope.latest, scope.refresh) == (3, 600.0)
    assert list(scope.tags) == ["team", "env"]


def test_name_filters_are_full_matches_and_exclude_wins():
    scope = loads_config(ISSUE_EXAMPLE).discovery[0]
    assert scope.applications.matches("web-shop") and scope.applications.matches("api")
    assert not scope.applications.matches("api-internal")  # full match, not search
    assert not scope.applications.matches("sandbox-web")
    assert scope.deployment_groups.matches("checkout-prod")
    assert not scope.deployment_groups.matches("checkout-staging")


def test_every_tag_must_be_present_and_match_its_value_regex():
    scope = loads_config(ISSUE_EXAMPLE).discovery[0]
    assert scope.tags_match({"team": "payments", "env": "staging", "extra": "x"})
    assert not scope.tags_match({"team": "payments"})
    assert not scope.tags_match({"team": "payments", "env": "production"})


def test_an_empty_scope_matches_everything_with_defaults():
    scope = loads_config("discovery: [{}]").discovery[0]
    assert scope.applications.matches("anything") and scope.deployment_groups.matches("x")
    assert scope.tags_match({}) and (scope.latest, scope.refresh) == (1, 600.0)


def test_bad_scope_fields_are_each_reported_with_their_path():
    problems = problems_of(
        "discovery:\n"
        "  - applications: {include: '('}\n"
        "    tags: {env: null}\n"
        "    latest: 0\n"
        "    refresh: soon\n"
        "    regions: [us-east-1]\n"
    )
    assert problems == [
        "config.yaml:2: discovery[0].applications.include: is not a valid regular expression (missing ), "
        "unterminated subpattern at position 0), got string '('",
        "config.yaml:3: discovery[0].tags.env: expected a string, got null",
        "config.yaml:4: discovery[0].latest: must be at least 1, got integer 0",
        "config.yaml:5: discovery[0].refresh: must be a duration like 30s, 5m or 1h30m, or a number of "
        "seconds, got string 'soon'",
        "config.yaml:6: discovery[0].regions: unknown key",
    ]


def test_discovery_must_be_a_list():
    assert problems_of("discovery: {aws: {}}") == ["config.yaml:1: discovery: expected a list, got a mapping"]


def test_group_refresh_is_a_duration_defaulting_to_ten_minutes():
    assert loads_config("{}").poll.group_refresh == 600.0
    assert loads_config("poll: {group_refresh: 1h}").poll.group_refresh == 3600.0
    assert problems_of("poll: {group_refresh: 0}") == [
        "config.yaml:1: poll.group_refresh: must be greater than 0, got integer 0"
    ]
