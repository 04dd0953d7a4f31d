"""Renders the family table (exporter.exposition.families.table) for targets and deployments,
once per poll.

Each target's and deployment's lines are rendered into per-family fragments and cached; a
target whose record did not change (every frozen one, most polled ones) reuses its fragments,
so a poll costs rendering time only for what changed plus one join. Which families and which
of their series are rendered is the :class:`~exporter.exposition.selection.Selection` (sparse
status sets, lifecycle-event detail, include/exclude), applied here and nowhere else.

Per-deployment, per-lifecycle-event aggregates are computed from the records of the
deployment's tracked targets (or kept by the poller once it has settled), and re-rendered only
when one of those records changed. Settled deployments are sealed in compressed segments
(exporter.exposition.segments) and their plain fragments dropped.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Hashable, Iterable
from typing import cast

from exporter.exposition.body import Plain, Section
from exporter.exposition.families.base import (
    Family,
    Level,
    PlainSamples,
    Samples,
    SparseSamples,
    SuffixedSamples,
    identity_prefix,
    nested_prefix,
)
from exporter.exposition.families.table import BY_NAME, FAMILIES
from exporter.exposition.families.target import FINISHED_TARGET_FAMILIES
from exporter.exposition.segments import Segments
from exporter.exposition.selection import Selection
from exporter.exposition.text import fmt
from exporter.exposition.views import (
    DeploymentView,
    GroupView,
    TargetView,
    deployment_view,
    group_prefix,
)
from exporter.model import Deployment, Target, aggregate_hooks

log = logging.getLogger(__name__)
_event_prefix = nested_prefix(Level.LIFECYCLE_EVENT)
_task_set_prefix = nested_prefix(Level.TASK_SET)
_hook_prefix = nested_prefix(Level.DEPLOYMENT_LIFECYCLE_EVENT)


Fragments = dict[str, list[str]]  # family name -> list of rendered lines
Encoded = dict[str, bytes]  # family name -> rendered lines as UTF-8 bytes


def _bound(families: tuple[Family, ...], sparse: bool) -> tuple[tuple[str, PlainSamples], ...]:
    # Family.sparse says which kind of sample function a family has.
    return tuple(
        (
            f.name,
            functools.partial(cast(SparseSamples, f.samples), sparse=sparse)
            if f.sparse
            else cast(PlainSamples, f.samples),
        )
        for f in families
    )


class _Plan:
    """The selection turned into per-level (name, sample function) lists, made once."""

    def __init__(self, selection: Selection) -> None:
        s = selection
        self.selection = s
        self.target = _bound(s.families(Level.TARGET), s.sparse_status)
        self.finished_target = tuple((name, f) for name, f in self.target if name in FINISHED_TARGET_FAMILIES)
        self.event = _bound(s.families(Level.LIFECYCLE_EVENT), s.sparse_status)
        self.task_set = _bound(s.families(Level.TASK_SET), s.sparse_status)
        self.deployment = _bound(s.families(Level.DEPLOYMENT), s.sparse_status)
        hooks = s.families(Level.DEPLOYMENT_LIFECYCLE_EVENT)
        self.hook = tuple((f.name, f.samples, f.type == "summary") for f in hooks)
        self.group = tuple((f.name, f.samples, f.type == "histogram") for f in s.families(Level.DEPLOYMENT_GROUP))
        self.all_hooks = s.lifecycle_events == "all"


def _emit(out: dict[str, list[str]], families: tuple[tuple[str, PlainSamples], ...], obj: object, prefix: str) -> None:
    for name, samples in families:
        for labels, value in samples(obj):
            # fmt inlined for the common cases: ints and integral floats.
            text = str(value) if type(value) is int else fmt(value)
            line = f"{name}{{{prefix},{labels}}} {text}\n" if labels else f"{name}{{{prefix}}} {text}\n"
            lines = out.get(name)
            if lines is None:
                out[name] = [line]
            else:
                lines.append(line)


def render_target(view: TargetView, plan: _Plan) -> Fragments:
    """All series of one target, as family name -> lines."""
    out: dict[str, list[str]] = {}
    prefix = view.prefix
    target = view.target
    if view.deployment_finished and not plan.all_hooks:
        # Finished: what explains the outcome (FINISHED_TARGET_FAMILIES), and a failure's hook.
        _emit(out, plan.finished_target, view, prefix)
        failed = target.failed_event() if target is not None and target.status == "Failed" else None
        if failed is not None:
            _emit(out, plan.event, (view, failed), _event_prefix(prefix, failed.name))
        return out
    _emit(out, plan.target, view, prefix)
    if target is None:
        return out
    if plan.event:
        seen: set[str] = set()
        for event in target.lifecycle_events:
            if event.name in seen:  # a repeated hook name would duplicate series
                continue
            seen.add(event.name)
            _emit(out, plan.event, (view, event), _event_prefix(prefix, event.name))
    if plan.task_set:
        seen_sets: set[str] = set()
        for task_set in target.task_sets:
            if task_set.id in seen_sets:
                continue
            seen_sets.add(task_set.id)
            task_set_prefix = _task_set_prefix(prefix, task_set.id, task_set.label)
            _emit(out, plan.task_set, (view, task_set), task_set_prefix)
    return out


def _family_lines(name: str, prefix: str, samples: Samples | None, suffixed: bool, obj: object) -> list[str]:
    """One family's lines for one object; a summary's or histogram's samples name their suffix."""
    if suffixed:
        rows: Iterable[tuple[str, str, float]] = (
            (name + suffix, labels, value) for suffix, labels, value in cast(SuffixedSamples, samples)(obj)
        )
    else:
        rows = ((name, labels, value) for labels, value in cast(PlainSamples, samples)(obj))
    return [
        f"{n}{{{prefix},{labels}}} {fmt(v)}\n" if labels else f"{n}{{{prefix}}} {fmt(v)}\n" for n, labels, v in rows
    ]


def render_deployment(view: DeploymentView, members: Iterable[Target | None], plan: _Plan) -> Fragments:
    """The deployment's own series and its per-lifecycle-event aggregates."""
    out: dict[str, list[str]] = {}
    _emit(out, plan.deployment, view, view.prefix)
    if plan.hook:
        hooks = view.hooks if view.hooks is not None else aggregate_hooks(members)
        for hook, agg in hooks.items():
            prefix = _hook_prefix(view.prefix, hook)
            for name, samples, summary in plan.hook:
                lines = _family_lines(name, prefix, samples, summary, agg)
                if lines:
                    out.setdefault(name, []).extend(lines)
    return out


def render_group(view: GroupView, plan: _Plan) -> Fragments:
    """A deployment group's state and counters."""
    out: Fragments = {}
    prefix = group_prefix(view)
    for name, samples, histogram in plan.group:
        lines = _family_lines(name, prefix, samples, histogram, view)
        if lines:
            out[name] = lines
    return out


def render_uncached(
    targets: Iterable[TargetView], deployments: Iterable[DeploymentView], selection: Selection
) -> Iterable[bytes]:
    """The same series as ExpositionCache with ``selection``, one object at a time and kept
    nowhere (not grouped by family): for counting what another setting would cost."""
    plan = _Plan(selection)
    members: dict[Hashable, list[Target | None]] = {}
    for view in targets:
        members.setdefault(view.owner, []).append(view.target)
        yield from _encode(render_target(view, plan)).values()
    for dview in deployments:
        yield from _encode(render_deployment(dview, members.get(dview.key, ()), plan)).values()


class ExpositionCache:
    """Keeps each target's and deployment's rendered fragments between polls, as bytes, so a
    poll's body is one join over cached pieces (no re-encoding, no intermediate copies)."""

    def __init__(self, selection: Selection | None = None) -> None:
        self.selection = selection if selection is not None else Selection()
        self._plan = _Plan(self.selection)
        # A sealed target's or deployment's fragments are None: its lines are in a segment.
        self._targets: dict[Hashable, tuple[TargetView, Encoded | None]] = {}
        self._deployments: dict[Hashable, tuple[DeploymentView, tuple[Target | None, ...], Encoded | None]] = {}
        self._segments = Segments()
        self._groups: dict[_GroupKey, tuple[GroupView, Encoded]] = {}
        # Rendered identity labels, kept here rather than on the poller's records.
        self._prefixes: dict[Hashable, tuple[tuple[str, ...], str]] = {}
        self._prefixes_used: dict[Hashable, tuple[tuple[str, ...], str]] = {}
        self.rendered_last = 0  # how many fragments the last render had to build (for benchmarks)
        # An object whose samples cannot be made is left out (cached as nothing until its
        # record changes) and reported here: one object never costs the page. The exporter
        # reports through exporter.aws.parse_errors.ParseErrors.failed.
        self.report: Callable[[str, str, str, BaseException], None] = _log_failure

    def prefix(self, key: Hashable, level: Level, *values: str) -> str:
        """The identity labels of the object ``key`` (see identity_prefix), rebuilt only when one
        of them changed since the last poll."""
        cached = self._prefixes.get(key)
        if cached is None or cached[0] != values:
            cached = (values, identity_prefix(level, *values))
        self._prefixes_used[key] = cached
        return cached[1]

    def _cached_target(self, view: TargetView) -> Encoded | None:
        """The target's fragments from the last poll when nothing they show changed (a sealed
        target has none kept: ``{}``), else None."""
        cached = self._targets.get(view.key)
        if cached is not None:
            old = cached[0]
            if (
                (old.target is view.target or old.target == view.target)
                and old.prefix == view.prefix
                and old.success == view.success
                and old.frozen == view.frozen
                and old.deployment_finished == view.deployment_finished
            ):
                return cached[1] if cached[1] is not None else {}
        return None

    def _target_fragments(self, view: TargetView) -> Encoded:
        cached = self._targets.get(view.key)
        if cached is not None and cached[1] is not None:
            found = self._cached_target(view)
            if found is not None:
                return found
        self.rendered_last += 1
        target = view.target
        return self._guarded(
            lambda: render_target(view, self._plan),
            "BatchGetDeploymentTargets",
            f"targetId={target.target_id}" if target is not None else "",
        )

    def _deployment_unchanged(self, view: DeploymentView, members: tuple[Target | None, ...]) -> bool:
        cached = self._deployments.get(view.key)
        if cached is None:
            return False
        old, old_members, _ = cached
        # Tuple comparison checks identity first: unchanged records compare in no time.
        return (
            (old.deployment is view.deployment or old.deployment == view.deployment)
            and old.prefix == view.prefix
            and old.hooks is view.hooks
            and old_members == members
        )

    def _deployment_fragments(self, view: DeploymentView, members: tuple[Target | None, ...]) -> Encoded:
        cached = self._deployments.get(view.key)
        if cached is not None and cached[2] is not None and self._deployment_unchanged(view, members):
            return cached[2]
        self.rendered_last += 1
        return self._guarded(
            lambda: render_deployment(view, members, self._plan),
            "BatchGetDeployments",
            f"deploymentId={view.deployment.deployment_id}",
        )

    def _group_fragments(self, view: GroupView) -> Encoded:
        cached = self._groups.get(_group_key(view))
        if cached is not None and cached[0] == view:
            return cached[1]
        self.rendered_last += 1
        return self._guarded(
            lambda: render_group(view, self._plan),
            "BatchGetDeploymentGroups",
            f"deploymentGroupName={view.deployment_group}",
        )

    def _guarded(self, render: Callable[[], Fragments], operation: str, object_id: str) -> Encoded:
        try:
            return _encode(render())
        except Exception as exc:
            self.report(operation, "render", object_id, exc)
            return {}

    def sections(
        self,
        targets: Iterable[TargetView],
        deployments: Iterable[DeploymentView | Deployment],
        groups: Iterable[GroupView] = (),
    ) -> list[Section]:
        """The exposition, family by family: live lines as cached byte strings, and settled
        deployments' lines as the members of their sealed segments."""
        self.rendered_last = 0
        by_family: dict[str, list[bytes]] = {name: [] for name in _RENDERED}

        def add(fragments: Encoded) -> None:
            for name, data in fragments.items():
                by_family[name].append(data)

        new_groups: dict[_GroupKey, tuple[GroupView, Encoded]] = {}
        for gview in groups:
            fragments = self._group_fragments(gview)
            new_groups[_group_key(gview)] = (gview, fragments)
            add(fragments)
        self._groups = new_groups
        self._prefixes, self._prefixes_used = self._prefixes_used, {}
        dviews = [item if isinstance(item, DeploymentView) else deployment_view(item) for item in deployments]
        # Settled deployments (aggregates kept, every target frozen) are sealed or may be.
        settled = {d.key for d in dviews if d.hooks is not None}
        members: dict[Hashable, list[Target | None]] = {}
        owned: dict[Hashable, list[TargetView]] = {}
        new_targets: dict[Hashable, tuple[TargetView, Encoded | None]] = {}
        for view in targets:
            members.setdefault(view.owner, []).append(view.target)
            if view.owner in settled:
                owned.setdefault(view.owner, []).append(view)
            else:
                new_targets[view.key] = (view, self._target_fragments(view))
                add(new_targets[view.key][1] or {})
        new_deployments: dict[Hashable, tuple[DeploymentView, tuple[Target | None, ...], Encoded | None]] = {}
        unchanged: set[Hashable] = set()
        for dview in dviews:
            records = tuple(members.get(dview.key, ()))
            new_deployments[dview.key] = (dview, records, None)
            if dview.key not in settled:
                new_deployments[dview.key] = (dview, records, self._deployment_fragments(dview, records))
                add(new_deployments[dview.key][2] or {})
            elif self._deployment_unchanged(dview, records) and all(
                self._cached_target(view) is not None for view in owned.get(dview.key, ())
            ):
                unchanged.add(dview.key)
        self._segments.keep(unchanged)
        for dview in dviews:
            if dview.key in self._segments:  # still sealed: nothing of it is kept plain
                for view in owned.get(dview.key, ()):
                    new_targets[view.key] = (view, None)
        # Settled deployments outside a segment: sealed by whole segments (rendered one segment
        # at a time, so a first poll never holds the whole body as plain bytes), the rest live.
        loose = [d for d in dviews if d.key in settled and d.key not in self._segments]
        size = self._segments.size
        whole = len(loose) - len(loose) % size
        for start in range(0, whole, size):
            group = loose[start : start + size]
            self._segments.seal(
                [
                    (
                        d.key,
                        [
                            self._deployment_fragments(d, new_deployments[d.key][1]),
                            *(self._target_fragments(view) for view in owned.get(d.key, ())),
                        ],
                    )
                    for d in group
                ]
            )
            for d in group:
                for view in owned.get(d.key, ()):
                    new_targets[view.key] = (view, None)
        for d in loose[whole:]:
            records = new_deployments[d.key][1]
            for view in owned.get(d.key, ()):
                new_targets[view.key] = (view, self._target_fragments(view))
                add(new_targets[view.key][1] or {})
            new_deployments[d.key] = (d, records, self._deployment_fragments(d, records))
            add(new_deployments[d.key][2] or {})
        # Entries that were not rendered this time (targets that left) drop out of the cache.
        self._targets, self._deployments = new_targets, new_deployments
        compressed = self._segments.members()
        return [
            Section(_HEADERS[name], _OPENMETRICS_HEADERS[name], tuple(by_family[name]), tuple(compressed.get(name, ())))
            for name in _RENDERED
            if by_family[name] or name in compressed
        ]

    def render(
        self,
        targets: Iterable[TargetView],
        deployments: Iterable[DeploymentView | Deployment] = (),
        groups: Iterable[GroupView] = (),
    ) -> str:
        return b"".join(Plain(self.sections(targets, deployments, groups), b"")).decode("utf-8")


_GroupKey = tuple[str, str, str, str]  # account, region, application, deployment group


def _log_failure(operation: str, reason: str, object_id: str, exc: BaseException) -> None:
    log.warning("event=parse_error operation=%s object=%s reason=%s error=%r", operation, object_id, reason, exc)


def _group_key(view: GroupView) -> _GroupKey:
    return (view.account, view.region, view.application, view.deployment_group)


_RENDERED = tuple(f.name for f in FAMILIES if f.samples is not None)
_HEADERS = {name: BY_NAME[name].header.encode("utf-8") for name in _RENDERED}
# The same samples as OpenMetrics 1.0 take other headers (with UNIT); the families rendered from
# records are gauges, counters, summaries and histograms, whose sample lines the two formats
# write alike: a counter's samples keep the `_total` OpenMetrics requires, only its header drops
# it (Family.openmetrics_header).
_OPENMETRICS_HEADERS = {name: BY_NAME[name].openmetrics_header.encode("utf-8") for name in _RENDERED}


def _encode(fragments: Fragments) -> Encoded:
    # "replace": a lone surrogate decoded from a JSON escape must not fail the whole poll.
    return {name: "".join(lines).encode("utf-8", "replace") for name, lines in fragments.items()}
