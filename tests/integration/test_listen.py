"""Several listen addresses and systemd socket activation, through real sockets and processes."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from support.paths import REPO

from exporter.cli import main
from exporter.http.server import serve
from exporter.simulator import build_fleet

# Runs the exporter CLI as systemd would: sockets from fd 3 on, LISTEN_PID the exporter's own
# pid (hence set after the fork, and kept by exec), LISTEN_FDS their count.
# argv: LISTEN_PID offset (0: this pid), the fds to put on 3, 4, ... ("-" for none), then flags.
# No fds ("-"): LISTEN_FDS is left unset.
_ACTIVATE = """
import fcntl, os, sys
offset, fds, flags = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
# Moved out of the way first: a passed fd may itself be 3 or 4.
high = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 64) for fd in fds.split(",")] if fds != "-" else []
for target, fd in enumerate(high, 3):
    os.dup2(fd, target)
    os.close(fd)
os.environ["LISTEN_PID"] = str(os.getpid() + offset)
if high:
    os.environ["LISTEN_FDS"] = str(len(high))
os.execv(sys.executable, [sys.executable, "-m", "exporter", *flags])
"""


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_two_addresses_are_served_by_one_loop_and_both_answer_metrics(sim, make_exporter):
    fleet = build_fleet(sim, 5, ecs=1, lambdas=1)
    exporter = make_exporter(deployments=[{"deployment_id": d} for d, _ in fleet])
    exporter.poll_once()
    addresses = ["127.0.0.1:0", "[::1]:0"] if socket.has_ipv6 else ["127.0.0.1:0", "127.0.0.2:0"]
    before = {t.name for t in threading.enumerate()}
    try:
        server = serve(addresses, exporter)
    except ValueError as exc:  # no IPv6 loopback on this host
        pytest.skip(str(exc))
    try:
        assert len(server.urls) == 2 and server.url == server.urls[0]
        assert server.urls[0].startswith("http://127.0.0.1:")
        bodies = []
        for url in server.urls:
            status, body = _get(url + "/metrics")
            assert status == 200
            bodies.append(body)
        assert bodies[0] == bodies[1] and b'target_type="ECSTarget"' in bodies[0]
        # One serving thread for both listeners.
        started = [t.name for t in threading.enumerate() if t.name not in before]
        assert started.count("http") == 1
    finally:
        server.stop()
    for url in server.urls:  # both listeners closed on stop
        with pytest.raises(OSError):
            _get(url + "/healthz")


def _listener(host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.bind((host, 0))
    sock.listen()
    return sock


def test_an_address_that_cannot_be_bound_exits_2_naming_it(capsys):
    with _listener() as taken:
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        code = main(["--demo", "--web.listen-address", "127.0.0.1:0", "--web.listen-address", busy])
    assert code == 2
    err = capsys.readouterr().err
    assert f"codedeploy-exporter: --web.listen-address {busy}: " in err
    assert "Traceback" not in err


def _activated(offset: int, listeners: list[socket.socket], *flags: str) -> subprocess.Popen[str]:
    fds = [s.fileno() for s in listeners]
    return subprocess.Popen(
        [sys.executable, "-c", _ACTIVATE, str(offset), ",".join(map(str, fds)) or "-", *flags],
        cwd=REPO,
        pass_fds=fds,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_systemd_sockets_serve_metrics_instead_of_the_listen_address():
    first, second = _listener(), _listener()
    proc = _activated(0, [first, second], "--demo", "--web.systemd-socket", "--web.listen-address", "127.0.0.1:1")
    try:
        # The exporter's sockets now: the test's copies are closed, so only the child accepts.
        urls = []
        for sock in (first, second):
            urls.append(f"http://127.0.0.1:{sock.getsockname()[1]}")
            sock.close()
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(urls[0] + "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "not ready within 60 s"
            time.sleep(0.2)
        for url in urls:
            status, body = _get(url + "/metrics")
            assert status == 200 and b'target_type="LambdaTarget"' in body
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        started = next(line for line in err.splitlines() if "event=started" in line)
        assert f"listen={urls[0]},{urls[1]} " in started  # not 127.0.0.1:1, which was never bound
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize(
    ("offset", "with_socket", "message"),
    [
        (1, True, "LISTEN_PID={pid_plus_1} is not this process ({pid})"),
        (0, False, "LISTEN_FDS is not set (not socket-activated)"),
    ],
)
def test_socket_activation_meant_for_another_process_exits_2(offset, with_socket, message):
    listener = _listener()
    with listener:
        proc = _activated(offset, [listener] if with_socket else [], "--demo", "--web.systemd-socket")
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    expected = message.format(pid=proc.pid, pid_plus_1=proc.pid + 1)
    assert f"codedeploy-exporter: --web.systemd-socket: {expected}\n" in err
    assert "Traceback" not in err


def test_the_systemd_flag_without_activation_exits_2(monkeypatch, capsys):
    monkeypatch.delenv("LISTEN_PID", raising=False)
    monkeypatch.delenv("LISTEN_FDS", raising=False)
    assert main(["--demo", "--web.systemd-socket"]) == 2
    err = capsys.readouterr().err
    assert "--web.systemd-socket: LISTEN_PID and LISTEN_FDS are not set (not socket-activated)" in err
    assert "Traceback" not in err
