"""End-to-end fixtures: the demo exporter, a real Prometheus and a real Alertmanager.

Everything binds 127.0.0.1 on free ports, keeps its data in a temporary directory and is
terminated by the fixture that started it. One stack serves the whole session, because
starting Prometheus and waiting for the demo's failure costs tens of seconds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

# tests/e2e is a package so that this conftest cannot shadow tests/conftest.py; pytest puts
# its parent, tests/, on sys.path, which makes conftest_tools importable.
from support.tools import require_binary

from .e2e_stack import (
    GROUP_WAIT,
    JOB,
    RECORDING,
    ROOT,
    RULES,
    Alertmanager,
    Exporter,
    Process,
    Prometheus,
    free_port,
    start_alertmanager,
    start_prometheus,
    wait_for,
    wait_ready,
)


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_binary("promtool")


@pytest.fixture(scope="session")
def exporter(tmp_path_factory) -> Iterator[Exporter]:
    workdir = tmp_path_factory.mktemp("exporter")
    port, simulator_port = free_port(), free_port()
    process = Process(
        "exporter",
        [
            sys.executable,
            "-m",
            "exporter",
            "--demo",
            "--web.listen-address",
            f"127.0.0.1:{port}",
            "--demo.simulator-address",
            f"127.0.0.1:{simulator_port}",
        ],
        workdir / "exporter.log",
        cwd=ROOT,
    )
    try:
        # /readyz turns 200 after the first completed poll.
        wait_ready(process, f"http://127.0.0.1:{port}/readyz")
        yield Exporter(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{simulator_port}", process)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory) -> Iterator[Alertmanager]:
    route = {
        "receiver": "blackhole",
        "group_by": ["alertname", "deployment_id"],
        "group_wait": f"{GROUP_WAIT:g}s",
        "group_interval": "1s",
        "repeat_interval": "1h",
    }
    server = start_alertmanager(
        tmp_path_factory.mktemp("alertmanager"), {"route": route, "receivers": [{"name": "blackhole"}]}
    )
    try:
        yield server
    finally:
        server.process.stop()


def _recording_rules(workdir: Path) -> Path:
    """The shipped recording rules without their 3m group interval, so the dashboard's DORA
    panels have data within the test's wait (the expressions are unchanged)."""
    groups = yaml.safe_load(RECORDING.read_text())["groups"]
    path = workdir / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{k: v for k, v in g.items() if k != "interval"} for g in groups]}))
    return path


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory, exporter: Exporter, alertmanager: Alertmanager) -> Iterator[Prometheus]:
    workdir = tmp_path_factory.mktemp("prometheus")
    # the shipped alerts, unmodified; the recording rules at the evaluation interval
    rules = (RULES, _recording_rules(workdir))
    server = start_prometheus(workdir, {JOB: exporter.url.removeprefix("http://")}, rules, alertmanager)
    try:
        wait_for(lambda: server.query(f'up{{job="{JOB}"}} == 1'), 30, "the first scrape")
        yield server
    finally:
        server.process.stop()
