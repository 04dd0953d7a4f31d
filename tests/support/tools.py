"""Helpers shared by the monitoring tests: external binaries and the metric contract."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from exporter.exposition.families.table import FAMILIES
from tools.generate.rules import recorded_names

# The metric contract of the exporter: every name a rule or a dashboard query may use, read
# from the family table (exporter.exposition.families.table).
CONTRACT_METRICS = frozenset(family.name for family in FAMILIES)
# The recording rules' series (exporter/monitoring/rules.yaml), which the dashboard reads.
RECORDED_METRICS = recorded_names()
# What the shipped rules and dashboard may select.
MONITORING_METRICS = CONTRACT_METRICS | RECORDED_METRICS
# Histograms (gauge histograms too) and summaries: their _bucket/_sum/_count series are named
# after the family.
HISTOGRAMS = frozenset(family.name for family in FAMILIES if family.type in ("histogram", "summary", "gaugehistogram"))
# The event consumer's families: exported only with `events` configured (docs/events.md), so the
# demo does not have them; tests/e2e/test_events_alert.py checks them on an exporter that does.
EVENT_METRICS = frozenset(
    name
    for name in CONTRACT_METRICS
    if name.startswith(("codedeploy_exporter_event", "codedeploy_exporter_last_event"))
)

# A recorded name (level:codedeploy_metric:operation, level possibly empty) or a family's.
_METRIC_TOKEN = re.compile(r"(?<![\w:])(?:[a-z_]*:codedeploy_[a-zA-Z0-9_]+:[a-zA-Z0-9_]+|codedeploy_[a-zA-Z0-9_]+)")


def metric_names(promql: str) -> set[str]:
    """Metric names a PromQL expression selects (only the project's codedeploy_* names and the
    recording rules' level:codedeploy_*:operation names)."""
    names = set()
    for token in _METRIC_TOKEN.findall(promql):
        for suffix in ("_bucket", "_sum", "_count"):
            base = token.removesuffix(suffix)
            if base != token and base in HISTOGRAMS:
                token = base
        names.add(token)
    return names


def require_binary(*names: str, packages: str = "prometheus prometheus-alertmanager") -> str:
    """Path of the first of ``names`` on PATH (``packages``: the Debian packages that have them).

    Missing binaries skip the test on a developer machine but fail it in CI (env ``CI``
    set), so a CI image without Prometheus (or Chromium) can never pass by skipping.
    """
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    message = f"none of {', '.join(names)} found on PATH; on Debian install them with `apt-get install {packages}`"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(message)


def panel_queries(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of every non-row panel of a Grafana dashboard."""
    return [
        (panel["title"], query["expr"])
        for panel in dashboard["panels"]
        if panel["type"] != "row"
        for query in panel.get("targets", [])
    ]
