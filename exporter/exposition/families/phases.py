"""Work and waiting of a listed group's deployments: a gauge histogram per phase (active,
waiting) and final status, over the deployments that completed within `metrics.duration_window`,
computed from the group's history (exporter.collect.history; the phases from
exporter.collect.phases). The same after a restart: the history is read back at start.
Sample functions take exporter.exposition.views' GroupView.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from exporter.exposition.families.base import Family, Level, SuffixedSample
from exporter.group_figures import PHASE_BUCKETS, PHASE_STATUSES, PHASES

if TYPE_CHECKING:
    from exporter.exposition.views import GroupView

_LE = (*(str(int(b)) for b in PHASE_BUCKETS), "+Inf")


def _phase_durations(v: GroupView) -> Iterator[SuffixedSample]:
    histograms = v.dora.phases if v.dora is not None else None
    if histograms is None:
        return
    pairs = ((phase, status) for phase in PHASES for status in PHASE_STATUSES)
    for (phase, status), buckets in zip(pairs, histograms.buckets, strict=True):
        own = f'phase="{phase}",status="{status}"'
        # Buckets only, as the hook history: the +Inf bucket is the count.
        for le, count in zip(_LE, buckets, strict=True):
            yield "_bucket", f'{own},le="{le}"', count


PHASE_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_deployment_group_phase_duration_seconds",
        "gaugehistogram",
        "Durations of the group's deployments that completed within metrics.duration_window, by "
        "final status and phase: active (start until the deployment first reached Ready or Baking, "
        "or completed) and waiting (time in Ready and Baking); buckets 30 s to 8 h. Computed from the "
        "group's history, read back at start: the same after a restart. Deployments whose waits "
        "neither a poll saw nor the record tells (a manual reroute read back at start) are left out. "
        "Listed groups only, once their history is read; use it without rate().",
        Level.DEPLOYMENT_GROUP,
        ("phase", "status"),
        unit="seconds",
        value="gauge histogram: `_bucket` (`le` 30 s to 8 h, +Inf: the count)",
        samples=_phase_durations,
        stability="experimental",
    ),
)
