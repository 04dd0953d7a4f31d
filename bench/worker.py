"""One implementation (exporter or reference) in its own process, so its peak RSS is its own.

The parent (bench.run) owns the simulator and the scrapers and drives this process over
stdin/stdout, one JSON object per line:

    -> {"cmd": "poll"}      <- {"wall": s, "cpu": s, "render_cpu": s, ...}
    -> {"cmd": "profile"}   <- {"text": "<cProfile of one render>"}
    -> {"cmd": "rss"}       <- {"maxrss_mb": MB}
    -> {"cmd": "full"}      <- {"series": n, "bytes": n[, "body": text]}: the same state in the
                               full setting (sparse_status false, lifecycle_events all)
    -> {"cmd": "quit"}

Started as ``python -m bench.worker SPEC.json``; the first line it prints is {"url": ...} of
its /metrics server.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CREDENTIALS = ("bench", "bench")
_ROOT = str(Path(__file__).resolve().parents[1]) + "/"


def _timed(fn: Callable[..., Any], sink: list[float]) -> Callable[..., Any]:
    """Wrap fn so the thread CPU time of each call is appended to sink."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            sink.append(time.thread_time() - started)

    return wrapper


class ExporterUnderTest:
    def __init__(self, spec: dict) -> None:
        from exporter.app import Exporter
        from exporter.aws.clients import ClientFactory
        from exporter.config import parse_config
        from exporter.exposition.self_metrics import ExporterMetrics
        from exporter.http.server import serve

        document: dict[str, Any] = {
            # account_id given: no STS call (the benchmark measures CodeDeploy polling).
            "aws": {"region": "us-east-1", "endpoint_url": spec["endpoint"], "account_id": "123456789012"},
            "metrics": spec.get("metrics") or {},
            "poll": {
                "interval": "30s",
                "max_concurrency": spec["max_concurrency"],
                "max_requests_per_second": spec["max_requests_per_second"],
            },
        }
        if spec["mode"] == "deployments":
            document["deployments"] = [{"deployment_id": d} for d in dict.fromkeys(d for d, _ in spec["pairs"])]
        else:
            document["targets"] = [{"deployment_id": d, "target_id": t} for d, t in spec["pairs"]]
        config = parse_config(document, "<bench>")
        full_metrics = {"sparse_status": False, "lifecycle_events": "all"}
        self.full_config = parse_config({**document, "metrics": full_metrics}, "<bench>")
        metrics = ExporterMetrics()
        clients = ClientFactory(
            metrics, config.poll.max_concurrency, config.poll.max_requests_per_second, static_credentials=CREDENTIALS
        )
        self.exporter = Exporter(config, clients, metrics)
        # The body a scrape serves is produced by Exporter._render (views, render, encode):
        # that is what "render" costs here, measured on the thread that runs it. Making the
        # forms scrapers asked for (Snapshot.prepare: gzip) is not included; before it existed
        # the first gzip request after a poll paid for it, and the bench makes that request
        # before it measures scrapes.
        self.render_times: list[float] = []
        self.polled = False
        self.exporter._render = _timed(self.exporter._render, self.render_times)  # type: ignore[method-assign]
        self.server = serve("127.0.0.1:0", self.exporter)
        self.url = self.server.url + "/metrics"

    def poll(self) -> dict:
        self.render_times.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        outcome = self.exporter.poll_once()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if not self.polled:
            # As Exporter.run does after its first poll: later automatic collections then
            # skip what survived it (else a full one, ~0.3 s at 10k, lands in a render now
            # and then). Not counted in the poll's figures, as run() does it after them.
            from exporter.app import collect_and_freeze

            self.polled = True
            collect_and_freeze()
        return {
            "wall": wall,
            "cpu": cpu,
            "render_cpu": sum(self.render_times),
            "rerendered": self.exporter.cache.rendered_last,
            "failed_targets": outcome.failed_targets,
        }

    def render_for_profile(self) -> None:
        # A full render from an empty cache: the first-poll case.
        from exporter.exposition.cache import ExpositionCache

        saved = self.exporter.cache
        self.exporter.cache = ExpositionCache(saved.selection)
        try:
            self.exporter._render(self._outcome())
        finally:
            self.exporter.cache = saved

    def full(self, keep_body: bool) -> dict:
        """Series and bytes the full setting would serve for the same state, rendered one
        object at a time and dropped (peak RSS is read before: it stays the default's)."""
        # Under the defaults a finished deployment's targets keep slim records, which lack what
        # the full setting shows: an exporter of the full setting polls the same state itself.
        from exporter.app import Exporter
        from exporter.aws.clients import ClientFactory
        from exporter.exposition.render import render_uncached
        from exporter.exposition.selection import FULL
        from exporter.exposition.self_metrics import ExporterMetrics

        metrics = ExporterMetrics()
        config = self.full_config
        clients = ClientFactory(
            metrics, config.poll.max_concurrency, config.poll.max_requests_per_second, static_credentials=CREDENTIALS
        )
        twin = Exporter(config, clients, metrics)
        twin.poll_once()
        series = size = 0
        kept: list[bytes] = []
        for piece in render_uncached(*twin.views(), FULL):
            series += piece.count(b"\n")
            size += len(piece)
            if keep_body:
                kept.append(piece)
        # Self-metrics as served, so that both counts are of a whole scrape.
        own = self.exporter.metrics.render().encode("utf-8")
        series += sum(1 for line in own.splitlines() if line and not line.startswith(b"#"))
        size += len(own)
        out: dict[str, object] = {"series": series, "bytes": size}
        if keep_body:
            out["body"] = _grouped(b"".join(kept).decode("utf-8"))
        return out

    def _outcome(self):
        from exporter.collect.poller import PollOutcome

        return PollOutcome(0.0, [], 0)

    def stop(self) -> None:
        self.server.stop()


class ReferenceUnderTest:
    def __init__(self, spec: dict) -> None:
        from prometheus_client import start_http_server

        from bench.reference import ReferenceExporter

        self.reference = ReferenceExporter([tuple(p) for p in spec["pairs"]], spec["endpoint"], CREDENTIALS)
        self.server, _ = start_http_server(0, addr="127.0.0.1", registry=self.reference.registry)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/metrics"

    def poll(self) -> dict:
        cpu, wall = time.process_time(), time.perf_counter()
        self.reference.poll()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        # The reference renders per scrape; one generate_latest is its cost of a render.
        started = time.thread_time()
        self.reference.render()
        return {"wall": wall, "cpu": cpu, "render_cpu": time.thread_time() - started}

    def render_for_profile(self) -> None:
        self.reference.render()

    def stop(self) -> None:
        self.server.shutdown()


def _grouped(lines: str) -> str:
    """Sample lines (ungrouped) as a parseable exposition: grouped by family, with TYPE lines."""
    from exporter.exposition.families.table import BY_NAME

    by_family: dict[str, list[str]] = {}
    for line in lines.splitlines():
        name = line.split("{", 1)[0]
        family = name if name in BY_NAME else name.rsplit("_", 1)[0]
        by_family.setdefault(family, []).append(line)
    return "".join(BY_NAME[f].header + "\n".join(ls) + "\n" for f, ls in by_family.items())


def _profile(run: Callable[[], None], top: int = 12) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(run)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    # Keep the table only: drop the preamble and absolute paths.
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(_short_path(line) for line in lines[start:] if line.strip())


def _short_path(line: str) -> str:
    for marker in ("site-packages/", f"python{sys.version_info[0]}.{sys.version_info[1]}/", _ROOT):
        if marker in line:
            return _strip(line, marker)
    return line


def _strip(line: str, marker: str) -> str:
    at = line.find(marker)
    begin = line.rfind(" ", 0, at) + 1
    return line[:begin] + line[at + len(marker) :]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as handle:
        spec = json.load(handle)
    impl = ExporterUnderTest(spec) if spec["impl"] == "exporter" else ReferenceUnderTest(spec)
    out = sys.stdout

    def reply(payload: dict) -> None:
        out.write(json.dumps(payload) + "\n")
        out.flush()

    reply({"url": impl.url})
    for line in sys.stdin:
        command = json.loads(line)["cmd"]
        if command == "poll":
            reply(impl.poll())
        elif command == "profile":
            reply({"text": _profile(impl.render_for_profile)})
        elif command == "full":
            assert isinstance(impl, ExporterUnderTest), "the full setting is the exporter's"
            reply(impl.full(bool(spec.get("keep_body"))))
        elif command == "rss":
            # Linux reports ru_maxrss in KiB.
            reply({"maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
        elif command == "quit":
            break
        else:
            reply({"error": f"unknown command {command!r}"})
    impl.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
