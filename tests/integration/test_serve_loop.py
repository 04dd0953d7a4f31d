"""The serve loop answers every request on one thread, parsed by h11: HTTP on raw sockets, so
what goes over the wire is checked."""

from __future__ import annotations

import gzip
import socket
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.exposition.text import OPENMETRICS_CONTENT_TYPE
from exporter.http import loop
from exporter.http.loop import ServeLoop
from exporter.http.messages import Reply, Request, Work
from exporter.http.server import MetricsServer
from exporter.simulator import build_fleet


def started(sim, make_exporter, targets: int) -> MetricsServer:
    fleet = build_fleet(sim, targets)
    exporter = make_exporter(deployments=[{"deployment_id": d} for d, _ in fleet])
    exporter.poll_once()
    return MetricsServer(("127.0.0.1", 0), exporter, client_timeout=2.0).start()


@pytest.fixture
def server(sim, make_exporter):
    server = started(sim, make_exporter, 20)
    yield server
    server.stop()


@pytest.fixture
def big_server(sim, make_exporter):
    server = started(sim, make_exporter, 1000)  # ~6 MB: more than the kernel's socket buffers
    yield server
    server.stop()


def connect(server: MetricsServer) -> socket.socket:
    host, port = server.server_address[:2]
    return socket.create_connection((str(host), int(port)), timeout=5)


def read_response(sock: socket.socket, buffered: bytearray) -> tuple[int, dict[str, str], bytes]:
    """One response from `sock` (bytes past it stay in `buffered`)."""
    while b"\r\n\r\n" not in buffered:
        data = sock.recv(65536)
        assert data, f"connection closed before a response head: {bytes(buffered)!r}"
        buffered += data
    end = buffered.index(b"\r\n\r\n")
    line, *lines = bytes(buffered[:end]).decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in lines)}
    del buffered[: end + 4]
    length = int(headers.get("content-length", "0"))
    while len(buffered) < length:
        data = sock.recv(65536)
        assert data, "connection closed in the middle of a body"
        buffered += data
    body = bytes(buffered[:length])
    del buffered[:length]
    return int(line.split(" ")[1]), headers, body


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_two_requests_on_one_kept_alive_connection_both_get_the_snapshot(server):
    sock = connect(server)
    buffered = bytearray()
    for _ in range(2):
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = read_response(sock, buffered)
        assert status == 200 and body == server.exporter.snapshot.body
        assert headers["content-type"].startswith("text/plain; version=0.0.4")
        assert "date" in headers and headers["server"].startswith("BaseHTTP/")
    sock.close()


def test_pipelined_requests_are_answered_in_order(server):
    sock = connect(server)
    sock.sendall(
        b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"
        b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    buffered = bytearray()
    first, second, third = (read_response(sock, buffered) for _ in range(3))
    assert first[0] == 200 and first[2] == b"OK\n"
    assert second[1]["content-encoding"] == "gzip"
    assert gzip.decompress(second[2]) == server.exporter.snapshot.body
    assert third[0] == 404
    sock.close()


def test_connection_close_is_honoured_after_the_response(server):
    sock = connect(server)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, headers, _ = read_response(sock, bytearray())
    assert status == 200 and headers["connection"] == "close"
    assert closed_by_server(sock)
    sock.close()


def test_head_sends_the_length_of_the_body_it_does_not_send(server):
    sock = connect(server)
    sock.sendall(b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
    buffered = bytearray()
    while b"\r\n\r\n" not in buffered:
        buffered += sock.recv(65536)
    head_end = buffered.index(b"\r\n\r\n")
    assert f"Content-Length: {len(server.exporter.snapshot.body)}".encode() in buffered[:head_end]
    del buffered[: head_end + 4]
    # No body followed: the next bytes are the second response.
    status, _, body = read_response(sock, buffered)
    assert status == 200 and body == b"OK\n"
    sock.close()


def test_http_1_0_and_requests_with_a_body_are_answered_too(server):
    sock = connect(server)
    sock.sendall(b"GET /readyz HTTP/1.0\r\n\r\n")
    status, headers, body = read_response(sock, bytearray())
    assert status == 200 and body == b"OK\n"
    assert headers["connection"] == "close" and closed_by_server(sock)  # HTTP/1.0: no keep-alive
    sock.close()
    # A POST's body arrives with its head and is read past (403: lifecycle off).
    sock = connect(server)
    sock.sendall(b"POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    status, _, body = read_response(sock, bytearray())
    assert status == 403 and b"Lifecycle API is not enabled" in body
    sock.close()


def test_a_head_split_across_packets_is_still_answered(server):
    sock = connect(server)
    for piece in (b"GET /met", b"rics HTTP/1.1\r\nHo", b"st: x\r\n", b"\r\n"):
        sock.sendall(piece)
        time.sleep(0.02)  # separate segments, not a timing assertion
    status, _, body = read_response(sock, bytearray())
    assert status == 200 and body == server.exporter.snapshot.body
    sock.close()


def test_malformed_and_oversized_requests_get_an_error_status_then_a_close(server):
    sock = connect(server)
    sock.sendall(b"GET /metrics HTTP/one\r\n\r\n")
    status, headers, body = read_response(sock, bytearray())
    assert status == 400 and headers["connection"] == "close" and body == b"Bad Request\n"
    assert closed_by_server(sock)
    sock.close()
    sock = connect(server)
    sock.sendall(b"GET /metrics HTTP/1.1\r\n" + b"X-Filler: " + b"a" * 70_000 + b"\r\n\r\n")
    status, headers, _ = read_response(sock, bytearray())
    assert status == 431 and headers["connection"] == "close"
    assert closed_by_server(sock)
    sock.close()


def test_an_idle_connection_is_closed_after_the_client_timeout(server):
    sock = connect(server)
    sock.settimeout(10)
    assert closed_by_server(sock)  # fixture's client_timeout is 2 s; the sweep runs twice a second
    sock.close()


def test_stop_lets_a_response_in_flight_finish(big_server):
    server = big_server
    # A reader with a tiny window holds the response mid-send; stop drains it.
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(server.server_address[:2])
    slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    deadline = time.monotonic() + 5
    while server.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.in_flight == 1
    received = bytearray()

    def drain() -> None:
        time.sleep(0.2)
        while data := slow.recv(65536):
            received.extend(data)

    reader = threading.Thread(target=drain)
    reader.start()
    server.stop(drain_timeout=5)
    reader.join(10)
    head_end = received.index(b"\r\n\r\n")
    assert bytes(received[head_end + 4 :]) == server.exporter.snapshot.body
    slow.close()


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET /metrics HTTP/1.0", 200),
        (b"POST /metrics HTTP/1.1\r\nHost: x", 405),
        (b"DELETE /metrics HTTP/1.1\r\nHost: x", 501),
        (b"GET http://x/metrics HTTP/1.1\r\nHost: x", 200),  # absolute form: the path counts
        (b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 200),  # read past
        (b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", 200),
        (b"GET /metrics HTTP/1.1\r\nHost: x\r\nExpect: 100-continue", 200),
        (b"GET /metrics HTTP/1.1\r\nno colon here", 400),
        (b"GET  /metrics HTTP/1.1\r\nHost: x", 400),
        (b"GET /metrics HTTP/1.1", 400),  # HTTP/1.1 requires Host
    ],
)
def test_every_request_gets_a_status_from_the_loop(server, head, status):
    sock = connect(server)
    sock.sendall(head + b"\r\n\r\n")
    assert read_response(sock, bytearray())[0] == status
    sock.close()


def test_repeated_headers_are_joined_and_the_query_is_ignored_for_routing(server):
    sock = connect(server)
    sock.sendall(
        b"GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nAccept: text/plain;q=0.5\r\n"
        b"accept: application/openmetrics-text\r\nConnection: keep-alive, close\r\n\r\n"
    )
    status, headers, _ = read_response(sock, bytearray())
    assert status == 200 and headers["content-type"] == OPENMETRICS_CONTENT_TYPE
    assert headers["connection"] == "close" and closed_by_server(sock)
    sock.close()


# ---- bad input on the network: a clean status or a closed connection, and the loop goes on ----


def answers_after(server: MetricsServer) -> None:
    """The loop still serves: whatever came before left it neither stuck nor dead."""
    sock = connect(server)
    sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(sock, bytearray())[:3:2] == (200, b"OK\n")
    sock.close()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        # Request smuggling shapes: framing the client and a proxy could read differently.
        (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", 400),
        (b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413),
        (b"GET /metrics\r\n\r\n", 400),  # HTTP/0.9
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 40 + b"\r\n\r\n", 400),  # TLS to a plain port
        (b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ],
)
def test_smuggling_shapes_and_malformed_requests_get_a_status_and_a_close(server, request_bytes, status):
    sock = connect(server)
    sock.sendall(request_bytes)
    got, headers, _ = read_response(sock, bytearray())
    assert (got, headers["connection"]) == (status, "close")
    assert closed_by_server(sock)
    sock.close()
    answers_after(server)


def test_an_obs_folded_header_is_unfolded_as_rfc_9112_allows(server):
    # h11 replaces the fold with a space (RFC 9112 5.2 allows that or a 400); either way the
    # request is framed by its Content-Length alone, so there is nothing to smuggle.
    sock = connect(server)
    sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
    buffered = bytearray()
    assert [read_response(sock, buffered)[0] for _ in range(2)] == [200, 200]
    sock.close()


def test_pipelined_requests_after_an_error_are_not_answered(server):
    sock = connect(server)
    sock.sendall(
        b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /readyz HTTP/1.1\r\nbroken\r\n\r\n"
        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    buffered = bytearray()
    assert read_response(sock, buffered)[0] == 200
    assert read_response(sock, buffered)[0] == 400
    assert not buffered and closed_by_server(sock)  # nothing after the error's answer
    sock.close()


def test_expect_100_continue_gets_an_interim_response_then_the_answer(server):
    sock = connect(server)
    sock.sendall(b"POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    buffered = bytearray()
    assert read_response(sock, buffered)[0] == 100  # before the body was sent
    sock.sendall(b"hello")
    assert read_response(sock, buffered)[0] == 403  # lifecycle off
    sock.close()


def test_http_1_0_without_host_is_answered(server):
    sock = connect(server)
    sock.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    status, _, body = read_response(sock, bytearray())
    assert status == 200 and body == server.exporter.snapshot.body
    assert closed_by_server(sock)
    sock.close()


def test_a_10_mb_header_flood_is_refused_and_the_loop_serves_on(server):
    sock = connect(server)
    flood = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Flood: " + b"a" * (10 << 20) + b"\r\n\r\n"
    sender = threading.Thread(target=lambda: _send_ignoring_reset(sock, flood))
    sender.start()
    status, headers, _ = read_response(sock, bytearray())
    assert (status, headers["connection"]) == (431, "close")
    answers_after(server)
    sender.join(10)
    assert not sender.is_alive()
    sock.close()


def _send_ignoring_reset(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:  # the server stopped reading after the limit: expected
        pass


def test_a_head_trickled_a_byte_at_a_time_is_dropped_on_time(server):
    sock = connect(server)
    started = time.monotonic()
    head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    try:
        for byte in head:
            sock.sendall(bytes([byte]))
            time.sleep(0.05)
    except OSError:
        pass  # closed by the server while trickling
    assert closed_by_server(sock)
    # The fixture's client timeout is 2 s; the sweep runs twice a second.
    assert time.monotonic() - started < 4
    sock.close()
    answers_after(server)


VALID = b"GET /readyz HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nContent-Length: 0\r\n\r\n"


@given(
    st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 8), st.binary(max_size=8)), min_size=1, max_size=4)
)
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_mangled_requests_get_a_status_or_a_close_never_a_traceback(server_for_fuzz, edits):
    server, caplog = server_for_fuzz
    data = bytearray(VALID)
    for at, cut, insert in edits:  # splice: replace `cut` bytes at `at` with `insert`
        data[at : at + cut] = insert
    sock = connect(server)
    sock.settimeout(5)
    sock.sendall(bytes(data) + b"\r\n\r\n")
    sock.shutdown(socket.SHUT_WR)  # nothing more: a truncated request must end, not hang
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    sock.close()
    if received:
        assert received.startswith(b"HTTP/1.1 ") and int(received[9:12]) in (200, 400, 404, 405, 413, 431, 501, 505)
    assert not [r for r in caplog.records if "http_handler_error" in r.getMessage()]


@pytest.fixture
def server_for_fuzz(server, caplog):
    return server, caplog


# ---- the pool: slow work off the loop, bounded ----


def _loop_server(route, workers: int = 1) -> tuple[ServeLoop, socket.socket, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))
    serve_loop = ServeLoop(listener, route, 5.0, "test", workers=workers)
    thread = threading.Thread(target=serve_loop.run, daemon=True)
    thread.start()
    return serve_loop, listener, thread


def _ask(listener: socket.socket, path: str) -> socket.socket:
    sock = socket.create_connection(listener.getsockname(), timeout=5)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def _text_reply(status: int, text: bytes) -> Reply:
    return Reply(status, (("Content-Type", "text/plain"),), (text,), len(text))


def test_slow_work_runs_off_the_loop_is_bounded_and_its_failures_are_500s(monkeypatch):
    monkeypatch.setattr(loop, "MAX_QUEUED", 2)
    release = threading.Event()

    def slow() -> Reply:
        release.wait(5)
        return _text_reply(200, b"slow\n")

    def broken() -> Reply:
        raise RuntimeError("a bug in slow work")

    def route(request: Request) -> Reply | Work:
        if request.target == "/slow":
            return slow
        if request.target == "/broken":
            return broken
        return _text_reply(200, b"fast\n")

    serve_loop, listener, thread = _loop_server(route)
    try:
        waiting = [_ask(listener, "/slow") for _ in range(2)]  # one running, one queued: the cap
        time.sleep(0.2)
        refused = _ask(listener, "/slow")
        status, headers, _ = read_response(refused, bytearray())
        assert status == 503 and headers["retry-after"] == "1"  # answered at once, not queued
        fast = _ask(listener, "/fast")
        assert read_response(fast, bytearray())[2] == b"fast\n"  # the loop is not held up
        gone = waiting.pop()
        gone.close()  # hangs up while its work is queued: its answer is dropped quietly
        release.set()
        assert read_response(waiting[0], bytearray())[:3:2] == (200, b"slow\n")
        broken_sock = _ask(listener, "/broken")
        assert read_response(broken_sock, bytearray())[0] == 500
        deadline = time.monotonic() + 5
        while serve_loop.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)  # the loop counts an answer done just after its last byte went out
        assert serve_loop.in_flight == 0
        for sock in (*waiting, refused, fast, broken_sock):
            sock.close()
    finally:
        serve_loop.stop(1.0)
        thread.join(5)
        listener.close()
    assert not thread.is_alive()


def test_connections_past_the_per_client_limit_are_closed_and_a_freed_slot_is_reused():
    listener = socket.create_server(("127.0.0.1", 0))
    serve_loop = ServeLoop(listener, lambda request: _text_reply(200, b"ok\n"), 5.0, "test", max_per_client=2)
    thread = threading.Thread(target=serve_loop.run, daemon=True)
    thread.start()
    try:
        held = [_ask(listener, "/") for _ in range(2)]
        for sock in held:
            assert read_response(sock, bytearray())[0] == 200  # both kept alive, both counted
        extra = _ask(listener, "/")
        assert closed_by_server(extra)  # over the limit: closed unanswered
        extra.close()
        held.pop().close()
        time.sleep(0.2)  # the loop sees the hang-up
        again = _ask(listener, "/")
        assert read_response(again, bytearray())[0] == 200
        for sock in (*held, again):
            sock.close()
    finally:
        serve_loop.stop(1.0)
        thread.join(5)
        listener.close()


def test_the_per_client_limit_is_a_flag():
    from exporter.cli import build_parser

    parser = build_parser()
    assert parser.parse_args([]).max_connections_per_client == 128
    assert parser.parse_args(["--web.max-connections-per-client", "0"]).max_connections_per_client == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["--web.max-connections-per-client", "-1"])
