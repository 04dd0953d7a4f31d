"""A CodeDeploy simulator serving a fleet from a process of its own, for the benchmarks that
measure the exporter: like AWS, it must not share the measured process's CPU time and GIL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def simulated_fleet(targets: int) -> Iterator[tuple[str, list[str]]]:
    """(endpoint URL, deployment IDs) of `targets` in-progress EC2 targets (25 per deployment,
    simulator.build_fleet); the process ends when the block does."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(targets)],
        cwd=ROOT,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        fleet = json.loads(process.stdout.readline())
        yield fleet["url"], fleet["deployments"]
    finally:
        process.communicate(timeout=30)  # closes its stdin: it exits
