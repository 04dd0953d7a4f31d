"""DORA families of a deployment group: changes and change failures (counters), recovery time
(a histogram) and the restart-proof window gauges computed from the group's history
(exporter.collect.history). The rules are in exporter.collect.dora_rules and docs/monitoring.md.

Sample functions take exporter.exposition.views' GroupView; they yield nothing for a group
without a DoraView (a group no source lists: not every deployment of it is seen).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from exporter.exposition.families.base import Family, Level, Sample, SuffixedSample, histogram_samples, le_values
from exporter.exposition.text import escape, label_pairs
from exporter.group_figures import RECOVERY_BUCKETS, WindowFigures

if TYPE_CHECKING:
    from exporter.exposition.views import GroupView


def _changes(v: GroupView) -> Iterator[Sample]:
    if v.dora is not None:
        yield "", v.dora.changes


def _failures(v: GroupView) -> Iterator[Sample]:
    if v.dora is not None:
        for cause, count in v.dora.failures:
            yield label_pairs(cause=cause), count


_RECOVERY_LE = le_values(RECOVERY_BUCKETS)


def _recovery(v: GroupView) -> Iterator[SuffixedSample]:
    if v.dora is not None:
        yield from histogram_samples("", _RECOVERY_LE, v.dora.recovery)


def _windows(v: GroupView) -> tuple[WindowFigures, ...]:
    return (v.dora.windows or ()) if v.dora is not None else ()


def _window_deployments(v: GroupView) -> Iterator[Sample]:
    for figures in _windows(v):
        for status, count in figures.statuses:
            yield f'window="{escape(figures.window)}",status="{status}"', count


def _window_changes(v: GroupView) -> Iterator[Sample]:
    for figures in _windows(v):
        yield f'window="{escape(figures.window)}"', figures.changes


def _window_change_failures(v: GroupView) -> Iterator[Sample]:
    for figures in _windows(v):
        yield f'window="{escape(figures.window)}"', figures.change_failures


_COUNTED = (
    " Counted when the exporter sees it happen (not history read at start); restarts at 0 with "
    "the exporter: use increase(). Listed groups (deployment_groups, discovery) only."
)
_WINDOW = (
    " Computed at each poll from the group's history, read back over the longest window at start: "
    "the same value after a restart. Listed groups only, once their history is read."
)

DORA_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_deployment_changes_total",
        "counter",
        "Changes: deployments of the group that reached users (Succeeded, or Failed/Stopped after "
        "traffic reached users, rule per platform in docs/monitoring.md), automatic rollbacks "
        "excepted, counted once when terminal." + _COUNTED,
        Level.DEPLOYMENT_GROUP,
        value="changes",
        samples=_changes,
        stability="experimental",
    ),
    Family(
        "codedeploy_deployment_change_failures_total",
        "counter",
        "Changes that had to be remediated, by cause: rollback (CodeDeploy rolled the change back) "
        "or redeploy (the group's next change deployed an earlier revision within "
        "metrics.change_failure_window). Counted when the remediation is seen." + _COUNTED,
        Level.DEPLOYMENT_GROUP,
        ("cause",),
        value="changes; both causes start at 0",
        samples=_failures,
        stability="experimental",
    ),
    Family(
        "codedeploy_deployment_recovery_seconds",
        "histogram",
        "Time to restore: from the completion of the first Failed or Stopped deployment of a streak "
        "to the completion of the group's next Succeeded one; buckets 1 min to 7 d." + _COUNTED,
        Level.DEPLOYMENT_GROUP,
        unit="seconds",
        value="histogram",
        samples=_recovery,
        stability="experimental",
    ),
    Family(
        "codedeploy_deployment_group_window_deployments",
        "gauge",
        "Deployments of the group that completed within the window (metrics.windows), by terminal status." + _WINDOW,
        Level.DEPLOYMENT_GROUP,
        ("window", "status"),
        value="deployments",
        samples=_window_deployments,
        stability="experimental",
    ),
    Family(
        "codedeploy_deployment_group_window_changes",
        "gauge",
        "Changes (deployments that reached users, automatic rollbacks excepted) that completed "
        "within the window." + _WINDOW,
        Level.DEPLOYMENT_GROUP,
        ("window",),
        value="changes",
        samples=_window_changes,
        stability="experimental",
    ),
    Family(
        "codedeploy_deployment_group_window_change_failures",
        "gauge",
        "Changes that completed within the window and are known to have been remediated "
        "(rolled back, or followed by a redeploy of an earlier revision)." + _WINDOW,
        Level.DEPLOYMENT_GROUP,
        ("window",),
        value="changes",
        samples=_window_change_failures,
        stability="experimental",
    ),
)
