"""HTTP endpoints. Handlers only read the published snapshot: a scrape never does poll work.

Every connection, plain or TLS, with or without basic auth, is served by one thread running
`exporter.http.loop.ServeLoop`; this module decides what each request gets. With
`--web.config.file` the listener speaks TLS and/or asks for basic auth (see
`exporter.http.security`). `/healthz` and `/readyz` are exempt from basic auth (they say only
"OK" or "not ready", and kubelet probes cannot easily carry a password) but not from TLS or
client-certificate checks. `POST /-/reload` exists only with `--web.enable-lifecycle`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import platform
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Sequence
from typing import cast

from exporter.app import Exporter
from exporter.http.address import MAX_CONNECTIONS_PER_CLIENT, bind_listener, bind_listeners
from exporter.http.loop import ServeLoop
from exporter.http.messages import Reply, Request, Work
from exporter.http.routes import answer, text_reply
from exporter.http.security import ActiveWebConfig, Authenticator, WebConfigWatcher

log = logging.getLogger(__name__)

CLIENT_TIMEOUT = 30.0  # idle, slow or stalled clients are dropped after this (whole response)
DRAIN_TIMEOUT = 5.0  # on shutdown, responses in flight get this long to finish
UNAUTHENTICATED_PATHS = frozenset({"/healthz", "/readyz"})
SWITCH_INTERVAL = 0.0001  # seconds; see MetricsServer.start
ReloadFn = Callable[[], "tuple[bool, str]"]
# What http.server's answers said before this loop replaced it, kept so nothing matching on it changes.
_SERVER_HEADER = f"BaseHTTP/0.6 Python/{platform.python_version()}"
_UNAUTHORIZED = Reply(
    401,
    (("Content-Type", "text/plain"), ("WWW-Authenticate", 'Basic realm="codedeploy-exporter"')),
    (b"Unauthorized\n",),
    len(b"Unauthorized\n"),
)


def credentials(authorization: str) -> tuple[str, str] | None:
    """User and password of a basic Authorization header, None if it is not one."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _finish(result: Reply | Work) -> Reply:
    return result if isinstance(result, Reply) else result()


class MetricsServer:
    def __init__(
        self,
        address: tuple[str, int] | Sequence[socket.socket],
        exporter: Exporter,
        telemetry_path: str = "/metrics",
        web: WebConfigWatcher | None = None,
        reload: ReloadFn | None = None,
        client_timeout: float = CLIENT_TIMEOUT,
        max_per_client: int = MAX_CONNECTIONS_PER_CLIENT,
    ) -> None:
        self.exporter = exporter
        self.telemetry_path = telemetry_path
        self.web = web
        self.reload = reload
        self.client_timeout = client_timeout
        # A (host, port) to bind, or listening sockets already made: several --web.listen-address
        # or systemd's. Given sockets are the server's from here on: stop() closes them.
        if isinstance(address, tuple) and len(address) == 2 and isinstance(address[0], str):
            host, port = address
            self.sockets = [bind_listener(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")]
        else:
            self.sockets = list(cast("Sequence[socket.socket]", address))
        if not self.sockets:
            raise ValueError("no listening socket")
        self.socket = self.sockets[0]
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        # Kept: the URLs are still wanted (logs, tests) after stop() closed the sockets.
        self._names = [sock.getsockname() for sock in self.sockets]
        self._thread: threading.Thread | None = None
        self._loop = ServeLoop(
            self.sockets,
            self._route,
            client_timeout,
            _SERVER_HEADER,
            self._tls_context,
            self._extra_headers,
            max_per_client=max_per_client,
        )

    @property
    def url(self) -> str:
        """The first listener's URL (the log's and the health check's)."""
        return self.urls[0]

    @property
    def urls(self) -> list[str]:
        scheme = "https" if self.web is not None and self.web.tls else "http"
        urls = []
        for name in self._names:  # TCP only (address.systemd_listeners refuses the rest)
            host, port = name[:2]
            host = "127.0.0.1" if host in ("", "0.0.0.0") else host
            urls.append(f"{scheme}://{host}:{port}" if ":" not in host else f"{scheme}://[{host}]:{port}")
        return urls

    def reply(self, target: str, accept: str, accept_encoding: str) -> Reply:
        return answer(self.exporter, self.telemetry_path, target, accept, accept_encoding)

    def current_web(self) -> ActiveWebConfig | None:
        return self.web.current() if self.web is not None else None

    def _tls_context(self) -> ssl.SSLContext | None:
        # Per new connection: the watcher re-reads rotated certificates at most once a second.
        web = self.current_web()
        return web.ssl_context if web is not None else None

    def _extra_headers(self) -> Sequence[tuple[str, str]]:
        web = self.web.active if self.web is not None else None
        return web.config.headers if web is not None else ()

    # ---- routing: on the loop's thread, so anything slow is returned as work for its pool ----

    def _route(self, request: Request) -> Reply | Work:
        path = request.target.split("?", 1)[0]
        handle: Callable[[], Reply | Work]
        if request.method in ("GET", "HEAD"):
            accept, encoding = request.headers.get("accept", ""), request.headers.get("accept-encoding", "")
            handle = lambda: self.reply(request.target, accept, encoding)  # noqa: E731
        elif request.method in ("POST", "PUT"):
            handle = lambda: self._lifecycle(path)  # noqa: E731
        else:
            reply = text_reply(501, f"unsupported method {request.method}\n")
            return Reply(reply.status, (*reply.headers, ("Allow", "GET, HEAD, POST, PUT")), reply.chunks, reply.length)
        web = self.current_web()
        auth = web.authenticator if web is not None else None
        if auth is None or path in UNAUTHENTICATED_PATHS:
            return handle()
        given = credentials(request.headers.get("authorization", ""))
        if given is None:
            return self._unauthorized(request, False)
        if auth.known(*given):
            return handle()  # checked before: no bcrypt run

        def checked(auth: Authenticator = auth, user: str = given[0], password: str = given[1]) -> Reply:
            # bcrypt is slow by design: on the loop's small pool, never on the loop itself.
            if not auth.check(user, password):
                return self._unauthorized(request, True)
            return _finish(handle())

        return checked

    def _unauthorized(self, request: Request, user_given: bool) -> Reply:
        log.debug("event=http_unauthorized client=%s user_given=%s", request.client, str(user_given).lower())
        return _UNAUTHORIZED

    def _lifecycle(self, path: str) -> Reply | Work:
        if path != "/-/reload":
            if path == self.telemetry_path:
                return text_reply(405, "method not allowed\n")
            return text_reply(404, "not found\n")
        reload = self.reload
        if reload is None:
            # As Prometheus: the endpoint exists, but reloading over HTTP is opt-in.
            return text_reply(403, "Lifecycle API is not enabled.\n")

        def run() -> Reply:
            ok, message = reload()  # reads files and may call AWS: on the pool
            return text_reply(200 if ok else 500, message.rstrip("\n") + "\n")

        return run

    @property
    def in_flight(self) -> int:
        """Requests being answered right now (idle keep-alive connections not included)."""
        return self._loop.in_flight

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
        self._loop.stop(drain_timeout)
        if self._thread is not None:
            self._thread.join(drain_timeout + 1.0)
        self.server_close()

    def server_close(self) -> None:
        for sock in self.sockets:
            sock.close()


def serve(
    address: str | Sequence[str] | Sequence[socket.socket],
    exporter: Exporter,
    telemetry_path: str = "/metrics",
    on_start: Callable[[MetricsServer], None] | None = None,
    web: WebConfigWatcher | None = None,
    reload: ReloadFn | None = None,
    max_per_client: int = MAX_CONNECTIONS_PER_CLIENT,
) -> MetricsServer:
    """Serve on listen addresses (bound here; a failure names its address) or on sockets given."""
    if isinstance(address, str):
        address = [address]
    if all(isinstance(item, str) for item in address):
        sockets = bind_listeners(cast("Sequence[str]", address))
    else:
        sockets = list(cast("Sequence[socket.socket]", address))
    try:
        server = MetricsServer(sockets, exporter, telemetry_path, web, reload, max_per_client=max_per_client).start()
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    if on_start:
        on_start(server)
    return server
