"""Refresh the deployments that events named, now, without waiting for the poll.

Built on the exporter's between-polls hook and the poller's public calls: `read_now` (one
BatchGetDeployments per 25 named deployments, their target lists and batches only) and
`follow_mentioned` (an event naming a deployment the exporter does not track yet lets each
source list the followed group it may belong to, so the new deployment is followed at once).
Each named deployment gets a verdict for the self-metrics (applied, untracked, finished). It is
not a poll: the last-poll-success timestamp, readiness and poll duration are untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from exporter.app import Exporter
from exporter.collect.deployments import TrackedDeployment
from exporter.collect.keys import DeploymentKey
from exporter.collect.poller import Poller
from exporter.collect.targets import TrackedTarget
from exporter.events.parse import DeploymentChange


@dataclass
class RefreshOutcome:
    applied: set[str] = field(default_factory=set)  # deployment ids refreshed
    untracked: set[str] = field(default_factory=set)  # not followed by this exporter (or shard)
    finished: set[str] = field(default_factory=set)  # finished and frozen: nothing can change
    unwatched: set[str] = field(default_factory=set)  # from an account no scope or entry watches
    api_wide_errors: list[str] = field(default_factory=list)
    duration: float = 0.0

    def result_of(self, deployment_id: str) -> str:
        if deployment_id in self.applied:
            return "applied"
        if deployment_id in self.unwatched:
            return "unwatched_account"
        return "finished" if deployment_id in self.finished else "untracked"


# refresh(changes, account): refreshes, calls account(outcome) so the self-metrics it publishes
# count these events, publishes a snapshot, returns the outcome.
Refresh = Callable[[list[DeploymentChange], Callable[[RefreshOutcome], None]], RefreshOutcome]


def refresh_through(exporter: Exporter) -> Refresh:
    """The consumer's refresh: one EventRefresher run through the exporter's between-polls hook
    (under its poll lock, then published). Unlike after a poll, gzip is left to the first
    scrape that asks for it: during a rollout events can refresh every second, far more often
    than Prometheus scrapes."""
    refresher = EventRefresher()

    def refresh(changes: list[DeploymentChange], account: Callable[[RefreshOutcome], None]) -> RefreshOutcome:
        def work(poller: Poller) -> RefreshOutcome:
            outcome = refresher.refresh(poller, changes)
            account(outcome)  # before publishing: the snapshot's self-metrics count this refresh
            return outcome

        return exporter.between_polls(work)

    return refresh


class EventRefresher:
    def __init__(self) -> None:
        self._errors_before: set[str] = set()  # API-wide errors of the previous refresh

    def refresh(self, poller: Poller, changes: Iterable[DeploymentChange]) -> RefreshOutcome:
        """Caller holds the exporter's poll lock (the poller is not thread-safe)."""
        started = time.perf_counter()
        named: dict[str, DeploymentChange] = {}
        for change in changes:
            if change.deployment_id not in named or named[change.deployment_id].application is None:
                named[change.deployment_id] = change
        outcome = RefreshOutcome()
        # API-wide errors are logged when an outage starts: one the last poll or refresh already
        # logged is not logged again by every refresh during it. The poll's own list is kept.
        with poller.outages.apart(self._errors_before) as errors:
            try:
                self._refresh(poller, named, outcome)
            finally:
                outcome.api_wide_errors = list(errors)
                self._errors_before = set(errors)
        outcome.duration = time.perf_counter() - started
        return outcome

    def _refresh(self, poller: Poller, named: dict[str, DeploymentChange], outcome: RefreshOutcome) -> None:
        # A central bus forwards every account's events; those of accounts not watched cost nothing.
        watched = poller.watched_accounts()
        if watched is not None:
            outcome.unwatched = {d for d, c in named.items() if c.account is not None and c.account not in watched}
            named = {d: c for d, c in named.items() if d not in outcome.unwatched}
        tracked_ids = {key[0] for key in poller.deployments}
        untracked = [change for d, change in named.items() if d not in tracked_ids]
        if untracked:
            poller.follow_mentioned(untracked)
        wanted = poller.wanted
        exported = wanted.listed | {(d, aws) for d, _, aws in wanted.pairs}
        targets_of: dict[DeploymentKey, list[TrackedTarget]] = {}
        for target in poller.targets.values():
            targets_of.setdefault((target.deployment_id, target.aws), []).append(target)
        for key, tracked in poller.deployments.items():
            if key[0] not in named or key not in exported or not tracked.owned:
                continue
            if self._finished(tracked, key in wanted.listed, targets_of.get(key, [])):
                outcome.finished.add(key[0])
            else:
                outcome.applied.add(key[0])
        outcome.finished -= outcome.applied  # tracked under two AWS settings: refresh both
        outcome.untracked = set(named) - outcome.applied - outcome.finished
        if outcome.applied:
            poller.read_now(outcome.applied)

    @staticmethod
    def _finished(tracked: TrackedDeployment, listed: bool, targets: list[TrackedTarget]) -> bool:
        record = tracked.record
        return (
            record is not None
            and record.terminal
            and (tracked.list_final or not listed)
            and all(t.frozen for t in targets)
        )
