"""The poll's worker pool: Executor.map semantics on daemon threads, and cancellation that
does not wait for work in flight."""

from __future__ import annotations

import threading

import pytest

from exporter.workers import Cancelled, DaemonPool


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
