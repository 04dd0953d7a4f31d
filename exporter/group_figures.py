"""A deployment group's DORA and phase figures as the collector hands them to the renderer:
immutable records (compared to skip re-rendering) and the bucket bounds and label values they
are counted in. Made by exporter.collect.history, read by exporter.exposition.families.dora and
.phases through exporter.exposition.views.GroupView; they import nothing of the exporter's.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

# 30 s to 8 h: a Lambda deployment's minutes to an EC2 fleet's hours and a blue/green
# deployment's termination wait (up to 2 days: those land in +Inf). 11 bounds and +Inf.
PHASE_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0)
PHASES = ("active", "waiting")
PHASE_STATUSES = ("Failed", "Stopped", "Succeeded")


@dataclass(frozen=True, slots=True)
class PhaseHistograms:
    """Cumulative counts (PHASE_BUCKETS, then +Inf) per (phase, status), in PHASES x
    PHASE_STATUSES order (a +Inf of 0: no deployment counts in that pair; waiting counts only
    deployments that waited); `left_out`: deployments of the window whose phases are unknown."""

    buckets: tuple[tuple[int, ...], ...]
    left_out: int = 0


# Minutes to days: 1m, 5m, 15m, 30m, 1h, 2h, 4h, 12h, 1d, 2d, 7d.
RECOVERY_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0, 172800.0, 604800.0)
CAUSES = ("redeploy", "rollback")
WINDOW_STATUSES = ("Failed", "Stopped", "Succeeded")


@dataclass(frozen=True, slots=True)
class RecoveryHistogram:
    buckets: tuple[int, ...] = (0,) * len(RECOVERY_BUCKETS)  # cumulative, per RECOVERY_BUCKETS bound
    sum: float = 0.0
    count: int = 0

    def observe(self, value: float) -> RecoveryHistogram:
        first = bisect.bisect_left(RECOVERY_BUCKETS, value)
        buckets = tuple(n + 1 if i >= first else n for i, n in enumerate(self.buckets))
        return RecoveryHistogram(buckets, self.sum + value, self.count + 1)


@dataclass(frozen=True, slots=True)
class WindowFigures:
    """One window's figures, from the deployments that completed within it."""

    window: str  # as configured: the label value
    statuses: tuple[tuple[str, int], ...]  # (status, deployments) for WINDOW_STATUSES
    changes: int
    change_failures: int


@dataclass(frozen=True, slots=True)
class DoraView:
    """A listed group's DORA figures (immutable: compared to skip re-rendering)."""

    changes: int
    failures: tuple[tuple[str, int], ...]  # (cause, count) for CAUSES
    recovery: RecoveryHistogram
    windows: tuple[WindowFigures, ...] | None  # None until the group's history has been read
    phases: PhaseHistograms | None = None  # over metrics.duration_window; None: not yet read, or not wanted
