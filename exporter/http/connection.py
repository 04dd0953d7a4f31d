"""One client connection of the serve loop: its state, its HTTP parser, the response being
sent, and its socket calls, where plain and TLS sockets differ. The loop decides what happens
next; the calls here only say which readiness (read or write) they wait for when the socket
cannot go on."""

from __future__ import annotations

import selectors
import socket
import ssl
from collections.abc import Iterator
from enum import Enum

import h11

from exporter.http.messages import MAX_HEAD

RECV_SIZE = 64 * 1024
READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
# Accepted plain sockets stay blocking and each call says "don't wait" (where the OS has the
# flag): switching a socket's mode is a system call, and Python releases the GIL around each
# one, which while a poll runs means waiting behind the poll's threads to get it back.
# TLS sockets are non-blocking (ssl's calls take no flags).
DONTWAIT: int = getattr(socket, "MSG_DONTWAIT", 0)


class State(Enum):
    HANDSHAKE = "handshake"
    READ = "read"  # reading a request (or idle between requests)
    WORK = "work"  # the request is on the pool; the socket is not watched
    SEND = "send"
    LINGER = "linger"  # answered and half-closed: draining what the client still sends
    CLOSED = "closed"


class Connection:
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
        "wants",
    )

    def __init__(self, sock: socket.socket, address: tuple[str, int], tls: bool, now: float) -> None:
        self.sock = sock
        self.fd = sock.fileno()  # the key in ServeLoop._connections (fileno() is -1 once closed)
        self.address = address
        self.tls = tls
        self.http = new_parser()
        self.state = State.HANDSHAKE if tls else State.READ
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
        self.wants = 0  # set by a call that could not go on: the readiness it waits for

    @property
    def client(self) -> str:
        return self.address[0]

    def handshake(self) -> bool:
        """One step of the TLS handshake: True when done; otherwise `wants` says what it waits for.
        Raises ssl.SSLError (or CertificateError) when the handshake fails."""
        sock = self.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self.wants = READ
            return False
        except ssl.SSLWantWriteError:
            self.wants = WRITE
            return False
        return True

    def recv(self) -> bytes | None:
        """Bytes from the socket, b"" at end of stream, None when none are ready (`wants` set)."""
        self.wants = READ
        if not self.tls:
            try:
                return self.sock.recv(RECV_SIZE, DONTWAIT)
            except BlockingIOError:
                return None
        try:
            data = self.sock.recv(RECV_SIZE)
        except ssl.SSLWantReadError:
            return None
        except ssl.SSLWantWriteError:
            self.wants = WRITE
            return None
        except ssl.SSLZeroReturnError:
            return b""
        # TLS decrypts a record at a time; what is left of it is not signalled by the socket.
        sock = self.sock
        assert isinstance(sock, ssl.SSLSocket)
        while data and sock.pending() and len(data) < MAX_HEAD + RECV_SIZE:
            data += sock.recv(min(sock.pending(), RECV_SIZE))
        return data

    def send_some(self, out: list[memoryview]) -> int:
        """Bytes of `out` the socket took; when not all, `wants` says what to wait for (0: none)."""
        self.wants = 0
        if not self.tls:
            try:
                sent = self.sock.sendmsg(out, (), DONTWAIT)
            except BlockingIOError:
                sent = 0
            if sent < sum(len(piece) for piece in out):
                self.wants = WRITE  # wait until it drains, not spin
            return sent
        # ssl has no sendmsg, and writes a piece whole or not at all (no partial writes): after
        # a "want", the same piece is offered again.
        total = 0
        for piece in out:
            try:
                total += self.sock.send(piece)
            except ssl.SSLWantWriteError:
                self.wants = WRITE
                return total
            except ssl.SSLWantReadError:
                self.wants = READ
                return total
        return total

    def send_small(self, data: bytes) -> None:
        """A tiny message first on the connection since the last response (a 100 Continue):
        the socket's buffer is empty, so it takes it whole."""
        if self.tls:
            self.sock.sendall(data)
        else:
            self.sock.send(data, DONTWAIT)

    def drained(self) -> bool:
        """Read and drop what the client still sends; True once it has hung up."""
        try:
            data = self.sock.recv(RECV_SIZE, DONTWAIT) if not self.tls else self.sock.recv(RECV_SIZE)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return False
        return not data

    def next_request(self) -> None:
        """A fresh parser for the next request, given what was read past this one (pipelining):
        h11 would only allow its next cycle after being told the response, field by field."""
        data, ended = self.http.trailing_data
        self.http = new_parser()
        if data:
            self.http.receive_data(data)
        if ended:
            self.http.receive_data(b"")
        self.request = None


def new_parser() -> h11.Connection:
    return h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
