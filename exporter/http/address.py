"""Listen addresses: parsing `--web.listen-address`, the default from the environment, and
the URL the container's health check probes."""

from __future__ import annotations

import os
from collections.abc import Mapping

# The listen address when --web.listen-address is not given: this variable, else ":10120".
# The image sets it, the process reads it, and the HEALTHCHECK probes the same address.
LISTEN_ADDRESS_ENV = "CODEDEPLOY_EXPORTER_WEB_LISTEN_ADDRESS"
DEFAULT_LISTEN_ADDRESS = ":10120"
# Open connections per client address (--web.max-connections-per-client); more are closed as
# they are accepted. Prometheus keeps one or two; the room is for proxies and NAT, where many
# clients share an address. Here, not in loop.py, so the command line can read it cheaply.
MAX_CONNECTIONS_PER_CLIENT = 128


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


def parse_listen_address(value: str) -> tuple[str, int]:
    """':10120' -> ('', 10120); '127.0.0.1:0'; '[::1]:10120'."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--web.listen-address {value!r}: expected HOST:PORT, e.g. ':10120'")
    return host.strip("[]"), int(port)
