"""One thread serves every connection: plain or TLS, with or without basic auth.

A thread per connection pays, per scrape, a thread start and a GIL handoff after every socket
call, and while a poll runs each handoff waits behind the poll's threads: 50 scrapers on new
connections got p99 180 ms that way at 1,000 targets. Here one thread waits on all
connections at once (one GIL handoff per wake-up, for every ready socket) and sends the
cached bytes as the socket takes them.

Requests are parsed by h11 (sans-IO: this loop does the I/O, h11 the HTTP/1.1 framing and
validation), not by hand. TLS handshakes run non-blocking in the loop, bounded by a timeout.
Work that would stall the loop (a bcrypt check, a config reload) is handed to a small pool
by the router; its reply is sent from the loop when it is done, and the connection waits
unwatched meanwhile.
"""

from __future__ import annotations

import collections
import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate
from enum import Enum
from http import HTTPStatus
from typing import cast
from urllib.parse import urlsplit

import h11

from exporter.exposition.body import blocks
from exporter.http.address import MAX_CONNECTIONS_PER_CLIENT
from exporter.log import quote

log = logging.getLogger(__name__)

MAX_HEAD = 64 * 1024  # bytes of request line and headers (h11's buffer limit): longer is 431
MAX_BODY = 64 * 1024  # bytes of request body: no endpoint reads one, so more is 413
RECV_SIZE = 64 * 1024
SEND_BLOCK = 256 * 1024  # bytes: a body's small cached chunks are joined into blocks this big
WAKE_INTERVAL = 0.1  # seconds between checks for stop while idle (as socketserver's poll)
SWEEP_INTERVAL = 0.5  # seconds between checks for connections past their deadline
HANDSHAKE_TIMEOUT = 10.0  # seconds for a TLS handshake (at most the client timeout)
LINGER = 1.0  # seconds: after an error answer, the client's unread bytes are drained this long
WORKERS = 2  # threads for slow work (bcrypt, reload): a password flood holds these, not the loop
MAX_QUEUED = 64  # slow jobs waiting or running; more are answered 503 at once
_LISTENER = object()  # the selector's data for a listening socket (a connection's is itself)
# Accepted plain sockets stay blocking and each call says "don't wait" (where the OS has the
# flag): switching a socket's mode is a system call, and Python releases the GIL around each
# one, which while a poll runs means waiting behind the poll's threads to get it back.
# TLS sockets are non-blocking (ssl's calls take no flags).
_DONTWAIT: int = getattr(socket, "MSG_DONTWAIT", 0)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Sequence[tuple[str, str]]
    chunks: Iterable[bytes]  # the body, as cached pieces (not joined), iterated once as sent
    length: int


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # origin form: path and query (an absolute-form target is reduced to it)
    line: str  # the request line, for the log
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    client: str  # the client's address, for the log


Work = Callable[[], Reply]  # slow work, run on the pool; its reply is sent when done
Route = Callable[[Request], "Reply | Work"]
TlsContext = Callable[[], "ssl.SSLContext | None"]  # for each new connection (certs may rotate)
ExtraHeaders = Callable[[], Sequence[tuple[str, str]]]  # added to every response, errors too


class _State(Enum):
    HANDSHAKE = "handshake"
    READ = "read"  # reading a request (or idle between requests)
    WORK = "work"  # the request is on the pool; the socket is not watched
    SEND = "send"
    LINGER = "linger"  # answered and half-closed: draining what the client still sends
    CLOSED = "closed"


def origin_form(target: str) -> str:
    """Path and query of a request target: servers must accept absolute-form too (RFC 9112)."""
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return target


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
    __slots__ = (
        "sock",
        "fd",
        "address",
        "tls",
        "http",
        "state",
        "request",
        "head_bytes",
        "body",
        "out",
        "rest",
        "deadline",
        "opened",
        "close_after",
        "failed",
        "events",
    )

    def __init__(self, sock: socket.socket, address: tuple[str, int], tls: bool, now: float) -> None:
        self.sock = sock
        self.fd = sock.fileno()  # the key in ServeLoop._connections (fileno() is -1 once closed)
        self.address = address
        self.tls = tls
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self.state = _State.HANDSHAKE if tls else _State.READ
        self.request: h11.Request | None = None
        self.head_bytes = 0  # received since the last request head was parsed
        self.body = bytearray()
        self.out: list[memoryview] = []  # a response being sent: what is ready
        self.rest: Iterator[bytes] = iter(())  # and the blocks still to join
        self.opened = now
        self.deadline = now  # idle, handshaking or answering, until then at most
        self.close_after = False  # answer, then hang up ("Connection: close", HTTP/1.0, errors)
        self.failed = False  # the answer is to a refused request
        self.events = 0  # what the selector waits for on this socket (0: not registered)


class ServeLoop:
    def __init__(
        self,
        listener: socket.socket | Sequence[socket.socket],
        route: Route,
        client_timeout: float,
        server_header: str,
        tls_context: TlsContext = lambda: None,
        extra_headers: ExtraHeaders = lambda: (),
        workers: int = WORKERS,
        max_per_client: int = MAX_CONNECTIONS_PER_CLIENT,
    ) -> None:
        # Several with a repeated --web.listen-address or systemd's sockets: one loop serves all.
        self.listeners = (listener,) if isinstance(listener, socket.socket) else tuple(listener)
        self.listener = self.listeners[0]
        self.route = route
        self.client_timeout = client_timeout
        self.server_header = server_header
        self.tls_context = tls_context
        self.extra_headers = extra_headers
        self.max_per_client = max_per_client  # 0: no limit
        self._per_client: collections.Counter[str] = collections.Counter()
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
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="http-work")
        self._queued = 0  # jobs on the pool whose reply the loop has not taken yet
        self._done: collections.deque[tuple[_Connection, Request, Reply]] = collections.deque()
        # The pool wakes the loop by writing a byte here.
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._wake_lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Requests being answered right now (idle keep-alive connections not included)."""
        return self._sending + self._queued

    def stop(self, drain_timeout: float) -> None:
        """Stop accepting; responses being sent get `drain_timeout` to finish (from the loop)."""
        self._drain_until = time.monotonic() + drain_timeout
        self._stopping = True

    def run(self) -> None:
        for listener in self.listeners:
            listener.setblocking(False)
            self._selector.register(listener, selectors.EVENT_READ, _LISTENER)
        self._selector.register(self._wake_read, selectors.EVENT_READ)
        try:
            while True:
                if self._stopping and not self._wind_down():
                    break
                accepting: list[socket.socket] = []
                for key, _ in self._selector.select(WAKE_INTERVAL):
                    if key.data is _LISTENER:
                        accepting.append(cast(socket.socket, key.fileobj))
                    elif key.fileobj is self._wake_read:
                        self._take_done()
                    else:
                        self._ready(key.data)
                for listener in accepting:
                    # After the others: a client that hung up and reconnected at once is counted
                    # once against its connection limit, not twice.
                    self._accept_all(listener)
                now = time.monotonic()
                if now >= self._next_sweep:
                    self._next_sweep = now + SWEEP_INTERVAL
                    self._sweep(now)
        finally:
            for connection in list(self._connections.values()):
                self._close(connection)
            self._selector.close()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._wake_read.close()
            with self._wake_lock:
                self._wake_write.close()

    def _wind_down(self) -> bool:
        """While stopping: whether to keep looping (responses still being sent, time left)."""
        if not self._closed_listener:
            self._closed_listener = True
            for listener in self.listeners:
                self._selector.unregister(listener)
        for connection in list(self._connections.values()):
            if connection.state is not _State.SEND:
                self._close(connection)  # idle, or a request not answered yet: nothing to finish
        return bool(self._connections) and time.monotonic() < self._drain_until

    # ---- connections ----------------------------------------------------------------------

    def _accept_all(self, listener: socket.socket) -> None:
        # Every pending connection per wake-up: a burst of scrapers is taken in one go.
        while True:
            try:
                sock, address = listener.accept()
            except OSError:  # BlockingIOError: none left; or the listener was closed
                return
            if self.max_per_client and self._per_client[address[0]] >= self.max_per_client:
                # Closed before any work (no TLS handshake): one client cannot take every slot.
                log.debug("event=http_client_refused client=%s reason=too_many_connections", address[0])
                sock.close()
                continue
            now = time.monotonic()
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                context = self.tls_context()
                if context is not None:
                    sock.setblocking(False)
                    # The handshake is driven by readiness in this loop (see _handshake).
                    sock = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                elif not _DONTWAIT:
                    sock.setblocking(False)
            except OSError:
                sock.close()
                continue
            connection = _Connection(sock, address, context is not None, now)
            timeout = min(self.client_timeout, HANDSHAKE_TIMEOUT) if connection.tls else self.client_timeout
            # Not extended as bytes arrive: a request trickled a byte at a time is dropped on time.
            connection.deadline = now + timeout
            self._connections[connection.fd] = connection
            self._per_client[address[0]] += 1
            self._watch(connection, selectors.EVENT_READ)

    def _ready(self, connection: _Connection) -> None:
        try:
            state = connection.state
            if state is _State.HANDSHAKE:
                self._handshake(connection)
            elif state is _State.SEND:
                self._send(connection)
            elif state is _State.LINGER:
                self._drain(connection)
            elif state is _State.READ:
                self._read(connection)
            if connection.state is _State.READ and connection.events:
                self._process(connection)  # a response finished: pipelined requests already read
        except OSError as exc:  # reset, broken pipe, TLS alert: a client that went away is routine
            log.debug("event=http_client_gone client=%s error=%s", connection.address[0], type(exc).__name__)
            self._close(connection)
        except Exception:  # a bug answering one connection must not stop the loop for all
            log.exception("event=http_handler_error client=%s", connection.address[0])
            self._close(connection)

    def _handshake(self, connection: _Connection) -> None:
        sock = connection.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self._watch(connection, selectors.EVENT_READ)
            return
        except ssl.SSLWantWriteError:
            self._watch(connection, selectors.EVENT_WRITE)
            return
        except (ssl.SSLError, ssl.CertificateError) as exc:
            # Plain HTTP to the TLS port, an untrusted or missing client certificate.
            log.debug(
                "event=tls_handshake_failed client=%s reason=%s",
                connection.address[0],
                getattr(exc, "reason", None) or type(exc).__name__,
            )
            self._close(connection)
            return
        connection.state = _State.READ
        connection.deadline = connection.opened + self.client_timeout
        self._watch(connection, selectors.EVENT_READ)
        # The request may have come with the handshake's last flight, already taken off the socket.
        self._read(connection)

    def _recv(self, connection: _Connection) -> bytes | None:
        """Bytes from the socket, b"" at end of stream, None when none are ready."""
        if not connection.tls:
            try:
                return connection.sock.recv(RECV_SIZE, _DONTWAIT)
            except BlockingIOError:
                return None
        try:
            data = connection.sock.recv(RECV_SIZE)
        except ssl.SSLWantReadError:
            self._watch(connection, selectors.EVENT_READ)
            return None
        except ssl.SSLWantWriteError:
            self._watch(connection, selectors.EVENT_WRITE)
            return None
        except ssl.SSLZeroReturnError:
            return b""
        # TLS decrypts a record at a time; what is left of it is not signalled by the socket.
        sock = connection.sock
        assert isinstance(sock, ssl.SSLSocket)
        while data and sock.pending() and len(data) < MAX_HEAD + RECV_SIZE:
            data += sock.recv(min(sock.pending(), RECV_SIZE))
        return data

    def _read(self, connection: _Connection) -> None:
        data = self._recv(connection)
        if data is None:
            return
        if not data and connection.request is None and not connection.http.trailing_data[0]:
            self._close(connection)  # the client hung up between requests
            return
        if connection.request is None:
            # h11 limits only a head still incomplete when it looks; one that arrives whole
            # in a later read would pass. Counted here, the limit holds however bytes arrive.
            connection.head_bytes += len(data)
            if connection.head_bytes > MAX_HEAD:
                self._fail(connection, 431)
                return
        connection.http.receive_data(data)  # b"": the end of the stream, as h11 expects it
        self._watch(connection, selectors.EVENT_READ)
        self._process(connection)

    def _process(self, connection: _Connection) -> None:
        """Handle the events h11 has parsed, one request at a time (pipelining allowed)."""
        while connection.state is _State.READ:
            http = connection.http  # a new one after each response (see _sent)
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                log.debug("event=http_bad_request client=%s reason=%s", connection.address[0], quote(str(exc)))
                self._fail(connection, exc.error_status_hint)
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                status = self._refuse(event)
                if status:
                    self._fail(connection, status)
                    return
                connection.request = event
                connection.head_bytes = 0
                connection.body.clear()
                if http.they_are_waiting_for_100_continue and _content_length(event) != 0:
                    self._continue(connection)
            elif isinstance(event, h11.Data):
                connection.body += event.data
                if len(connection.body) > MAX_BODY:
                    self._fail(connection, 413)
                    return
            elif isinstance(event, h11.EndOfMessage):
                self._dispatch(connection)
            else:  # ConnectionClosed: the client hung up mid-request
                self._close(connection)
                return

    @staticmethod
    def _refuse(request: h11.Request) -> int:
        """A status to refuse a request with before reading its body, or 0."""
        names = [name for name, _ in request.headers]
        if b"transfer-encoding" in names and b"content-length" in names:
            return 400  # a request smuggling shape (RFC 9112 6.1): refused, and the connection closed
        if _content_length(request) > MAX_BODY:
            return 413
        return 0

    def _continue(self, connection: _Connection) -> None:
        # Tiny and first on the connection since the last response, so the socket takes it whole.
        data = connection.http.send(h11.InformationalResponse(status_code=100, headers=[]))
        if connection.tls:
            connection.sock.sendall(data)
        else:
            connection.sock.send(data, _DONTWAIT)

    def _dispatch(self, connection: _Connection) -> None:
        event = connection.request
        assert event is not None
        method, target = event.method.decode("ascii"), event.target.decode("latin-1")
        request = Request(
            method,
            origin_form(target),
            f"{method} {target} HTTP/{event.http_version.decode('ascii')}",
            _headers(event.headers),
            bytes(connection.body),
            connection.address[0],
        )
        connection.body.clear()
        # h11 keeps no HTTP/1.0 connection alive, nor one the client asks to close.
        tokens = request.headers.get("connection", "").lower().split(",")
        connection.close_after = event.http_version == b"1.0" or any(token.strip() == "close" for token in tokens)
        try:
            result = self.route(request)
        except Exception:
            log.exception("event=http_handler_error client=%s", connection.address[0])
            result = _text(500, "internal error\n")
        if isinstance(result, Reply):
            self._respond(connection, request, result)
        elif self._queued >= MAX_QUEUED:
            # Password checks are slow on purpose; a flood of them is answered at once.
            busy = _text(503, "busy\n")
            self._respond(
                connection, request, Reply(503, (*busy.headers, ("Retry-After", "1")), busy.chunks, busy.length)
            )
        else:
            connection.state = _State.WORK
            self._watch(connection, 0)
            self._queued += 1
            self._pool.submit(self._work, connection, request, result)

    def _work(self, connection: _Connection, request: Request, work: Work) -> None:
        """On the pool: run the slow part of a request, hand the reply back to the loop."""
        try:
            reply = work()
        except Exception:
            log.exception("event=http_handler_error client=%s", connection.address[0])
            reply = _text(500, "internal error\n")
        self._done.append((connection, request, reply))
        with self._wake_lock:
            try:
                self._wake_write.send(b"\0")
            except OSError:  # full (the loop is already woken) or closed (stopping)
                pass

    def _take_done(self) -> None:
        try:
            while self._wake_read.recv(4096):
                pass
        except OSError:
            pass
        while self._done:
            connection, request, reply = self._done.popleft()
            self._queued -= 1
            if self._connections.get(connection.fd) is not connection or connection.state is not _State.WORK:
                continue  # dropped meanwhile (timeout, stop)
            try:
                connection.state = _State.READ
                self._respond(connection, request, reply)
                if connection.state is _State.READ:
                    self._process(connection)
            except OSError as exc:
                log.debug("event=http_client_gone client=%s error=%s", connection.address[0], type(exc).__name__)
                self._close(connection)
            except Exception:
                log.exception("event=http_handler_error client=%s", connection.address[0])
                self._close(connection)

    # ---- responses ------------------------------------------------------------------------

    def _head_fields(self, reply: Reply) -> list[tuple[str, str]]:
        return [
            ("Server", self.server_header),
            ("Date", self._date()),
            *self.extra_headers(),
            *reply.headers,
            ("Content-Length", str(reply.length)),
        ]

    def _head(self, reply: Reply, close: bool) -> bytes:
        # Written here, not by h11: the fields are this program's own, and h11's validation of
        # them cost more per response (~27 us) than parsing the request.
        lines = [f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}"]
        lines += [f"{name}: {value}" for name, value in self._head_fields(reply)]
        if close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _respond(self, connection: _Connection, request: Request, reply: Reply) -> None:
        head = self._head(reply, connection.close_after)
        if log.isEnabledFor(logging.DEBUG) and request.line:
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
        self._start_sending(connection)

    def _fail(self, connection: _Connection, status: int) -> None:
        """Answer a request h11 or this loop refused, then close: the rest of the stream
        cannot be trusted to be framed as the client meant."""
        status = status if status >= 400 else 400
        reply = _text(status, f"{HTTPStatus(status).phrase}\n")
        connection.out = [memoryview(self._head(reply, True) + b"".join(reply.chunks))]
        connection.rest = iter(())
        connection.close_after = connection.failed = True
        self._start_sending(connection)

    def _start_sending(self, connection: _Connection) -> None:
        connection.state = _State.SEND
        connection.deadline = time.monotonic() + self.client_timeout  # for the whole response
        self._sending += 1
        self._send(connection)

    def _send(self, connection: _Connection) -> None:
        out = connection.out
        while True:
            if len(out) < 2:  # the next block ready, so one call can take the head and a block
                block = next(connection.rest, None)
                if block is not None:
                    out.append(memoryview(block))
            if not out:
                break  # all sent
            sent = self._send_some(connection, out)
            while out and sent >= len(out[0]):
                sent -= len(out.pop(0))
            if out:
                if sent:
                    out[0] = out[0][sent:]
                return  # the socket's buffer is full: _send_some chose what to wait for
        self._sent(connection)

    def _send_some(self, connection: _Connection, out: list[memoryview]) -> int:
        if not connection.tls:
            try:
                sent = connection.sock.sendmsg(out, (), _DONTWAIT)
            except BlockingIOError:
                sent = 0
            if sent < sum(len(piece) for piece in out):
                self._watch(connection, selectors.EVENT_WRITE)  # wait until it drains, not spin
            return sent
        # ssl has no sendmsg, and writes a piece whole or not at all (no partial writes): after
        # a "want", the same piece is offered again.
        total = 0
        for piece in out:
            try:
                total += connection.sock.send(piece)
            except ssl.SSLWantWriteError:
                self._watch(connection, selectors.EVENT_WRITE)
                return total
            except ssl.SSLWantReadError:
                self._watch(connection, selectors.EVENT_READ)
                return total
        return total

    def _sent(self, connection: _Connection) -> None:
        self._sending -= 1
        connection.state = _State.READ
        if connection.close_after or self._stopping:
            if connection.failed or connection.http.trailing_data[0]:
                self._linger(connection)  # unread bytes: closing now could reset the answer away
            else:
                self._close(connection)
            return
        # A fresh parser for the next request, given what was read past this one (pipelining):
        # h11 would only allow its next cycle after being told the response, field by field.
        data, ended = connection.http.trailing_data
        connection.http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        if data:
            connection.http.receive_data(data)
        if ended:
            connection.http.receive_data(b"")
        connection.request = None
        connection.deadline = time.monotonic() + self.client_timeout  # idle keep-alive
        self._watch(connection, selectors.EVENT_READ)

    def _linger(self, connection: _Connection) -> None:
        """Half-close and read what the client still sends for a moment: closing a socket with
        unread bytes sends a reset, which can discard the answer before the client reads it."""
        try:
            connection.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(connection)
            return
        connection.state = _State.LINGER
        connection.deadline = min(connection.deadline, time.monotonic() + LINGER)
        self._watch(connection, selectors.EVENT_READ)

    def _drain(self, connection: _Connection) -> None:
        try:
            data = connection.sock.recv(RECV_SIZE, _DONTWAIT) if not connection.tls else connection.sock.recv(RECV_SIZE)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return
        if not data:
            self._close(connection)

    def _watch(self, connection: _Connection, events: int) -> None:
        if connection.events == events:
            return
        if not connection.events:
            self._selector.register(connection.sock, events, connection)
        elif not events:
            self._selector.unregister(connection.sock)
        else:
            self._selector.modify(connection.sock, events, connection)
        connection.events = events

    def _sweep(self, now: float) -> None:
        for connection in [c for c in self._connections.values() if c.deadline < now]:
            log.debug(
                "event=http_client_gone client=%s error=timeout state=%s", connection.address[0], connection.state.value
            )
            self._close(connection)

    def _close(self, connection: _Connection) -> None:
        if connection.state is _State.SEND:
            self._sending -= 1
        connection.state = _State.CLOSED
        if self._connections.pop(connection.fd, None) is connection:
            client = connection.address[0]
            self._per_client[client] -= 1
            if not self._per_client[client]:
                del self._per_client[client]
        if connection.events:
            try:
                self._selector.unregister(connection.sock)
            except (KeyError, ValueError):
                pass
            connection.events = 0
        connection.sock.close()


def _content_length(request: h11.Request) -> int:
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)  # h11 checked it is digits, and one value
    return 0


def _headers(fields: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in fields:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _text(status: int, text: str) -> Reply:
    body = text.encode("utf-8")
    return Reply(status, (("Content-Type", "text/plain"),), (body,), len(body))
