"""Wires a poll to a published snapshot: poll, render once, serve the same bytes until the next."""

from __future__ import annotations

import html
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from exporter.aws import ClientFactory
from exporter.config import Config
from exporter.events.parse import DeploymentChange
from exporter.events.refresh import EventRefresher, RefreshOutcome
from exporter.metrics import ExporterMetrics
from exporter.poller import Poller, PollOutcome
from exporter.render import ExpositionCache, TargetView

log = logging.getLogger(__name__)

LANDING_ROWS = 200  # the landing page is for a glance; /metrics has everything
_POLL_STATE = {True: "ok", None: "waiting for the deployment to start"}


@dataclass
class Snapshot:
    """One poll's output: the exposition as the cached byte strings it is made of.

    The chunks are the renderer's own cached fragments (shared, not copied), so a snapshot
    costs no second copy of the exposition; the server writes them out in blocks. The
    gzip form is compressed once, on the first request that asks for it.
    """

    chunks: list[bytes]
    landing_cells: list[tuple[str, ...]] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    _gzip: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def length(self) -> int:
        return sum(map(len, self.chunks))

    @property
    def body(self) -> bytes:
        """The whole exposition as one byte string (for --once and tests; scrapes use chunks)."""
        return b"".join(self.chunks)

    def gzipped(self) -> bytes:
        with self._lock:
            if self._gzip is None:
                compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip container
                parts = [compressor.compress(chunk) for chunk in self.chunks]
                parts.append(compressor.flush())
                self._gzip = b"".join(parts)
            return self._gzip

    @cached_property
    def html_rows(self) -> str:
        return "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
                         for cells in self.landing_cells)


class Exporter:
    def __init__(self, config: Config, clients: ClientFactory, metrics: ExporterMetrics,
                 shard: int = 0, total_shards: int = 1,
                 clock: Callable[[], float] = time.time) -> None:
        self.metrics = metrics
        self.poller = Poller(config, clients, shard, total_shards, clock)
        self.cache = ExpositionCache(sparse=config.metrics.sparse_status)
        self.clock = clock
        self.ready = threading.Event()
        self._poll_lock = threading.Lock()
        metrics.shard_ordinal.set(shard)
        metrics.total_shards.set(total_shards)
        metrics.reload_successful.set(1)
        metrics.reload_success_time.set(clock())
        self._chunks: list[bytes] = []
        self._event_refresher: EventRefresher | None = None
        self.snapshot = self._snapshot([])

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
            if config.metrics.sparse_status != self.cache.sparse:
                self.cache = ExpositionCache(sparse=config.metrics.sparse_status)
            # The token bucket reads its rate on every acquire; concurrency is read per poll.
            self.poller.clients.limiter.rate = config.poll.max_requests_per_second

    def refresh_self_metrics(self) -> None:
        """Republish the last poll's data with current self-metrics (e.g. after a reload)."""
        with self._poll_lock:
            self.snapshot = self._snapshot(self.snapshot.landing_cells)

    def poll_once(self) -> PollOutcome:
        with self._poll_lock:
            outcome = self.poller.poll()
            self._publish(outcome)
        self.ready.set()
        return outcome

    def refresh_events(self, changes: Iterable[DeploymentChange],
                       account: Callable[[RefreshOutcome], None] = lambda outcome: None) -> RefreshOutcome:
        """Refresh the deployments events named and publish a new snapshot now.

        `account(outcome)` runs before publishing, so the snapshot's self-metrics count this
        refresh. Not a poll: readiness, the poll duration and the last-poll-success timestamp
        keep following the regular poll, which is the safety net for events the queue missed.
        """
        with self._poll_lock:
            if self._event_refresher is None:
                self._event_refresher = EventRefresher(self.poller)
            outcome = self._event_refresher.refresh(changes)
            account(outcome)
            self._publish_snapshot()
        # Unlike after a poll, gzip is left to the first scrape that asks for it: during a rollout
        # events can refresh every second, far more often than Prometheus scrapes.
        return outcome

    def _publish(self, outcome: PollOutcome) -> None:
        m = self.metrics
        m.poll_duration.set(outcome.duration)
        if not outcome.api_wide_errors:
            m.last_poll_success.set(self.clock())
        self._publish_snapshot()
        log.debug("event=poll_done duration=%.3f targets=%d rerendered=%d errors=%s",
                  outcome.duration, len(self.poller.targets), self.cache.rendered_last,
                  ",".join(outcome.api_wide_errors) or "none")

    def _publish_snapshot(self) -> None:
        poller = self.poller
        views = []
        frozen = 0
        for key, target in poller.targets.items():
            if target.success is None:
                continue  # never asked: nothing to say about it yet
            deployment = poller.deployment_of(target)
            app, group = (deployment.application, deployment.deployment_group) if deployment else ("", "")
            views.append(TargetView(key, target.identity_labels(app, group), target.record,
                                    target.success))
            frozen += target.frozen
        m = self.metrics
        m.targets.labels("frozen").set(frozen)
        m.targets.labels("polled").set(len(views) - frozen)
        # Cached fragments (re-rendered only where something changed) plus self-metrics.
        self._chunks = self.cache.chunks(views, poller.rendered_deployments())
        self.snapshot = self._snapshot(self._landing_cells())

    def _snapshot(self, landing_cells: list[tuple[str, ...]]) -> Snapshot:
        return Snapshot([*self._chunks, self.metrics.render().encode("utf-8")], landing_cells)

    def _landing_cells(self) -> list[tuple[str, ...]]:
        # Plain values copied now (the poller mutates its records); HTML is made on request.
        cells = []
        for target in list(self.poller.targets.values())[:LANDING_ROWS]:
            record = target.record
            failed = record.failed_event() if record else None
            cells.append((target.deployment_id, target.target_id,
                          record.target_type if record else "", record.status if record else "",
                          failed.name if failed else "", "frozen" if target.frozen else
                          (_POLL_STATE.get(target.success) or f"failing: {target.error}")))
        return cells

    def run(self, stop: threading.Event) -> None:
        """Poll every interval until `stop` is set. A poll that overruns delays the next one
        instead of stacking another on top of it."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.poll_once()
                # Prometheus asks for gzip: compress here, in the poll thread, so no scrape
                # pays for it (~60 ms at 1,000 targets).
                self.snapshot.gzipped()
            except Exception:  # never let one bad poll end the daemon
                log.exception("event=poll_crashed")
            interval = self.config.poll.interval
            elapsed = time.monotonic() - started
            if elapsed > interval:
                log.warning("event=poll_overrun duration=%.1fs interval=%.1fs skipped=%d",
                            elapsed, interval, int(elapsed // interval))
            # Wait for the next slot on the interval grid; an overrun skips the slots it covered.
            stop.wait(interval - elapsed % interval)
