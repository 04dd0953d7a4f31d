"""A CodeDeploy simulator serving a fleet from a process of its own, for the benchmarks that
measure the exporter: like AWS, it must not share the measured process's CPU time and GIL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = """
import json, sys
from exporter.simulator import Simulator, SimulatorServer, build_fleet
sim = Simulator()
fleet = build_fleet(sim, int(sys.argv[1]))
server = SimulatorServer(sim).start()
print(json.dumps({"url": server.endpoint_url, "deployments": [d for d, _ in fleet]}), flush=True)
sys.stdin.read()  # until the parent closes it
server.stop()
"""

# Pages of 100 as AWS; the issue-28 account (bench.stress) behind it.
_STRESS_SCRIPT = """
import dataclasses, json, sys
from bench.stress import build_stress_account
from exporter.simulator import Simulator, SimulatorServer
sim = Simulator(page_size=100)
account = build_stress_account(sim, int(sys.argv[1]))
server = SimulatorServer(sim).start()
print(json.dumps({"url": server.endpoint_url, "account": dataclasses.asdict(account)}), flush=True)
sys.stdin.read()  # until the parent closes it
server.stop()
"""


@contextmanager
def _served(script: str, targets: int) -> Iterator[tuple[dict[str, Any], int]]:
    """(what `script` printed, its pid) while the simulator process runs."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(targets)],
        cwd=ROOT,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline()), process.pid
    finally:
        process.communicate(timeout=30)  # closes its stdin: it exits


@contextmanager
def simulated_fleet(targets: int) -> Iterator[tuple[str, list[str]]]:
    """(endpoint URL, deployment IDs) of `targets` in-progress EC2 targets (25 per deployment,
    simulator.build_fleet); the process ends when the block does."""
    with _served(_SCRIPT, targets) as (fleet, _pid):
        yield fleet["url"], fleet["deployments"]


@contextmanager
def simulated_stress_account(targets: int) -> Iterator[tuple[str, dict[str, Any], int]]:
    """(endpoint URL, bench.stress.StressAccount as a dict, simulator pid) of issue 28's stress
    mix of `targets` finished EC2 targets; the process ends when the block does."""
    with _served(_STRESS_SCRIPT, targets) as (served, pid):
        yield served["url"], served["account"], pid
