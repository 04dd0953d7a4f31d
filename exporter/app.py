"""Wires a poll to a published snapshot: poll, render once (metrics and the status page's model),
serve the same bytes until the next."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from exporter import __version__
from exporter.aws.clients import ClientFactory
from exporter.collect.poller import Poller, PollOutcome
from exporter.collect.sources import plain_settings
from exporter.config import (
    AwsSettings,
    Config,
)
from exporter.exposition import status
from exporter.exposition.body import Section
from exporter.exposition.cache import ExpositionCache
from exporter.exposition.families.base import Level
from exporter.exposition.selection import Selection
from exporter.exposition.self_metrics import ExporterMetrics, build_revision
from exporter.exposition.snapshot import Snapshot
from exporter.exposition.status import Header, Scope, Status, Tracked
from exporter.exposition.views import DeploymentView, TargetView
from exporter.liveness import DEFAULT_LIVENESS_INTERVALS, Liveness
from exporter.log import diagnostics_setting
from exporter.model import Target
from exporter.workers import Cancelled

log = logging.getLogger(__name__)
T = TypeVar("T")


def aws_settings(config: Config) -> set[AwsSettings]:
    """Every distinct AWS setting (region, profile, role) the config polls with; the accounts of
    organizations are the poller's to say (OrganizationsSource.settings)."""
    return plain_settings(config) | {entry.aws for entry in config.organizations}


FULL_COLLECTION_EVERY = 600.0  # seconds between full garbage collections (see below)


def collect_and_freeze() -> None:
    """Collect all garbage, then exempt what survives from later automatic collections.

    A full collection scans every object: ~60 ms at 1,000 targets (botocore's models and
    the tracked records), holding the GIL, so every scrape waits; Python starts one every
    few seconds under a poll's allocations. Frozen objects are skipped by those, which then
    scan only what is newer. Frozen garbage is still freed by reference counting; garbage
    in reference cycles waits for the next call here, every FULL_COLLECTION_EVERY."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class Exporter:
    def __init__(
        self,
        config: Config,
        clients: ClientFactory,
        metrics: ExporterMetrics,
        shard: int = 0,
        total_shards: int = 1,
        clock: Callable[[], float] = time.time,
        *,
        liveness_intervals: float = DEFAULT_LIVENESS_INTERVALS,
        monotonic: Callable[[], float] = time.monotonic,
        status_rows: int = status.DEFAULT_ROWS,
        external_url: str = "",
    ) -> None:
        self.metrics = metrics
        self.poller = Poller(config, clients, shard, total_shards, clock)
        self.cache = ExpositionCache(Selection.of(config.metrics))
        self.cache.report = clients.parse_errors.failed
        metrics.selection = self.cache.selection
        self.clock = clock
        self.ready = threading.Event()
        self._poll_lock = threading.Lock()
        self.liveness = Liveness(liveness_intervals, monotonic)
        metrics.shard_ordinal.set(shard)
        metrics.total_shards.set(total_shards)
        metrics.reload_successful.set(1)
        metrics.poll_interval.set(config.poll.interval)
        metrics.reload_success_time.set(clock())
        self._sections: list[Section] = []
        self.status_rows = status_rows
        self.external_url = external_url
        self._last_poll: float | None = None
        self._poll_health = "waiting for the first poll"
        self._scopes: tuple[Scope, ...] = ()
        self.snapshot = self._snapshot(
            status.build(self._header(), clock(), (), (), status_rows)
        )  # (not _install: there is no snapshot before it)
        # Until scrapers say which forms they ask for, expect Prometheus's (gzip, in either
        # format it may negotiate): the first poll's snapshot is then published with both
        # ready, and no scrape after a start compresses. Sealed members are shared by both.
        self.snapshot.asked.update(("gzipped", "openmetrics_gzipped"))

    @property
    def config(self) -> Config:
        return self.poller.config

    def apply_config(self, config: Config) -> None:
        """Swap in a new (already validated) config between polls.

        Tracked deployments and targets are keyed by ID and AWS settings, so those that stay
        keep their records, frozen state and backoff: a reload causes no burst of API calls.
        Entries that left the config drop out at the next poll.
        """
        with self._poll_lock:
            self.poller.config = config
            self.metrics.poll_interval.set(config.poll.interval)
            selection = Selection.of(config.metrics)
            if selection != self.cache.selection:
                self.cache = ExpositionCache(selection)
                self.cache.report = self.poller.clients.parse_errors.failed
                self.metrics.selection = selection
            # The token bucket reads its rate on every acquire; concurrency is read per poll,
            # and the connection pool follows it. Clients of AWS settings that left go.
            self.poller.clients.reconfigure(
                config.poll.max_concurrency,
                config.poll.max_requests_per_second,
                aws_settings(config) | self.poller.organizations.settings(),
            )

    def cancel(self) -> None:
        """Shutdown: a poll in progress ends now (raising Cancelled), abandoning its calls."""
        self.poller.cancel()

    def republish(self) -> None:
        """Republish the last poll's data with current self-metrics (e.g. after a reload)."""
        with self._poll_lock:
            self._install(self._snapshot(self._restatus()))

    def _restatus(self) -> Status:
        """The last status with the header now (poll health, reloaded interval)."""
        last = self.snapshot.status
        assert last is not None  # every snapshot of an Exporter has one
        return status.with_header(last, self._header())

    def poll_once(self) -> PollOutcome:
        with self._poll_lock:
            try:
                outcome = self.poller.poll()
            except Cancelled:
                raise
            except Exception:
                # The last good data stays served; the self-metrics move on (the parse-error
                # and API counters of this attempt; the last-success timestamp does not).
                self._poll_health = "failing: the last poll crashed (see the log)"
                self._install(self._snapshot(self._restatus()))
                raise
            self._publish(outcome)
        self.liveness.poll_completed()
        self.ready.set()
        return outcome

    def alive(self) -> tuple[bool, str]:
        """Liveness for /healthz: (ok, reason). A completed poll counts even if it failed."""
        interval = self.config.poll.interval
        if self.liveness.alive(interval):
            return True, "OK"
        return False, (
            f"unhealthy: no poll completed for {self.liveness.seconds_since_poll():.0f}s "
            f"(limit {self.liveness.limit(interval):.0f}s)"
        )

    def between_polls(self, work: Callable[[Poller], T]) -> T:
        """Run `work` on the poller between polls (under the poll lock), then publish what it
        changed. For plug-ins such as the event consumer. Not a poll: readiness, the poll
        duration and the last-poll-success timestamp keep following the regular poll."""
        with self._poll_lock:
            result = work(self.poller)
            self._publish(None)
        return result

    def views(self) -> tuple[list[TargetView], list[DeploymentView]]:
        """What the renderer is given: every target asked about so far, every exported deployment.
        Identity labels are rendered by the cache, which keeps them between polls."""
        poller, cache = self.poller, self.cache
        # Entries share one AwsSettings object: resolve each once per publish, by identity,
        # instead of hashing the (pydantic) settings and taking the client locks per target.
        identities: dict[int, tuple[str, str]] = {}

        def identity(aws: AwsSettings) -> tuple[str, str]:
            found = identities.get(id(aws))
            if found is None:
                found = identities[id(aws)] = poller.identity(aws)
            return found

        views = []
        for key, target in poller.targets.items():
            if target.success is None:
                continue  # never asked: nothing to say about it yet
            deployment = poller.deployment_of(target)
            app, group = (deployment.application, deployment.deployment_group) if deployment else ("", "")
            account, region = identity(target.aws)
            prefix = cache.prefix(
                key, Level.TARGET, account, region, app, group, target.deployment_id, target.target_id
            )
            views.append(
                TargetView(
                    key,
                    prefix,
                    target.record,
                    target.success,
                    target.frozen,
                    deployment is not None and deployment.terminal,
                    (target.deployment_id, target.aws),
                )
            )
        deployments = []
        for dkey, tracked in poller.rendered_deployments():
            record = tracked.record
            assert record is not None  # rendered_deployments yields only deployments with one
            account, region = identity(dkey[1])
            prefix = cache.prefix(
                dkey,
                Level.DEPLOYMENT,
                account,
                region,
                record.application,
                record.deployment_group,
                record.deployment_id,
            )
            deployments.append(DeploymentView(dkey, prefix, record, tracked.hooks))
        return views, deployments

    def _publish(self, outcome: PollOutcome | None) -> None:
        self._install(self._render(outcome))

    def _render(self, outcome: PollOutcome | None) -> Snapshot:
        """The exposition of the poller's state now (views, cached render, encoding); the
        poll's self-metrics only after a poll (`outcome`), not after work between polls."""
        views, deployments = self.views()
        frozen = sum(1 for view in views if view.frozen)
        m = self.metrics
        m.targets.labels("frozen").set(frozen)
        m.targets.labels("polled").set(len(views) - frozen)
        if outcome is not None:
            m.set_scope_health(outcome.scope_health)
            # One shard says the names: a join on account_id then finds one row per account.
            m.set_accounts(self.poller.account_names() if self.poller.shard == 0 else [])
            m.poll_duration.set(outcome.duration)
            if outcome.answered:
                m.last_poll_success.set(self.clock())
        # Cached fragments (re-rendered only where something changed) plus self-metrics.
        self._sections = self.cache.sections(views, deployments, self.poller.group_views())
        return self._snapshot(self._status(outcome))

    def _install(self, snapshot: Snapshot) -> None:
        # Before scrapers can see it: none of them waits for a compression.
        snapshot.prepare(self.snapshot.asked)
        self.snapshot = snapshot

    def _snapshot(self, status_model: Status) -> Snapshot:
        return Snapshot(
            self._sections,
            self.metrics.render().encode("utf-8"),
            status_model,
            openmetrics_self_metrics=self.metrics.render_openmetrics,
        )

    def _status(self, outcome: PollOutcome | None) -> Status:
        """The status page's model of the poller's state now: pure data (records are frozen),
        made once per publish and kept on the snapshot; no API call."""
        poller = self.poller
        if outcome is not None:
            health = "ok"
            if outcome.api_wide_errors:
                health = ("degraded: " if outcome.answered else "failing: ") + ", ".join(outcome.api_wide_errors)
            if outcome.failed_targets:
                health += f" ({outcome.failed_targets} targets failing to poll)"
            if outcome.answered:
                self._last_poll = self.clock()
            self._poll_health = health
            scopes = [Scope(account, region, error or "") for (account, region), error in outcome.scope_health.items()]
            self._scopes = tuple(sorted(scopes, key=lambda s: (not s.error, s.account_id, s.region)))
        # Targets are read once: every record of a deployment in progress (traffic, current
        # hook), the failed ones of a finished deployment (settled records keep their failed hook).
        running = {key for key, tracked in poller.deployments.items() if tracked.record and not tracked.record.terminal}
        targets: dict[tuple[str, AwsSettings], list[Target]] = {}
        for tracked_target in poller.targets.values():
            record = tracked_target.record
            if record is None:
                continue
            key = (tracked_target.deployment_id, tracked_target.aws)
            if record.status == "Failed" or key in running:
                targets.setdefault(key, []).append(record)
        deployments = []
        for dkey, tracked in poller.rendered_deployments():
            assert tracked.record is not None  # rendered_deployments yields only deployments with one
            account, region = poller.identity(dkey[1])
            deployments.append(Tracked(account, region, tracked.record, targets.get(dkey, ())))
        return status.build(
            self._header(),
            self.clock(),
            poller.group_views(),
            deployments,
            self.status_rows,
            diagnostics_setting() == "full",
        )

    def _header(self) -> Header:
        poller = self.poller
        return Header(
            __version__,
            build_revision(),
            poller.shard,
            poller.total_shards,
            self.config.poll.interval,
            self._last_poll,
            self._poll_health,
            self._scopes,
            diagnostics_setting(),
            self.external_url,
        )

    def run(self, stop: threading.Event) -> None:
        """Poll every interval until `stop` is set. A poll that overruns delays the next one
        instead of stacking another on top of it."""
        next_full_collection = 0.0
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.poll_once()
                if started >= next_full_collection:
                    next_full_collection = started + FULL_COLLECTION_EVERY
                    collect_and_freeze()
            except Cancelled:
                log.info("event=poll_cancelled")
                return
            except Exception:  # never let one bad poll end the daemon
                log.exception("event=poll_crashed")
            interval = self.config.poll.interval
            elapsed = time.monotonic() - started
            if elapsed > interval:
                log.warning(
                    "event=poll_overrun duration=%.1fs interval=%.1fs skipped=%d",
                    elapsed,
                    interval,
                    int(elapsed // interval),
                )
            # Wait for the next slot on the interval grid; an overrun skips the slots it covered.
            stop.wait(interval - elapsed % interval)
