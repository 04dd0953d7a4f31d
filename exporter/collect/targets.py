"""Targets: list a deployment's targets, batch-fetch them, back off bad IDs, freeze finished ones.

Shared by every source. A deployment's status is read (deployments.py) before its targets, so targets
fetched after the deployment was seen terminal hold their final state and are frozen.
Records kept here are pure data; labels are the renderer's business.
"""

from __future__ import annotations

import builtins  # TargetStore.list shadows `list` in annotations in its class body
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from exporter.aws.codedeploy import BATCH_TARGETS_MAX, CodeDeployApi
from exporter.aws.errors import ApiError
from exporter.aws.parse import parse_target
from exporter.aws.parse_errors import parse_each
from exporter.collect.deployments import DeploymentStore, TrackedDeployment
from exporter.collect.keys import DeploymentKey, backoff, chunks, keep_if_equal
from exporter.collect.outages import Outages
from exporter.config import AwsSettings
from exporter.log import diagnostics_fields, kept_output, quote
from exporter.model import Target, aggregate_hooks
from exporter.workers import PoolMap

log = logging.getLogger(__name__)

TargetKey = tuple[str, str, AwsSettings]
NOT_STARTED = frozenset({"Created", "Queued"})
_DEPLOYMENT_WIDE = frozenset(
    {
        "DeploymentDoesNotExistException",
        "InvalidDeploymentIdException",
        "DeploymentNotStartedException",
    }
)


@dataclass(slots=True)  # one per target: 100k of them in a big replica
class TrackedTarget:
    deployment_id: str
    target_id: str
    aws: AwsSettings
    record: Target | None = None
    success: bool | None = None  # None: not asked yet (e.g. its deployment has not started)
    frozen: bool = False
    failures: int = 0
    retry_at: float = 0.0
    error: str = ""
    settled: bool = False  # frozen, counted in its deployment's kept aggregates, record slimmed


class TargetStore:
    def __init__(
        self,
        deployments: DeploymentStore,
        api_for: Callable[[AwsSettings], CodeDeployApi],
        outages: Outages,
        clock: Callable[[], float],
    ) -> None:
        self.deployments = deployments
        self.api_for = api_for
        self.outages = outages
        self.clock = clock
        self.interval = 30.0
        # Whether a settled target keeps only Target.settled(): true unless every hook of every
        # target is exported (metrics.lifecycle_events: all), which needs the whole record.
        self.slim = True
        self.tracked: dict[TargetKey, TrackedTarget] = {}
        self._members: dict[DeploymentKey, builtins.list[TrackedTarget]] = {}  # tracked, by deployment
        self._settling = threading.Lock()

    # ---- target lists -------------------------------------------------------------------------

    def list_targets(self, map_: PoolMap, listed: Iterable[DeploymentKey], now: float) -> None:
        tracked = self.deployments.tracked
        due = [
            tracked[key]
            for key in listed
            if not tracked[key].list_final and tracked[key].retry_at <= now and tracked[key].record is not None
        ]
        list(map_(self._list_one, due))

    def _list_one(self, tracked: TrackedDeployment) -> None:
        # Read before listing: a list taken after the deployment was terminal is final.
        terminal = tracked.record is not None and tracked.record.terminal
        try:
            ids = self.api_for(tracked.aws).list_deployment_targets(tracked.deployment_id)
        except ApiError as exc:
            if exc.code == "DeploymentNotStartedException":
                return  # no targets yet; list again next poll
            if exc.id_specific:
                self.deployments.failed(tracked, exc.code, self.clock(), self.interval)
            else:
                self.outages.note(exc, "ListDeploymentTargets")
            return
        tracked.target_ids = tuple(dict.fromkeys(ids))
        tracked.list_final = terminal

    def sync(self, pairs: Iterable[TargetKey], listed: Iterable[DeploymentKey]) -> None:
        wanted: list[TargetKey] = list(pairs)
        for key in listed:
            tracked = self.deployments.tracked[key]
            wanted.extend((tracked.deployment_id, t, tracked.aws) for t in tracked.target_ids)
        targets: dict[TargetKey, TrackedTarget] = {}
        members: dict[DeploymentKey, builtins.list[TrackedTarget]] = {}
        changed: set[DeploymentKey] = set()  # deployments that gained or lost a target
        for pair in wanted:
            found = self.tracked.get(pair) or targets.get(pair)
            if found is None:
                found = TrackedTarget(*pair)
                changed.add((pair[0], pair[2]))
            if pair not in targets:
                members.setdefault((pair[0], pair[2]), []).append(found)
            targets[pair] = found
        changed.update((d, aws) for d, t, aws in self.tracked if (d, t, aws) not in targets)
        self.tracked, self._members = targets, members
        self._unsettle(changed)

    # ---- settling ---------------------------------------------------------------------------

    def settle(self) -> None:
        """Settle every deployment that can be (see _settle): those whose last targets were
        not fetched this poll, such as after a reload."""
        for key in self._members:
            self._settle(key)

    def _settle(self, key: DeploymentKey) -> None:
        """A finished deployment whose targets are all frozen: its per-hook aggregates are made
        once and kept on the deployment, and each of its targets keeps only the record its
        series need (Target.settled), a few hundred bytes instead of every hook's. Called as
        soon as its last batch is read, so a first poll never holds every whole record at once."""
        deployment = self.deployments.tracked.get(key)
        if deployment is None or deployment.record is None or not deployment.record.terminal:
            return
        if deployment.hooks is not None:
            return  # settled already (checked again under the lock)
        if deployment.target_ids and not deployment.list_final:
            return  # listed before it finished: more targets may come
        with self._settling:  # the batches of one deployment end on different workers
            targets = self._members.get(key, [])
            if deployment.hooks is not None or not all(t.frozen and t.record is not None for t in targets):
                return
            deployment.hooks = aggregate_hooks(t.record for t in targets)
            kept = kept_output()  # a failed hook's script output: as much as is ever shown
            for target in targets:
                target.settled = True
                if self.slim and target.record is not None:
                    target.record = target.record.settled(*kept)

    def set_slim(self, slim: bool) -> None:
        """Whether settled targets keep only Target.settled(). Turned off (a reload to
        `lifecycle_events: all`), every slimmed target is read again for its whole record."""
        if self.slim and not slim:
            self._unsettle({(t.deployment_id, t.aws) for t in self.tracked.values() if t.settled})
        self.slim = slim

    def _unsettle(self, keys: set[DeploymentKey]) -> None:
        """Settled deployments that gained or lost a target (a config reload): their kept
        aggregates are stale, and their slimmed targets are read again to make them anew."""
        for key in keys:
            deployment = self.deployments.tracked.get(key)
            if deployment is None or deployment.hooks is None:
                continue
            deployment.hooks = None
            for target in self._members.get(key, []):
                if target.settled:
                    target.settled = False
                    target.frozen = not self.slim  # a slimmed record lost the hooks to count

    # ---- batch-fetch --------------------------------------------------------------------------

    def poll(self, map_: PoolMap, now: float, only: set[str] | None = None) -> None:
        by_deployment: dict[DeploymentKey, list[TrackedTarget]] = {}
        for target in self.tracked.values():
            if not target.frozen and target.retry_at <= now and (only is None or target.deployment_id in only):
                by_deployment.setdefault((target.deployment_id, target.aws), []).append(target)
        jobs: builtins.list[tuple[builtins.list[TrackedTarget], bool]] = []
        for key, targets in by_deployment.items():
            record = self.deployments.record(key)
            if record is not None and record.status in NOT_STARTED:
                continue  # target operations would only answer DeploymentNotStartedException
            size = 1 if record is not None and record.single_target_batches else BATCH_TARGETS_MAX
            terminal = record is not None and record.terminal
            jobs.extend((chunk, terminal) for chunk in chunks(targets, size))
        list(map_(lambda job: self._fetch(*job), jobs))

    def _fetch(self, chunk: builtins.list[TrackedTarget], terminal: bool) -> None:
        first = chunk[0]
        try:
            api = self.api_for(first.aws)
            raw = api.batch_get_deployment_targets(first.deployment_id, [t.target_id for t in chunk])
        except ApiError as exc:
            if exc.code == "DeploymentNotStartedException":
                return  # started between our status read and this call, or queued: ask next poll
            if len(chunk) > 1 and exc.id_specific and exc.code not in _DEPLOYMENT_WIDE:
                # One bad ID fails the whole batch: split until the bad one stands alone.
                middle = len(chunk) // 2
                self._fetch(chunk[:middle], terminal)
                self._fetch(chunk[middle:], terminal)
                return
            if not exc.id_specific:
                self.outages.note(exc, "BatchGetDeploymentTargets")
            for target in chunk:
                self._failed(target, exc)
            return
        by_id: dict[str, Target] = {}
        for record in parse_each(raw, parse_target, api.parse_errors, "BatchGetDeploymentTargets"):
            by_id[record.target_id] = record
        for target in chunk:
            found = by_id.get(target.target_id)
            if found is None:
                self._failed(target, ApiError("BatchGetDeploymentTargets", "TargetNotReturned"))
            else:
                self._polled(target, found, terminal)
        if terminal:
            self._settle((first.deployment_id, first.aws))

    def _polled(self, target: TrackedTarget, record: Target, terminal: bool) -> None:
        previous = target.record
        target.record = keep_if_equal(previous, record)
        if target.error:
            log.info(
                "event=target_recovered deployment_id=%s target_id=%s",
                quote(target.deployment_id),
                quote(target.target_id),
            )
        target.success, target.failures, target.error, target.retry_at = True, 0, "", 0.0
        target.frozen = terminal
        if record.status == "Failed" and (previous is None or previous.status != "Failed"):
            _log_failed_target(record)

    def _failed(self, target: TrackedTarget, exc: ApiError) -> None:
        target.success = False
        if exc.id_specific:
            target.failures += 1
            target.retry_at = self.clock() + backoff(self.interval, target.failures)
            if target.error != exc.code:
                log.warning(
                    "event=target_poll_failed deployment_id=%s target_id=%s error_code=%s message=%s retry_in=%.0fs",
                    quote(target.deployment_id),
                    quote(target.target_id),
                    exc.code,
                    quote(exc.message),
                    target.retry_at - self.clock(),
                )
        target.error = exc.code


def _log_failed_target(record: Target) -> None:
    # What of the script's output is logged follows --log.diagnostics (see exporter.log).
    fields = diagnostics_fields(record.failed_event())
    log.warning(
        "event=target_failed deployment_id=%s target_id=%s " + " ".join(f"{name}=%s" for name in fields),
        quote(record.deployment_id),
        quote(record.target_id),
        *map(quote, fields.values()),
    )
