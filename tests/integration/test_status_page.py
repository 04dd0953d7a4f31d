"""The status page (/) and /api/v1/status through the real HTTP server: made from the
published snapshot (no AWS call), cached per snapshot, filtered by query parameters, bounded,
its JSON valid against docs/status.schema.json, and attacker-chosen text inert."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import jsonschema
import pytest
from support.paths import REPO
from support.status_world import EVIL, world

from exporter import log as logsetup
from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.demo import DEMO_CREDENTIALS, Demo
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.http.server import serve

SCHEMA = json.loads((REPO / "docs" / "status.schema.json").read_text(encoding="utf-8"))


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def validate(document: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


@pytest.fixture
def served(sim, make_exporter):
    exporter = make_exporter(deployments=world(sim))
    exporter.poll_once()
    server = serve("127.0.0.1:0", exporter)
    yield exporter, server.url
    server.stop()


@pytest.fixture
def full_diagnostics():
    logsetup.set_diagnostics("full")
    yield
    logsetup.set_diagnostics("summary")


def test_the_page_orders_failing_groups_first_and_shows_each_failure_once(served, sim):
    exporter, url = served
    calls = sim.call_count()
    status, headers, page = get(url + "/")
    text = page.decode()
    assert status == 200 and "script-src" not in headers["Content-Security-Policy"]  # default-src 'none'
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    groups = re.findall(r'<tr class="g-(\w+)">.*?deployment_group=([\w-]+)', text)
    assert groups == [("failing", "web-prod"), ("running", "shop-prod"), ("ok", "api-prod")]
    assert text.count("too many instances failed") == 1
    assert "i-bad" in text and "ApplicationStart" in text and "scripts/start.sh" in text
    assert "i-good1" not in text  # succeeded targets are counted, not listed
    assert "2 Succeeded, 1 Failed" in text
    assert 'data-weight="30.0"' in text and "Green ACTIVE 30%" in text  # ECS traffic shifted
    assert get(url + "/")[2] == page  # the same snapshot, the same bytes
    assert "status_html" in exporter.snapshot.made()
    assert sim.call_count() == calls  # the page never calls AWS


def test_injected_markup_in_a_diagnostics_message_comes_out_inert(sim, make_exporter, full_diagnostics):
    exporter = make_exporter(deployments=world(sim))
    exporter.poll_once()
    server = serve("127.0.0.1:0", exporter)
    try:
        page = get(server.url + "/")[2].decode()
        document = json.loads(get(server.url + "/api/v1/status")[2])
    finally:
        server.stop()
    # Shown (full diagnostics), as text: no tag, no attribute opened by the message's quotes.
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in page
    assert "onerror=&#x27;alert(1)&#x27;" in page
    assert "<script" not in page and "<img" not in page and "onerror='" not in page
    (failed,) = document["failed_deployments"]["rows"][0]["failed_targets"]
    assert failed["message"] == EVIL and failed["log_tail"] == f"[stderr]{EVIL}"
    validate(document)


def test_summary_diagnostics_hide_the_scripts_output(served):
    _, url = served
    page = get(url + "/")[2].decode()
    assert "pwned" not in page
    document = json.loads(get(url + "/api/v1/status")[2])
    (failed,) = document["failed_deployments"]["rows"][0]["failed_targets"]
    assert "message" not in failed and "log_tail" not in failed


def test_filters_narrow_page_and_json(served):
    _, url = served
    page = get(url + "/?application=shop&deployment_group=shop-prod")[2].decode()
    assert "d-SHIFTING1" in page and "d-FAILED001" not in page and "api-prod" not in page
    assert 'name="application" value="shop"' in page  # the form keeps what was asked
    document = json.loads(get(url + "/api/v1/status?status=failed")[2])
    assert document["filters"] == {"status": "failed"}
    assert [d["deployment_id"] for d in document["failed_deployments"]["rows"]] == ["d-FAILED001"]
    assert document["deployments_in_progress"]["rows"] == []
    assert [g["deployment_group"] for g in document["deployment_groups"]["rows"]] == ["web-prod"]
    validate(document)


def test_the_row_limit_counts_what_is_not_shown(served):
    exporter, url = served
    exporter.status_rows = 1
    exporter.poll_once()
    page = get(url + "/")[2].decode()
    assert "2 more groups not shown" in page
    document = json.loads(get(url + "/api/v1/status")[2])
    assert document["row_limit"] == 1 and document["deployment_groups"]["not_shown"] == 2
    validate(document)


def test_the_json_is_versioned_and_valid_before_the_first_poll(sim, make_exporter):
    exporter = make_exporter(deployments=world(sim))
    server = serve("127.0.0.1:0", exporter)
    try:
        status, headers, body = get(server.url + "/api/v1/status")
    finally:
        server.stop()
    assert status == 200 and headers["Content-Type"] == "application/json"
    document = json.loads(body)
    assert document["version"] == 1 and document["exporter"]["poll_health"] == "waiting for the first poll"
    validate(document)


def test_the_demos_status_is_valid_against_the_schema():
    demo = Demo(cycle_seconds=8.0).start()
    try:
        config = demo.config()
        metrics = ExporterMetrics()
        exporter = Exporter(config, ClientFactory(metrics, 4, 50, static_credentials=DEMO_CREDENTIALS), metrics)
        exporter.poll_once()
        server = serve("127.0.0.1:0", exporter)
        try:
            document = json.loads(get(server.url + "/api/v1/status")[2])
            page = get(server.url + "/")[2].decode()
        finally:
            server.stop()
    finally:
        demo.stop()
    validate(document)
    assert {g["application"] for g in document["deployment_groups"]["rows"]} >= {"demo-web", "demo-ecs"}
    # The demo's scope without a role is down, and the header says so.
    assert any(s["error"] == "AccessDenied" for s in document["exporter"]["scopes"])
    assert "AccessDenied" in page
