"""The per-group lifecycle-event duration history, added up from the per-hook aggregates that
finished deployments keep (TrackedDeployment.hooks, made once when they settle).

What it counts is a set, not a stream: the targets' hooks of the group's finished deployments
the exporter holds (those within `poll.retention`). A restart reads those deployments back from
the API, so the histogram comes back the same and no hook is counted twice (a counter seeded at
start would be, by increase() across the restart). Each target's hook is counted once: the
aggregates count a hook name once per target (exporter.model.aggregate_hooks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from exporter.collect.deployments import TrackedDeployment
from exporter.config import AwsSettings
from exporter.exposition.views import GroupView
from exporter.model import HOOK_DURATION_BUCKETS, HookAggregate, HookHistogram

GroupKey = tuple[str, str, str, str]  # account id, region, application, deployment group
_History = tuple[tuple[str, HookHistogram], ...]
_EMPTY = (0,) * (len(HOOK_DURATION_BUCKETS) + 1)


def add_up(hooks: Iterable[tuple[str, HookAggregate]]) -> _History:
    """Per lifecycle event, the cumulative histogram of the aggregates given."""
    counts: dict[str, list[int]] = {}
    for name, agg in hooks:
        if agg.duration_buckets is None:
            continue
        total = counts.get(name)
        if total is None:
            total = counts[name] = list(_EMPTY)
        for i, n in enumerate(agg.duration_buckets):
            total[i] += n
    history = []
    for name in sorted(counts):
        running, cumulative = 0, []
        for n in counts[name]:
            running += n
            cumulative.append(running)
        history.append((name, HookHistogram(tuple(cumulative))))
    return tuple(history)


class HookHistory:
    """Each group's history, added up again only when its set of finished deployments changed
    (a finished deployment's aggregates never change), so a steady fleet costs one pass over
    its deployment IDs per poll."""

    def __init__(self) -> None:
        self._cache: dict[GroupKey, tuple[frozenset[str], _History]] = {}

    def attach(
        self,
        views: Sequence[GroupView],
        deployments: Iterable[TrackedDeployment],
        identity: Callable[[AwsSettings], tuple[str, str]],
    ) -> list[GroupView]:
        """The group views with their history; a group with no finished deployment held gets
        an empty one (no series)."""
        settled: dict[GroupKey, list[TrackedDeployment]] = {}
        for tracked in deployments:
            record = tracked.record
            if tracked.hooks is None or record is None:
                continue  # running, or finished with targets not all read yet
            account, region = identity(tracked.aws)
            settled.setdefault((account, region, record.application, record.deployment_group), []).append(tracked)
        cache: dict[GroupKey, tuple[frozenset[str], _History]] = {}
        out = []
        for view in views:
            key = (view.account, view.region, view.application, view.deployment_group)
            members = settled.get(key, [])
            ids = frozenset(t.deployment_id for t in members)
            cached = self._cache.get(key)
            if cached is None or cached[0] != ids:
                cached = (ids, add_up((name, agg) for t in members for name, agg in (t.hooks or {}).items()))
            cache[key] = cached
            out.append(replace(view, hook_durations=cached[1]))
        self._cache = cache
        return out
