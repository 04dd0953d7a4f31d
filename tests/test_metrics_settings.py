"""The metric-model keys (metrics.lifecycle_events/include/exclude, aws.account_id) as the
config accepts and refuses them. Kept apart from test_config.py, which is being rewritten."""

import pytest

from exporter.config import ConfigError, loads_config


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        loads_config(text, "config.yaml")
    return info.value.problems


def test_defaults_are_the_cardinality_budget():
    metrics = loads_config("{}").metrics
    assert (metrics.sparse_status, metrics.lifecycle_events, metrics.include, metrics.exclude) == (
        True, "active", (), ())


def test_full_detail_and_regex_lists_are_accepted():
    config = loads_config("metrics: {sparse_status: false, lifecycle_events: all,"
                          " include: ['codedeploy_.*'], exclude: ['.*_info']}\n"
                          "aws: {account_id: '123456789012'}\n")
    assert config.metrics.lifecycle_events == "all"
    assert config.metrics.exclude == (".*_info",)
    assert config.aws.account_id == "123456789012"


def test_bad_values_are_reported_with_their_path():
    found = problems("metrics: {lifecycle_events: some, exclude: ['(']}\naws: {account_id: '1234'}\n")
    # Message format of the pydantic config (branch config), merged with these keys.
    assert found[0].startswith("config.yaml:1: metrics.lifecycle_events: must be one of 'active', 'all'")
    assert found[1].startswith("config.yaml:1: metrics.exclude[0]: is not a valid regular expression")
    assert found[2] == "config.yaml:2: aws.account_id: must be a 12-digit AWS account ID, got string '1234'"
