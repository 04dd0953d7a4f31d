"""Work and waiting of a listed group's deployments: a gauge histogram per phase (active,
waiting) and final status that some deployment counts in (active/Succeeded always), over the
deployments that completed within `metrics.duration_window`, computed from the group's history
(exporter.collect.history; the phases from exporter.collect.phases). The same after a restart:
the history is read back at start. Sample functions take exporter.exposition.views' GroupView.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from exporter.exposition.families.base import Family, Level, SuffixedSample, bucket_samples, le_values
from exporter.group_figures import PHASE_BUCKETS, PHASE_STATUSES, PHASES

if TYPE_CHECKING:
    from exporter.exposition.views import GroupView

_LE = le_values(PHASE_BUCKETS)
# Always present once the history is read, 0 counts included: the pair the shipped rules read
# (deployment_group:codedeploy_deployment_active_seconds:count), so that a listed group with no
# Succeeded deployment in the window has a count of 0 ("count < minDeployments" lists it among
# the groups on the fixed fallback) rather than no series. It costs nothing where the group
# deployed successfully in the window, 12 series where it did not.
ALWAYS = ("active", "Succeeded")


def _phase_durations(v: GroupView) -> Iterator[SuffixedSample]:
    histograms = v.dora.phases if v.dora is not None else None
    if histograms is None:
        return
    pairs = ((phase, status) for phase in PHASES for status in PHASE_STATUSES)
    for (phase, status), buckets in zip(pairs, histograms.buckets, strict=True):
        # Like a client library's labelled histogram, a pair appears once a deployment of the
        # window counts in it (+Inf, the count, above 0) and leaves with the last one: most
        # groups never wait (in place, Lambda) and many never stop, 12 series per pair.
        if buckets[-1] == 0 and (phase, status) != ALWAYS:
            continue
        # Buckets only, as the hook history: the +Inf bucket is the count.
        yield from bucket_samples(f'phase="{phase}",status="{status}"', _LE, buckets)


PHASE_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_deployment_group_phase_duration_seconds",
        "gaugehistogram",
        "Durations of the group's deployments that completed within metrics.duration_window, by "
        "final status and phase: active (start until the deployment first reached Ready or Baking, "
        "or completed) and waiting (time in Ready and Baking, only deployments that reached one); "
        "buckets 30 s to 8 h. A (phase, status) pair appears once a deployment of the window counts "
        "in it, except active/Succeeded, always present (0 included). Computed from the group's "
        "history, read back at start: the same after a restart. Deployments whose waits neither a "
        "poll saw nor the record tells (a manual reroute read back at start) are left out. Listed "
        "groups only, once their history is read; use it without rate().",
        Level.DEPLOYMENT_GROUP,
        ("phase", "status"),
        unit="seconds",
        value="gauge histogram: `_bucket` (`le` 30 s to 8 h, +Inf: the count)",
        samples=_phase_durations,
        stability="experimental",
    ),
)
