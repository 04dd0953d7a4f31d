"""The process-wide cap on API calls in flight (exporter.aws.budgets.CallSlots)."""

from __future__ import annotations

import threading

from exporter.aws.budgets import CallSlots


def _run(slots: CallSlots, workers: int, inside: threading.Event) -> tuple[list[int], list[threading.Thread]]:
    seen: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        slots.acquire()
        try:
            with lock:
                seen.append(slots.in_use)
            inside.wait(5)
        finally:
            slots.release()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    return seen, threads


def test_no_more_than_the_limit_are_inside_at_once_and_the_others_follow():
    slots, inside = CallSlots(3), threading.Event()
    seen, threads = _run(slots, 8, inside)
    for _ in range(200):
        if len(seen) == 3:
            break
        threading.Event().wait(0.01)
    assert len(seen) == 3 and slots.in_use == 3  # five wait for a slot
    inside.set()
    for thread in threads:
        thread.join(5)
    assert len(seen) == 8 and max(seen) <= 3 and slots.in_use == 0


def test_a_raised_limit_lets_waiting_calls_in():
    slots, inside = CallSlots(1), threading.Event()
    seen, threads = _run(slots, 3, inside)
    for _ in range(200):
        if seen:
            break
        threading.Event().wait(0.01)
    slots.limit = 3
    for _ in range(200):
        if len(seen) == 3:
            break
        threading.Event().wait(0.01)
    assert len(seen) == 3
    inside.set()
    for thread in threads:
        thread.join(5)


def test_cancellation_ends_the_wait():
    cancelled = threading.Event()
    slots = CallSlots(1, cancelled)
    slots.acquire()
    done = threading.Event()
    waiter = threading.Thread(target=lambda: (slots.acquire(), done.set()))
    waiter.start()
    cancelled.set()
    waiter.join(5)
    assert done.is_set()
