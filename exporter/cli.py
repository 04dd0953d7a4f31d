"""Command line: flags in Prometheus exporter style and the checks before starting
(`exporter.service` runs it). `main(argv) -> exit code`."""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from exporter import __version__
from exporter import log as logsetup
from exporter.config import Config, ConfigError, config_warnings, load_config
from exporter.exposition.status import DEFAULT_ROWS
from exporter.http.address import LISTEN_ADDRESS_ENV, MAX_CONNECTIONS_PER_CLIENT, listen_address
from exporter.liveness import DEFAULT_LIVENESS_INTERVALS, LIVENESS_FLOOR
from exporter.log import quote
from exporter.model import LOG_TAIL_MAX
from exporter.service import EXIT_OK, EXIT_USAGE, Options, run

if TYPE_CHECKING:  # imported lazily at run time (see service.run)
    pass

log = logging.getLogger(__name__)

DEFAULT_PORT = 10120


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
        action=_Repeatable,
        default=[listen_address()],
        help=f"address to serve metrics on, repeatable: one loop serves them all (default: "
        f"${LISTEN_ADDRESS_ENV} if set, else :{DEFAULT_PORT}; now {listen_address()})",
    )
    p.add_argument(
        "--web.systemd-socket",
        dest="systemd_socket",
        action="store_true",
        help="serve on the listening sockets systemd passes (socket activation: $LISTEN_PID, "
        "$LISTEN_FDS) instead of binding --web.listen-address",
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
    p.add_argument(
        "--web.max-connections-per-client",
        dest="max_connections_per_client",
        type=_non_negative_int,
        default=MAX_CONNECTIONS_PER_CLIENT,
        help="open connections one client address may hold; more are closed at once, 0 for no "
        "limit (default: %(default)s)",
    )
    p.add_argument("--log.level", dest="log_level", default="info", choices=["debug", "info", "warn", "error"])
    p.add_argument("--log.format", dest="log_format", default="logfmt", choices=["logfmt", "json"])
    p.add_argument(
        "--log.diagnostics",
        dest="log_diagnostics",
        default="summary",
        choices=list(logsetup.DIAGNOSTICS),
        help="what of a failed hook's diagnostics the log and the status page show: "
        "'summary' (hook, error code, script name) or 'full' (adds the script's "
        "message and log tail, which may hold secrets) (default: %(default)s)",
    )
    p.add_argument(
        "--web.external-url",
        dest="external_url",
        type=_external_url,
        default=None,
        help="the URL under which people reach the exporter (as Alertmanager's own flag), e.g. "
        "https://codedeploy.example.com/exporter: the status page's JSON and links to one "
        "deployment are absolute under it (default: relative links)",
    )
    p.add_argument(
        "--log.diagnostics.max-log-tail",
        dest="log_tail_chars",
        type=_log_tail_chars,
        default=LOG_TAIL_MAX,
        help="with --log.diagnostics=full: the last characters of a failed hook's log tail "
        f"that the log, the status page and its JSON show, 0 to {LOG_TAIL_MAX} "
        "(CodeDeploy returns at most the last 4 KB); finished targets keep no more (default: %(default)s)",
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
        "--web.status.max-rows",
        dest="status_max_rows",
        type=_positive_int,
        default=DEFAULT_ROWS,
        help="rows per section of the status page (/) and /api/v1/status, and failed targets "
        "per deployment; the rest are counted as not shown (default: %(default)s)",
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


class _Repeatable(argparse.Action):
    """Like action="append", but the first value given replaces the default, not adds to it."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[object] | None,
        option_string: str | None = None,
    ) -> None:
        given = getattr(namespace, self.dest)
        current = [] if given is self.default else list(given)
        setattr(namespace, self.dest, [*current, values])


def _external_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a port that is no number)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise argparse.ArgumentTypeError(f"{value!r}: expected an absolute http:// or https:// URL with a host")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise argparse.ArgumentTypeError(f"{value!r}: expected no query or fragment, links add their own")
    return value.rstrip("/")


def _log_tail_chars(value: str) -> int:
    chars = _non_negative_int(value)
    if chars > LOG_TAIL_MAX:
        raise argparse.ArgumentTypeError(f"{value!r}: expected 0 to {LOG_TAIL_MAX} characters")
    return chars


def _non_negative_int(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r}: expected a whole number, 0 or more")
    return int(value)


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r}: expected a positive number")
    return number


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: expected a positive whole number")
    return int(value)


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
    logsetup.setup(args.log_level, args.log_format, args.log_diagnostics, args.log_tail_chars)
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
            f"deployments, {len(config.deployment_groups)} deployment groups, {len(config.discovery)} "
            f"discovery scopes, {len(config.organizations)} organizations)"
        )
        if web is not None:
            print(f"{args.web_config_file}: OK")
        return EXIT_OK
    for warning in config_warnings(config):
        log.warning("event=config_warning message=%s", quote(warning))

    def load() -> Config:
        return demo.config() if demo is not None else load_config(args.config_file)

    options = Options(
        tuple(args.listen_address),
        args.telemetry_path,
        shard,
        args.total_shards,
        args.healthz_max_poll_intervals,
        args.enable_lifecycle,
        args.once,
        args.status_max_rows,
        args.max_connections_per_client,
        args.systemd_socket,
        args.external_url or "",
    )
    try:
        return run(options, config, credentials, web, load)
    finally:
        if demo is not None:
            demo.stop()
