"""HTTP endpoints. Handlers only read the published snapshot: a scrape never does poll work.

With `--web.config.file` the listener speaks TLS and/or asks for basic auth (see
`exporter.http.security`). `/healthz` and `/readyz` are exempt from basic auth (they say only
"OK" or "not ready", and kubelet probes cannot easily carry a password) but not from TLS or
client-certificate checks. `POST /-/reload` exists only with `--web.enable-lifecycle`.
"""

from __future__ import annotations

import _thread
import base64
import binascii
import io
import logging
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from exporter.app import Exporter
from exporter.exposition.body import blocks
from exporter.http.address import parse_listen_address
from exporter.http.loop import SEND_BLOCK, Reply, Request, ServeLoop
from exporter.http.routes import answer
from exporter.http.security import ActiveWebConfig, WebConfigWatcher

log = logging.getLogger(__name__)

CLIENT_TIMEOUT = 30.0  # idle, slow or stalled clients are dropped after this (whole response)
DRAIN_TIMEOUT = 5.0  # on shutdown, responses in flight get this long to finish
UNAUTHENTICATED_PATHS = frozenset({"/healthz", "/readyz"})
SWITCH_INTERVAL = 0.0001  # seconds; see MetricsServer.start
ReloadFn = Callable[[], "tuple[bool, str]"]
# As http.server's own answers say (BaseHTTPRequestHandler.version_string).
_SERVER_HEADER = f"{BaseHTTPRequestHandler.server_version} {BaseHTTPRequestHandler.sys_version}"
_Request = socket.socket | tuple[bytes, socket.socket]  # socketserver's request: a stream or a datagram


def _threads_only(web: ActiveWebConfig | None) -> bool:
    """Whether connections go to a thread each: TLS handshakes and password checks are not
    done in the serve loop."""
    return web is not None and (web.authenticator is not None or web.ssl_context is not None)


class _Prefixed(io.RawIOBase):
    """A connection's bytes already read by the serve loop, then the rest from the socket."""

    def __init__(self, prefix: bytes, rest: io.BufferedIOBase) -> None:
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._rest.readinto(buffer)


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, small responses on a keep-alive
    # connection would wait for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        log.debug("event=http_request client=%s request=%s", self.client_address[0], (format % args).replace('"', "'"))

    def setup(self) -> None:
        # The server's timeout, set here: StreamRequestHandler.setup applies only the class's.
        self.request.settimeout(self.server.client_timeout)
        if isinstance(self.request, ssl.SSLSocket):
            # The handshake runs here, in the connection's thread, so a client that stalls
            # in it holds up nobody else (and is dropped after the timeout).
            self.request.do_handshake()
        super().setup()
        prefix = self.server.take_prefix(self.request)
        if prefix:  # what the serve loop read before handing the connection over
            self.rfile = io.BufferedReader(_Prefixed(prefix, self.rfile))

    def do_HEAD(self) -> None:  # noqa: N802
        self._guarded(self._dispatch, head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._guarded(self._dispatch, head=False)

    def do_POST(self) -> None:  # noqa: N802
        self._guarded(self._lifecycle)

    def do_PUT(self) -> None:  # noqa: N802
        self._guarded(self._lifecycle)

    def _guarded(self, handler: Callable[..., None], **kwargs: bool) -> None:
        self.server.request_started()
        try:
            self._extra_headers = self._web.config.headers if self._web else ()
            if self._authorized():
                handler(**kwargs)
        finally:
            self.server.request_finished()

    @property
    def _web(self) -> ActiveWebConfig | None:
        return self.server.current_web()

    def _authorized(self) -> bool:
        web = self._web
        if web is None or web.authenticator is None or self.path.split("?", 1)[0] in UNAUTHENTICATED_PATHS:
            return True
        scheme, _, encoded = (self.headers.get("Authorization") or "").partition(" ")
        user: str | None = None
        password = ""  # read only once a user is given
        if scheme.lower() == "basic":
            try:
                user, sep, password = (
                    base64.b64decode(encoded.strip(), validate=True).decode("utf-8", "surrogateescape").partition(":")
                )
                if not sep:
                    user = None
            except (binascii.Error, ValueError):
                user = None
        if user is not None and web.authenticator.check(user, password):
            return True
        self._discard_body()
        self._send(
            401,
            b"Unauthorized\n",
            {"Content-Type": "text/plain", "WWW-Authenticate": 'Basic realm="codedeploy-exporter"'},
            self.command == "HEAD",
        )
        log.debug(
            "event=http_unauthorized client=%s user_given=%s", self.client_address[0], str(user is not None).lower()
        )
        return False

    def _discard_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) <= 1 << 20:
            self.rfile.read(int(length))
        elif length:
            self.close_connection = True

    def _lifecycle(self) -> None:
        path = self.path.split("?", 1)[0]
        self._discard_body()
        text = {"Content-Type": "text/plain"}
        if path != "/-/reload":
            self._send(
                404 if path != self.server.telemetry_path else 405,
                b"not found\n" if path != self.server.telemetry_path else b"method not allowed\n",
                text,
                False,
            )
        elif self.server.reload is None:
            # As Prometheus: the endpoint exists, but reloading over HTTP is opt-in.
            self._send(403, b"Lifecycle API is not enabled.\n", text, False)
        else:
            ok, message = self.server.reload()
            self._send(200 if ok else 500, (message.rstrip("\n") + "\n").encode("utf-8"), text, False)

    def _dispatch(self, head: bool) -> None:
        reply = self.server.reply(
            self.path, self.headers.get("Accept") or "", self.headers.get("Accept-Encoding") or ""
        )
        self._send_chunks(reply.chunks, reply.length, dict(reply.headers), head, reply.status)

    def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
        self._send_chunks([body], len(body), headers, head, status)

    def _send_chunks(
        self, chunks: Iterable[bytes], length: int, headers: dict[str, str], head: bool, status: int = 200
    ) -> None:
        self.send_response(status)
        for name, value in getattr(self, "_extra_headers", ()):
            self.send_header(name, value)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if head:
            return
        # The snapshot is many small cached pieces: send them in blocks, not one syscall each.
        for block in blocks(chunks, SEND_BLOCK):
            self.wfile.write(block)


class MetricsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5: a burst of scrapers connecting at once overflows
    # it, and the kernel drops the SYNs, which clients retry only after a second. The kernel
    # caps this at net.core.somaxconn.
    request_queue_size = socket.SOMAXCONN

    def __init__(
        self,
        address: tuple[str, int],
        exporter: Exporter,
        telemetry_path: str = "/metrics",
        web: WebConfigWatcher | None = None,
        reload: ReloadFn | None = None,
        client_timeout: float = CLIENT_TIMEOUT,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.exporter = exporter
        self.telemetry_path = telemetry_path
        self.web = web
        self.reload = reload
        self.client_timeout = client_timeout
        self._in_flight = 0
        self._idle = threading.Condition()
        self._prefixes: dict[socket.socket, bytes] = {}  # handed-off connections' bytes read so far
        super().__init__(address, _Handler)
        self._thread: threading.Thread | None = None
        self._loop = ServeLoop(self.socket, self._route, self._accept, self._hand_off, client_timeout, _SERVER_HEADER)

    @property
    def url(self) -> str:
        host, port = cast("tuple[str, int]", self.server_address[:2])  # getsockname(): str hosts
        host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        scheme = "https" if self.web is not None and self.web.tls else "http"
        return f"{scheme}://{host}:{port}" if ":" not in host else f"{scheme}://[{host}]:{port}"

    def reply(self, target: str, accept: str, accept_encoding: str) -> Reply:
        return answer(self.exporter, self.telemetry_path, target, accept, accept_encoding)

    # The serve loop (exporter.http.loop) answers plain-HTTP GET and HEAD itself and hands
    # everything else, and every connection while TLS or basic auth is configured, to a
    # thread running _Handler (http.server's request handling, as before).

    def current_web(self) -> ActiveWebConfig | None:
        return self.web.current() if self.web is not None else None

    def _route(self, request: Request) -> Reply | None:
        web = self.current_web()
        if _threads_only(web):
            return None  # the web config changed under a kept-alive connection
        reply = self.reply(
            request.target, request.headers.get("accept", ""), request.headers.get("accept-encoding", "")
        )
        if web is not None and web.config.headers:
            reply = Reply(reply.status, (*web.config.headers, *reply.headers), reply.chunks, reply.length)
        return reply

    def _accept(self, sock: socket.socket, address: tuple[str, int]) -> bool:
        web = self.current_web()
        if web is None or not _threads_only(web):
            return True  # plain HTTP, no password: the loop answers
        if web.ssl_context is not None:
            # Handshake later, in the connection's own thread (see _Handler.setup).
            sock = web.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        self._hand_off(sock, address, b"")
        return False

    def _hand_off(self, sock: socket.socket, address: tuple[str, int], prefix: bytes) -> None:
        if prefix:
            with self._idle:
                self._prefixes[sock] = prefix
        try:
            self.process_request(sock, address)
        except Exception:  # e.g. no thread could be started: drop this one, keep serving
            self.take_prefix(sock)
            self.handle_error(sock, address)
            self.shutdown_request(sock)

    def take_prefix(self, sock: socket.socket) -> bytes:
        with self._idle:
            return self._prefixes.pop(sock, b"")

    def process_request(self, request: _Request, client_address: Any) -> None:
        # threading.Thread.start() blocks until the new thread runs; a daemon thread of the
        # low-level API does the same work (process_request_thread handles errors and closes
        # the socket) without that round trip. Like daemon_threads, nothing joins it at exit.
        _thread.start_new_thread(self.process_request_thread, (request, client_address))

    @property
    def in_flight(self) -> int:
        """Requests being answered right now (idle keep-alive connections not included)."""
        with self._idle:
            return self._in_flight + self._loop.in_flight

    def request_started(self) -> None:
        with self._idle:
            self._in_flight += 1

    def request_finished(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def handle_error(self, request: _Request, client_address: Any) -> None:
        # A scraper that hangs up mid-response is routine, not a traceback; so is a client
        # failing the TLS handshake (plain HTTP to the TLS port, an untrusted certificate).
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ssl.SSLEOFError)):
            log.debug(
                "event=tls_handshake_failed client=%s reason=%s",
                client_address[0],
                getattr(exc, "reason", None) or type(exc).__name__,
            )
        elif isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
            log.debug("event=http_client_gone client=%s error=%s", client_address[0], type(exc).__name__)
        else:
            log.exception("event=http_handler_error client=%s", client_address[0])

    def start(self) -> MetricsServer:
        # While a poll computes, the serve loop back from a socket call waits up to one GIL
        # switch interval (5 ms by default) for every handoff, several per scrape. A shorter
        # interval costs nothing while nobody waits (no forced switches) and trades a little
        # poll time for scrape latency: 0.5 ms -> 0.1 ms took max latency under load from
        # 86-116 ms to 53-59 ms (bench/reliability/load.py's scenario, 10 s runs).
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self._thread = threading.Thread(target=self._loop.run, name="http", daemon=True)
        self._thread.start()
        return self

    def stop(self, drain_timeout: float = DRAIN_TIMEOUT) -> None:
        """Stop accepting, give responses in flight `drain_timeout` to finish, close."""
        deadline = time.monotonic() + drain_timeout
        self._loop.stop(drain_timeout)
        if self._thread is not None:
            self._thread.join(drain_timeout + 1.0)
        with self._idle:
            while self._in_flight and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)
        self.server_close()


def serve(
    address: str,
    exporter: Exporter,
    telemetry_path: str = "/metrics",
    on_start: Callable[[MetricsServer], None] | None = None,
    web: WebConfigWatcher | None = None,
    reload: ReloadFn | None = None,
) -> MetricsServer:
    server = MetricsServer(parse_listen_address(address), exporter, telemetry_path, web, reload).start()
    if on_start:
        on_start(server)
    return server
