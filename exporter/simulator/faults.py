"""Fault injection for the simulator: latency, throttling, AWS errors and hangs, and the
Simulator's methods that set them (FaultControls).

Waits are interruptible (``interrupt_waits``) so a server can stop promptly while a
request is being held by a hang fault.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class InjectedError:
    code: str
    message: str
    status: int


@dataclass
class _Rule:
    operation: str | None  # None matches every operation
    remaining: int | None  # None: never used up (a throttle that lasts until clear())
    error: InjectedError | None = None  # None means "hang, then answer normally"
    hang_seconds: float = 0.0


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._generation = 0  # bumped by interrupt_waits() to end every wait in progress
        self._latency: dict[str | None, float] = {}
        self._rules: list[_Rule] = []

    def set_latency(self, seconds: float, operation: str | None = None) -> None:
        """Delay every call (or every call of ``operation``) by ``seconds``."""
        with self._lock:
            self._latency[operation] = seconds

    def fail(
        self,
        count: int,
        code: str,
        status: int = 400,
        operation: str | None = None,
        message: str | None = None,
    ) -> None:
        """Make the next ``count`` matching calls fail with the given AWS error."""
        error = InjectedError(code, message or f"Simulated {code}", status)
        with self._lock:
            self._rules.append(_Rule(operation, count, error=error))

    def throttle(self, count: int, operation: str | None = None) -> None:
        self.fail(count, "ThrottlingException", 400, operation, "Rate exceeded")

    def throttle_forever(self, operation: str | None = None) -> None:
        """Answer every matching call with ThrottlingException until :meth:`clear`."""
        error = InjectedError("ThrottlingException", "Rate exceeded", 400)
        with self._lock:
            self._rules.append(_Rule(operation, None, error=error))

    def hang(self, seconds: float, operation: str | None = None, count: int = 1) -> None:
        """Hold the next ``count`` matching calls for ``seconds`` (past client timeouts)."""
        with self._lock:
            self._rules.append(_Rule(operation, count, hang_seconds=seconds))

    def clear(self) -> None:
        with self._lock:
            self._latency.clear()
            self._rules.clear()

    def interrupt_waits(self) -> None:
        with self._lock:
            self._generation += 1
            self._wake.notify_all()

    def before_call(self, operation: str) -> InjectedError | None:
        """Apply latency and hangs to one call; return the error to answer with, if any.

        Rules are consumed first come, first served among those matching ``operation``.
        """
        with self._lock:
            latency = self._latency.get(operation, self._latency.get(None, 0.0))
            rule = next((r for r in self._rules if r.operation in (None, operation)), None)
            if rule is not None and rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
        self._wait(latency)
        if rule is not None and rule.error is None:
            self._wait(rule.hang_seconds)
        return rule.error if rule is not None else None

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._lock:
            generation = self._generation
            while self._generation == generation:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._wake.wait(remaining)


class FaultControls:
    """The Simulator's fault-injection methods: each hands over to its ``faults``."""

    faults: Faults

    def set_latency(self, seconds: float, operation: str | None = None) -> None:
        self.faults.set_latency(seconds, operation)

    def throttle(self, count: int, operation: str | None = None) -> None:
        self.faults.throttle(count, operation)

    def fail(
        self,
        count: int,
        code: str,
        status: int = 400,
        operation: str | None = None,
        message: str | None = None,
    ) -> None:
        self.faults.fail(count, code, status, operation, message)

    def throttle_forever(self, operation: str | None = None) -> None:
        self.faults.throttle_forever(operation)

    def hang(self, seconds: float, operation: str | None = None, count: int = 1) -> None:
        self.faults.hang(seconds, operation, count)

    def clear_faults(self) -> None:
        self.faults.clear()

    def interrupt_waits(self) -> None:
        """End all latency/hang waits now (so a server can stop promptly)."""
        self.faults.interrupt_waits()
