"""Helpers shared by the monitoring tests: external binaries and the metric contract."""

from __future__ import annotations

import os
import re
import shutil

import pytest

# The metric contract of the exporter: every name a rule or
# a dashboard query may use. Histograms list their base name; _bucket/_sum/_count are derived.
CONTRACT_METRICS = frozenset({
    "codedeploy_target_info",
    "codedeploy_target_status",
    "codedeploy_target_last_updated_timestamp_seconds",
    "codedeploy_lifecycle_event_status",
    "codedeploy_lifecycle_event_start_timestamp_seconds",
    "codedeploy_lifecycle_event_duration_seconds",
    "codedeploy_lifecycle_event_diagnostics_info",
    "codedeploy_lambda_target_version_weight",
    "codedeploy_ecs_task_set_traffic_weight",
    "codedeploy_ecs_task_set_desired_tasks",
    "codedeploy_ecs_task_set_pending_tasks",
    "codedeploy_ecs_task_set_running_tasks",
    "codedeploy_ecs_task_set_status",
    "codedeploy_cloudformation_target_version_weight",
    "codedeploy_deployment_info",
    "codedeploy_deployment_status",
    "codedeploy_deployment_create_timestamp_seconds",
    "codedeploy_deployment_complete_timestamp_seconds",
    "codedeploy_deployment_targets",
    "codedeploy_exporter_build_info",
    "codedeploy_exporter_api_requests_total",
    "codedeploy_exporter_api_request_errors_total",
    "codedeploy_exporter_api_request_duration_seconds",
    "codedeploy_exporter_poll_duration_seconds",
    "codedeploy_exporter_last_poll_success_timestamp_seconds",
    "codedeploy_exporter_target_poll_success",
    "codedeploy_exporter_targets",
    "codedeploy_exporter_shard_ordinal",
    "codedeploy_exporter_total_shards",
    "codedeploy_exporter_config_last_reload_successful",
    "codedeploy_exporter_config_last_reload_success_timestamp_seconds",
})
HISTOGRAMS = frozenset({"codedeploy_exporter_api_request_duration_seconds"})
# The event consumer's self-metrics: exported only with `events` configured (docs/events.md), so
# the demo does not have them; tests/e2e/test_events_alert.py checks them on an exporter that does.
EVENT_METRICS = frozenset({
    "codedeploy_exporter_events_received_total",
    "codedeploy_exporter_events_applied_total",
    "codedeploy_exporter_events_ignored_total",
    "codedeploy_exporter_events_malformed_total",
    "codedeploy_exporter_event_age_seconds",
    "codedeploy_exporter_event_refreshes_total",
    "codedeploy_exporter_last_event_refresh_timestamp_seconds",
    "codedeploy_exporter_event_consumer_errors_total",
})

_METRIC_TOKEN = re.compile(r"\bcodedeploy_[a-zA-Z0-9_]+")


def metric_names(promql: str) -> set[str]:
    """Metric names a PromQL expression selects (only the project's codedeploy_* names)."""
    names = set()
    for token in _METRIC_TOKEN.findall(promql):
        for suffix in ("_bucket", "_sum", "_count"):
            base = token.removesuffix(suffix)
            if base != token and base in HISTOGRAMS:
                token = base
        names.add(token)
    return names


def require_binary(*names: str) -> str:
    """Path of the first of ``names`` on PATH.

    Missing binaries skip the test on a developer machine but fail it in CI (env ``CI``
    set), so a CI image without Prometheus can never pass by skipping.
    """
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    message = (f"none of {', '.join(names)} found on PATH; on Debian install them with "
               "`apt-get install prometheus prometheus-alertmanager`")
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(message)


def panel_queries(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of every non-row panel of a Grafana dashboard."""
    return [(panel["title"], query["expr"])
            for panel in dashboard["panels"] if panel["type"] != "row"
            for query in panel.get("targets", [])]
