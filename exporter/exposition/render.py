"""From records to lines: the family table (exporter.exposition.families.table) applied to
one target, deployment or deployment group, as per-family lines. Which families and which of
their series are rendered is the :class:`~exporter.exposition.selection.Selection` (sparse
status sets, lifecycle-event detail, include/exclude), applied here and nowhere else.
exporter.exposition.cache decides what needs rendering."""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterable
from typing import cast

from exporter.exposition.families.base import (
    SUFFIXED_TYPES,
    Family,
    Level,
    PlainSamples,
    Samples,
    SparseSamples,
    SuffixedSamples,
    nested_prefix,
)
from exporter.exposition.families.target import FINISHED_TARGET_FAMILIES
from exporter.exposition.selection import Selection
from exporter.exposition.text import fmt
from exporter.exposition.views import DeploymentView, GroupView, TargetView, group_prefix
from exporter.model import Target, aggregate_hooks

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


class Plan:
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
        self.group = tuple((f.name, f.samples, f.type in SUFFIXED_TYPES) for f in s.families(Level.DEPLOYMENT_GROUP))
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


def render_target(view: TargetView, plan: Plan) -> Fragments:
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


def render_deployment(view: DeploymentView, members: Iterable[Target | None], plan: Plan) -> Fragments:
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


def render_group(view: GroupView, plan: Plan) -> Fragments:
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
    plan = Plan(selection)
    members: dict[Hashable, list[Target | None]] = {}
    for view in targets:
        members.setdefault(view.owner, []).append(view.target)
        yield from encode(render_target(view, plan)).values()
    for dview in deployments:
        yield from encode(render_deployment(dview, members.get(dview.key, ()), plan)).values()


def encode(fragments: Fragments) -> Encoded:
    # "replace": a lone surrogate decoded from a JSON escape must not fail the whole poll.
    return {name: "".join(lines).encode("utf-8", "replace") for name, lines in fragments.items()}
