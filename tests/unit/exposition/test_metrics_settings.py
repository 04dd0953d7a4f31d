"""The metric-model defaults as the config gives them to the renderer."""

from exporter.config import loads_config
from exporter.exposition.selection import Selection


def test_defaults_are_the_cardinality_budget():
    metrics = loads_config("{}").metrics
    assert (metrics.sparse_status, metrics.lifecycle_events) == (True, "active")
    selection = Selection.of(metrics)
    assert selection.sparse_status and selection.lifecycle_events == "active"
    assert "codedeploy_target_status" in selection.enabled  # the default include matches all


def test_full_detail_and_regex_lists_reach_the_selection():
    config = loads_config(
        "metrics: {sparse_status: false, lifecycle_events: all,"
        " include: ['codedeploy_.*'], exclude: ['.*_info']}\n"
        "aws: {account_id: '123456789012'}\n"
    )
    selection = Selection.of(config.metrics)
    assert selection == Selection(False, "all", ("codedeploy_.*",), (".*_info",))
    assert "codedeploy_target_info" not in selection.enabled
    assert config.aws.account_id == "123456789012"
