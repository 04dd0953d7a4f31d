"""The HTTP endpoints serve the published snapshot: readiness, negotiation, gzip, status page."""

import gzip
import subprocess
import urllib.error
import urllib.request

import pytest
from support.expo import value
from support.tools import require_binary

from exporter.http.address import parse_listen_address
from exporter.http.server import serve
from exporter.simulator import build_fleet


@pytest.fixture
def served(sim, make_exporter):
    fleet = build_fleet(sim, 30, ecs=1, lambdas=1, cloudformation=1)
    exporter = make_exporter(deployments=[{"deployment_id": d} for d, _ in fleet])
    server = serve("127.0.0.1:0", exporter)
    yield exporter, server.url
    server.stop()


def get(url, headers=None, method="GET"):
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_not_ready_before_the_first_poll_and_ready_after(served):
    exporter, url = served
    assert get(url + "/healthz")[0] == 200
    assert get(url + "/readyz")[0] == 503
    status, _, body = get(url + "/metrics")
    assert status == 200 and b"codedeploy_exporter_build_info" in body
    exporter.poll_once()
    assert get(url + "/readyz")[0] == 200


def test_metrics_are_the_snapshot_of_the_last_poll_in_text_format(served, sim):
    exporter, url = served
    exporter.poll_once()
    calls = sim.call_count()
    status, headers, body = get(url + "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert body == exporter.snapshot.body
    assert value(body, "codedeploy_exporter_targets", state="polled") == 33
    get(url + "/metrics")
    assert sim.call_count() == calls  # scrapes never call AWS


def test_gzip_is_served_when_asked_and_decompresses_to_the_same_body(served):
    exporter, url = served
    exporter.poll_once()
    status, headers, body = get(url + "/metrics", {"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == exporter.snapshot.body


def test_head_status_page_and_unknown_paths(served):
    exporter, url = served
    exporter.poll_once()
    status, headers, body = get(url + "/metrics", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) == len(exporter.snapshot.body)
    status, headers, page = get(url + "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    for link in (b'href="/metrics"', b'href="/healthz"', b'href="/readyz"', b'href="/api/v1/status"'):
        assert link in page
    # The status page: the fleet's deployments in progress, the ECS one with its traffic.
    assert b"Deployments in progress" in page and b"fleet-cluster:service-0" in page
    status, _, head = get(url + "/", method="HEAD")
    assert status == 200 and head == b""
    assert get(url + "/nope")[0] == 404


def test_listen_address_parsing():
    assert parse_listen_address(":10120") == ("", 10120)
    assert parse_listen_address("[::1]:9000") == ("::1", 9000)
    for bad in ("10120", "host:port", "host:99999"):
        with pytest.raises(ValueError):
            parse_listen_address(bad)


def test_exposition_of_all_four_target_types_passes_promtool_check_metrics(served):
    promtool = require_binary("promtool")
    exporter, url = served
    exporter.poll_once()
    body = get(url + "/metrics")[2]
    for kind in ("InstanceTarget", "ECSTarget", "LambdaTarget", "CloudFormationTarget"):
        assert f'target_type="{kind}"'.encode() in body
    result = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert result.stdout.strip() == b"", result.stdout.decode()  # no lint findings either


def test_the_forms_scrapers_ask_for_are_made_before_the_next_snapshot_is_published(served):
    exporter, url = served
    exporter.poll_once()
    # Nobody asked yet: the first snapshot is made as Prometheus may ask, gzipped in either
    # format, so the first scrape after a start does not compress the body inside the request.
    assert exporter.snapshot.made() == {"gzipped", "openmetrics_gzipped"}
    exporter.poll_once()
    assert exporter.snapshot.made() == set()  # nobody asked that one: made on the first request
    get(url + "/metrics", {"Accept-Encoding": "gzip"})
    exporter.poll_once()
    # Published with its gzip form ready: no scrape compresses, none waits for another's.
    assert exporter.snapshot.made() == {"gzipped"}
    get(url + "/metrics", {"Accept": "application/openmetrics-text"})
    exporter.poll_once()
    # What was asked of the last snapshot only: nobody asked this one for plain gzip.
    assert exporter.snapshot.made() == {"openmetrics"}
    exporter.poll_once()
    assert exporter.snapshot.made() == set()
