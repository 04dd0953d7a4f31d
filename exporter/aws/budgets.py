"""API budgets: one token bucket per account and region, as AWS throttles each account's
requests in each Region on its own. A busy or throttled account-region waits for its own
tokens only; `poll.max_requests_per_second` is the rate of each bucket.

A client whose account is not known yet (no role_arn or aws.account_id, and STS not answered)
draws from the bucket of its credential set in that region until it is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Scope = tuple[str, str]  # (account id or credential-set key, region)


class RateLimiter:
    """A token bucket: at most `rate` calls per second, bursts of `rate`."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        cancelled: threading.Event | None = None,
    ) -> None:
        self.rate = rate
        self._cancelled = cancelled
        self._tokens = max(rate, 1.0)
        self._clock, self._sleep = clock, sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Take a token, waiting for one; returns at once when cancelled (the caller checks)."""
        while True:
            if self._cancelled is not None and self._cancelled.is_set():
                return
            with self._lock:
                now = self._clock()
                self._tokens = min(max(self.rate, 1.0), self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            if self._cancelled is not None:
                self._cancelled.wait(wait)  # a shutdown ends the wait
            else:
                self._sleep(wait)


class Budgets:
    """The buckets, made on first use, all at the same (reloadable) rate."""

    def __init__(self, rate: float, cancelled: threading.Event | None = None) -> None:
        self._rate = rate
        self._cancelled = cancelled
        self._buckets: dict[Scope, RateLimiter] = {}
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        return self._rate

    @rate.setter
    def rate(self, rate: float) -> None:
        with self._lock:
            self._rate = rate
            for bucket in self._buckets.values():
                bucket.rate = rate  # read on every acquire

    def bucket(self, scope: Scope) -> RateLimiter:
        with self._lock:
            found = self._buckets.get(scope)
            if found is None:
                found = self._buckets[scope] = RateLimiter(self._rate, cancelled=self._cancelled)
            return found

    def scopes(self) -> list[Scope]:
        with self._lock:
            return list(self._buckets)


class CallSlots:
    """A cap on API calls in flight in the whole process (`poll.max_concurrency`): however many
    pools and nested maps run calls (organization scopes poll account-regions side by side),
    at most `limit` wait on AWS at once, so connections and threads stay bounded."""

    def __init__(self, limit: int, cancelled: threading.Event | None = None) -> None:
        self._limit = max(1, limit)
        self._in_use = 0
        self._cancelled = cancelled
        self._changed = threading.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    @limit.setter
    def limit(self, limit: int) -> None:
        with self._changed:
            self._limit = max(1, limit)
            self._changed.notify_all()

    def acquire(self) -> None:
        """Wait for a free slot; returns at once when cancelled (the caller checks)."""
        with self._changed:
            while self._in_use >= self._limit:
                if self._cancelled is not None and self._cancelled.is_set():
                    return
                self._changed.wait(0.05)
            self._in_use += 1

    def release(self) -> None:
        with self._changed:
            self._in_use = max(0, self._in_use - 1)
            self._changed.notify()

    @property
    def in_use(self) -> int:
        return self._in_use
