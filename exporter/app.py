"""Wires a poll to a published snapshot: poll, render once, serve the same bytes until the next."""

from __future__ import annotations

import gzip
import html
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from exporter.aws import ClientFactory
from exporter.config import Config
from exporter.metrics import ExporterMetrics
from exporter.poller import Poller, PollOutcome
from exporter.render import ExpositionCache, TargetView

log = logging.getLogger(__name__)

LANDING_ROWS = 200  # the landing page is for a glance; /metrics has everything
_POLL_STATE = {True: "ok", None: "waiting for the deployment to start"}


@dataclass
class Snapshot:
    """One poll's output. Scrapes serve `body` (or its gzip, compressed on first request)."""

    body: bytes
    html_rows: str = ""
    created: float = field(default_factory=time.time)
    _gzip: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def gzipped(self) -> bytes:
        with self._lock:
            if self._gzip is None:
                self._gzip = gzip.compress(self.body, compresslevel=6, mtime=0)
            return self._gzip


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
        self.snapshot = Snapshot(body=metrics.render().encode("utf-8"))

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
            old = self.snapshot
            self.snapshot = Snapshot(body=self._body(), html_rows=old.html_rows)

    def poll_once(self) -> PollOutcome:
        with self._poll_lock:
            outcome = self.poller.poll()
            self._publish(outcome)
        self.ready.set()
        return outcome

    def _publish(self, outcome: PollOutcome) -> None:
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
        m.poll_duration.set(outcome.duration)
        if not outcome.api_wide_errors:
            m.last_poll_success.set(self.clock())
        # Cached fragments plus self-metrics, joined once: the only copy of the body per poll.
        self._chunks = self.cache.chunks(views, poller.rendered_deployments())
        self.snapshot = Snapshot(body=self._body(), html_rows=self._landing_rows())
        log.debug("event=poll_done duration=%.3f targets=%d frozen=%d rerendered=%d errors=%s",
                  outcome.duration, len(views), frozen, self.cache.rendered_last,
                  ",".join(outcome.api_wide_errors) or "none")

    def _body(self) -> bytes:
        return b"".join([*self._chunks, self.metrics.render().encode("utf-8")])

    def _landing_rows(self) -> str:
        rows = []
        for target in list(self.poller.targets.values())[:LANDING_ROWS]:
            record = target.record
            failed = record.failed_event() if record else None
            cells = (target.deployment_id, target.target_id,
                     record.target_type if record else "", record.status if record else "",
                     failed.name if failed else "", "frozen" if target.frozen else
                     (_POLL_STATE.get(target.success) or f"failing: {target.error}"))
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        return "\n".join(rows)

    def run(self, stop: threading.Event) -> None:
        """Poll every interval until `stop` is set. A poll that overruns delays the next one
        instead of stacking another on top of it."""
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.poll_once()
            except Exception:  # never let one bad poll end the daemon
                log.exception("event=poll_crashed")
            interval = self.config.poll.interval
            elapsed = time.monotonic() - started
            if elapsed > interval:
                log.warning("event=poll_overrun duration=%.1fs interval=%.1fs skipped=%d",
                            elapsed, interval, int(elapsed // interval))
            # Wait for the next slot on the interval grid; an overrun skips the slots it covered.
            stop.wait(interval - elapsed % interval)
