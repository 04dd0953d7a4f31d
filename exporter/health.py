"""Liveness: is the poll loop still completing polls? (`/healthz`; `/readyz` is the first poll.)
Also the container HEALTHCHECK that probes it (`python -m exporter.health`).

Kept free of boto3 so the CLI and the health check start fast.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping

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


# ---- the container's HEALTHCHECK: `python -m exporter.health` ---------------------------------

# The listen address when --web.listen-address is not given: this variable, else ":10120".
# The image sets it, the process reads it, and the HEALTHCHECK probes the same address.
LISTEN_ADDRESS_ENV = "CODEDEPLOY_EXPORTER_WEB_LISTEN_ADDRESS"
DEFAULT_LISTEN_ADDRESS = ":10120"


def listen_address(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get(LISTEN_ADDRESS_ENV) or DEFAULT_LISTEN_ADDRESS


def probe_url(address: str) -> str:
    """The /healthz URL for a listen address: wildcard hosts are probed on loopback."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}/healthz" if ":" in host else f"http://{host}:{port}/healthz"


def main() -> int:
    """Exit 0 when /healthz answers 200 (the image has no curl). TLS listeners are not probed."""
    url = probe_url(listen_address())
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 - loopback only
            ok = response.status == 200
    except (OSError, ValueError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
