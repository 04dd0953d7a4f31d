"""Shutdown while the API hangs: SIGTERM to the real CLI while every poll worker waits on AWS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from exporter.simulator import Simulator, SimulatorServer, build_fleet

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ShutdownResult:
    seconds: float  # SIGTERM to process exit
    exit_code: int
    calls_hanging: int  # API calls held by the hang fault when SIGTERM was sent
    calls_after_sigterm: int  # API calls the exporter started after SIGTERM
    log: str


def shutdown_test(targets: int = 200, concurrency: int = 4, timeout: float = 30.0) -> ShutdownResult:
    """Run the real CLI in a subprocess against a simulator whose target calls hang for 10
    minutes (past the 15 s read timeout); send SIGTERM while calls hang; time the exit."""
    import signal
    import tempfile

    sim = Simulator()
    with SimulatorServer(sim) as sim_server, tempfile.TemporaryDirectory() as tmp:
        fleet = build_fleet(sim, targets)
        sim.hang(600, operation="BatchGetDeploymentTargets", count=1_000_000)
        config = Path(tmp) / "config.yaml"
        config.write_text(
            json.dumps(
                {
                    "aws": {"region": "us-east-1", "endpoint_url": sim_server.endpoint_url},
                    "poll": {"interval": "30s", "max_concurrency": concurrency},
                    "deployments": [{"deployment_id": d} for d, _ in fleet],
                }
            )
        )  # JSON is YAML
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "PYTHONPATH": str(ROOT)}
        log_path = Path(tmp) / "log"
        with log_path.open("wb") as log_file:
            proc = subprocess.Popen(
                [sys.executable, "-m", "exporter", "--config.file", str(config), "--web.listen-address", "127.0.0.1:0"],
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + timeout
                # Wait until every worker is held in a hanging call (and nothing new starts).
                while sim.call_count("BatchGetDeploymentTargets") < concurrency:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("the exporter never reached the hanging calls: " + log_path.read_text())
                    time.sleep(0.05)
                time.sleep(0.5)
                hanging = sim.call_count("BatchGetDeploymentTargets")
                calls = sim.call_count()
                started = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                try:
                    code = proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    code = -1
                seconds = time.monotonic() - started
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        return ShutdownResult(seconds, code, hanging, sim.call_count() - calls, log_path.read_text())
