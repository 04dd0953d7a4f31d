"""Load: many scrapers against a big snapshot while the exporter polls; and one slow client."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from bench.fleet import simulated_fleet
from bench.reliability.scrape import percentile, scrape_loop
from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.config import parse_config
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.http.security import WebConfigWatcher
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
    tls_auth: bool = False  # over TLS, with basic auth (the credentials cached after one check)

    # The goal for this scenario (issue 13): 50 scrapers on new connections, 1,000 targets;
    # the same for TLS + basic auth on kept-alive connections (issue 21). A TLS handshake per
    # request costs real CPU: there the goal is p99 <= 150 ms.
    GOAL_P99 = 0.050
    GOAL_MAX = 0.250
    GOAL_P99_TLS_NEW = 0.150

    @property
    def goal_p99(self) -> float:
        return self.GOAL_P99_TLS_NEW if self.tls_auth and self.new_connections else self.GOAL_P99

    @property
    def goal_max(self) -> float | None:
        return None if self.tls_auth and self.new_connections else self.GOAL_MAX

    @property
    def goal_met(self) -> bool:
        limit = self.goal_max
        return not self.errors and self.p99 <= self.goal_p99 and (limit is None or self.max <= limit)

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


def _tls_auth_web_config(directory: Path) -> tuple[WebConfigWatcher, list[str]]:
    """A web config with a self-signed certificate for 127.0.0.1 and one bcrypt user (cost 10),
    and the scraper's extra arguments (CA file, user:password)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    hashed = bcrypt.hashpw(b"scrape", bcrypt.gensalt(rounds=10)).decode()
    (directory / "web.yml").write_text(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
        f"basic_auth_users:\n  prometheus: '{hashed}'\n"
    )
    return WebConfigWatcher(str(directory / "web.yml")), [str(directory / "server.crt"), "prometheus:scrape"]


def load_test(
    targets: int = 1000,
    scrapers: int = 50,
    seconds: float = 30.0,
    interval: float = 2.0,
    new_connections: bool = True,
    tls_auth: bool = False,
) -> LoadResult:
    """Scrapers and the simulator run in processes of their own: in production neither the
    scrapers nor the CodeDeploy API share the exporter's process (and its GIL)."""
    with simulated_fleet(targets) as (endpoint_url, deployments), tempfile.TemporaryDirectory() as tmp:
        web, secure = _tls_auth_web_config(Path(tmp)) if tls_auth else (None, [])
        exporter = _fleet_exporter(endpoint_url, deployments, interval)
        durations: list[float] = []
        _timed_polls(exporter, durations)
        server = MetricsServer(("127.0.0.1", 0), exporter, web=web).start()
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
                    *secure,
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
        tls_auth,
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
