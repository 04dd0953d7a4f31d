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
unwatched meanwhile. The messages are exporter.http.messages'; one connection's socket calls
are exporter.http.connection's.
"""

from __future__ import annotations

import collections
import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import cast

import h11

from exporter.exposition.body import blocks
from exporter.http.address import MAX_CONNECTIONS_PER_CLIENT
from exporter.http.connection import DONTWAIT, READ, Connection, State
from exporter.http.messages import (
    MAX_BODY,
    MAX_HEAD,
    DateHeader,
    Reply,
    Request,
    Route,
    Work,
    busy_reply,
    content_length,
    head,
    refusal,
    request_of,
    text_reply,
    wants_close,
)
from exporter.log import quote

log = logging.getLogger(__name__)

SEND_BLOCK = 256 * 1024  # bytes: a body's small cached chunks are joined into blocks this big
WAKE_INTERVAL = 0.1  # seconds between checks for stop while idle (as socketserver's poll)
SWEEP_INTERVAL = 0.5  # seconds between checks for connections past their deadline
HANDSHAKE_TIMEOUT = 10.0  # seconds for a TLS handshake (at most the client timeout)
LINGER = 1.0  # seconds: after an error answer, the client's unread bytes are drained this long
WORKERS = 2  # threads for slow work (bcrypt, reload): a password flood holds these, not the loop
MAX_QUEUED = 64  # slow jobs waiting or running; more are answered 503 at once
_LISTENER = object()  # the selector's data for a listening socket (a connection's is itself)

TlsContext = Callable[[], "ssl.SSLContext | None"]  # for each new connection (certs may rotate)
ExtraHeaders = Callable[[], Sequence[tuple[str, str]]]  # added to every response, errors too


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
        self._date = DateHeader()
        # poll(2), not epoll: registering a socket with epoll is a system call, and Python
        # releases the GIL around each; poll's set is kept in user space. A few hundred
        # connections at most are open at a time.
        self._selector = selectors.PollSelector() if hasattr(selectors, "PollSelector") else selectors.SelectSelector()
        self._connections: dict[int, Connection] = {}
        self._sending = 0  # connections in the middle of a response
        self._stopping = False
        self._drain_until = 0.0
        self._closed_listener = False
        self._next_sweep = 0.0
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="http-work")
        self._queued = 0  # jobs on the pool whose reply the loop has not taken yet
        self._done: collections.deque[tuple[Connection, Request, Reply]] = collections.deque()
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
            self._selector.register(listener, READ, _LISTENER)
        self._selector.register(self._wake_read, READ)
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
            if connection.state is not State.SEND:
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
                elif not DONTWAIT:
                    sock.setblocking(False)
            except OSError:
                sock.close()
                continue
            connection = Connection(sock, address, context is not None, now)
            timeout = min(self.client_timeout, HANDSHAKE_TIMEOUT) if connection.tls else self.client_timeout
            # Not extended as bytes arrive: a request trickled a byte at a time is dropped on time.
            connection.deadline = now + timeout
            self._connections[connection.fd] = connection
            self._per_client[address[0]] += 1
            self._watch(connection, READ)

    def _ready(self, connection: Connection) -> None:
        try:
            state = connection.state
            if state is State.HANDSHAKE:
                self._handshake(connection)
            elif state is State.SEND:
                self._send(connection)
            elif state is State.LINGER:
                self._drain(connection)
            elif state is State.READ:
                self._read(connection)
            if connection.state is State.READ and connection.events:
                self._process(connection)  # a response finished: pipelined requests already read
        except OSError as exc:  # reset, broken pipe, TLS alert: a client that went away is routine
            log.debug("event=http_client_gone client=%s error=%s", connection.client, type(exc).__name__)
            self._close(connection)
        except Exception:  # a bug answering one connection must not stop the loop for all
            log.exception("event=http_handler_error client=%s", connection.client)
            self._close(connection)

    def _handshake(self, connection: Connection) -> None:
        try:
            done = connection.handshake()
        except (ssl.SSLError, ssl.CertificateError) as exc:
            # Plain HTTP to the TLS port, an untrusted or missing client certificate.
            log.debug(
                "event=tls_handshake_failed client=%s reason=%s",
                connection.client,
                getattr(exc, "reason", None) or type(exc).__name__,
            )
            self._close(connection)
            return
        if not done:
            self._watch(connection, connection.wants)
            return
        connection.state = State.READ
        connection.deadline = connection.opened + self.client_timeout
        self._watch(connection, READ)
        # The request may have come with the handshake's last flight, already taken off the socket.
        self._read(connection)

    def _read(self, connection: Connection) -> None:
        data = connection.recv()
        if data is None:
            self._watch(connection, connection.wants)
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
        self._watch(connection, READ)
        self._process(connection)

    def _process(self, connection: Connection) -> None:
        """Handle the events h11 has parsed, one request at a time (pipelining allowed)."""
        while connection.state is State.READ:
            http = connection.http  # a new one after each response (see _sent)
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                log.debug("event=http_bad_request client=%s reason=%s", connection.client, quote(str(exc)))
                self._fail(connection, exc.error_status_hint)
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                status = refusal(event)
                if status:
                    self._fail(connection, status)
                    return
                connection.request = event
                connection.head_bytes = 0
                connection.body.clear()
                if http.they_are_waiting_for_100_continue and content_length(event) != 0:
                    # Before the body is sent: the client waits for it.
                    connection.send_small(http.send(h11.InformationalResponse(status_code=100, headers=[])))
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

    def _dispatch(self, connection: Connection) -> None:
        event = connection.request
        assert event is not None
        request = request_of(event, bytes(connection.body), connection.client)
        connection.body.clear()
        connection.close_after = wants_close(event, request)
        try:
            result = self.route(request)
        except Exception:
            log.exception("event=http_handler_error client=%s", connection.client)
            result = text_reply(500, "internal error\n")
        if isinstance(result, Reply):
            self._respond(connection, request, result)
        elif self._queued >= MAX_QUEUED:
            # Password checks are slow on purpose; a flood of them is answered at once.
            self._respond(connection, request, busy_reply())
        else:
            connection.state = State.WORK
            self._watch(connection, 0)
            self._queued += 1
            self._pool.submit(self._work, connection, request, result)

    def _work(self, connection: Connection, request: Request, work: Work) -> None:
        """On the pool: run the slow part of a request, hand the reply back to the loop."""
        try:
            reply = work()
        except Exception:
            log.exception("event=http_handler_error client=%s", connection.client)
            reply = text_reply(500, "internal error\n")
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
            if self._connections.get(connection.fd) is not connection or connection.state is not State.WORK:
                continue  # dropped meanwhile (timeout, stop)
            try:
                connection.state = State.READ
                self._respond(connection, request, reply)
                if connection.state is State.READ:
                    self._process(connection)
            except OSError as exc:
                log.debug("event=http_client_gone client=%s error=%s", connection.client, type(exc).__name__)
                self._close(connection)
            except Exception:
                log.exception("event=http_handler_error client=%s", connection.client)
                self._close(connection)

    # ---- responses ------------------------------------------------------------------------

    def _head(self, reply: Reply, close: bool) -> bytes:
        return head(reply, (("Server", self.server_header), ("Date", self._date()), *self.extra_headers()), close)

    def _respond(self, connection: Connection, request: Request, reply: Reply) -> None:
        head = self._head(reply, connection.close_after)
        if log.isEnabledFor(logging.DEBUG) and request.line:
            log.debug(
                "event=http_request client=%s request=%s",
                connection.client,
                f"'{request.line}' {reply.status} -",
            )
        # Joined a block at a time as the socket takes them: thousands of small chunks cost
        # more to send one by one than one copy, and a whole joined body per scraper would
        # cost memory (66 MB at 10,000 targets uncompressed). A single body is not copied.
        connection.rest = iter(()) if request.method == "HEAD" else blocks(reply.chunks, SEND_BLOCK)
        connection.out = [memoryview(head)]
        self._start_sending(connection)

    def _fail(self, connection: Connection, status: int) -> None:
        """Answer a request h11 or this loop refused, then close: the rest of the stream
        cannot be trusted to be framed as the client meant."""
        status = status if status >= 400 else 400
        reply = text_reply(status, f"{HTTPStatus(status).phrase}\n")
        connection.out = [memoryview(self._head(reply, True) + b"".join(reply.chunks))]
        connection.rest = iter(())
        connection.close_after = connection.failed = True
        self._start_sending(connection)

    def _start_sending(self, connection: Connection) -> None:
        connection.state = State.SEND
        connection.deadline = time.monotonic() + self.client_timeout  # for the whole response
        self._sending += 1
        self._send(connection)

    def _send(self, connection: Connection) -> None:
        out = connection.out
        while True:
            if len(out) < 2:  # the next block ready, so one call can take the head and a block
                block = next(connection.rest, None)
                if block is not None:
                    out.append(memoryview(block))
            if not out:
                break  # all sent
            sent = connection.send_some(out)
            while out and sent >= len(out[0]):
                sent -= len(out.pop(0))
            if out:
                if sent:
                    out[0] = out[0][sent:]
                if connection.wants:
                    self._watch(connection, connection.wants)  # the socket's buffer is full
                return
        self._sent(connection)

    def _sent(self, connection: Connection) -> None:
        self._sending -= 1
        connection.state = State.READ
        if connection.close_after or self._stopping:
            if connection.failed or connection.http.trailing_data[0]:
                self._linger(connection)  # unread bytes: closing now could reset the answer away
            else:
                self._close(connection)
            return
        connection.next_request()
        connection.deadline = time.monotonic() + self.client_timeout  # idle keep-alive
        self._watch(connection, READ)

    def _linger(self, connection: Connection) -> None:
        """Half-close and read what the client still sends for a moment: closing a socket with
        unread bytes sends a reset, which can discard the answer before the client reads it."""
        try:
            connection.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(connection)
            return
        connection.state = State.LINGER
        connection.deadline = min(connection.deadline, time.monotonic() + LINGER)
        self._watch(connection, READ)

    def _drain(self, connection: Connection) -> None:
        if connection.drained():
            self._close(connection)

    def _watch(self, connection: Connection, events: int) -> None:
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
                "event=http_client_gone client=%s error=timeout state=%s", connection.client, connection.state.value
            )
            self._close(connection)

    def _close(self, connection: Connection) -> None:
        if connection.state is State.SEND:
            self._sending -= 1
        connection.state = State.CLOSED
        if self._connections.pop(connection.fd, None) is connection:
            client = connection.client
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
