"""Faults injected into the simulator, seen through real boto3: the exporter keeps serving what
it knows, says what is wrong once, and converges to the truth when the fault ends."""

from __future__ import annotations

import functools
import logging
import socket
import threading
import time

import pytest
from support.expo import samples, value

from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.config import parse_config
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.simulator import deployment_info, diagnostics, instance_target, lifecycle_event

NOW = 1_800_000_000.0
DEP, OTHER = "d-FAULT0001", "d-FAULT0002"
ERRORS = "codedeploy_exporter_api_request_errors_total"
parsed = functools.lru_cache(maxsize=4)(samples)  # one parse per snapshot, not per assertion


def put(
    sim,
    deployment_id: str,
    n: int = 3,
    status: str = "InProgress",
    started: bool = True,
    target_status: str = "InProgress",
) -> list[str]:
    ids = [f"i-{deployment_id[-4:].lower()}{k:04d}" for k in range(n)]
    sim.put_deployment(
        deployment_info(deployment_id, "web", "prod", status, NOW - 600),
        [
            instance_target(
                deployment_id,
                t,
                target_status,
                [lifecycle_event("Install", "Succeeded", NOW - 60, NOW - 50, diagnostics())],
                NOW - 10,
            )
            for t in ids
        ],
        started=started,
    )
    return ids


def set_target_status(sim, deployment_id: str, target_id: str, status: str) -> None:
    target = sim.target(deployment_id, target_id)
    target["instanceTarget"]["status"] = status
    target["instanceTarget"]["lastUpdatedAt"] += 5
    sim.put_target(deployment_id, target)


def status_of(body, target_id: str) -> str | None:
    current = [
        dict(ls)["status"]
        for (name, ls), v in parsed(body).items()
        if name == "codedeploy_target_status" and dict(ls)["target_id"] == target_id and v == 1
    ]
    return current[0] if current else None


def success(body, target_id: str) -> float | None:
    found = [
        v
        for (name, ls), v in parsed(body).items()
        if name == "codedeploy_exporter_target_poll_success" and dict(ls)["target_id"] == target_id
    ]
    assert len(found) <= 1
    return found[0] if found else None


def error_count(body, code: str, operation: str | None = None) -> float:
    labels = {"error_code": code, **({"operation": operation} if operation else {})}
    return sum(v for (name, ls), v in parsed(body).items() if name == ERRORS and set(labels.items()) <= set(ls))


def api_error_lines(caplog, code: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if "event=api_error" in r.getMessage() and f"error_code={code}" in r.getMessage()
    ]


def exporter_for(
    endpoint: str, clock, *, read_timeout: float = 2, max_attempts: int = 2, static_credentials=("t", "t"), **sections
) -> Exporter:
    config = parse_config(
        {
            "aws": {"region": "us-east-1", "endpoint_url": endpoint},
            "poll": {"interval": "30s", "max_requests_per_second": 1000},
            **sections,
        }
    )
    metrics = ExporterMetrics()
    clients = ClientFactory(
        metrics,
        config.poll.max_concurrency,
        1000,
        static_credentials=static_credentials,
        connect_timeout=1,
        read_timeout=read_timeout,
        max_attempts=max_attempts,
    )
    return Exporter(config, clients, metrics, clock=clock)


# ---- throttling and server errors -------------------------------------------------------


def test_throttling_burst_keeps_values_counts_errors_and_converges(sim, make_exporter):
    ids = put(sim, DEP)
    exporter = make_exporter(deployments=[{"deployment_id": DEP}])
    exporter.poll_once()
    assert status_of(exporter.snapshot.body, ids[0]) == "InProgress"

    set_target_status(sim, DEP, ids[0], "Succeeded")  # the truth moves on during the burst
    sim.throttle(2, operation="BatchGetDeploymentTargets")  # both attempts of the one batch
    outcome = exporter.poll_once()
    body = exporter.snapshot.body
    assert outcome.api_wide_errors == ["ThrottlingException"]
    assert status_of(body, ids[0]) == "InProgress"  # previous value kept, not dropped
    assert success(body, ids[0]) == 0
    assert error_count(body, "ThrottlingException", "BatchGetDeploymentTargets") == 2

    exporter.poll_once()  # burst over: no backoff was imposed on the targets
    body = exporter.snapshot.body
    assert status_of(body, ids[0]) == "Succeeded"
    assert all(success(body, t) == 1 for t in ids)
    assert error_count(body, "ThrottlingException") == 2


def test_throttling_absorbed_by_a_retry_still_shows_in_the_error_counter(sim, make_exporter):
    ids = put(sim, DEP)
    exporter = make_exporter(deployments=[{"deployment_id": DEP}])
    sim.throttle(1, operation="BatchGetDeploymentTargets")
    outcome = exporter.poll_once()
    body = exporter.snapshot.body
    assert outcome.api_wide_errors == [] and all(success(body, t) == 1 for t in ids)
    assert error_count(body, "ThrottlingException", "BatchGetDeploymentTargets") == 1


def test_server_errors_keep_values_and_recover(sim, make_exporter):
    ids = put(sim, DEP)
    exporter = make_exporter(deployments=[{"deployment_id": DEP}])
    exporter.poll_once()
    sim.fail(2, "InternalFailure", status=500, operation="BatchGetDeploymentTargets")
    exporter.poll_once()
    body = exporter.snapshot.body
    assert status_of(body, ids[1]) == "InProgress" and success(body, ids[1]) == 0
    assert error_count(body, "InternalFailure") == 2
    set_target_status(sim, DEP, ids[1], "Failed")
    exporter.poll_once()
    assert status_of(exporter.snapshot.body, ids[1]) == "Failed"
    assert success(exporter.snapshot.body, ids[1]) == 1


def test_throttled_discovery_keeps_following_known_deployments(sim, make_exporter, clock):
    ids = put(sim, DEP)
    exporter = make_exporter(deployment_groups=[{"application": "web", "deployment_group": "prod", "latest": 2}])
    exporter.poll_once()
    sim.throttle(2, operation="ListDeployments")
    outcome = exporter.poll_once()
    assert "ThrottlingException" in outcome.api_wide_errors
    body = exporter.snapshot.body
    assert all(success(body, t) == 1 for t in ids)  # targets were still polled
    assert value(body, "codedeploy_deployment_status", deployment_id=DEP, status="InProgress") == 1


# ---- hanging API -------------------------------------------------------------------------


def test_hanging_api_times_out_and_the_next_poll_is_not_held_up(sim, sim_server, clock):
    ids = put(sim, DEP)
    exporter = exporter_for(
        sim_server.endpoint_url, clock, read_timeout=0.5, max_attempts=1, deployments=[{"deployment_id": DEP}]
    )
    exporter.poll_once()
    sim.hang(30, operation="BatchGetDeploymentTargets", count=1)
    started = time.monotonic()
    outcome = exporter.poll_once()
    hung = time.monotonic() - started
    assert hung < 5, f"a hanging call held the poll for {hung:.1f}s"
    assert outcome.api_wide_errors == ["ReadTimeoutError"]
    body = exporter.snapshot.body
    assert success(body, ids[0]) == 0 and status_of(body, ids[0]) == "InProgress"
    started = time.monotonic()
    exporter.poll_once()
    assert time.monotonic() - started < 2
    assert all(success(exporter.snapshot.body, t) == 1 for t in ids)


def test_overrunning_poll_is_not_stacked_with_the_next(sim, sim_server):
    put(sim, DEP)
    exporter = exporter_for(
        sim_server.endpoint_url, time.time, read_timeout=5, max_attempts=1, deployments=[{"deployment_id": DEP}]
    )
    exporter.poller.config = parse_config(
        {
            "aws": {"region": "us-east-1", "endpoint_url": sim_server.endpoint_url},
            "poll": {"interval": "1s", "max_requests_per_second": 1000},
            "deployments": [{"deployment_id": DEP}],
        }
    )
    spans, active, overlaps = [], [0], []
    original = exporter.poller.poll

    def recorded():
        active[0] += 1
        overlaps.append(active[0] > 1)
        begin = time.monotonic()
        try:
            return original()
        finally:
            spans.append((begin, time.monotonic()))
            active[0] -= 1

    exporter.poller.poll = recorded
    sim.set_latency(2.5, operation="BatchGetDeployments")  # each poll overruns the 1s interval
    stop = threading.Event()
    runner = threading.Thread(target=exporter.run, args=(stop,))
    runner.start()
    try:
        assert _wait_until(lambda: len(spans) >= 2, 15)
    finally:
        stop.set()
        sim.interrupt_waits()
        runner.join(10)
    assert not any(overlaps)
    assert spans[1][0] >= spans[0][1]  # started after the first ended, not alongside it


def _wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)  # watching a background thread's progress: no event to wait on
    return False


# ---- unreachable endpoint, credentials, permissions ---------------------------------------


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed on exit: connecting is refused


def test_connection_refused_fails_targets_once_logged_and_recovers_after_reload(sim, sim_server, clock, caplog):
    ids = put(sim, DEP, n=30)
    dead = f"http://127.0.0.1:{_dead_port()}"
    exporter = exporter_for(dead, clock, max_attempts=1, targets=[{"deployment_id": DEP, "target_id": t} for t in ids])
    caplog.set_level(logging.ERROR, logger="exporter")
    outcome = exporter.poll_once()
    assert outcome.api_wide_errors == ["EndpointConnectionError"]
    assert exporter.ready.is_set()  # ready: the failure is visible in /metrics, see docs
    body = exporter.snapshot.body
    assert all(success(body, t) == 0 for t in ids)
    assert len(api_error_lines(caplog, "EndpointConnectionError")) == 1  # not one per target
    good = parse_config(
        {
            "aws": {"region": "us-east-1", "endpoint_url": sim_server.endpoint_url},
            "targets": [{"deployment_id": DEP, "target_id": t} for t in ids],
        }
    )
    exporter.apply_config(good)
    exporter.poll_once()
    assert all(success(exporter.snapshot.body, t) == 1 for t in ids)


def test_missing_credentials_fail_the_poll_cleanly(sim, sim_server, clock, monkeypatch, tmp_path, caplog):
    ids = put(sim, DEP)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never probe the metadata service
    caplog.set_level(logging.ERROR, logger="exporter")
    exporter = exporter_for(
        sim_server.endpoint_url,
        clock,
        static_credentials=None,
        targets=[{"deployment_id": DEP, "target_id": t} for t in ids],
    )
    outcome = exporter.poll_once()
    assert outcome.api_wide_errors == ["NoCredentialsError"]
    body = exporter.snapshot.body
    assert all(success(body, t) == 0 for t in ids)
    assert error_count(body, "NoCredentialsError") >= 1
    assert sim.call_count() == 0  # nothing unsigned was sent
    assert len(api_error_lines(caplog, "NoCredentialsError")) == 1


@pytest.mark.parametrize("code", ["AccessDeniedException", "ExpiredTokenException"])
def test_permission_errors_are_logged_once_not_per_target(sim, make_exporter, caplog, code):
    ids = put(sim, DEP, n=30) + put(sim, OTHER, n=30)
    exporter = make_exporter(deployments=[{"deployment_id": DEP}, {"deployment_id": OTHER}])
    exporter.poll_once()
    caplog.set_level(logging.WARNING, logger="exporter")
    sim.fail(1000, code, status=400)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert all(success(body, t) == 0 for t in ids)
    assert all(status_of(body, t) == "InProgress" for t in ids)  # values kept
    warnings = [r.getMessage() for r in caplog.records if code in r.getMessage()]
    assert len(warnings) == 1, warnings
    sim.clear_faults()
    exporter.poll_once()
    assert all(success(exporter.snapshot.body, t) == 1 for t in ids)


def test_persistent_permission_error_is_logged_once_across_polls(sim, make_exporter, caplog):
    put(sim, DEP)
    exporter = make_exporter(deployments=[{"deployment_id": DEP}])
    caplog.set_level(logging.WARNING, logger="exporter")
    sim.fail(1000, "AccessDeniedException", status=400)
    for _ in range(3):
        exporter.poll_once()
    assert len(api_error_lines(caplog, "AccessDeniedException")) == 1


# ---- per-target faults ---------------------------------------------------------------------


def test_deleted_deployment_fails_its_targets_only(sim, make_exporter, clock):
    gone, kept = put(sim, DEP), put(sim, OTHER)
    exporter = make_exporter(
        targets=[{"deployment_id": d, "target_id": t} for d, ids in ((DEP, gone), (OTHER, kept)) for t in ids]
    )
    exporter.poll_once()
    sim.remove_deployment(DEP)
    set_target_status(sim, OTHER, kept[0], "Succeeded")
    clock.advance(30)
    outcome = exporter.poll_once()
    body = exporter.snapshot.body
    assert outcome.api_wide_errors == []
    assert all(success(body, t) == 0 for t in gone)
    assert all(status_of(body, t) == "InProgress" for t in gone)  # last known values kept
    assert all(success(body, t) == 1 for t in kept)
    assert status_of(body, kept[0]) == "Succeeded"


def test_deleted_target_fails_alone_within_its_batch(sim, make_exporter, clock):
    ids = put(sim, DEP, n=5)
    exporter = make_exporter(targets=[{"deployment_id": DEP, "target_id": t} for t in ids])
    exporter.poll_once()
    sim.put_deployment(sim.deployment(DEP), [sim.target(DEP, t) for t in ids[:4]])  # drop ids[4]
    set_target_status(sim, DEP, ids[0], "Succeeded")
    clock.advance(30)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert success(body, ids[4]) == 0
    assert all(success(body, t) == 1 for t in ids[:4])
    assert status_of(body, ids[0]) == "Succeeded"


def test_deployment_not_started_yet_is_waited_for_per_target(sim, make_exporter, clock):
    pending = put(sim, DEP, started=False)
    running = put(sim, OTHER)
    exporter = make_exporter(
        deployments=[{"deployment_id": DEP}], targets=[{"deployment_id": OTHER, "target_id": t} for t in running]
    )
    outcome = exporter.poll_once()
    body = exporter.snapshot.body
    assert outcome.api_wide_errors == []
    assert value(body, "codedeploy_deployment_status", deployment_id=DEP, status="InProgress") == 1
    assert all(success(body, t) == 1 for t in running)
    assert not any(success(body, t) is not None for t in pending)  # no targets known yet
    sim.update_deployment(DEP, started=True)
    clock.advance(30)
    exporter.poll_once()
    assert all(success(exporter.snapshot.body, t) == 1 for t in pending)


def test_explicit_target_of_a_not_started_deployment_waits_without_failing_others(sim, make_exporter, clock):
    # The deployment reads InProgress but the target API still says DeploymentNotStarted (it
    # started between the two calls): those targets wait for the next poll, nothing fails.
    pending = put(sim, DEP, started=False)
    running = put(sim, OTHER)
    exporter = make_exporter(
        targets=[{"deployment_id": d, "target_id": t} for d, ids in ((DEP, pending), (OTHER, running)) for t in ids]
    )
    outcome = exporter.poll_once()
    body = exporter.snapshot.body
    assert outcome.failed_targets == 0 and outcome.api_wide_errors == []
    assert all(success(body, t) is None for t in pending)  # nothing known, nothing claimed
    assert all(success(body, t) == 1 for t in running)
    sim.update_deployment(DEP, started=True)
    clock.advance(30)  # one interval: no backoff was imposed
    exporter.poll_once()
    assert all(success(exporter.snapshot.body, t) == 1 for t in pending)
