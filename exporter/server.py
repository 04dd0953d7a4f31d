"""HTTP endpoints. Handlers only read the published snapshot: a scrape never does poll work."""

from __future__ import annotations

import logging
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from exporter import __version__
from exporter.app import Exporter
from exporter.render import CONTENT_TYPE

log = logging.getLogger(__name__)


def parse_listen_address(value: str) -> tuple[str, int]:
    """':10120' -> ('', 10120); '127.0.0.1:0'; '[::1]:10120'."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--web.listen-address {value!r}: expected HOST:PORT, e.g. ':10120'")
    return host.strip("[]"), int(port)


_LANDING = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>CodeDeploy Exporter</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:left}}</style></head>
<body><h1>CodeDeploy Exporter</h1><p>Version {version}</p>
<ul><li><a href="{path}">Metrics</a></li><li><a href="/healthz">Health</a></li>
<li><a href="/readyz">Readiness</a></li></ul>
<h2>Tracked targets</h2>
<table><tr><th>Deployment</th><th>Target</th><th>Type</th><th>Status</th><th>Failed hook</th><th>Polling</th></tr>
{rows}
</table></body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    server: "MetricsServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        log.debug("event=http_request client=%s request=%s", self.client_address[0],
                  (format % args).replace('"', "'"))

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch(head=False)

    def _dispatch(self, head: bool) -> None:
        path = self.path.split("?", 1)[0]
        exporter = self.server.exporter
        if path == self.server.telemetry_path:
            snapshot = exporter.snapshot
            accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "")
            body = snapshot.gzipped() if accepts_gzip else snapshot.body
            headers = {"Content-Type": CONTENT_TYPE}
            if accepts_gzip:
                headers["Content-Encoding"] = "gzip"
            self._send(200, body, headers, head)
        elif path == "/healthz":
            self._send(200, b"OK\n", {"Content-Type": "text/plain"}, head)
        elif path == "/readyz":
            if exporter.ready.is_set():
                self._send(200, b"OK\n", {"Content-Type": "text/plain"}, head)
            else:
                self._send(503, b"not ready: first poll not completed\n",
                           {"Content-Type": "text/plain"}, head)
        elif path == "/":
            page = _LANDING.format(version=__version__, path=self.server.telemetry_path,
                                   rows=exporter.snapshot.html_rows)
            self._send(200, page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"}, head)
        else:
            self._send(404, b"not found\n", {"Content-Type": "text/plain"}, head)

    def _send(self, status: int, body: bytes, headers: dict, head: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class MetricsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], exporter: Exporter,
                 telemetry_path: str = "/metrics") -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.exporter = exporter
        self.telemetry_path = telemetry_path
        super().__init__(address, _Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        return f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"

    def handle_error(self, request, client_address) -> None:
        # A scraper that hangs up mid-response is routine, not a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("event=http_client_gone client=%s error=%s", client_address[0],
                      type(exc).__name__)
        else:
            log.exception("event=http_handler_error client=%s", client_address[0])

    def start(self) -> "MetricsServer":
        self._thread = threading.Thread(target=self.serve_forever, name="http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def serve(address: str, exporter: Exporter, telemetry_path: str = "/metrics",
          on_start: Callable[[MetricsServer], None] | None = None) -> MetricsServer:
    server = MetricsServer(parse_listen_address(address), exporter, telemetry_path).start()
    if on_start:
        on_start(server)
    return server
