"""The exposition of each poll, rendered (exporter.exposition.render) only where something
changed.

Each target's and deployment's lines are rendered into per-family fragments and cached; a
target whose record did not change (every frozen one, most polled ones) reuses its fragments,
so a poll costs rendering time only for what changed plus one join.

Per-deployment, per-lifecycle-event aggregates are computed from the records of the
deployment's tracked targets (or kept by the poller once it has settled), and re-rendered only
when one of those records changed. Settled deployments are sealed in compressed segments
(exporter.exposition.segments) and their plain fragments dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable

from exporter.exposition.body import Plain, Run, Section
from exporter.exposition.families.base import Level, identity_prefix
from exporter.exposition.families.table import BY_NAME, FAMILIES
from exporter.exposition.render import (
    Encoded,
    Fragments,
    Plan,
    encode,
    render_deployment,
    render_group,
    render_target,
)
from exporter.exposition.segments import Segments
from exporter.exposition.selection import Selection
from exporter.exposition.views import DeploymentView, GroupView, TargetView, deployment_view
from exporter.model import Deployment, Target

log = logging.getLogger(__name__)


class ExpositionCache:
    """Keeps each target's and deployment's rendered fragments between polls, as bytes, so a
    poll's body is one join over cached pieces (no re-encoding, no intermediate copies)."""

    def __init__(self, selection: Selection | None = None) -> None:
        self.selection = selection if selection is not None else Selection()
        self._plan = Plan(self.selection)
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

    def _target_unchanged(self, view: TargetView) -> bool:
        """Whether nothing a target's lines show changed since the last poll (its fragments,
        or its sealed lines, still hold)."""
        cached = self._targets.get(view.key)
        if cached is None:
            return False
        old = cached[0]
        return (
            (old.target is view.target or old.target == view.target)
            and old.prefix == view.prefix
            and old.success == view.success
            and old.frozen == view.frozen
            and old.deployment_finished == view.deployment_finished
        )

    def _target_fragments(self, view: TargetView) -> Encoded:
        cached = self._targets.get(view.key)
        if cached is not None and cached[1] is not None and self._target_unchanged(view):
            return cached[1]
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
            return encode(render())
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
        deployments' lines as the compressed pieces of their sealed segments."""
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
                self._target_unchanged(view) for view in owned.get(dview.key, ())
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
        runs = self._segments.runs()
        return [
            Section(_HEADERS[name], _OPENMETRICS_HEADERS[name], tuple(by_family[name]), runs.get(name, Run()))
            for name in _RENDERED
            if by_family[name] or name in runs
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
