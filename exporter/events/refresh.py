"""Refresh the deployments that events named, now, without waiting for the poll.

A small entry point on the current Poller (kept apart so it can move onto the split poller's
shared refresh/targets parts): one BatchGetDeployments per 25 named deployments, the usual target
lists and batches for those deployments only, and a listing of a followed group when an event
names one of its deployments the exporter does not track yet. It is not a poll: the poll counter,
poll duration and the last-poll-success timestamp are untouched.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from exporter.aws import BATCH_DEPLOYMENTS_MAX, BATCH_TARGETS_MAX
from exporter.config import AwsSettings, GroupEntry
from exporter.events.parse import DeploymentChange
from exporter.poller import NOT_STARTED, DeploymentKey, Poller, TrackedDeployment, TrackedTarget, _chunks


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
        poller = self.poller
        named: dict[str, DeploymentChange] = {}
        for change in changes:
            if change.deployment_id not in named or named[change.deployment_id].application is None:
                named[change.deployment_id] = change
        outcome = RefreshOutcome()
        # API-wide errors are logged when an outage starts: an outage the last poll or refresh
        # already logged is not logged again by every refresh during it.
        saved_errors, saved_before = poller._api_wide, poller._api_wide_before
        poller._api_wide = []
        poller._api_wide_before = saved_before | self._errors_before
        try:
            with ThreadPoolExecutor(max_workers=poller.config.poll.max_concurrency,
                                    thread_name_prefix="event-refresh") as pool:
                self._refresh(pool, named, outcome)
        finally:
            outcome.api_wide_errors = list(poller._api_wide)
            self._errors_before = set(poller._api_wide)
            poller._api_wide, poller._api_wide_before = saved_errors, saved_before
        outcome.duration = time.perf_counter() - started
        return outcome

    def _refresh(self, pool: ThreadPoolExecutor, named: dict[str, DeploymentChange],
                 outcome: RefreshOutcome) -> None:
        poller = self.poller
        now = poller.clock()
        tracked_ids = {key[0] for key in poller.deployments}
        groups = {poller._group_key(entry): entry for entry in self._groups_to_list(named, tracked_ids)}
        before = set(poller.deployments)
        for key, followed in zip(groups, pool.map(lambda g: poller._discover(g, now), groups.values()),
                                 strict=True):
            for deployment_id in followed:
                new = (deployment_id, groups[key].aws)
                if poller._owned(deployment_id) and new not in poller.deployments:
                    poller.deployments[new] = TrackedDeployment(*new)
        listed = self._listed_keys()
        targets_of: dict[DeploymentKey, list[TrackedTarget]] = {}
        for target in poller.targets.values():
            targets_of.setdefault((target.deployment_id, target.aws), []).append(target)

        keys = [key for key in poller.deployments if key[0] in named]
        due: list[TrackedDeployment] = []
        for key in keys:
            tracked = poller.deployments[key]
            if self._finished(tracked, key in listed, targets_of.get(key, [])):
                outcome.finished.add(key[0])
            elif key in before:  # new ones were just fetched by the group listing
                due.append(tracked)
        outcome.applied = {key[0] for key in keys} - outcome.finished
        outcome.untracked = set(named) - outcome.applied - outcome.finished

        by_aws: dict[AwsSettings, list[TrackedDeployment]] = {}
        for tracked in due:
            by_aws.setdefault(tracked.aws, []).append(tracked)
        jobs = [(aws, chunk) for aws, items in by_aws.items() for chunk in _chunks(items, BATCH_DEPLOYMENTS_MAX)]
        list(pool.map(lambda job: poller._refresh_chunk(*job, now), jobs))

        applied_keys = [key for key in keys if key[0] in outcome.applied]
        to_list = [poller.deployments[key] for key in applied_keys if key in listed
                   and not poller.deployments[key].list_final and poller.deployments[key].record is not None]
        list(pool.map(poller._list_one, to_list))
        for tracked in to_list:
            for target_id in tracked.target_ids:
                key = (tracked.deployment_id, target_id, tracked.aws)
                if key not in poller.targets:
                    poller.targets[key] = TrackedTarget(*key)
                    targets_of.setdefault((tracked.deployment_id, tracked.aws), []).append(poller.targets[key])

        target_jobs = []
        for key in applied_keys:
            record = poller.deployments[key].record
            if record is not None and record.status in NOT_STARTED:
                continue
            pending = [t for t in targets_of.get(key, []) if not t.frozen and t.retry_at <= now]
            size = 1 if record is not None and record.single_target_batches else BATCH_TARGETS_MAX
            terminal = record is not None and record.terminal
            target_jobs.extend((chunk, terminal) for chunk in _chunks(pending, size))
        list(pool.map(lambda job: poller._fetch_targets(*job), target_jobs))

    def _groups_to_list(self, named: dict[str, DeploymentChange], tracked_ids: set[str]) -> list[GroupEntry]:
        """Followed groups that an event says have a deployment we do not track yet."""
        wanted = []
        for entry in self.poller.config.deployment_groups:
            for deployment_id, change in named.items():
                if (deployment_id not in tracked_ids and self.poller._owned(deployment_id)
                        and (change.application, change.deployment_group)
                        == (entry.application, entry.deployment_group)
                        and (entry.aws.region is None or change.region is None
                             or entry.aws.region == change.region)):
                    wanted.append(entry)
                    break
        return wanted

    def _listed_keys(self) -> set[DeploymentKey]:
        """Deployments whose targets come from ListDeploymentTargets (not explicit pairs)."""
        poller = self.poller
        listed = {(e.deployment_id, e.aws) for e in poller.config.deployments}
        for entry in poller.config.deployment_groups:
            state = poller.groups.get(poller._group_key(entry))
            if state is not None:
                listed.update((deployment_id, entry.aws) for deployment_id in state.followed)
        return listed

    @staticmethod
    def _finished(tracked: TrackedDeployment, listed: bool, targets: list[TrackedTarget]) -> bool:
        record = tracked.record
        return (record is not None and record.terminal and (tracked.list_final or not listed)
                and all(t.frozen for t in targets))
