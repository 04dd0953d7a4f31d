"""What each path answers (GET and HEAD), for the serve loop:
everything a scrape or probe asks for is cached or cheap."""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from exporter.app import Exporter
from exporter.exposition.status import NO_FILTERS, Filters, select
from exporter.exposition.status_page import API_PATH, html_head, html_sections, json_bytes
from exporter.exposition.text import CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE
from exporter.http.messages import Reply

_TYPE = "Content-Type"
_GZIP = ("Content-Encoding", "gzip")
# The page runs no script and loads nothing: a policy that forbids both makes any markup that
# escaping ever missed inert as well.
_PAGE_HEADERS = (
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'"),
    ("X-Content-Type-Options", "nosniff"),
)


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
    if path in ("/", API_PATH):
        return status_reply(exporter, telemetry_path, path, target.partition("?")[2])
    if path == "/-/reload":
        reply = text_reply(405, "use POST or PUT\n")
        return Reply(reply.status, (*reply.headers, ("Allow", "POST, PUT")), reply.chunks, reply.length)
    return text_reply(404, "not found\n")


def status_reply(exporter: Exporter, telemetry_path: str, path: str, query: str) -> Reply:
    """The status page or its JSON. Unfiltered: the snapshot's cached form (plus, for the page,
    a head with its age and filter form). Filtered: selected from the snapshot's model now,
    which is cheap (rows are per deployment and bounded)."""
    snapshot = exporter.snapshot
    model = snapshot.status
    assert model is not None  # an Exporter's snapshots always have one
    params = parse_qs(query)
    filters = Filters.of(params)
    unfiltered = filters == NO_FILTERS
    if path == API_PATH:
        body = snapshot.status_json() if unfiltered else json_bytes(select(model, filters))
        return Reply(200, ((_TYPE, "application/json"), _PAGE_HEADERS[1]), (body,), len(body))
    page = select(model, filters)
    head = html_head(page, telemetry_path, time.time(), refresh=bool(params.get("refresh")))
    sections = snapshot.status_html() if unfiltered else html_sections(page).encode("utf-8")
    parts = (head.encode("utf-8"), sections)
    return Reply(200, ((_TYPE, "text/html; charset=utf-8"), *_PAGE_HEADERS), parts, sum(len(p) for p in parts))
