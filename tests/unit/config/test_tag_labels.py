"""Tag keys as Prometheus label names (metrics.group_tags)."""

from __future__ import annotations

import re

import pytest

from exporter.config import parse_config
from exporter.config.loading import ConfigError
from exporter.config.tag_labels import collisions, tag_label

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")  # Prometheus' label name syntax


@pytest.mark.parametrize(
    "key,label",
    [
        ("team", "tag_team"),
        ("Team", "tag_Team"),
        ("aws:cloudformation:stack-name", "tag_aws_cloudformation_stack_name"),
        ("cost.center", "tag_cost_center"),
        ("1st", "tag_1st"),
        ("__name__", "tag___name__"),
        ("équipe", "tag__quipe"),
        ("a b/c=d+e@f", "tag_a_b_c_d_e_f"),
    ],
)
def test_tag_keys_become_valid_label_names(key, label):
    assert tag_label(key) == label
    assert LABEL_NAME.match(label) and not label.startswith("__")


def test_collisions_name_both_keys_and_the_label():
    assert collisions(["team", "cost-center", "env", "cost.center", "cost_center"]) == [
        ("cost-center", "cost.center", "tag_cost_center"),
        ("cost-center", "cost_center", "tag_cost_center"),
    ]
    assert collisions(["team", "Team"]) == []  # label names are case-sensitive


def test_group_tags_and_lead_time_default_to_off():
    metrics = parse_config({}).metrics
    assert metrics.group_tags == () and metrics.lead_time is False


def test_a_collision_fails_validation_naming_both_keys():
    with pytest.raises(ConfigError) as excinfo:
        parse_config({"metrics": {"group_tags": ["team", "a:b", "a-b"]}})
    assert "tag keys 'a:b' and 'a-b' both become label tag_a_b" in str(excinfo.value)
