"""Processes and HTTP clients of the end-to-end stack, and the intervals it runs with."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent.parent
RULES = ROOT / "exporter" / "monitoring" / "alerts.yaml"
RECORDING = ROOT / "exporter" / "monitoring" / "rules.yaml"
DASHBOARD = ROOT / "exporter" / "monitoring" / "dashboard.json"

# The intervals the stack is configured with; the alert latency bound is derived from them.
SCRAPE_INTERVAL = 1.0
EVALUATION_INTERVAL = 1.0
GROUP_WAIT = 1.0
DEMO_POLL_INTERVAL = 2.0  # the demo's built-in config
DEMO_CYCLE = 60.0  # every cycle starts a new deployment per demo group
# The demo repeats every two cycles: demo-web fails and demo-canary is stopped in even cycles,
# both succeed in odd ones (exporter/simulator/scenarios/).
DEMO_PERIOD = 2 * DEMO_CYCLE
DEMO_TICK = 0.5  # how often the demo driver advances the simulator's state
JOB = "codedeploy-exporter"

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def wait_for(probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll ``probe`` until it returns something truthy; the processes give us no events."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


class Process:
    """A child process whose output goes to a log file shown when a test fails."""

    def __init__(self, name: str, argv: list[str], log: Path, cwd: Path | None = None) -> None:
        self.name, self.log = name, log
        self._out = log.open("wb")
        self.popen = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.STDOUT, cwd=cwd)

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise AssertionError(
                f"{self.name} exited with {self.popen.returncode}:\n" + self.log.read_text(errors="replace")[-4000:]
            )

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._out.close()


def wait_ready(process: Process, url: str, timeout: float = 30.0) -> None:
    def ready() -> bool:
        process.check_alive()
        return http_get(url)[0] == 200

    wait_for(ready, timeout, f"{process.name} at {url}")


@dataclass(frozen=True)
class Exporter:
    url: str
    simulator_url: str
    process: Process

    def metrics(self) -> str:
        status, body = http_get(self.url + "/metrics")
        assert status == 200
        return body.decode()

    def ground_truth(self) -> dict:
        """The simulator's own state: {deployment_id: {"info": ..., "targets": {...}}}."""
        status, body = http_get(self.simulator_url + "/_simulator/state")
        assert status == 200, body
        return json.loads(body)["deployments"]


@dataclass(frozen=True)
class Prometheus:
    url: str
    process: Process

    def api(self, path: str, **params: str) -> dict:
        status, body = http_get(f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}")
        payload = json.loads(body) if body else {}
        assert status == 200 and payload.get("status") == "success", (status, payload, params)
        return payload["data"]

    def query(self, expr: str) -> list[dict]:
        return self.api("query", query=expr)["result"]

    def query_range(self, expr: str, start: float, end: float, step: float = 1.0) -> list[dict]:
        return self.api("query_range", query=expr, start=str(start), end=str(end), step=str(step))["result"]


@dataclass(frozen=True)
class Alertmanager:
    url: str
    process: Process

    def active_alerts(self) -> list[dict]:
        """Every alert Alertmanager holds as active (resolved ones are left out by the API)."""
        status, body = http_get(f"{self.url}/api/v2/alerts")
        assert status == 200, body
        return json.loads(body)

    def alerts(self, alertname: str) -> list[dict]:
        query = urllib.parse.urlencode({"filter": f'alertname="{alertname}"'})
        status, body = http_get(f"{self.url}/api/v2/alerts?{query}")
        assert status == 200, body
        return json.loads(body)
