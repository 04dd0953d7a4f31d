"""Concurrent scrapers of /metrics, driven by one thread through a selector.

The load scenario runs them in a process of their own:
``python -m bench.reliability.scrape HOST PORT SCRAPERS SECONDS new|keep-alive [CA_FILE USER:PASSWORD]``
prints the result of scrape_loop as JSON (with a CA file: over TLS, with basic auth).
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import socket
import ssl
import sys
import time


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Scrape:
    """One scraper's request in flight (see scrape_loop)."""

    __slots__ = ("sock", "started", "secured", "sent", "received", "head_end", "status", "length")

    def __init__(self, sock: socket.socket, secured: bool = True) -> None:
        self.sock = sock
        self.started = time.perf_counter()
        self.secured = secured  # TLS handshake done (or not needed)
        self.sent = False
        self.received = bytearray()
        self.head_end = -1
        self.status = 0
        self.length = 0


def scrape_loop(
    host: str,
    port: int,
    scrapers: int,
    seconds: float,
    new_connections: bool = False,
    tls: ssl.SSLContext | None = None,
    auth: str | None = None,
) -> dict:
    """Run `scrapers` concurrent scrapers for `seconds`, each asking again as soon as it has
    its answer; latencies and errors as a dict.

    With `new_connections` each scrape opens its own TCP connection (a burst of connects is
    what overflows a short listen backlog); otherwise each scraper keeps one alive. One
    thread drives them all through a selector: 50 client threads would measure their own
    waits for the client's GIL as server latency. A latency runs from the connect (or the
    request, on a kept connection) to the last byte of the response."""
    authorization = f"Authorization: Basic {base64.b64encode(auth.encode()).decode()}\r\n" if auth else ""
    request = f"GET /metrics HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: gzip\r\n{authorization}\r\n".encode()
    latencies: list[float] = []
    errors: list[str] = []
    sizes: set[int] = set()
    selector = selectors.DefaultSelector()
    deadline = time.monotonic() + seconds

    def connect() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex((host, port))
        if tls is not None:  # the handshake is driven below, as the server's is (non-blocking)
            sock = tls.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
        scrape = _Scrape(sock, secured=tls is None)
        selector.register(sock, selectors.EVENT_WRITE, scrape)

    def again(scrape: _Scrape) -> None:
        if new_connections or scrape.status == 0:
            selector.unregister(scrape.sock)
            scrape.sock.close()
            if time.monotonic() < deadline:
                connect()
        elif time.monotonic() < deadline:  # the next request on the same connection
            selector.modify(scrape.sock, selectors.EVENT_WRITE, _Scrape(scrape.sock, secured=True))
        else:
            selector.unregister(scrape.sock)
            scrape.sock.close()

    for _ in range(scrapers):
        connect()
    while selector.get_map():
        for key, _ in selector.select(1.0):
            scrape: _Scrape = key.data
            try:
                if not scrape.secured:
                    error = scrape.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if error:
                        raise OSError(error, os.strerror(error))
                    assert isinstance(scrape.sock, ssl.SSLSocket)
                    try:
                        scrape.sock.do_handshake()
                    except ssl.SSLWantReadError:
                        selector.modify(scrape.sock, selectors.EVENT_READ, scrape)
                        continue
                    except ssl.SSLWantWriteError:
                        selector.modify(scrape.sock, selectors.EVENT_WRITE, scrape)
                        continue
                    scrape.secured = True
                if not scrape.sent:
                    error = scrape.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if error:
                        raise OSError(error, os.strerror(error))
                    scrape.sock.send(request)  # small: one send
                    scrape.sent = True
                    selector.modify(scrape.sock, selectors.EVENT_READ, scrape)
                    continue
                try:
                    data = scrape.sock.recv(1 << 20)
                except ssl.SSLWantReadError:
                    continue
                # TLS gives a record (16 KiB at most) a call: take every one ready now, so the
                # client's wake-ups per answer do not grow 7-fold and count as server latency.
                while data and isinstance(scrape.sock, ssl.SSLSocket):
                    try:
                        more = scrape.sock.recv(1 << 20)
                    except ssl.SSLWantReadError:
                        break
                    if not more:
                        break
                    data += more
                if not data:
                    raise ConnectionResetError("closed before the whole response")
                scrape.received += data
                if scrape.head_end < 0:
                    scrape.head_end = scrape.received.find(b"\r\n\r\n")
                    if scrape.head_end < 0:
                        continue
                    head = bytes(scrape.received[: scrape.head_end]).decode("latin-1").split("\r\n")
                    scrape.status = int(head[0].split(" ", 2)[1])
                    for line in head[1:]:
                        name, _, value = line.partition(":")
                        if name.strip().lower() == "content-length":
                            scrape.length = int(value)
                if len(scrape.received) - scrape.head_end - 4 < scrape.length:
                    continue
            except OSError as exc:
                errors.append(type(exc).__name__)
                scrape.status = 0
                again(scrape)
                continue
            if scrape.status == 200:
                latencies.append(time.perf_counter() - scrape.started)
                sizes.add(scrape.length)
            else:
                errors.append(f"HTTP {scrape.status}")
            again(scrape)
    selector.close()
    return {"latencies": latencies, "errors": errors, "sizes": sorted(sizes)}


def main(argv: list[str]) -> int:
    host, port, scrapers, seconds, connections, *secure = argv
    tls, auth = (ssl.create_default_context(cafile=secure[0]), secure[1]) if secure else (None, None)
    result = scrape_loop(host, int(port), int(scrapers), float(seconds), connections == "new", tls, auth)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
