"""The poll's worker pool: Executor.map semantics on daemon threads, and cancellation that
does not wait for work in flight."""

from __future__ import annotations

import threading
import time

import pytest

from exporter.simulator import build_fleet
from exporter.workers import Cancelled, DaemonPool, PythonGate


def test_results_come_back_in_input_order_on_daemon_threads():
    seen: set[bool] = set()

    def square(n: int) -> int:
        seen.add(threading.current_thread().daemon)
        return n * n

    assert DaemonPool(4).map(square, range(50)) == [n * n for n in range(50)]
    assert seen == {True}
    assert DaemonPool(4).map(square, []) == []


def test_the_first_error_is_raised_after_the_work_in_flight_finished():
    finished: list[int] = []
    release = threading.Event()
    one_started = threading.Event()

    def work(n: int) -> int:
        if n == 0:
            one_started.wait(5)
            raise ValueError("bad item")
        one_started.set()
        release.wait(5)
        finished.append(n)
        return n

    pool = DaemonPool(2)
    threading.Timer(0.2, release.set).start()
    with pytest.raises(ValueError, match="bad item"):
        pool.map(work, range(100))
    # Item 1 was running when item 0 failed: it completed before map returned; no new work
    # was started after the error.
    assert 1 in finished
    assert len(finished) < 100


def test_cancelling_returns_without_waiting_for_calls_in_flight_and_starts_no_more():
    cancelled = threading.Event()
    started: list[int] = []
    hang = threading.Event()  # never set: the calls in flight never return

    def work(n: int) -> None:
        started.append(n)
        if len(started) == 3:
            cancelled.set()  # as SIGTERM would, while calls are in flight
        hang.wait(60)

    with pytest.raises(Cancelled):
        DaemonPool(3, cancelled).map(work, range(20))
    assert len(started) == 3
    with pytest.raises(Cancelled):  # once cancelled, nothing runs
        DaemonPool(3, cancelled).map(work, range(20))
    assert len(started) == 3
    hang.set()


def test_the_gate_lets_one_worker_run_python_at_a_time_while_their_waits_overlap():
    gate = PythonGate()
    inside = 0
    most_inside = 0
    lock = threading.Lock()
    all_waiting = threading.Barrier(4, timeout=10)  # broken unless all 4 wait at once

    def python_section() -> None:
        nonlocal inside, most_inside
        with lock:
            inside += 1
            most_inside = max(most_inside, inside)
        time.sleep(0.01)  # lets the GIL go, not the gate: ungated, the others would enter
        with lock:
            inside -= 1

    def call(n: int) -> int:
        python_section()  # building the request
        gate.let_go()  # botocore's before-send
        all_waiting.wait()  # the network wait: every worker is in it together
        gate.take_back()  # before-parse
        python_section()  # parsing the response
        return n

    assert DaemonPool(4, gate=gate).map(call, range(8)) == list(range(8))
    assert most_inside == 1


def test_a_map_inside_a_gated_worker_lets_the_gate_go_while_it_waits():
    gate = PythonGate()
    pool = DaemonPool(2, gate=gate)

    def outer(n: int) -> list[int]:
        return pool.map(lambda m: m * n, range(3))  # its workers need the slot this one holds

    assert pool.map(outer, [1, 2]) == [[0, 1, 2], [0, 2, 4]]


def test_api_calls_wait_on_the_network_together_through_the_gate(sim, make_exporter):
    """Real boto3: the before-send and before-parse hooks let the gate go around the HTTP
    exchange, so all 4 workers are inside hanging calls at once (none has returned)."""
    fleet = build_fleet(sim, 100)
    exporter = make_exporter(poll={"max_concurrency": 4}, deployments=[{"deployment_id": d} for d, _ in fleet])
    sim.hang(30, operation="BatchGetDeploymentTargets", count=4)
    poller = threading.Thread(target=exporter.poll_once, daemon=True)
    poller.start()
    deadline = time.monotonic() + 20
    while sim.call_count("BatchGetDeploymentTargets") < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    hanging = sim.call_count("BatchGetDeploymentTargets")
    finished = exporter.metrics.registry.get_sample_value(
        "codedeploy_exporter_api_request_duration_seconds_count", {"operation": "BatchGetDeploymentTargets"}
    )
    sim.interrupt_waits()
    poller.join(30)
    assert hanging == 4
    assert not finished  # held one after another, earlier calls would have timed out first


def test_a_failed_attempt_lets_the_gate_go_for_the_retry_backoff_and_a_success_keeps_it(sim, sim_server):
    """botocore's needs-retry comes after every attempt; only a failed one may sleep before a
    retry, and only then may another worker take the slot."""
    from types import SimpleNamespace

    from exporter.aws.clients import ClientFactory
    from exporter.config import AwsSettings
    from exporter.exposition.self_metrics import ExporterMetrics

    factory = ClientFactory(ExporterMetrics(), static_credentials=("t", "t"))
    api = factory.api(AwsSettings(region="us-east-1", endpoint_url=sim_server.endpoint_url))
    gate = factory.gate

    def attempt(status: int | None) -> bool:
        with gate.hold():
            if status is None:
                api._let_go_before_a_retry(caught_exception=ConnectionError("reset"))
            else:
                api._let_go_before_a_retry(response=(SimpleNamespace(status_code=status), {}))
            free = gate._slots.acquire(blocking=False)  # could another worker run now?
            if free:
                gate._slots.release()
            gate.take_back()
            return free

    assert [attempt(200), attempt(400), attempt(503), attempt(None)] == [False, True, True, True]
