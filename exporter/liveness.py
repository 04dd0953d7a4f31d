"""Liveness: is the poll loop still completing polls? (`/healthz`; `/readyz` is the first poll.)
Kept free of boto3 so the CLI and the container's health check start fast."""

from __future__ import annotations

import time
from collections.abc import Callable

# /healthz fails when no poll completed within this many intervals, but never sooner than
# LIVENESS_FLOOR: a wedged poller gets restarted, a slow API or a short interval does not.
DEFAULT_LIVENESS_INTERVALS = 10.0
LIVENESS_FLOOR = 300.0


class Liveness:
    def __init__(
        self, intervals: float = DEFAULT_LIVENESS_INTERVALS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.intervals = intervals
        self._monotonic = monotonic
        # Start-up counts as a completed poll: the first poll gets as long as any other.
        self._last = monotonic()

    def poll_completed(self) -> None:
        self._last = self._monotonic()

    def seconds_since_poll(self) -> float:
        return self._monotonic() - self._last

    def limit(self, interval: float) -> float:
        """Seconds without a completed poll after which the process counts as wedged."""
        return max(self.intervals * interval, LIVENESS_FLOOR)

    def alive(self, interval: float) -> bool:
        return self.seconds_since_poll() <= self.limit(interval)
