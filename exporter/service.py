"""The exporter at work: the poll loop, the HTTP server, the event plug-in, config reloads
(SIGHUP, `POST /-/reload`) and a clean shutdown; or, with `--once`, one poll and an exit code.

A failed reload keeps the previous config:
codedeploy_exporter_config_last_reload_successful 0            # the last attempt failed
codedeploy_exporter_config_last_reload_success_timestamp_seconds 1.7e9   # last good load
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from exporter import __version__
from exporter.config import Config, ConfigError, config_warnings
from exporter.exposition.status import DEFAULT_ROWS
from exporter.http.address import MAX_CONNECTIONS_PER_CLIENT, systemd_listeners
from exporter.log import quote

if TYPE_CHECKING:  # imported lazily at run time (see run): --version and --config.check stay fast
    from exporter.app import Exporter
    from exporter.aws.clients import ClientFactory
    from exporter.http.security import WebConfigWatcher

log = logging.getLogger(__name__)

# Exit codes (README, "Exit codes"); `--once` uses all of them.
EXIT_OK, EXIT_TARGETS_FAILED, EXIT_USAGE, EXIT_API_ERROR, EXIT_POLL_CRASHED = 0, 1, 2, 3, 4
# SIGTERM to exit within 3 s: responses in flight get DRAIN_ON_STOP, a cancelled poll (which
# returns within ~50 ms) STOP_TIMEOUT.
DRAIN_ON_STOP = 1.5
STOP_TIMEOUT = 1.0


@dataclass(frozen=True)
class Options:
    """What the command line decided, beyond the config."""

    listen_addresses: tuple[str, ...]
    telemetry_path: str
    shard: int
    total_shards: int
    healthz_max_poll_intervals: float
    enable_lifecycle: bool
    once: bool
    status_rows: int = DEFAULT_ROWS  # rows per section of the status page
    max_connections_per_client: int = MAX_CONNECTIONS_PER_CLIENT
    systemd_socket: bool = False  # serve on the sockets systemd passed, not listen_addresses
    external_url: str = ""  # --web.external-url, without a trailing slash


class Reloader:
    def __init__(self, exporter: Exporter, load: Callable[[], Config], clock: Callable[[], float] = time.time) -> None:
        self.exporter = exporter
        self._load = load
        self._clock = clock
        self._lock = threading.Lock()  # SIGHUP and HTTP may ask at once; one reload at a time

    def reload(self) -> tuple[bool, str]:
        """Returns (success, message for the HTTP caller)."""
        metrics = self.exporter.metrics
        with self._lock:
            try:
                config = self._load()
            except Exception as exc:  # a reload must never take the daemon down
                metrics.reload_successful.set(0)
                self.exporter.republish()
                if isinstance(exc, ConfigError):
                    log.error(
                        "event=config_reload_failed problems=%d detail=%s kept=previous",
                        len(exc.problems),
                        quote("; ".join(exc.problems)),
                    )
                    return False, "config reload failed, previous config kept:\n" + str(exc)
                log.exception("event=config_reload_failed")
                return False, f"config reload failed, previous config kept: {exc}"
            old = self.exporter.config
            self.exporter.apply_config(config)
            metrics.reload_successful.set(1)
            metrics.reload_success_time.set(self._clock())
            self.exporter.republish()
        for warning in config_warnings(config):
            log.warning("event=config_warning message=%s", quote(warning))
        log.info(
            "event=config_reloaded source=%s targets=%d deployments=%d groups=%d changed=%s",
            quote(config.source),
            len(config.targets),
            len(config.deployments),
            len(config.deployment_groups),
            str(config != old).lower(),
        )
        return True, "config reloaded"


def run(
    options: Options,
    config: Config,
    credentials: tuple[str, str] | None,
    web: WebConfigWatcher | None,
    load: Callable[[], Config],
) -> int:
    """Run until SIGTERM/SIGINT (or, with `--once`, for one poll); returns the exit code."""
    # Imported here so --version and --config.check stay fast and never touch boto3.
    from exporter.app import Exporter
    from exporter.aws.clients import ClientFactory
    from exporter.events.runner import EventsRunner
    from exporter.exposition.self_metrics import ExporterMetrics
    from exporter.http.server import serve

    metrics = ExporterMetrics()
    clients = ClientFactory(
        metrics, config.poll.max_concurrency, config.poll.max_requests_per_second, static_credentials=credentials
    )
    exporter = Exporter(
        config,
        clients,
        metrics,
        options.shard,
        options.total_shards,
        liveness_intervals=options.healthz_max_poll_intervals,
        status_rows=options.status_rows,
        external_url=options.external_url,
    )
    if options.once:
        return _once(exporter, clients)

    reloader = Reloader(exporter, load)
    try:
        listen = systemd_listeners() if options.systemd_socket else options.listen_addresses
        server = serve(
            listen,
            exporter,
            options.telemetry_path,
            web=web,
            reload=reloader.reload if options.enable_lifecycle else None,
            max_per_client=options.max_connections_per_client,
        )
    except ValueError as exc:  # ListenError included: these name the flag and the address
        print(f"codedeploy-exporter: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        flag = "--web.systemd-socket" if options.systemd_socket else "--web.listen-address"
        print(f"codedeploy-exporter: {flag}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    stop = threading.Event()
    reload_requested = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("event=shutdown signal=%s", signal.Signals(signum).name)
        stop.set()

    def on_hangup(_signum: int, _frame: FrameType | None) -> None:
        reload_requested.set()  # reloaded by the main loop, not inside the signal handler

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, on_hangup)
    log.info(
        "event=started version=%s listen=%s telemetry_path=%s targets=%d deployments=%d "
        "groups=%d shard=%d total_shards=%d",
        __version__,
        ",".join(server.urls),
        options.telemetry_path,
        len(config.targets),
        len(config.deployments),
        len(config.deployment_groups),
        options.shard,
        options.total_shards,
    )
    poller = threading.Thread(target=exporter.run, args=(stop,), name="poller", daemon=True)
    poller.start()
    events = EventsRunner(exporter, clients)
    events.apply(config.events)
    while not stop.wait(0.2):
        if reload_requested.is_set():
            reload_requested.clear()
            log.info("event=reload_requested via=SIGHUP")
            reloader.reload()
        events.apply(exporter.config.events)  # a reload (SIGHUP or HTTP) may have changed it
    # Cancel first: the poll and event refreshes issue no more API calls and stop waiting for
    # the ones in flight (daemon threads, abandoned), so no hanging API delays the exit.
    exporter.cancel()
    server.stop(drain_timeout=DRAIN_ON_STOP)
    # The consumer's receiver is a daemon thread in a long poll: not waited for.
    events_stopped = events.stop()
    poller.join(timeout=STOP_TIMEOUT)
    log.info(
        "event=stopped abandoned_poll=%s abandoned_event_refresh=%s",
        str(poller.is_alive()).lower(),
        str(not events_stopped).lower(),
    )
    return EXIT_OK


def _once(exporter: Exporter, clients: ClientFactory) -> int:
    """`--once`: one poll, its exposition on stdout, and an exit code a script can act on."""
    try:
        outcome = exporter.poll_once()
    except Exception as exc:  # a fault of ours: one line, not a traceback (DEBUG logs it)
        log.debug("event=poll_crashed", exc_info=True)
        print(f"codedeploy-exporter: --once: the poll failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_POLL_CRASHED
    sys.stdout.write(exporter.snapshot.body.decode("utf-8"))
    sys.stdout.flush()
    for error in outcome.api_errors:
        account = region = ""
        if error.settings is not None:
            account, region = clients.account_id(error.settings), clients.region(error.settings)
        print(
            f"codedeploy-exporter: --once: API error: operation={error.operation} error_code={error.code} "
            f"account_id={account or 'unknown'} region={region or 'unknown'} message={quote(error.message[:300])}",
            file=sys.stderr,
        )
    if outcome.api_wide_errors:
        return EXIT_API_ERROR
    return EXIT_TARGETS_FAILED if outcome.failed_targets else EXIT_OK
