"""Fixtures shared by the simulator's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from exporter.simulator import SimulatorServer
from exporter.simulator.cloud import Cloud


@pytest.fixture
def server(cloud: Cloud) -> Iterator[SimulatorServer]:
    """The module's `cloud` behind one loopback port (modules of one Simulator define their own)."""
    with SimulatorServer(cloud=cloud) as running:
        yield running
