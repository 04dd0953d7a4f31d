"""What each path answers (GET and HEAD), for the serve loop:
everything a scrape or probe asks for is cached or cheap."""

from __future__ import annotations

from exporter import __version__
from exporter.app import Exporter
from exporter.exposition.text import CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE
from exporter.http.loop import Reply

_TYPE = "Content-Type"
_GZIP = ("Content-Encoding", "gzip")

LANDING = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>CodeDeploy Exporter</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:left;vertical-align:top}}
td{{white-space:pre-wrap}}</style></head>
<body><h1>CodeDeploy Exporter</h1><p>Version {version}</p>
<ul><li><a href="{path}">Metrics</a></li><li><a href="/healthz">Health</a></li>
<li><a href="/readyz">Readiness</a></li></ul>
<h2>Tracked targets</h2>
<table><tr><th>Deployment</th><th>Target</th><th>Type</th><th>Status</th><th>Failed hook</th>
<th>Diagnostics</th><th>Polling</th></tr>
{rows}
</table></body></html>
"""


def wants_openmetrics(accept: str) -> bool:
    """Whether an Accept header prefers OpenMetrics to the 0.0.4 text format (Prometheus sends
    openmetrics-text first, with text/plain as a lower-q fallback)."""
    best = {"openmetrics": -1.0, "text": -1.0}
    for media_range in accept.split(","):
        kind, *params = (part.strip() for part in media_range.split(";"))
        q = 1.0
        for param in params:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        kind = kind.lower()
        key = (
            "openmetrics"
            if kind == "application/openmetrics-text"
            else "text"
            if kind in ("text/plain", "text/*", "*/*")
            else None
        )
        if key is not None:
            best[key] = max(best[key], q)
    return best["openmetrics"] > 0 and best["openmetrics"] >= best["text"]


def text_reply(status: int, text: str) -> Reply:
    body = text.encode("utf-8")
    return Reply(status, ((_TYPE, "text/plain"),), (body,), len(body))


def answer(exporter: Exporter, telemetry_path: str, target: str, accept: str, accept_encoding: str) -> Reply:
    """The answer to GET or HEAD of `target`: everything a scrape or probe asks for is
    cached or cheap (the snapshot's bytes in the form asked, health, readiness)."""
    path = target.split("?", 1)[0]
    if path == telemetry_path:
        snapshot = exporter.snapshot
        gzip = "gzip" in accept_encoding
        if wants_openmetrics(accept):
            if gzip:
                body = snapshot.openmetrics_gzipped()
                return Reply(200, ((_TYPE, OPENMETRICS_CONTENT_TYPE), _GZIP), (body,), len(body))
            plain = snapshot.openmetrics()
            return Reply(200, ((_TYPE, OPENMETRICS_CONTENT_TYPE),), plain, plain.length)
        if gzip:
            body = snapshot.gzipped()
            return Reply(200, ((_TYPE, CONTENT_TYPE), _GZIP), (body,), len(body))
        return Reply(200, ((_TYPE, CONTENT_TYPE),), snapshot.chunks, snapshot.length)
    if path == "/healthz":
        # Liveness: a poller that stopped completing polls is wedged; a restart fixes it.
        alive, reason = exporter.alive()
        return text_reply(200 if alive else 503, reason + "\n")
    if path == "/readyz":
        if exporter.ready.is_set():
            return text_reply(200, "OK\n")
        return text_reply(503, "not ready: first poll not completed\n")
    if path == "/":
        page = LANDING.format(version=__version__, path=telemetry_path, rows=exporter.snapshot.html_rows).encode(
            "utf-8"
        )
        return Reply(200, ((_TYPE, "text/html; charset=utf-8"),), (page,), len(page))
    if path == "/-/reload":
        reply = text_reply(405, "use POST or PUT\n")
        return Reply(reply.status, (*reply.headers, ("Allow", "POST, PUT")), reply.chunks, reply.length)
    return text_reply(404, "not found\n")
