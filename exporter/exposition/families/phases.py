"""Work and waiting of a listed group's deployments: a gauge histogram per phase (active,
waiting) and final status, over the deployments that completed within `metrics.duration_window`,
computed from the group's history (exporter.collect.history; the phases from
exporter.collect.phases). The same after a restart: the history is read back at start.
Sample functions take exporter.exposition.views' GroupView.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from exporter.exposition.families.base import Family, Level, SuffixedSample

if TYPE_CHECKING:
    from exporter.exposition.views import GroupView

# 30 s to 8 h: a Lambda deployment's minutes to an EC2 fleet's hours and a blue/green
# deployment's termination wait (up to 2 days: those land in +Inf). 11 bounds and +Inf.
PHASE_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0)
PHASES = ("active", "waiting")
PHASE_STATUSES = ("Failed", "Stopped", "Succeeded")
_LE = (*(str(int(b)) for b in PHASE_BUCKETS), "+Inf")


@dataclass(frozen=True, slots=True)
class PhaseHistograms:
    """Cumulative counts (PHASE_BUCKETS, then +Inf) per (phase, status), in PHASES x
    PHASE_STATUSES order; `left_out`: deployments of the window whose phases are unknown."""

    buckets: tuple[tuple[int, ...], ...]
    left_out: int = 0


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
