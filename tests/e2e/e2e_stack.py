"""Processes and HTTP clients of the end-to-end stack, and the intervals it runs with."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from support.tools import require_binary

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

    def __init__(
        self, name: str, argv: list[str], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.name, self.log = name, log
        self._out = log.open("wb")
        self.popen = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.STDOUT, cwd=cwd, env=env)

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


# ---- starting the stack's parts ------------------------------------------------------------
# Each returns once its part answers; the caller stops its process.


def start_ready(name: str, argv: list[str], workdir: Path, url: str, timeout: float = 30.0, **options: Any) -> Process:
    """Start `argv` (its log in workdir/NAME.log) and return once `url` answers 200; a process
    that never does is stopped before the failure goes up."""
    process = Process(name, argv, workdir / f"{name}.log", **options)
    try:
        wait_ready(process, url, timeout=timeout)
    except BaseException:
        process.stop()
        raise
    return process


# The simulator checks no signature, but boto3 needs keys.
SIMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "e2e", "AWS_SECRET_ACCESS_KEY": "e2e"}


def start_exporter(
    workdir: Path, config: dict, port: int, ready_timeout: float = 30.0, extra_args: tuple[str, ...] = ()
) -> Process:
    """The exporter with `config` (written to workdir/config.yaml), against the simulator;
    `extra_args` are more command-line flags."""
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    argv = [sys.executable, "-m", "exporter", "--config.file", str(path), "--web.listen-address", f"127.0.0.1:{port}"]
    argv += extra_args
    # No profile of this machine may interfere.
    env = {k: v for k, v in os.environ.items() if k != "AWS_PROFILE"} | SIMULATOR_CREDENTIALS
    return start_ready("exporter", argv, workdir, f"http://127.0.0.1:{port}/readyz", ready_timeout, cwd=ROOT, env=env)


def start_alertmanager(workdir: Path, config: dict) -> Alertmanager:
    path = workdir / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    argv = [
        require_binary("prometheus-alertmanager", "alertmanager"),
        f"--config.file={path}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    return Alertmanager(
        f"http://127.0.0.1:{port}", start_ready("alertmanager", argv, workdir, f"http://127.0.0.1:{port}/-/ready")
    )


def start_prometheus(
    workdir: Path,
    targets: dict[str, str],
    rule_files: tuple[Path, ...] = (),
    alertmanager: Alertmanager | None = None,
) -> Prometheus:
    """A Prometheus scraping `targets` ({job: "host:port"}) at the stack's intervals."""
    config: dict = {
        "global": {
            "scrape_interval": f"{SCRAPE_INTERVAL:g}s",
            "scrape_timeout": f"{SCRAPE_INTERVAL:g}s",
            "evaluation_interval": f"{EVALUATION_INTERVAL:g}s",
        },
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [t]}]} for job, t in targets.items()],
    }
    if rule_files:
        config["rule_files"] = [str(f) for f in rule_files]
    if alertmanager is not None:
        host = alertmanager.url.removeprefix("http://")
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [host]}]}]}
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    argv = [
        require_binary("prometheus"),
        f"--config.file={path}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    return Prometheus(
        f"http://127.0.0.1:{port}", start_ready("prometheus", argv, workdir, f"http://127.0.0.1:{port}/-/ready")
    )


@contextmanager
def scraped_exporter(
    workdir: Path,
    config: dict,
    port: int,
    job: str,
    rule_files: tuple[Path, ...],
    alertmanager: Alertmanager,
    extra_args: tuple[str, ...] = (),
) -> Iterator[Prometheus]:
    """The exporter with `config` on `port`, and a Prometheus scraping it as `job` with
    `rule_files` and alerting to `alertmanager`; both stopped on the way out, whatever happens."""
    exporter = start_exporter(workdir, config, port, extra_args=extra_args)
    try:
        prometheus = start_prometheus(workdir, {job: f"127.0.0.1:{port}"}, rule_files, alertmanager)
        try:
            yield prometheus
        finally:
            prometheus.process.stop()
    finally:
        exporter.stop()
