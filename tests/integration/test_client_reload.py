"""A reload reaches the AWS clients: the connection pool follows `poll.max_concurrency`, and
clients for AWS settings the config no longer uses are closed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.expo import value

from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.config import AwsSettings, load_config
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.service import Reloader
from exporter.simulator import build_fleet


def write(
    path: Path, endpoint: str, deployments: list[str], concurrency: int = 4, west: tuple[str, ...] | list[str] = ()
) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "aws": {"region": "us-east-1", "endpoint_url": endpoint},
                "poll": {"interval": "30s", "max_requests_per_second": 1000, "max_concurrency": concurrency},
                "deployments": [{"deployment_id": d} for d in deployments]
                + [{"deployment_id": d, "aws": {"region": "us-west-2"}} for d in west],
            }
        )
    )


@pytest.fixture
def setup(sim, sim_server, clock, tmp_path):
    fleet = [d for d, _ in build_fleet(sim, 50)]
    path = tmp_path / "config.yaml"
    write(path, sim_server.endpoint_url, fleet[:1], west=fleet[1:2])
    config = load_config(str(path))
    metrics = ExporterMetrics()
    clients = ClientFactory(
        metrics,
        config.poll.max_concurrency,
        1000,
        static_credentials=("t", "t"),
        read_timeout=2,
        connect_timeout=1,
        max_attempts=2,
    )
    exporter = Exporter(config, clients, metrics, clock=clock)
    exporter.poll_once()
    return exporter, clients, Reloader(exporter, lambda: load_config(str(path))), path, fleet


def settings_by_region(clients: ClientFactory) -> dict[str | None, AwsSettings]:
    return {s.region: s for s in clients.settings_in_use()}


def test_raising_max_concurrency_gives_the_clients_a_pool_that_fits_it(setup, sim_server):
    exporter, clients, reloader, path, fleet = setup
    east = settings_by_region(clients)["us-east-1"]
    old = clients.api(east)
    assert old.max_pool_connections == 10  # max(10, 2 x 4)
    write(path, sim_server.endpoint_url, fleet[:1], concurrency=32, west=fleet[1:2])
    assert reloader.reload()[0]
    assert old.closed  # made with the old pool size: replaced
    new = clients.api(east)
    assert new is not old and new.max_pool_connections == 64
    exporter.poll_once()  # the new clients work
    assert (
        value(exporter.snapshot.body, "codedeploy_deployment_status", deployment_id=fleet[0], status="InProgress") == 1
    )


def test_clients_of_aws_settings_removed_by_a_reload_are_closed(setup, sim_server):
    exporter, clients, reloader, path, fleet = setup
    regions = settings_by_region(clients)
    assert set(regions) == {"us-east-1", "us-west-2"}
    east, west = clients.api(regions["us-east-1"]), clients.api(regions["us-west-2"])
    write(path, sim_server.endpoint_url, fleet[:1])  # the us-west-2 entry is gone
    assert reloader.reload()[0]
    assert west.closed
    assert not east.closed and clients.api(regions["us-east-1"]) is east  # kept, no reconnect
    assert set(settings_by_region(clients)) == {"us-east-1"}
    exporter.poll_once()
    assert set(settings_by_region(clients)) == {"us-east-1"}


def test_an_unchanged_reload_keeps_every_client(setup):
    exporter, clients, reloader, path, fleet = setup
    before = {s: clients.api(s) for s in clients.settings_in_use()}
    assert reloader.reload()[0]
    assert {s: clients.api(s) for s in clients.settings_in_use()} == before
    assert not any(api.closed for api in before.values())
