"""Config reload (Reloader, SIGHUP, POST /-/reload) and SIGTERM, against the simulator."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from support.expo import value
from support.paths import REPO

from exporter.config import load_config
from exporter.http.server import MetricsServer
from exporter.service import Reloader
from exporter.simulator import deployment_info, instance_target, lifecycle_event

NOW = 1_800_000_000.0
RUNNING, DONE, EXTRA = "d-RUNNING01", "d-FINISHED1", "d-ADDED0001"


def put(sim, deployment_id: str, status: str, targets: int = 3) -> None:
    complete = NOW - 10 if status == "Succeeded" else None
    sim.put_deployment(
        deployment_info(deployment_id, "web", "prod", status, NOW - 600, complete_time=complete),
        [
            instance_target(
                deployment_id,
                f"i-{deployment_id[2:].lower()}{n}",
                "Succeeded" if complete else "InProgress",
                [lifecycle_event("Install", "Succeeded", NOW - 500, NOW - 400)],
                NOW - 400,
            )
            for n in range(targets)
        ],
    )


def write_config(path: Path, endpoint: str, deployments: list[str], **poll) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "aws": {"region": "us-east-1", "endpoint_url": endpoint},
                "poll": {"interval": "30s", "max_requests_per_second": 1000, **poll},
                "deployments": [{"deployment_id": d} for d in deployments],
            }
        )
    )


@pytest.fixture
def setup(sim, sim_server, clock, tmp_path):
    """An exporter built from a config file, polled once, with a Reloader for that file."""
    from exporter.app import Exporter
    from exporter.aws.clients import ClientFactory
    from exporter.exposition.self_metrics import ExporterMetrics

    put(sim, RUNNING, "InProgress")
    put(sim, DONE, "Succeeded")
    put(sim, EXTRA, "InProgress")
    path = tmp_path / "config.yaml"
    write_config(path, sim_server.endpoint_url, [RUNNING, DONE])
    config = load_config(str(path))
    metrics = ExporterMetrics()
    clients = ClientFactory(
        metrics, 4, 1000, static_credentials=("t", "t"), read_timeout=2, connect_timeout=1, max_attempts=2
    )
    exporter = Exporter(config, clients, metrics, clock=clock)
    exporter.poll_once()
    return exporter, Reloader(exporter, lambda: load_config(str(path)), clock=clock), path


def test_bad_new_config_keeps_the_old_one_and_reports_failure(setup, sim, clock):
    exporter, reloader, path = setup
    good_time = value(exporter.snapshot.body, "codedeploy_exporter_config_last_reload_success_timestamp_seconds")
    old = exporter.config
    path.write_text("poll: {interval: never}\ndeployments: [{deployment_id: 7}]\n")
    clock.advance(60)
    ok, message = reloader.reload()
    assert not ok and "poll.interval" in message and "deployments[0].deployment_id" in message
    assert exporter.config is old
    body = exporter.snapshot.body  # visible at once, not only after the next poll
    assert value(body, "codedeploy_exporter_config_last_reload_successful") == 0
    assert value(body, "codedeploy_exporter_config_last_reload_success_timestamp_seconds") == good_time
    exporter.poll_once()  # polling carries on with the old config
    assert (
        value(exporter.snapshot.body, "codedeploy_deployment_status", deployment_id=RUNNING, status="InProgress") == 1
    )


def test_good_reload_after_a_bad_one_sets_success_and_its_time(setup, sim_server, clock):
    exporter, reloader, path = setup
    path.write_text("{")
    assert not reloader.reload()[0]
    clock.advance(120)
    write_config(path, sim_server.endpoint_url, [RUNNING])
    assert reloader.reload() == (True, "config reloaded")
    body = exporter.snapshot.body
    assert value(body, "codedeploy_exporter_config_last_reload_successful") == 1
    assert value(body, "codedeploy_exporter_config_last_reload_success_timestamp_seconds") == clock()


def test_targets_that_stay_keep_their_state_and_cause_no_api_burst(setup, sim, sim_server):
    exporter, reloader, path = setup
    exporter.poll_once()  # steady state: the finished deployment's targets are frozen
    sim.reset_calls()
    exporter.poll_once()
    steady = sim.call_count("BatchGetDeploymentTargets")
    steady_lists = sim.call_count("ListDeploymentTargets")  # running deployments are re-listed
    write_config(path, sim_server.endpoint_url, [RUNNING, DONE, EXTRA])
    assert reloader.reload()[0]
    sim.reset_calls()
    exporter.poll_once()
    calls = [c for c in sim.calls if c.operation == "BatchGetDeploymentTargets"]
    assert {c.params["deploymentId"] for c in calls} == {RUNNING, EXTRA}
    assert len(calls) == steady + 1  # one batch for the added deployment, nothing re-fetched
    assert sim.call_count("ListDeploymentTargets") == steady_lists + 1  # plus the added one
    body = exporter.snapshot.body
    assert value(body, "codedeploy_exporter_targets", state="frozen") == 3
    assert (
        value(body, "codedeploy_target_status", deployment_id=EXTRA, target_id="i-added00010", status="InProgress") == 1
    )


def test_removed_deployments_leave_the_exposition_at_the_next_poll(setup, sim_server):
    exporter, reloader, path = setup
    write_config(path, sim_server.endpoint_url, [RUNNING])
    assert reloader.reload()[0]
    exporter.poll_once()
    body = exporter.snapshot.body.decode()
    assert DONE not in body and RUNNING in body


def test_sparse_status_and_rate_limit_follow_a_reload(setup, sim_server):
    # sparse_status defaults to true: the reload turns full status sets on.
    exporter, reloader, path = setup
    zero = re.compile(r'codedeploy_target_status\{[^}]*status="Failed"\} 0')
    sparse = exporter.snapshot.body.decode()
    assert not zero.search(sparse)
    assert not re.search(r"codedeploy_(target|lifecycle_event)_status\{.*\} 0\n", sparse)
    text = yaml.safe_load(path.read_text())
    text["metrics"] = {"sparse_status": False}
    text["poll"]["max_requests_per_second"] = 7
    path.write_text(yaml.safe_dump(text))
    assert reloader.reload()[0]
    exporter.poll_once()
    dense = exporter.snapshot.body.decode()
    assert zero.search(dense)
    assert exporter.poller.clients.budgets.rate == 7


# ---- over HTTP -----------------------------------------------------------------------------


def _request(server: MetricsServer, method: str, path: str) -> tuple[int, bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def http_server():
    servers = []

    def start(exporter, reload=None) -> MetricsServer:
        server = MetricsServer(("127.0.0.1", 0), exporter, reload=reload).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_reload_endpoint_is_forbidden_without_enable_lifecycle(setup, http_server):
    exporter, _, _ = setup
    server = http_server(exporter)
    assert _request(server, "POST", "/-/reload") == (403, b"Lifecycle API is not enabled.\n")


def test_reload_endpoint_reloads_and_reports_problems(setup, http_server, sim_server):
    exporter, reloader, path = setup
    server = http_server(exporter, reloader.reload)
    assert _request(server, "GET", "/-/reload")[0] == 405
    path.write_text("targets: [{}]\n")
    status, body = _request(server, "POST", "/-/reload")
    assert status == 500 and b"targets[0].deployment_id: required" in body
    _, metrics = _request(server, "GET", "/metrics")
    assert value(metrics, "codedeploy_exporter_config_last_reload_successful") == 0
    write_config(path, sim_server.endpoint_url, [RUNNING])
    assert _request(server, "PUT", "/-/reload")[0] == 200
    _, metrics = _request(server, "GET", "/metrics")
    assert value(metrics, "codedeploy_exporter_config_last_reload_successful") == 1


# ---- the daemon: SIGHUP and SIGTERM ------------------------------------------------------


@pytest.fixture
def daemon(tmp_path):
    procs = []

    def start(config: Path, *extra: str) -> tuple[subprocess.Popen, str]:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "t",
            "AWS_SECRET_ACCESS_KEY": "t",
            "PYTHONPATH": str(REPO),
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exporter",
                "--config.file",
                str(config),
                "--web.listen-address",
                "127.0.0.1:0",
                *extra,
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            match = re.search(r"event=started .*listen=http://([\d.]+:\d+)", line)
            if match:
                return proc, match.group(1)
            assert line or proc.poll() is None, "exporter exited before starting"
        pytest.fail("exporter did not log event=started")

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _scrape(address: str) -> bytes:
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/metrics")
    body = conn.getresponse().read()
    conn.close()
    return body


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)  # polling a subprocess over HTTP: no event to wait on
    return False


def test_sighup_reloads_and_a_bad_file_keeps_the_daemon_serving(sim, sim_server, tmp_path, daemon):
    put(sim, RUNNING, "InProgress")
    path = tmp_path / "config.yaml"
    write_config(path, sim_server.endpoint_url, [RUNNING])
    proc, address = daemon(path)
    path.write_text("poll: {interval: -1s}\n")
    proc.send_signal(signal.SIGHUP)
    assert _wait_for(lambda: value(_scrape(address), "codedeploy_exporter_config_last_reload_successful") == 0)
    assert proc.poll() is None
    write_config(path, sim_server.endpoint_url, [RUNNING])
    proc.send_signal(signal.SIGHUP)
    assert _wait_for(lambda: value(_scrape(address), "codedeploy_exporter_config_last_reload_successful") == 1)


def test_sigterm_exits_0_promptly_even_with_a_poll_hanging(sim, sim_server, tmp_path, daemon):
    put(sim, RUNNING, "InProgress")
    path = tmp_path / "config.yaml"
    write_config(path, sim_server.endpoint_url, [RUNNING], interval="1s")
    sim.hang(60, count=100)  # every API call hangs: a poll is in flight when SIGTERM arrives
    proc, _ = daemon(path)
    assert _wait_for(lambda: sim.call_count() > 0)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=15)
    elapsed = time.monotonic() - started
    assert code == 0
    assert elapsed < 12, f"took {elapsed:.1f}s to stop"
    assert "event=stopped" in proc.stderr.read()
