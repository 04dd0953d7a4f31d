"""/healthz tells a wedged poller from a healthy one; /readyz is unchanged."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from support.expo import FakeClock

from exporter.cli import build_parser
from exporter.http.address import LISTEN_ADDRESS_ENV, listen_address, probe_url
from exporter.http.server import serve
from exporter.liveness import LIVENESS_FLOOR, Liveness
from exporter.simulator import build_fleet


def status_of(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def served(sim, make_exporter):
    fleet = build_fleet(sim, 3)
    exporter = make_exporter(poll={"interval": "60s"}, deployments=[{"deployment_id": d} for d, _ in fleet])
    monotonic = FakeClock(1000.0)
    exporter.liveness = Liveness(10, monotonic)
    server = serve("127.0.0.1:0", exporter)
    yield exporter, server.url, monotonic
    server.stop()


def test_healthz_fails_when_no_poll_completed_within_ten_intervals(served):
    exporter, url, monotonic = served
    exporter.poll_once()
    monotonic.advance(600)  # exactly 10 intervals of 60 s: still within the limit
    assert status_of(url + "/healthz") == (200, "OK\n")
    monotonic.advance(1)
    status, body = status_of(url + "/healthz")
    assert status == 503
    assert "no poll completed for 601s (limit 600s)" in body
    assert status_of(url + "/readyz")[0] == 200  # readiness is about the first poll only


def test_a_completed_poll_makes_healthz_pass_again(served):
    exporter, url, monotonic = served
    monotonic.advance(10_000)
    assert status_of(url + "/healthz")[0] == 503
    exporter.poll_once()
    assert status_of(url + "/healthz")[0] == 200


def test_the_first_poll_gets_the_same_time_as_any_other(served):
    exporter, url, monotonic = served
    monotonic.advance(599)
    assert status_of(url + "/healthz")[0] == 200
    assert status_of(url + "/readyz")[0] == 503
    monotonic.advance(2)
    assert status_of(url + "/healthz")[0] == 503


def test_short_intervals_still_get_five_minutes():
    monotonic = FakeClock(0.0)
    liveness = Liveness(10, monotonic)
    assert liveness.limit(5.0) == LIVENESS_FLOOR == 300.0
    monotonic.advance(299)
    assert liveness.alive(5.0)
    monotonic.advance(2)
    assert not liveness.alive(5.0)
    assert liveness.alive(60.0)  # 10 x 60 s = 600 s


def test_the_multiple_is_a_flag_with_a_default_of_ten(capsys):
    parser = build_parser()
    assert parser.parse_args([]).healthz_max_poll_intervals == 10
    assert parser.parse_args(["--web.healthz.max-poll-intervals", "3.5"]).healthz_max_poll_intervals == 3.5
    for bad in ("0", "-1", "soon", "inf", "nan"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--web.healthz.max-poll-intervals", bad])
        assert "--web.healthz.max-poll-intervals" in capsys.readouterr().err


def test_the_container_check_probes_the_address_the_process_listens_on():
    assert listen_address({}) == ":10120"
    assert listen_address({LISTEN_ADDRESS_ENV: "127.0.0.1:9000"}) == "127.0.0.1:9000"
    assert probe_url(":10120") == "http://127.0.0.1:10120/healthz"
    assert probe_url("0.0.0.0:9") == "http://127.0.0.1:9/healthz"
    assert probe_url("[::]:9") == "http://[::1]:9/healthz"
    assert probe_url("[::1]:9") == "http://[::1]:9/healthz"
    assert probe_url("10.0.0.5:9") == "http://10.0.0.5:9/healthz"


def test_the_listen_address_flag_defaults_to_the_environment_variable(monkeypatch):
    monkeypatch.setenv(LISTEN_ADDRESS_ENV, "127.0.0.1:9999")
    assert build_parser().parse_args([]).listen_address == ["127.0.0.1:9999"]
    # Given addresses replace the default, and a repeated flag adds to them.
    assert build_parser().parse_args(["--web.listen-address", ":1"]).listen_address == [":1"]
    repeated = ["--web.listen-address", ":1", "--web.listen-address=[::1]:1"]
    assert build_parser().parse_args(repeated).listen_address == [":1", "[::1]:1"]
    monkeypatch.delenv(LISTEN_ADDRESS_ENV)
    assert build_parser().parse_args([]).listen_address == [":10120"]
    # The default list is not grown by a parse that gave addresses (argparse's append would).
    parser = build_parser()
    parser.parse_args(["--web.listen-address", ":2"])
    assert parser.parse_args([]).listen_address == [":10120"]
