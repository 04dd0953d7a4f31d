"""A cancellable `map` on daemon threads, for the poll's concurrent API calls.

concurrent.futures' workers are joined when the interpreter exits, so one API call stuck
in a socket read would hold the process after SIGTERM. These workers are daemon threads:
once cancelled, the poll stops handing out work and returns at once, and calls still in
flight are abandoned (their threads end with the process or when their timeout fires).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

WAIT_STEP = 0.05  # how often a waiting poll checks for cancellation, seconds


class PoolMap(Protocol):
    """What the poll's parts are handed to run calls concurrently: DaemonPool.map's signature."""

    def __call__(self, fn: Callable[[T], R], items: Iterable[T], /) -> list[R]: ...


class Cancelled(Exception):
    """The poll was cancelled (shutdown): its partial results are worthless."""


class DaemonPool:
    def __init__(
        self, max_workers: int, cancelled: threading.Event | None = None, thread_name_prefix: str = "poll"
    ) -> None:
        self.max_workers = max(1, max_workers)
        self.cancelled = cancelled if cancelled is not None else threading.Event()
        self._prefix = thread_name_prefix

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
        with lock:
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
