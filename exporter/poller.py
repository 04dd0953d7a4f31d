"""One poll of CodeDeploy: discover, refresh deployments, list and batch-fetch targets, freeze.

A poll runs in phases; within a phase, API calls run concurrently (bounded by
`poll.max_concurrency`). Order matters for freezing: a deployment's status is read before its
targets, so targets fetched after the deployment was seen terminal hold their final state and
are never polled again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from exporter.aws import BATCH_DEPLOYMENTS_MAX, BATCH_TARGETS_MAX, ApiError, ClientFactory
from exporter.config import AwsSettings, Config, GroupEntry
from exporter.log import quote
from exporter.model import Deployment, Target
from exporter.parse import parse_deployment, parse_target
from exporter.render import label_pairs
from exporter.shard import owns

log = logging.getLogger(__name__)

MAX_BACKOFF_INTERVALS = 16  # a bad ID is retried at most every 16 poll intervals
DISCOVERY_OVERLAP = 3600.0  # re-list deployments created up to an hour before the newest seen

DeploymentKey = tuple[str, AwsSettings]
TargetKey = tuple[str, str, AwsSettings]


@dataclass
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
    prefix: str = ""
    prefix_for: tuple[str, ...] | None = None

    def identity_labels(self, application: str, group: str, account_id: str = "",
                        region: str = "") -> str:
        """exporter.families.TARGET_LABELS, rendered once and kept while they hold."""
        if self.prefix_for != (application, group, account_id, region):
            self.prefix = label_pairs(account_id=account_id, region=region,
                                      application=application, deployment_group=group,
                                      deployment_id=self.deployment_id, target_id=self.target_id)
            self.prefix_for = (application, group, account_id, region)
        return self.prefix


@dataclass
class TrackedDeployment:
    deployment_id: str
    aws: AwsSettings
    record: Deployment | None = None
    target_ids: tuple[str, ...] = ()
    list_final: bool = False
    failures: int = 0
    retry_at: float = 0.0
    error: str = ""
    fetched_in_poll: int = -1
    prefix: str = ""
    prefix_for: tuple[str, ...] | None = None

    def identity_labels(self, account_id: str, region: str) -> str:
        """exporter.families.DEPLOYMENT_LABELS, rendered once and kept while they hold."""
        record = self.record
        labels = (record.application if record else "", record.deployment_group if record else "",
                  account_id, region)
        if self.prefix_for != labels:
            self.prefix = label_pairs(account_id=account_id, region=region,
                                      application=labels[0], deployment_group=labels[1],
                                      deployment_id=self.deployment_id)
            self.prefix_for = labels
        return self.prefix


@dataclass
class GroupState:
    created: dict[str, float] = field(default_factory=dict)  # listed deployment -> createTime
    followed: set[str] = field(default_factory=set)
    newest: float | None = None  # newest createTime seen: later listings start just before it
    completed: dict[str, float] = field(default_factory=dict)  # finished deployment -> completeTime


@dataclass
class PollOutcome:
    duration: float
    api_wide_errors: list[str]
    failed_targets: int


class Poller:
    def __init__(self, config: Config, clients: ClientFactory, shard: int = 0,
                 total_shards: int = 1, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clients = clients
        self.shard, self.total_shards = shard, total_shards
        self.clock = clock
        self.deployments: dict[DeploymentKey, TrackedDeployment] = {}
        self.targets: dict[TargetKey, TrackedTarget] = {}
        self.groups: dict[tuple, GroupState] = {}
        self._api_wide: list[str] = []  # API-wide error codes of the current poll
        self._api_wide_before: set[str] = set()  # ... and of the previous one
        self._lock = threading.Lock()
        self.polls = 0
        self.identities: dict[AwsSettings, tuple[str, str]] = {}  # aws -> (account_id, region)

    # ---- public -------------------------------------------------------------------------------

    def poll(self) -> PollOutcome:
        started = time.perf_counter()
        self.polls += 1
        self._api_wide = []
        now = self.clock()
        with ThreadPoolExecutor(max_workers=self.config.poll.max_concurrency,
                                thread_name_prefix="poll") as pool:
            listed = self._wanted_deployments(pool, now)
            self._refresh_deployments(pool, now)
            self._list_targets(pool, listed, now)
            self._sync_targets(listed)
            self._poll_targets(pool, now)
        self._resolve_identities()
        ended = self._api_wide_before.difference(self._api_wide)
        if ended:
            log.info("event=api_recovered error_codes=%s", ",".join(sorted(ended)))
        self._api_wide_before = set(self._api_wide)
        failed = sum(1 for t in self.targets.values() if t.success is False)
        return PollOutcome(time.perf_counter() - started, list(self._api_wide), failed)

    def identity(self, aws: AwsSettings) -> tuple[str, str]:
        """(account_id, region) of an entry's AWS settings, as the last poll resolved them."""
        return self.identities.get(aws, ("", aws.region or ""))

    def _resolve_identities(self) -> None:
        # After the poll's calls: clients exist by now, so the region is boto3's resolved one.
        settings = {d.aws for d in self.deployments.values()}
        self.identities = {aws: (self.clients.account_id(aws), self.clients.region(aws))
                           for aws in settings}

    def deployment_of(self, target: TrackedTarget) -> Deployment | None:
        tracked = self.deployments.get((target.deployment_id, target.aws))
        return tracked.record if tracked else None

    def rendered_deployments(self) -> Iterable[Deployment]:
        return (d.record for d in self.deployments.values() if d.record is not None)

    # ---- phase 1: what to watch ---------------------------------------------------------------

    def _owned(self, deployment_id: str) -> bool:
        return owns(deployment_id, self.shard, self.total_shards)

    def _wanted_deployments(self, pool: ThreadPoolExecutor, now: float) -> set[DeploymentKey]:
        """Sync self.deployments with the config; returns the deployments whose targets are listed."""
        cfg = self.config
        wanted: set[DeploymentKey] = set()
        listed: set[DeploymentKey] = set()
        for entry in cfg.targets:
            if self._owned(entry.deployment_id):
                wanted.add((entry.deployment_id, entry.aws))
        for entry in cfg.deployments:
            if self._owned(entry.deployment_id):
                key = (entry.deployment_id, entry.aws)
                wanted.add(key)
                listed.add(key)
        groups = {self._group_key(g): g for g in cfg.deployment_groups}
        self.groups = {key: self.groups.get(key, GroupState()) for key in groups}
        for key, followed in zip(groups, pool.map(lambda g: self._discover(g, now), groups.values()), strict=True):
            for deployment_id in followed:
                if self._owned(deployment_id):
                    wanted.add((deployment_id, groups[key].aws))
                    listed.add((deployment_id, groups[key].aws))
        for key in wanted:
            if key not in self.deployments:
                self.deployments[key] = TrackedDeployment(*key)
        for key in list(self.deployments):
            if key not in wanted:
                del self.deployments[key]
        return listed

    @staticmethod
    def _group_key(entry: GroupEntry) -> tuple:
        return (entry.application, entry.deployment_group, entry.aws)

    def _discover(self, entry: GroupEntry, now: float) -> set[str]:
        """The deployments of a group to follow: the newest `latest`, plus finished ones that
        are still within `retention` of completing."""
        state = self.groups[self._group_key(entry)]
        try:
            api = self.clients.api(entry.aws)
            since = None if state.newest is None else state.newest - DISCOVERY_OVERLAP
            ids = api.list_deployments(entry.application, entry.deployment_group, since)
            unknown = [i for i in dict.fromkeys(ids) if i not in state.created]
            for record in self._fetch_deployment_infos(api, unknown, entry.aws):
                state.created[record.deployment_id] = record.create_time or 0.0
        except ApiError as exc:
            self._note_api_wide(exc, f"discovery of {entry.application}/{entry.deployment_group}")
            return set(state.followed)  # keep following what we had
        if state.created:
            state.newest = max(state.newest or 0.0, max(state.created.values()))
        newest_first = sorted(state.created, key=state.created.__getitem__, reverse=True)
        top = set(newest_first[: entry.latest])
        candidates = top | state.followed
        retention = self.config.poll.retention
        followed = set()
        for deployment_id in candidates:
            tracked = self.deployments.get((deployment_id, entry.aws))
            record = tracked.record if tracked else None
            if record is not None and record.terminal and record.complete_time is not None:
                state.completed[deployment_id] = record.complete_time
            completed = state.completed.get(deployment_id)
            if completed is None or completed + retention >= now:
                followed.add(deployment_id)
        state.followed = followed
        # Forget listed deployments that can no longer be listed again nor followed (the
        # newest `latest` stay, expired or not, so the window never has to be re-listed).
        horizon = (state.newest or 0.0) - 2 * DISCOVERY_OVERLAP
        keep = top | followed
        state.created = {i: t for i, t in state.created.items() if t >= horizon or i in keep}
        state.completed = {i: t for i, t in state.completed.items() if i in state.created}
        return followed

    def _fetch_deployment_infos(self, api, deployment_ids: list[str],
                                aws: AwsSettings) -> list[Deployment]:
        """BatchGetDeployments in chunks of 25; records are stored on tracked deployments."""
        records = []
        for chunk in _chunks(deployment_ids, BATCH_DEPLOYMENTS_MAX):
            for raw in api.batch_get_deployments(chunk):
                record = parse_deployment(raw)
                records.append(record)
                key = (record.deployment_id, aws)
                tracked = self.deployments.get(key)
                if tracked is None:
                    tracked = self.deployments[key] = TrackedDeployment(*key)
                if record.error_code and (tracked.record is None
                                          or tracked.record.error_code != record.error_code):
                    # The message is for people: logged here, not put in a label.
                    log.warning("event=deployment_failed deployment_id=%s status=%s error_code=%s "
                                "message=%s", quote(record.deployment_id), record.status,
                                record.error_code, quote(record.error_message))
                tracked.record = _keep_if_equal(tracked.record, record)
                tracked.fetched_in_poll = self.polls
        return records

    # ---- phase 2: deployment status -----------------------------------------------------------

    def _refresh_deployments(self, pool: ThreadPoolExecutor, now: float) -> None:
        due = [d for d in self.deployments.values()
               if (d.record is None or not d.record.terminal) and d.retry_at <= now
               and d.fetched_in_poll != self.polls]  # discovery may have just fetched it
        by_aws: dict[AwsSettings, list[TrackedDeployment]] = {}
        for tracked in due:
            by_aws.setdefault(tracked.aws, []).append(tracked)
        jobs = [(aws, chunk) for aws, items in by_aws.items()
                for chunk in _chunks(items, BATCH_DEPLOYMENTS_MAX)]
        list(pool.map(lambda job: self._refresh_chunk(*job, now), jobs))

    def _refresh_chunk(self, aws: AwsSettings, chunk: list[TrackedDeployment], now: float) -> None:
        try:
            api = self.clients.api(aws)
            found = {r.deployment_id for r in
                     self._fetch_deployment_infos(api, [d.deployment_id for d in chunk], aws)}
        except ApiError as exc:
            self._note_api_wide(exc, "BatchGetDeployments")
            return
        for tracked in chunk:
            if tracked.deployment_id in found:
                tracked.failures, tracked.error = 0, ""
            else:
                # BatchGetDeployments silently omits IDs it does not know.
                self._deployment_failed(tracked, "DeploymentDoesNotExistException", now)

    def _deployment_failed(self, tracked: TrackedDeployment, code: str, now: float) -> None:
        tracked.failures += 1
        tracked.retry_at = now + self._backoff(tracked.failures)
        if tracked.error != code:
            log.warning("event=deployment_unavailable deployment_id=%s error_code=%s",
                        quote(tracked.deployment_id), code)
        tracked.error = code

    def _backoff(self, failures: int) -> float:
        return self.config.poll.interval * min(2 ** (failures - 1), MAX_BACKOFF_INTERVALS) - 1e-6

    # ---- phase 3: target lists ----------------------------------------------------------------

    def _list_targets(self, pool: ThreadPoolExecutor, listed: set[DeploymentKey], now: float) -> None:
        due = [self.deployments[key] for key in listed
               if not self.deployments[key].list_final and self.deployments[key].retry_at <= now
               and self.deployments[key].record is not None]
        list(pool.map(self._list_one, due))

    def _list_one(self, tracked: TrackedDeployment) -> None:
        # Read before listing: a list taken after the deployment was terminal is final.
        terminal = tracked.record is not None and tracked.record.terminal
        try:
            ids = self.clients.api(tracked.aws).list_deployment_targets(tracked.deployment_id)
        except ApiError as exc:
            if exc.code == "DeploymentNotStartedException":
                return  # no targets yet; list again next poll
            if exc.id_specific:
                self._deployment_failed(tracked, exc.code, self.clock())
            else:
                self._note_api_wide(exc, "ListDeploymentTargets")
            return
        tracked.target_ids = tuple(dict.fromkeys(ids))
        tracked.list_final = terminal

    def _sync_targets(self, listed: set[DeploymentKey]) -> None:
        wanted: list[TargetKey] = [
            (e.deployment_id, e.target_id, e.aws) for e in self.config.targets
            if (e.deployment_id, e.aws) in self.deployments
        ]
        for key in listed:
            tracked = self.deployments[key]
            wanted.extend((tracked.deployment_id, t, tracked.aws) for t in tracked.target_ids)
        targets = {}
        for key in wanted:
            targets[key] = self.targets.get(key) or targets.get(key) or TrackedTarget(*key)
        self.targets = targets

    # ---- phase 4: targets ---------------------------------------------------------------------

    def _poll_targets(self, pool: ThreadPoolExecutor, now: float) -> None:
        by_deployment: dict[DeploymentKey, list[TrackedTarget]] = {}
        for target in self.targets.values():
            if not target.frozen and target.retry_at <= now:
                by_deployment.setdefault((target.deployment_id, target.aws), []).append(target)
        jobs = []
        for key, targets in by_deployment.items():
            record = self.deployments[key].record
            if record is not None and record.status in NOT_STARTED:
                continue  # target operations would only answer DeploymentNotStartedException
            size = 1 if record is not None and record.single_target_batches else BATCH_TARGETS_MAX
            terminal = record is not None and record.terminal
            jobs.extend((chunk, terminal) for chunk in _chunks(targets, size))
        list(pool.map(lambda job: self._fetch_targets(*job), jobs))

    def _fetch_targets(self, chunk: list[TrackedTarget], terminal: bool) -> None:
        first = chunk[0]
        try:
            api = self.clients.api(first.aws)
            raw = api.batch_get_deployment_targets(first.deployment_id, [t.target_id for t in chunk])
        except ApiError as exc:
            if exc.code == "DeploymentNotStartedException":
                return  # started between our status read and this call, or queued: ask next poll
            if len(chunk) > 1 and exc.id_specific and exc.code not in _DEPLOYMENT_WIDE:
                # One bad ID fails the whole batch: split until the bad one stands alone.
                middle = len(chunk) // 2
                self._fetch_targets(chunk[:middle], terminal)
                self._fetch_targets(chunk[middle:], terminal)
                return
            if not exc.id_specific:
                self._note_api_wide(exc, "BatchGetDeploymentTargets")
            for target in chunk:
                self._target_failed(target, exc)
            return
        by_id = {}
        for item in raw:
            record = parse_target(item)
            by_id[record.target_id] = record
        for target in chunk:
            record = by_id.get(target.target_id)
            if record is None:
                self._target_failed(target, ApiError("BatchGetDeploymentTargets", "TargetNotReturned"))
            else:
                self._target_polled(target, record, terminal)

    def _target_polled(self, target: TrackedTarget, record: Target, terminal: bool) -> None:
        previous = target.record
        target.record = _keep_if_equal(previous, record)
        if target.error:
            log.info("event=target_recovered deployment_id=%s target_id=%s",
                     quote(target.deployment_id), quote(target.target_id))
        target.success, target.failures, target.error, target.retry_at = True, 0, "", 0.0
        target.frozen = terminal
        if record.status == "Failed" and (previous is None or previous.status != "Failed"):
            _log_failed_target(record)

    def _target_failed(self, target: TrackedTarget, exc: ApiError) -> None:
        target.success = False
        if exc.id_specific:
            target.failures += 1
            target.retry_at = self.clock() + self._backoff(target.failures)
            if target.error != exc.code:
                log.warning("event=target_poll_failed deployment_id=%s target_id=%s error_code=%s "
                            "message=%s retry_in=%.0fs", quote(target.deployment_id),
                            quote(target.target_id), exc.code, quote(exc.message),
                            target.retry_at - self.clock())
        target.error = exc.code

    def _note_api_wide(self, exc: ApiError, where: str) -> None:
        # Logged when an outage starts, not per target or per poll: throttling or lost
        # credentials would otherwise flood the log. Its end is logged by poll().
        with self._lock:
            if exc.code in self._api_wide:
                return
            self._api_wide.append(exc.code)
            ongoing = exc.code in self._api_wide_before
        if not ongoing:
            log.error("event=api_error operation=%s where=%s error_code=%s message=%s",
                      exc.operation, quote(where), exc.code, quote(exc.message))


NOT_STARTED = frozenset({"Created", "Queued"})
_DEPLOYMENT_WIDE = frozenset({
    "DeploymentDoesNotExistException", "InvalidDeploymentIdException",
    "DeploymentNotStartedException",
})


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _keep_if_equal(old, new):
    # Keeping the old object lets the renderer's identity check skip unchanged targets.
    return old if old is not None and old == new else new



def _log_failed_target(record: Target) -> None:
    event = record.failed_event()
    diag = event.diagnostics if event else None
    log.warning(
        "event=target_failed deployment_id=%s target_id=%s lifecycle_event=%s error_code=%s "
        "script_name=%s message=%s log_tail=%s",
        quote(record.deployment_id), quote(record.target_id), quote(event.name if event else ""),
        quote(diag.error_code if diag else ""), quote(diag.script_name if diag else ""),
        quote(diag.message if diag else ""), quote(diag.log_tail if diag else ""))
