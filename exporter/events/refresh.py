"""Refresh the deployments that events named, now, without waiting for the poll.

Built on the poller's `refresh_now(deployment_ids)` (shared refresh and targets: one
BatchGetDeployments per 25 named deployments, their target lists and batches only). What events
add: an event naming a deployment the exporter does not track yet, of a followed group, lists
that group (incrementally, through its source) so the new deployment is followed at once; and
each named deployment gets a verdict for the self-metrics (applied, untracked, finished). It is
not a poll: the last-poll-success timestamp, readiness and poll duration are untouched.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from exporter.aws.errors import ApiError
from exporter.collect.deployments import TrackedDeployment
from exporter.collect.discovery import ScopesSource
from exporter.collect.keys import DeploymentKey
from exporter.collect.poller import Poller
from exporter.collect.sources import GroupsSource, Wanted
from exporter.collect.targets import TrackedTarget
from exporter.config import GroupEntry
from exporter.events.parse import DeploymentChange


@dataclass
class RefreshOutcome:
    applied: set[str] = field(default_factory=set)  # deployment ids refreshed
    untracked: set[str] = field(default_factory=set)  # not followed by this exporter (or shard)
    finished: set[str] = field(default_factory=set)  # finished and frozen: nothing can change
    api_wide_errors: list[str] = field(default_factory=list)
    duration: float = 0.0

    def result_of(self, deployment_id: str) -> str:
        if deployment_id in self.applied:
            return "applied"
        return "finished" if deployment_id in self.finished else "untracked"


class EventRefresher:
    def __init__(self, poller: Poller) -> None:
        self.poller = poller
        self._errors_before: set[str] = set()  # API-wide errors of the previous refresh

    def refresh(self, changes: Iterable[DeploymentChange]) -> RefreshOutcome:
        """Caller holds the exporter's poll lock (the poller is not thread-safe)."""
        started = time.perf_counter()
        named: dict[str, DeploymentChange] = {}
        for change in changes:
            if change.deployment_id not in named or named[change.deployment_id].application is None:
                named[change.deployment_id] = change
        outcome = RefreshOutcome()
        # API-wide errors are logged when an outage starts: one the last poll or refresh already
        # logged is not logged again by every refresh during it. The poll's own list is kept.
        with self.poller.outages.apart(self._errors_before) as errors:
            try:
                self._refresh(named, outcome)
            finally:
                outcome.api_wide_errors = list(errors)
                self._errors_before = set(errors)
        outcome.duration = time.perf_counter() - started
        return outcome

    def _refresh(self, named: dict[str, DeploymentChange], outcome: RefreshOutcome) -> None:
        poller = self.poller
        untracked = {d: c for d, c in named.items() if d not in {key[0] for key in poller.store.tracked}}
        if untracked:
            self._find_new(untracked)
        wanted = poller.wanted
        exported = wanted.listed | {(d, aws) for d, _, aws in wanted.pairs}
        targets_of: dict[DeploymentKey, list[TrackedTarget]] = {}
        for target in poller.targets.values():
            targets_of.setdefault((target.deployment_id, target.aws), []).append(target)
        for key, tracked in poller.store.tracked.items():
            if key[0] not in named or key not in exported or not tracked.owned:
                continue
            if self._finished(tracked, key in wanted.listed, targets_of.get(key, [])):
                outcome.finished.add(key[0])
            else:
                outcome.applied.add(key[0])
        outcome.finished -= outcome.applied  # tracked under two AWS settings: refresh both
        outcome.untracked = set(named) - outcome.applied - outcome.finished
        if outcome.applied:
            poller.refresh_now(outcome.applied)

    def _groups_to_list(self, named: dict[str, DeploymentChange], tracked: set[str]) -> list[GroupEntry]:
        """Followed groups an event says have a deployment the exporter does not track yet."""
        wanted = []
        for entry in self.poller.config.deployment_groups:
            for deployment_id, change in named.items():
                if (
                    deployment_id not in tracked
                    and (change.application, change.deployment_group) == (entry.application, entry.deployment_group)
                    and (entry.aws.region is None or change.region is None or entry.aws.region == change.region)
                ):
                    wanted.append(entry)
                    break
        return wanted

    def _find_new(self, untracked: dict[str, DeploymentChange]) -> None:
        """New deployments of followed or discovered groups: list those groups (incrementally, as
        a poll's sources do); what they now follow joins what the poller exports until the next
        poll recomputes it. Groups no poll has listed yet, or another shard's, are left to polls."""
        poller = self.poller
        # The poller's cancellable pool: a shutdown abandons this listing like a poll's.
        with poller.pool("event-refresh") as pool:
            ctx = poller.context(pool, poller.clock())
            for source in poller.sources:
                if isinstance(source, GroupsSource):
                    for entry in self._groups_to_list(untracked, set()):
                        ref = (entry.aws, entry.application, entry.deployment_group)
                        if ref in source.listings and poller.owns_group(*ref):
                            source.list_group(ctx, ref, entry)
                            listing = source.listings[ref]
                            self._join(
                                Wanted(
                                    listed={(i, entry.aws) for i in listing.followed},
                                    watched={(i, entry.aws) for i in listing.watched},
                                )
                            )
                elif isinstance(source, ScopesSource):
                    for scope in source.scopes.values():
                        region = scope.config.aws.region
                        if scope.matched is None or not any(
                            (c.application, c.deployment_group) in scope.matched
                            and (region is None or c.region is None or region == c.region)
                            for c in untracked.values()
                        ):
                            continue
                        try:
                            scope.list_deployments(ctx, ctx.api_for(scope.config.aws))
                        except ApiError as exc:
                            ctx.outages.note(exc, "discovery scope (event)")
                            continue
                        self._join(scope.select(ctx, scope.config.aws))

    def _join(self, wanted: Wanted) -> None:
        poller = self.poller
        for key in wanted.listed | wanted.watched:
            if key not in poller.store.tracked:
                poller.store.tracked[key] = TrackedDeployment(*key)
        poller.wanted.listed |= wanted.listed
        poller.wanted.watched |= wanted.watched - poller.wanted.listed

    @staticmethod
    def _finished(tracked: TrackedDeployment, listed: bool, targets: list[TrackedTarget]) -> bool:
        record = tracked.record
        return (
            record is not None
            and record.terminal
            and (tracked.list_final or not listed)
            and all(t.frozen for t in targets)
        )
