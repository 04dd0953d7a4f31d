"""Load: many scrapers against a big snapshot while the exporter polls; and one slow client."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.fleet import simulated_fleet
from bench.reliability.scrape import percentile, scrape_loop
from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.config import parse_config
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.http.server import MetricsServer
from exporter.simulator import Simulator, SimulatorServer, build_fleet

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LoadResult:
    targets: int
    scrapers: int
    seconds: float
    requests: int
    errors: list[str]
    p50: float
    p99: float
    max: float
    body_bytes: int  # gzip, as served to Prometheus
    raw_bytes: int  # uncompressed
    poll_interval: float
    polls_baseline: list[float]  # poll durations without scrapers
    polls_under_load: list[float]  # poll durations while scraped
    new_connections: bool = True  # each scrape on its own TCP connection

    # The goal for this scenario (issue 13): 50 scrapers on new connections, 1,000 targets.
    GOAL_P99 = 0.050
    GOAL_MAX = 0.250

    @property
    def goal_met(self) -> bool:
        return not self.errors and self.p99 <= self.GOAL_P99 and self.max <= self.GOAL_MAX

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def _fleet_exporter(endpoint_url: str, deployments: list[str], interval: float) -> Exporter:
    config = parse_config(
        {
            "aws": {"region": "us-east-1", "endpoint_url": endpoint_url},
            "poll": {"interval": interval, "max_concurrency": 8, "max_requests_per_second": 1000},
            "deployments": [{"deployment_id": d} for d in deployments],
        }
    )
    metrics = ExporterMetrics()
    clients = ClientFactory(metrics, 8, 1000, static_credentials=("t", "t"))
    return Exporter(config, clients, metrics)


def _timed_polls(exporter: Exporter, durations: list[float]) -> None:
    original = exporter.poller.poll

    def poll():
        outcome = original()
        durations.append(outcome.duration)
        return outcome

    exporter.poller.poll = poll  # type: ignore[method-assign]  # times each real poll


def load_test(
    targets: int = 1000, scrapers: int = 50, seconds: float = 30.0, interval: float = 2.0, new_connections: bool = True
) -> LoadResult:
    """Scrapers and the simulator run in processes of their own: in production neither the
    scrapers nor the CodeDeploy API share the exporter's process (and its GIL)."""
    with simulated_fleet(targets) as (endpoint_url, deployments):
        exporter = _fleet_exporter(endpoint_url, deployments, interval)
        durations: list[float] = []
        _timed_polls(exporter, durations)
        server = MetricsServer(("127.0.0.1", 0), exporter).start()
        stop = threading.Event()
        poller = threading.Thread(target=exporter.run, args=(stop,), daemon=True)
        poller.start()
        try:
            time.sleep(min(seconds, 3 * interval))  # baseline: polls with nobody scraping
            baseline = list(durations[1:])
            mark = len(durations)
            host, port = str(server.server_address[0]), server.server_address[1]
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.reliability.scrape",
                    host,
                    str(port),
                    str(scrapers),
                    str(seconds),
                    "new" if new_connections else "keep-alive",
                ],
                capture_output=True,
                check=True,
                cwd=ROOT,
                timeout=seconds + 120,
            )
            result = json.loads(proc.stdout)
            under_load = list(durations[mark:])
            raw = len(exporter.snapshot.body)
        finally:
            stop.set()
            server.stop()
            poller.join(timeout=10)
    lat = result["latencies"]
    return LoadResult(
        targets,
        scrapers,
        seconds,
        len(lat),
        result["errors"],
        percentile(lat, 0.5),
        percentile(lat, 0.99),
        max(lat, default=float("nan")),
        max(result["sizes"], default=0),
        raw,
        interval,
        baseline,
        under_load,
        new_connections,
    )


@dataclass
class SlowClientResult:
    others_p99: float  # latency of normal scrapes while the slow client is connected
    others_errors: int
    slow_released_after: float | None  # seconds until the server gave up on the slow request


def slow_client_test(targets: int = 1000, client_timeout: float = 5.0, seconds: float = 3.0) -> SlowClientResult:
    sim = Simulator()
    with SimulatorServer(sim) as sim_server:
        fleet = build_fleet(sim, targets)
        exporter = _fleet_exporter(sim_server.endpoint_url, [d for d, _ in fleet], 30.0)
        exporter.poll_once()
        server = MetricsServer(("127.0.0.1", 0), exporter, client_timeout=client_timeout).start()
        host, port = str(server.server_address[0]), server.server_address[1]
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # small window: writes block
        slow.connect((host, port))
        slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        stop_reading = threading.Event()

        def trickle() -> None:
            while not stop_reading.wait(1.0):  # one byte a second, as a stalled client would
                try:
                    slow.recv(1)
                except OSError:
                    return

        reader = threading.Thread(target=trickle, daemon=True)
        reader.start()
        released = None
        try:
            result = scrape_loop(host, port, 4, seconds)
            # Only the slow request is left in flight; wait for the server to give up on it.
            while time.monotonic() - started < seconds + client_timeout + 10:
                if server.in_flight == 0:
                    released = time.monotonic() - started
                    break
                time.sleep(0.05)
        finally:
            stop_reading.set()
            slow.close()
            server.stop()
    return SlowClientResult(percentile(result["latencies"], 0.99), len(result["errors"]), released)
