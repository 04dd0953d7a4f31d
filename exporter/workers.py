"""A cancellable `map` on daemon threads, for the poll's concurrent API calls.

concurrent.futures' workers are joined when the interpreter exits, so one API call stuck
in a socket read would hold the process after SIGTERM. These workers are daemon threads:
once cancelled, the poll stops handing out work and returns at once, and calls still in
flight are abandoned (their threads end with the process or when their timeout fires).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

WAIT_STEP = 0.05  # how often a waiting poll checks for cancellation, seconds


class PoolMap(Protocol):
    """What the poll's parts are handed to run calls concurrently: DaemonPool.map's signature."""

    def __call__(self, fn: Callable[[T], R], items: Iterable[T], /) -> list[R]: ...


class Cancelled(Exception):
    """The poll was cancelled (shutdown): its partial results are worthless."""


class PythonGate:
    """Lets one of the poll's threads run Python at a time; a thread lets go while its API
    call waits on the network (and while it waits for the rate limiter or other workers).

    The GIL runs one thread at a time anyway; the gate changes who waits where. With 8
    workers parsing responses of a fast API at once, any other thread that wants the GIL
    (the HTTP server's) queues behind all 8 after each of its system calls: a scrape during
    a poll of 1,000 targets waited up to 260 ms. The gated workers wait on a semaphore, not
    for the GIL, so the server queues behind one. Network waits still overlap.
    """

    def __init__(self, slots: int = 1) -> None:
        self._slots = threading.Semaphore(slots)
        self._local = threading.local()  # held: this thread has a slot; inside: it should

    @contextmanager
    def hold(self) -> Iterator[None]:
        self._slots.acquire()
        self._local.held = self._local.inside = True
        try:
            yield
        finally:
            self._local.inside = False
            self.let_go()

    def let_go(self, **_: Any) -> None:
        """Give the slot up (no-op unless held): botocore's `before-send` handler."""
        if getattr(self._local, "held", False):
            self._local.held = False
            self._slots.release()

    def take_back(self, **_: Any) -> None:
        """Wait for a slot again (no-op outside `hold` or if held): `before-parse`."""
        if getattr(self._local, "inside", False) and not self._local.held:
            self._slots.acquire()
            self._local.held = True

    @contextmanager
    def waiting(self) -> Iterator[None]:
        self.let_go()
        try:
            yield
        finally:
            self.take_back()


class DaemonPool:
    def __init__(
        self,
        max_workers: int,
        cancelled: threading.Event | None = None,
        thread_name_prefix: str = "poll",
        gate: PythonGate | None = None,
    ) -> None:
        self.max_workers = max(1, max_workers)
        self.cancelled = cancelled if cancelled is not None else threading.Event()
        self._prefix = thread_name_prefix
        self.gate = gate if gate is not None else PythonGate(self.max_workers)

    def __enter__(self) -> DaemonPool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Results in the order of `items`, like Executor.map; the first error is raised
        (work not yet started is skipped), Cancelled if the pool was cancelled meanwhile."""
        work = list(items)
        results: list[R | None] = [None] * len(work)
        errors: dict[int, BaseException] = {}
        lock = threading.Lock()
        done = threading.Condition(lock)
        state = {"next": 0, "finished": 0}

        def worker() -> None:
            while True:
                with lock:
                    index = state["next"]
                    if index >= len(work) or errors or self.cancelled.is_set():
                        return
                    state["next"] += 1
                try:
                    with self.gate.hold():
                        result = fn(work[index])
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    with lock:
                        errors[index] = exc
                        state["finished"] += 1
                        done.notify_all()
                    return
                with lock:
                    results[index] = result
                    state["finished"] += 1
                    done.notify_all()

        for n in range(min(self.max_workers, len(work))):
            threading.Thread(target=worker, name=f"{self._prefix}_{n}", daemon=True).start()
        with self.gate.waiting(), lock:  # a map inside a worker must not keep its slot
            # After an error no new work starts, but what started finishes first: the next
            # poll must not race leftovers. Only cancellation abandons calls in flight.
            while state["finished"] < (state["next"] if errors else len(work)):
                if self.cancelled.is_set():
                    raise Cancelled()
                done.wait(WAIT_STEP)
            if self.cancelled.is_set():
                raise Cancelled()
            if errors:
                raise errors[min(errors)]
        return results  # type: ignore[return-value]  # every slot was filled
