"""Shared fixtures: a simulator on loopback and exporters wired to it through real boto3, and
moto on loopback as an independent fake."""

from __future__ import annotations

import pytest
from support.expo import FakeClock

from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.config import parse_config
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.simulator import Simulator, SimulatorServer


@pytest.fixture(autouse=True)
def _sts_on_loopback(monkeypatch):
    """Exporters without aws.account_id ask STS for it, and IAM for the account's alias: never
    let that leave 127.0.0.1. Nothing listens on port 9, so those calls fail at once unless a
    test points AWS_ENDPOINT_URL_<SERVICE> at a server it started."""
    for service in ("STS", "IAM", "ORGANIZATIONS", "ACCOUNT"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", "http://127.0.0.1:9")


@pytest.fixture
def sim() -> Simulator:
    return Simulator(page_size=10)


@pytest.fixture
def sim_server(sim):
    server = SimulatorServer(sim).start()
    yield server
    sim.interrupt_waits()
    server.stop()


@pytest.fixture(scope="module")
def moto_url():
    """moto as a real HTTP server on loopback, one per test module; its URL. moto's backends are
    process-wide: what a module creates stays unless it resets moto (POST /moto-api/reset)."""
    from moto.server import ThreadedMotoServer  # imported only by the modules that use moto

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_exporter(sim_server, clock):
    """Build an in-process exporter talking to the simulator; pass config sections as kwargs."""

    def make(
        poll: dict | None = None, metrics_section: dict | None = None, shard: int = 0, total_shards: int = 1, **sections
    ) -> Exporter:
        data = {
            "aws": {"region": "us-east-1", "endpoint_url": sim_server.endpoint_url},
            "poll": {"interval": "30s", "max_concurrency": 4, "max_requests_per_second": 1000, **(poll or {})},
            "metrics": metrics_section or {},
            **sections,
        }
        config = parse_config(data)
        metrics = ExporterMetrics()
        clients = ClientFactory(
            metrics,
            config.poll.max_concurrency,
            config.poll.max_requests_per_second,
            static_credentials=("testing", "testing"),
            read_timeout=2,
            connect_timeout=1,
            max_attempts=2,
        )
        return Exporter(config, clients, metrics, shard, total_shards, clock=clock)

    return make
