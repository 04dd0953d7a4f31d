"""One poll of CodeDeploy, top to bottom: sources -> deployments -> group state -> targets.

Sources (exporter.collect.sources, .discovery) say which deployments they want; the
deployment store (exporter.collect.deployments) reads those deployments with
BatchGetDeployments; group state (.groups) reads BatchGetDeploymentGroups when due and sees
every record read; targets (.targets) lists, batch-fetches and freezes. Within a phase, API calls run
concurrently (bounded by `poll.max_concurrency`). Order matters for freezing: a deployment's
status is read before its targets.

With `--shard`/`--total-shards`, a deployment belongs to the shard of its group key
(account, region, application, group); a deployment whose group is not known (an ID the
API does not know) falls back to the shard of its ID.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from exporter.aws.clients import ClientFactory
from exporter.aws.codedeploy import CodeDeployApi
from exporter.aws.errors import ApiError
from exporter.collect.aliases import AccountAliases
from exporter.collect.deployments import DeploymentStore, TrackedDeployment
from exporter.collect.discovery import ScopesSource
from exporter.collect.group_facts import GroupFacts
from exporter.collect.groups import GroupStates
from exporter.collect.history import History, reach
from exporter.collect.hook_history import HookHistory
from exporter.collect.keys import DeploymentKey, TargetKey
from exporter.collect.organizations import OrganizationsSource
from exporter.collect.outages import Outages
from exporter.collect.sharding import Sharding
from exporter.collect.sources import (
    DeploymentsSource,
    GroupsSource,
    Mention,
    PairsSource,
    PollContext,
    Source,
    Wanted,
    plain_settings,
    union,
)
from exporter.collect.targets import TargetStore, TrackedTarget
from exporter.config import AwsSettings, Config
from exporter.exposition.families.phases import PHASE_FAMILIES
from exporter.exposition.selection import Selection
from exporter.exposition.views import GroupView
from exporter.model import Deployment
from exporter.workers import DaemonPool

PHASE_FAMILY = PHASE_FAMILIES[0].name


@dataclass
class PollOutcome:
    duration: float
    api_wide_errors: list[str]
    failed_targets: int
    api_errors: list[ApiError] = field(default_factory=list)  # the first error of each code
    # (account id, region) of every client in use -> its first API-wide error code, or None
    scope_health: dict[tuple[str, str], str | None] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        """Whether the poll brought fresh data: no API-wide error, or some account-region that
        had none (one denied account among many must not make every series look stale)."""
        return not self.api_wide_errors or any(code is None for code in self.scope_health.values())


class Poller:
    def __init__(
        self,
        config: Config,
        clients: ClientFactory,
        shard: int = 0,
        total_shards: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.clients = clients
        self.shard, self.total_shards = shard, total_shards
        self.clock = clock
        self.outages = Outages(self.identity)
        self.organizations = OrganizationsSource(clients.organizations, clients.account, clients.release)
        self.sources: list[Source] = [
            PairsSource(),
            DeploymentsSource(),
            GroupsSource(),
            ScopesSource(),
            self.organizations,
        ]
        self.store = DeploymentStore()
        self.target_store = TargetStore(self.store, self.api, self.outages, clock)
        self.groups = GroupStates()
        self.group_facts = GroupFacts()  # metrics.group_tags, metrics.lead_time
        self.groups.on_counted = self.group_facts.counted
        self.hook_history = HookHistory()
        self.history = History()  # listed groups' finished deployments: the DORA figures
        self.sharding = Sharding(shard, total_shards, self.identity)
        self.wanted = Wanted()
        self.polls = 0
        self.down: set[AwsSettings] = set()  # settings with an API-wide error at the last poll
        self.aliases = AccountAliases(clients.iam, self.identity)

    @property
    def deployments(self) -> dict[DeploymentKey, TrackedDeployment]:
        return self.store.tracked

    @property
    def targets(self) -> dict[TargetKey, TrackedTarget]:
        return self.target_store.tracked

    # ---- public -------------------------------------------------------------------------------

    def poll(self) -> PollOutcome:
        started = time.perf_counter()
        self.polls += 1
        self.outages.begin_poll()
        self.store.begin_poll(self.polls)
        self.target_store.interval = self.config.poll.interval
        now = self.clock()
        with self.pool("poll") as pool:
            ctx = self.context(pool, now)
            wanted = union(source.want(ctx) for source in self.sources)
            self.store.sync(wanted.deployment_keys())
            self.store.read_due(pool.map, self.api, self.outages, now, self.config.poll.interval)
            self.wanted = wanted = self.sharding.keep_owned(self.store, wanted)
            self._group_state(pool, wanted, now)
            self._targets(pool, wanted, now)
        self.aliases.refresh(now, plain_settings(self.config))
        first, health = self.outages.first, self.scope_health()
        self.down = set(self.outages.failed)
        errors = self.outages.end_poll()
        failed = sum(1 for t in self.targets.values() if t.success is False)
        return PollOutcome(time.perf_counter() - started, errors, failed, first, health)

    def scope_health(self) -> dict[tuple[str, str], str | None]:
        """Each account-region polled (through any AWS settings) and the first API-wide error
        of this poll there, or None."""
        health: dict[tuple[str, str], str | None] = {}
        for settings in self.clients.settings_in_use():
            scope = self.identity(settings)
            health[scope] = health.get(scope) or self.outages.failed.get(settings)
        return health

    def account_names(self) -> list[tuple[str, str, str]]:
        """(account id, name, organizational unit) of every account known by name: from the
        organizations' listings, else from the account's IAM alias."""
        named = {a.account_id: (a.account_id, a.name, a.organizational_unit) for a in self.organizations.names()}
        for account, alias in self.aliases.names().items():
            named.setdefault(account, (account, alias, ""))
        return list(named.values())

    def watched_accounts(self) -> set[str] | None:
        """The accounts polled now (None while any client's account is unknown, or none is made)."""
        accounts = {self.identity(settings)[0] for settings in self.clients.settings_in_use()}
        return None if not accounts or "" in accounts else accounts

    def follow_mentioned(self, mentions: Sequence[Mention]) -> None:
        """Between polls: each source lists again the groups it follows that the mentions may
        belong to (incrementally, as in a poll); what they follow there now joins what the
        poller follows and exports until the next poll recomputes it."""
        # The poller's cancellable pool: a shutdown abandons this listing like a poll's.
        with self.pool("mentioned") as pool:
            ctx = self.context(pool, self.clock())
            for source in self.sources:
                self._follow(source.list_mentioned(ctx, mentions))

    def _follow(self, wanted: Wanted) -> None:
        for key in wanted.listed | wanted.watched:
            if key not in self.store.tracked:
                self.store.tracked[key] = TrackedDeployment(*key)
        self.wanted.listed |= wanted.listed
        self.wanted.watched |= wanted.watched - self.wanted.listed

    def read_now(self, deployment_ids: Iterable[str]) -> bool:
        """Read the given deployments (and their targets) now, between polls; for event
        sources. Only deployments already followed or watched are read. Returns whether any
        deployment or target record changed."""
        ids = set(deployment_ids)
        keys = [k for k in self.store.tracked if k[0] in ids and self.store.tracked[k].owned]
        if not keys:
            return False
        before = {k: self.store.record(k) for k in keys}
        targets_before = {k: t.record for k, t in self.targets.items() if k[0] in ids}
        self.polls += 1
        self.store.begin_poll(self.polls)
        now = self.clock()
        with self.pool("read-now") as pool:
            for key in keys:
                self.store.tracked[key].retry_at = 0.0
            self.store.read_due(pool.map, self.api, self.outages, now, self.config.poll.interval, only=set(keys))
            self.groups.observe(self.store.fetched, self.polls, now, self._forget_after())
            self.group_facts.lead_times.resolve(pool.map, self.api, self.outages)
            self.history.observe(self.store.fetched, self.polls, now)
            self._update_history(now)
            self.target_store.list_targets(pool.map, [k for k in keys if k in self.wanted.listed], now)
            self.target_store.sync(self.wanted.pairs, self.wanted.listed)
            self.target_store.poll(pool.map, now, only=ids)
        return any(self.store.record(k) != before[k] for k in keys) or any(
            self.targets[k].record != r for k, r in targets_before.items() if k in self.targets
        )

    def cancel(self) -> None:
        """Stop polling for good (shutdown): no new API calls; a poll in progress raises
        workers.Cancelled without waiting for the calls it has in flight."""
        self.clients.cancel()

    def deployment_of(self, target: TrackedTarget) -> Deployment | None:
        return self.store.record((target.deployment_id, target.aws))

    def rendered_deployments(self) -> Iterable[tuple[DeploymentKey, TrackedDeployment]]:
        """Followed deployments and those of explicit target pairs (watched-only ones are
        read for group state and counters, not exported), each with a record."""
        keys = self.wanted.listed | {(d, aws) for d, _, aws in self.wanted.pairs}
        return ((k, t) for k, t in self.store.tracked.items() if k in keys and t.record is not None)

    def group_views(self) -> list[GroupView]:
        views = self.groups.views(self.group_facts.extend, self.history.view)
        if not self.config.metrics.lifecycle_event_history:
            return views
        # Only the deployments exported: those are the ones a restart reads back.
        return self.hook_history.attach(views, (t for _, t in self.rendered_deployments()), self.identity)

    # ---- identity and sharding ----------------------------------------------------------------

    def identity(self, aws: AwsSettings) -> tuple[str, str]:
        """(account id, region) of a settings block: the account_id and region labels, and the
        shard key of its groups. The client factory caches both (one STS call per credential
        set at most, and only when neither role_arn nor aws.account_id says it)."""
        return self.clients.account_id(aws), self.clients.region(aws)

    def owns_group(self, aws: AwsSettings, application: str, group: str) -> bool:
        return self.sharding.owns_group(aws, application, group)

    # ---- phases -------------------------------------------------------------------------------

    def _group_state(self, pool: DaemonPool, wanted: Wanted, now: float) -> None:
        poll = self.config.poll
        self.groups.sync(wanted.groups, self.identity, self.polls, now, poll.interval)
        self.groups.read_due(pool.map, self.api, self.outages, now, poll.group_refresh, poll.interval)
        self.group_facts.prepare(self.config, wanted.groups)
        self.groups.observe(self.store.fetched, self.polls, now, self._forget_after())
        self.group_facts.read(self.config, self.groups.states, pool.map, self.api, self.identity, self.outages, now)
        metrics = self.config.metrics
        self.history.sync((ref for ref, listed in wanted.groups.items() if listed), self.polls, now, poll.interval)
        self.history.observe(self.store.fetched, self.polls, now)
        back = reach(metrics.windows, self._duration_window())
        self.history.read_due(pool.map, self.api, self.outages, now, back, poll.interval)
        self._update_history(now)

    def _duration_window(self) -> float:
        """metrics.duration_window, or 0 when the phase histogram is not exported (then the
        history is not read back for it)."""
        metrics = self.config.metrics
        return metrics.duration_window if Selection.of(metrics).wants(PHASE_FAMILY) else 0.0

    def _update_history(self, now: float) -> None:
        metrics = self.config.metrics
        self.history.update(now, metrics.windows, metrics.change_failure_window, self._duration_window())

    def _targets(self, pool: DaemonPool, wanted: Wanted, now: float) -> None:
        # Slimmed records would lose what `lifecycle_events: all` exports of finished targets.
        self.target_store.set_slim(self.config.metrics.lifecycle_events == "active")
        self.target_store.list_targets(pool.map, wanted.listed, now)
        self.target_store.sync(wanted.pairs, wanted.listed)
        self.target_store.poll(pool.map, now)
        self.target_store.settle()

    def _forget_after(self) -> float:
        return self.config.poll.retention + 2 * 3600.0

    def pool(self, name: str) -> DaemonPool:
        """The bounded pool a poll's API calls run on. Daemon workers: a cancelled poll
        (SIGTERM) abandons calls in flight (see cancel())."""
        return DaemonPool(
            self.config.poll.max_concurrency, self.clients.cancelled, thread_name_prefix=name, gate=self.clients.gate
        )

    def api(self, aws: AwsSettings) -> CodeDeployApi:
        # An account-region down at the last poll is probed, one attempt per call, until it answers.
        return self.clients.probe(aws) if aws in self.down else self.clients.api(aws)

    def context(self, pool: DaemonPool, now: float) -> PollContext:
        """What the sources are handed to decide what to poll (and, between polls, to list what events mention)."""
        return PollContext(
            self.config,
            now,
            self.polls,
            pool.map,
            self.api,
            self.outages,
            self.store,
            self.owns_group,
            self.identity,
            self.group_facts.tag_cache,
        )
