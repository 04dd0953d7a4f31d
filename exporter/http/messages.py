"""HTTP/1.1 messages as the serve loop hands them to the router and takes them back: the
request and reply types, and the pure rules about them (request-target form, refusals before a
body is read, the response head). No sockets here (exporter.http.connection does the I/O)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import urlsplit

import h11

MAX_HEAD = 64 * 1024  # bytes of request line and headers (h11's buffer limit): longer is 431
MAX_BODY = 64 * 1024  # bytes of request body: no endpoint reads one, so more is 413


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


def origin_form(target: str) -> str:
    """Path and query of a request target: servers must accept absolute-form too (RFC 9112)."""
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return target


def request_of(event: h11.Request, body: bytes, client: str) -> Request:
    method, target = event.method.decode("ascii"), event.target.decode("latin-1")
    return Request(
        method,
        origin_form(target),
        f"{method} {target} HTTP/{event.http_version.decode('ascii')}",
        _headers(event.headers),
        body,
        client,
    )


def wants_close(event: h11.Request, request: Request) -> bool:
    """h11 keeps no HTTP/1.0 connection alive, nor one the client asks to close."""
    tokens = request.headers.get("connection", "").lower().split(",")
    return event.http_version == b"1.0" or any(token.strip() == "close" for token in tokens)


def refusal(request: h11.Request) -> int:
    """A status to refuse a request with before reading its body, or 0."""
    names = [name for name, _ in request.headers]
    if b"transfer-encoding" in names and b"content-length" in names:
        return 400  # a request smuggling shape (RFC 9112 6.1): refused, and the connection closed
    if content_length(request) > MAX_BODY:
        return 413
    return 0


def content_length(request: h11.Request) -> int:
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


def text_reply(status: int, text: str) -> Reply:
    body = text.encode("utf-8")
    return Reply(status, (("Content-Type", "text/plain"),), (body,), len(body))


def busy_reply() -> Reply:
    busy = text_reply(503, "busy\n")
    return Reply(503, (*busy.headers, ("Retry-After", "1")), busy.chunks, busy.length)


def head(reply: Reply, fields: Iterable[tuple[str, str]], close: bool) -> bytes:
    """The status line and header block of `reply`, `fields` (Server, Date, ...) first.

    Written here, not by h11: the fields are this program's own, and h11's validation of them
    cost more per response (~27 us) than parsing the request."""
    lines = [f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}"]
    lines += [f"{name}: {value}" for name, value in fields]
    lines += [f"{name}: {value}" for name, value in reply.headers]
    lines.append(f"Content-Length: {reply.length}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class DateHeader:
    """The Date header, formatted at most once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def __call__(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._second, self._value = now, formatdate(now, usegmt=True)
        return self._value
