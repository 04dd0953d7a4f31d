"""Command line: flags in Prometheus exporter style, wiring, signals. `main(argv) -> exit code`."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import socket
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

from exporter import __version__
from exporter import log as logsetup
from exporter.config import Config, ConfigError, config_warnings, load_config
from exporter.http.address import LISTEN_ADDRESS_ENV, listen_address
from exporter.liveness import DEFAULT_LIVENESS_INTERVALS, LIVENESS_FLOOR
from exporter.log import quote

if TYPE_CHECKING:  # imported lazily at run time (see _run)
    from exporter.app import Exporter
    from exporter.aws.clients import ClientFactory
    from exporter.http.security import WebConfigWatcher

log = logging.getLogger(__name__)

# Exit codes (README, "Exit codes"); `--once` uses all of them.
EXIT_OK, EXIT_TARGETS_FAILED, EXIT_USAGE, EXIT_API_ERROR, EXIT_POLL_CRASHED = 0, 1, 2, 3, 4
DEFAULT_PORT = 10120
# SIGTERM to exit within 3 s: responses in flight get DRAIN_ON_STOP, a cancelled poll (which
# returns within ~50 ms) STOP_TIMEOUT.
DRAIN_ON_STOP = 1.5
STOP_TIMEOUT = 1.0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="codedeploy-exporter",
        description="Prometheus exporter for AWS CodeDeploy deployment targets.",
        # `--config.fil` must be an error, not --config.file: a typo in a unit file would
        # otherwise keep working until a new flag makes the prefix ambiguous.
        allow_abbrev=False,
    )
    p.add_argument(
        "--config.file",
        dest="config_file",
        default="config.yaml",
        help="YAML file listing what to watch (default: %(default)s)",
    )
    p.add_argument(
        "--config.check",
        dest="config_check",
        action="store_true",
        help="validate the config file, print every problem, exit 0 (valid) or 2",
    )
    p.add_argument(
        "--web.listen-address",
        dest="listen_address",
        default=listen_address(),
        help=f"address to serve metrics on (default: ${LISTEN_ADDRESS_ENV} if set, "
        f"else :{DEFAULT_PORT}; now %(default)s)",
    )
    p.add_argument(
        "--web.telemetry-path",
        dest="telemetry_path",
        default="/metrics",
        help="path under which to expose metrics (default: %(default)s)",
    )
    p.add_argument(
        "--web.config.file",
        dest="web_config_file",
        default=None,
        help="exporter-toolkit web config (TLS, basic auth); re-read when it changes",
    )
    p.add_argument(
        "--web.enable-lifecycle",
        dest="enable_lifecycle",
        action="store_true",
        help="allow config reloads over HTTP (POST /-/reload); SIGHUP always reloads",
    )
    p.add_argument("--log.level", dest="log_level", default="info", choices=["debug", "info", "warn", "error"])
    p.add_argument("--log.format", dest="log_format", default="logfmt", choices=["logfmt", "json"])
    p.add_argument(
        "--log.diagnostics",
        dest="log_diagnostics",
        default="summary",
        choices=list(logsetup.DIAGNOSTICS),
        help="what of a failed hook's diagnostics the log and the landing page show: "
        "'summary' (hook, error code, script name) or 'full' (adds the script's "
        "message and log tail, which may hold secrets) (default: %(default)s)",
    )
    p.add_argument(
        "--web.healthz.max-poll-intervals",
        dest="healthz_max_poll_intervals",
        type=_positive_float,
        default=DEFAULT_LIVENESS_INTERVALS,
        help="/healthz fails (503) when no poll completed within this many poll "
        f"intervals, and at least {LIVENESS_FLOOR:.0f}s (default: %(default)g)",
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="poll once, print the exposition to stdout; exit 0 all read, 1 a target failed to "
        "poll, 3 an API-wide error (access denied, credentials, endpoint, throttling), "
        "4 the poll itself failed",
    )
    p.add_argument(
        "--shard",
        default="0",
        help="shard this replica exports, 0-based; 'auto' takes it from the trailing "
        "-N of $POD_NAME or the hostname (StatefulSet ordinal)",
    )
    p.add_argument(
        "--total-shards",
        dest="total_shards",
        type=int,
        default=1,
        help="number of replicas sharing the deployment groups (default: %(default)s)",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="run against the embedded CodeDeploy simulator with cycling demo scenarios; needs no AWS account",
    )
    p.add_argument(
        "--demo.simulator-address",
        dest="demo_simulator_address",
        default="127.0.0.1:0",
        help="where the demo's simulator listens",
    )
    p.add_argument(
        "--demo.events",
        dest="demo_events",
        action="store_true",
        help="with --demo: the simulator also puts EventBridge events on its own SQS queue "
        "and the exporter consumes them; polls every 60 s instead of 2 s",
    )
    p.add_argument("--version", action="store_true", help="print the version and exit")
    return p


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r}: expected a positive number")
    return number


def resolve_shard(value: str, total: int) -> int:
    if value == "auto":
        name = os.environ.get("POD_NAME") or socket.gethostname()
        match = re.search(r"-(\d+)$", name)
        if not match:
            raise ValueError(f"--shard=auto: no trailing -N ordinal in pod name {name!r}")
        shard = int(match.group(1))
    elif value.isdigit():
        shard = int(value)
    else:
        raise ValueError(f"--shard {value!r}: expected a number or 'auto'")
    if total < 1 or shard >= total:
        raise ValueError(f"--shard {shard} --total-shards {total}: need 0 <= shard < total-shards")
    return shard


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.version:
        print(f"codedeploy-exporter {__version__}")
        return EXIT_OK
    logsetup.setup(args.log_level, args.log_format, args.log_diagnostics)
    try:
        shard = resolve_shard(args.shard, args.total_shards)
    except ValueError as exc:
        print(f"codedeploy-exporter: {exc}", file=sys.stderr)
        return EXIT_USAGE

    demo = None
    if args.demo:
        from exporter.demo import DEMO_CREDENTIALS, Demo

        try:
            demo = Demo(args.demo_simulator_address, events=args.demo_events).start()
        except (OSError, ValueError) as exc:
            print(f"codedeploy-exporter: --demo.simulator-address: {exc}", file=sys.stderr)
            return EXIT_USAGE
        config, credentials = demo.config(), DEMO_CREDENTIALS
    else:
        try:
            config = load_config(args.config_file)
        except ConfigError as exc:
            print(str(exc), file=sys.stderr)
            config = None  # the web config is still checked: every problem in one go
        credentials = None
    web, web_ok = None, True
    if args.web_config_file and not args.once:
        from exporter.http.security import WebConfigWatcher

        try:
            web = WebConfigWatcher(args.web_config_file)
        except ConfigError as exc:
            print(str(exc), file=sys.stderr)
            web_ok = False
    if config is None or not web_ok:
        if demo is not None:
            demo.stop()
        return EXIT_USAGE
    if args.config_check:
        for warning in config_warnings(config):
            print(f"warning: {warning}", file=sys.stderr)
        print(
            f"{config.source}: OK ({len(config.targets)} targets, {len(config.deployments)} "
            f"deployments, {len(config.deployment_groups)} deployment groups)"
        )
        if web is not None:
            print(f"{args.web_config_file}: OK")
        return EXIT_OK
    for warning in config_warnings(config):
        log.warning("event=config_warning message=%s", quote(warning))

    def load() -> Config:
        return demo.config() if demo is not None else load_config(args.config_file)

    try:
        return _run(args, config, credentials, shard, web, load)
    finally:
        if demo is not None:
            demo.stop()


def _run(
    args: argparse.Namespace,
    config: Config,
    credentials: tuple[str, str] | None,
    shard: int,
    web: WebConfigWatcher | None,
    load: Callable[[], Config],
) -> int:
    # Imported here so --version and --config.check stay fast and never touch boto3.
    from exporter.app import Exporter
    from exporter.aws.clients import ClientFactory
    from exporter.events.runner import EventsRunner
    from exporter.exposition.self_metrics import ExporterMetrics
    from exporter.http.server import serve
    from exporter.reload import Reloader

    metrics = ExporterMetrics()
    clients = ClientFactory(
        metrics, config.poll.max_concurrency, config.poll.max_requests_per_second, static_credentials=credentials
    )
    exporter = Exporter(
        config, clients, metrics, shard, args.total_shards, liveness_intervals=args.healthz_max_poll_intervals
    )
    if args.once:
        return _once(exporter, clients)

    reloader = Reloader(exporter, load)
    try:
        server = serve(
            args.listen_address,
            exporter,
            args.telemetry_path,
            web=web,
            reload=reloader.reload if args.enable_lifecycle else None,
        )
    except (OSError, ValueError) as exc:
        print(f"codedeploy-exporter: --web.listen-address {args.listen_address}: {exc}", file=sys.stderr)
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
        server.url,
        args.telemetry_path,
        len(config.targets),
        len(config.deployments),
        len(config.deployment_groups),
        shard,
        args.total_shards,
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
