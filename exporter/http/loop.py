"""One thread answers plain-HTTP GET and HEAD requests from cached bytes; it hands the rest to
a thread of their own.

A thread per connection pays, per scrape, a thread start and a GIL handoff after every socket
call, and while a poll runs each handoff waits behind the poll's threads: 50 scrapers on new
connections got p99 180 ms that way at 1,000 targets. Here one thread waits on all
connections at once (one GIL handoff per wake-up, for every ready socket) and sends the
cached bytes with `sendmsg` (a compressed body as it is, an uncompressed one joined a block
at a time). Requests it does not answer itself (other methods, bodies, HTTP/1.0, oversized
heads, TLS, basic auth) go to `handoff` with the bytes read so far, and a thread answers
them as before.
"""

from __future__ import annotations

import logging
import selectors
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

from exporter.exposition.body import blocks

log = logging.getLogger(__name__)

MAX_HEAD = 64 * 1024  # bytes of request line and headers; longer heads go to a thread (431)
RECV_SIZE = 64 * 1024
SEND_BLOCK = 256 * 1024  # bytes: a body's small cached chunks are joined into blocks this big
WAKE_INTERVAL = 0.1  # seconds between checks for stop while idle (as socketserver's poll)
SWEEP_INTERVAL = 0.5  # seconds between checks for connections past their deadline
# Accepted sockets stay blocking and each call says "don't wait" (where the OS has the flag):
# switching a socket's mode is a system call, and Python releases the GIL around each one,
# which while a poll runs means waiting behind the poll's threads to get it back.
_DONTWAIT: int = getattr(socket, "MSG_DONTWAIT", 0)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Sequence[tuple[str, str]]
    chunks: Iterable[bytes]  # the body, as cached pieces (not joined), iterated once as sent
    length: int


@dataclass(frozen=True)
class Request:
    method: str  # GET or HEAD
    target: str
    line: str  # the request line, for the log
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    close: bool  # "Connection: close": answer, then hang up


Route = Callable[[Request], "Reply | None"]  # None: not for this loop, hand the request off
Accept = Callable[[socket.socket, tuple[str, int]], bool]  # False: taken (TLS, auth)
Handoff = Callable[[socket.socket, tuple[str, int], bytes], None]


def parse_head(head: bytes) -> Request | None:
    """The request in `head` (up to, not including, the blank line) if this loop can answer
    it as it is: GET or HEAD over HTTP/1.1 with no body. None sends it to a thread, which
    answers everything else, malformed requests included, as http.server does."""
    line, *lines = head.decode("latin-1").split("\r\n")  # latin-1 decodes any byte
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] not in ("GET", "HEAD") or parts[2] != "HTTP/1.1" or not parts[1].startswith("/"):
        return None
    headers: dict[str, str] = {}
    for field_line in lines:
        name, sep, value = field_line.partition(":")
        if not sep or not name or name != name.strip():
            return None  # malformed, or folded (a leading space): http.server's own answer
        name = name.lower()
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    if "transfer-encoding" in headers or "expect" in headers or headers.get("content-length", "0") != "0":
        return None
    close = "close" in headers.get("connection", "").lower()
    return Request(parts[0], parts[1], line, headers, close)


class _Date:
    """The Date header, formatted at most once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def __call__(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._second, self._value = now, formatdate(now, usegmt=True)
        return self._value


class _Connection:
    __slots__ = ("sock", "fd", "address", "buffer", "out", "rest", "deadline", "close_after", "events")

    def __init__(self, sock: socket.socket, address: tuple[str, int], deadline: float) -> None:
        self.sock = sock
        self.fd = sock.fileno()  # the key in ServeLoop._connections (fileno() is -1 once closed)
        self.address = address
        self.buffer = bytearray()  # received, not yet answered
        self.out: list[memoryview] | None = None  # a response being sent: what is ready
        self.rest: Iterator[bytes] = iter(())  # and the blocks still to join
        self.deadline = deadline  # idle, or answering, until then at most
        self.close_after = False
        self.events = selectors.EVENT_READ  # what the selector waits for on this socket


class ServeLoop:
    def __init__(
        self,
        listener: socket.socket,
        route: Route,
        accept: Accept,
        handoff: Handoff,
        client_timeout: float,
        server_header: str,
    ) -> None:
        self.listener = listener
        self.route = route
        self.accept = accept
        self.handoff = handoff
        self.client_timeout = client_timeout
        self.server_header = server_header
        self._date = _Date()
        # poll(2), not epoll: registering a socket with epoll is a system call, and Python
        # releases the GIL around each; poll's set is kept in user space. A few hundred
        # connections at most are open at a time.
        self._selector = selectors.PollSelector() if hasattr(selectors, "PollSelector") else selectors.SelectSelector()
        self._connections: dict[int, _Connection] = {}
        self._sending = 0  # connections in the middle of a response
        self._stopping = False
        self._drain_until = 0.0
        self._closed_listener = False
        self._next_sweep = 0.0

    @property
    def in_flight(self) -> int:
        """Responses being sent right now (idle keep-alive connections not included)."""
        return self._sending

    def stop(self, drain_timeout: float) -> None:
        """Stop accepting; responses being sent get `drain_timeout` to finish (from the loop)."""
        self._drain_until = time.monotonic() + drain_timeout
        self._stopping = True

    def run(self) -> None:
        self.listener.setblocking(False)
        self._selector.register(self.listener, selectors.EVENT_READ)
        try:
            while True:
                if self._stopping and not self._wind_down():
                    break
                for key, _ in self._selector.select(WAKE_INTERVAL):
                    if key.fileobj is self.listener:
                        self._accept_all()
                    else:
                        self._ready(key.data)
                now = time.monotonic()
                if now >= self._next_sweep:
                    self._next_sweep = now + SWEEP_INTERVAL
                    self._sweep(now)
        finally:
            for connection in list(self._connections.values()):
                self._close(connection)
            self._selector.close()

    def _wind_down(self) -> bool:
        """While stopping: whether to keep looping (responses still being sent, time left)."""
        if not self._closed_listener:
            self._closed_listener = True
            self._selector.unregister(self.listener)
        for connection in list(self._connections.values()):
            if connection.out is None:
                self._close(connection)  # idle keep-alive: nothing to finish
        return bool(self._connections) and time.monotonic() < self._drain_until

    def _accept_all(self) -> None:
        # Every pending connection per wake-up: a burst of scrapers is taken in one go.
        while True:
            try:
                sock, address = self.listener.accept()
            except OSError:  # BlockingIOError: none left; or the listener was closed
                return
            try:
                if not self.accept(sock, address):
                    continue  # a thread has it
                if not _DONTWAIT:
                    sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                sock.close()
                continue
            connection = _Connection(sock, address, time.monotonic() + self.client_timeout)
            self._connections[connection.fd] = connection
            self._selector.register(sock, selectors.EVENT_READ, connection)

    def _ready(self, connection: _Connection) -> None:
        try:
            if connection.out is not None:
                self._send(connection)
            else:
                data = connection.sock.recv(RECV_SIZE, _DONTWAIT)
                if not data:
                    self._close(connection)  # the client hung up between requests
                    return
                connection.buffer += data
                self._answer(connection)
        except BlockingIOError:
            pass
        except OSError as exc:  # reset, broken pipe: a scraper that went away is routine
            log.debug("event=http_client_gone client=%s error=%s", connection.address[0], type(exc).__name__)
            self._close(connection)

    def _answer(self, connection: _Connection) -> None:
        """Answer the complete requests in the buffer, one at a time (pipelining allowed)."""
        while connection.out is None:
            end = connection.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(connection.buffer) > MAX_HEAD:
                    self._hand_off(connection)
                return
            request = parse_head(bytes(connection.buffer[:end])) if end <= MAX_HEAD else None
            reply = self.route(request) if request is not None else None
            if request is None or reply is None:
                self._hand_off(connection)
                return
            del connection.buffer[: end + 4]
            self._respond(connection, request, reply)
            if connection.out is not None:
                return

    def _respond(self, connection: _Connection, request: Request, reply: Reply) -> None:
        lines = [
            f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
            f"Server: {self.server_header}",
            f"Date: {self._date()}",
        ]
        lines += [f"{name}: {value}" for name, value in reply.headers]
        lines.append(f"Content-Length: {reply.length}")
        if request.close:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "event=http_request client=%s request=%s",
                connection.address[0],
                f"'{request.line}' {reply.status} -",
            )
        # Joined a block at a time as the socket takes them: thousands of small chunks cost
        # more to send one by one than one copy, and a whole joined body per scraper would
        # cost memory (66 MB at 10,000 targets uncompressed). A single body is not copied.
        connection.rest = iter(()) if request.method == "HEAD" else blocks(reply.chunks, SEND_BLOCK)
        connection.out = [memoryview(head)]
        connection.close_after = request.close
        connection.deadline = time.monotonic() + self.client_timeout  # for the whole response
        self._sending += 1
        self._send(connection)

    def _send(self, connection: _Connection) -> None:
        out = connection.out
        assert out is not None
        while True:
            if len(out) < 2:  # the next block ready, so one call can take the head and a block
                block = next(connection.rest, None)
                if block is not None:
                    out.append(memoryview(block))
            if not out:
                break  # all sent
            try:
                sent = connection.sock.sendmsg(out, (), _DONTWAIT)
            except BlockingIOError:
                sent = 0
            while out and sent >= len(out[0]):
                sent -= len(out.pop(0))
            if out:
                if sent:
                    out[0] = out[0][sent:]
                # The socket's buffer is full: wait until it drains, not spinning on send.
                self._watch(connection, selectors.EVENT_WRITE)
                return
        connection.out = None
        self._sending -= 1
        if connection.close_after or self._stopping:
            self._close(connection)
            return
        connection.deadline = time.monotonic() + self.client_timeout  # idle keep-alive
        self._watch(connection, selectors.EVENT_READ)
        if connection.buffer:
            self._answer(connection)  # a pipelined request already read

    def _watch(self, connection: _Connection, events: int) -> None:
        if connection.events != events:
            connection.events = events
            self._selector.modify(connection.sock, events, connection)

    def _hand_off(self, connection: _Connection) -> None:
        self._forget(connection)
        if not _DONTWAIT:
            try:
                connection.sock.setblocking(True)
            except OSError:
                connection.sock.close()
                return
        self.handoff(connection.sock, connection.address, bytes(connection.buffer))

    def _sweep(self, now: float) -> None:
        for connection in [c for c in self._connections.values() if c.deadline < now]:
            log.debug("event=http_client_gone client=%s error=timeout", connection.address[0])
            self._close(connection)

    def _forget(self, connection: _Connection) -> None:
        if connection.out is not None:
            connection.out = None
            self._sending -= 1
        self._connections.pop(connection.fd, None)
        try:
            self._selector.unregister(connection.sock)
        except (KeyError, ValueError):
            pass

    def _close(self, connection: _Connection) -> None:
        self._forget(connection)
        connection.buffer.clear()  # requests pipelined after "Connection: close" go unanswered
        connection.sock.close()
