"""The per-group lifecycle-event duration history: one gauge histogram per deployment group and
lifecycle event, over the targets of the group's finished deployments the exporter holds.

A gauge histogram, not a counter histogram: it describes a set (the finished deployments within
`poll.retention`) that a restart reads back whole, so its value is the same after a restart and
nothing is counted twice; `histogram_quantile` reads it as it is, without `rate()`. Sample
functions take exporter.exposition.views' GroupView.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from exporter.exposition.families.base import Family, Level, SuffixedSample, bucket_samples, le_values
from exporter.exposition.text import escape
from exporter.model import HOOK_DURATION_BUCKETS

if TYPE_CHECKING:
    from exporter.exposition.views import GroupView

_LE = le_values(HOOK_DURATION_BUCKETS)


def _hook_durations(v: GroupView) -> Iterator[SuffixedSample]:
    for event, histogram in v.hook_durations or ():
        # Buckets only: `_gcount` and `_gsum` would be help-less untyped families in the 0.0.4
        # format (promtool check metrics rejects them); the +Inf bucket is the count, and the
        # per-deployment summary (codedeploy_deployment_lifecycle_event_duration_seconds) has sums.
        yield from bucket_samples(f'lifecycle_event="{escape(event)}"', _LE, histogram.buckets)


HOOK_HISTORY_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_deployment_group_lifecycle_event_duration_seconds",
        "gaugehistogram",
        "Durations (endTime - startTime) of each lifecycle event over the targets of the group's "
        "finished deployments the exporter holds (within poll.retention), each target's hook once; "
        "buckets 1 s to 3 h. A gauge histogram: deployments ageing out of retention leave it, and a "
        "restart reads the same deployments back, so use it without rate(), e.g. "
        "histogram_quantile(0.9, ..._bucket).",
        Level.DEPLOYMENT_GROUP,
        ("lifecycle_event",),
        unit="seconds",
        value="gauge histogram: `_bucket` (`le` 1 s to 3 h, +Inf: the count)",
        samples=_hook_durations,
        stability="experimental",
    ),
)
