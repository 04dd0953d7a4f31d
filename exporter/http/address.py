"""Listen addresses: parsing and binding `--web.listen-address` (repeatable), the default
from the environment, the sockets systemd passes (`--web.systemd-socket`), and the URL the
container's health check probes."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, MutableMapping, Sequence

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


# sd_listen_fds(3): systemd passes its listening sockets from this descriptor on.
SD_LISTEN_FDS_START = 3


class ListenError(ValueError):
    """A listener that cannot be had; the message names the flag and the address, for stderr."""


def bind_listener(value: str, v6_only: bool = False) -> socket.socket:
    """A listening TCP socket on `value` (HOST:PORT); a ValueError names the address."""
    address = parse_listen_address(value)
    sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if v6_only and sock.family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        # A burst of scrapers connecting at once must not overflow the backlog: the kernel
        # drops the SYNs, which clients retry only after a second. It caps this at somaxconn.
        sock.listen(socket.SOMAXCONN)
    except OSError as exc:
        sock.close()
        raise ListenError(f"--web.listen-address {value}: {exc.strerror or exc}") from exc
    return sock


def bind_listeners(values: Sequence[str]) -> list[socket.socket]:
    """One listening socket per address, all or none: a failure closes those already bound."""
    # Alone, '[::]:P' also takes IPv4 on P (Linux's bindv6only=0), as it always did here. Next
    # to ':P' or '0.0.0.0:P' it is made IPv6-only, else the two would collide on the IPv4 half.
    ipv4_ports = {port for host, port in map(parse_listen_address, values) if ":" not in host}
    sockets: list[socket.socket] = []
    try:
        for value in values:
            sockets.append(bind_listener(value, v6_only=parse_listen_address(value)[1] in ipv4_ports))
    except ValueError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def systemd_listeners(environ: MutableMapping[str, str] | None = None, pid: int | None = None) -> list[socket.socket]:
    """The listening sockets systemd passed (socket activation), as sd_listen_fds(3) reads them.

    ListenError when the environment does not hand them to this process: `--web.systemd-socket`
    without activation is a mistake in the unit, better refused at start than serving nothing.
    """
    env = os.environ if environ is None else environ
    pid = os.getpid() if pid is None else pid
    given_pid, given_fds = env.get("LISTEN_PID"), env.get("LISTEN_FDS")
    if given_pid is None or given_fds is None:
        missing = [name for name in ("LISTEN_PID", "LISTEN_FDS") if name not in env]
        verb = "is" if len(missing) == 1 else "are"
        raise ListenError(f"--web.systemd-socket: {' and '.join(missing)} {verb} not set (not socket-activated)")
    if not given_pid.isdigit() or int(given_pid) != pid:
        # The variables were meant for another process (a parent that did not unset them).
        raise ListenError(f"--web.systemd-socket: LISTEN_PID={given_pid} is not this process ({pid})")
    if not given_fds.isdigit() or int(given_fds) < 1:
        raise ListenError(f"--web.systemd-socket: LISTEN_FDS={given_fds!r}: expected 1 or more sockets")
    # As sd_listen_fds(unset_environment=1): processes we start must not take them for theirs.
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        env.pop(name, None)
    sockets: list[socket.socket] = []
    try:
        for fd in range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + int(given_fds)):
            try:
                sock = socket.socket(fileno=fd)  # family and type read from the descriptor
            except OSError as exc:
                raise ListenError(f"--web.systemd-socket: fd {fd}: not a socket ({exc.strerror or exc})") from None
            sockets.append(sock)
            sock.set_inheritable(False)  # sd_listen_fds sets FD_CLOEXEC too
            if sock.type != socket.SOCK_STREAM or not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                raise ListenError(f"--web.systemd-socket: fd {fd}: not a listening stream socket (ListenStream=)")
            if sock.family not in (socket.AF_INET, socket.AF_INET6):
                # The loop keys its per-client limit on the peer's IP: TCP only, as the flag's address.
                raise ListenError(f"--web.systemd-socket: fd {fd}: not a TCP socket (ListenStream=[ADDRESS:]PORT)")
    except (OSError, ValueError):
        for sock in sockets:
            sock.detach()  # not ours to close: the error is reported, systemd keeps its sockets
        raise
    return sockets
