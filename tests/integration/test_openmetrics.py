"""Formats over HTTP: OpenMetrics when asked for, text 0.0.4 otherwise, and both settings'
expositions pass `promtool check metrics` and the parsers of their format."""

import gzip
import subprocess
import urllib.request

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text
from support.tools import require_binary

from exporter.http.routes import wants_openmetrics
from exporter.http.server import serve
from exporter.simulator import build_fleet, deployment_info, instance_target, lifecycle_event

OPENMETRICS = "application/openmetrics-text"
# What Prometheus 2.x/3.x sends when scraping.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)

# The lifecycle-event history is opt-in; both settings turn it on to check its gauge-histogram form.
SETTINGS = {
    "defaults": {"lifecycle_event_history": True},
    "full": {"sparse_status": False, "lifecycle_events": "all", "lifecycle_event_history": True},
}


@pytest.fixture(params=list(SETTINGS))
def served(request, sim, make_exporter):
    fleet = build_fleet(sim, 30, ecs=1, lambdas=1, cloudformation=1)
    failed = deployment_info(
        "d-FAILED001",
        "web",
        "prod",
        "Failed",
        1.7e9,
        start_time=1.7e9 + 5,
        complete_time=1.7e9 + 60,
        error_information={"code": "HEALTH_CONSTRAINTS", "message": "m"},
    )
    failed["rollbackInfo"] = {"rollbackDeploymentId": "d-ROLLBACK1"}
    failed["revision"] = {"revisionType": "GitHub", "gitHubLocation": {"repository": "a/b", "commitId": "c0ffee"}}
    sim.put_deployment(
        failed,
        [
            instance_target(
                "d-FAILED001",
                "i-1",
                "Failed",
                [lifecycle_event("Install", "Failed", 1.7e9 + 10, 1.7e9 + 20)],
                1.7e9 + 20,
            )
        ],
    )
    entries = [{"deployment_id": d} for d, _ in fleet] + [{"deployment_id": "d-FAILED001"}]
    exporter = make_exporter(deployments=entries, metrics_section=SETTINGS[request.param])
    exporter.poll_once()
    exporter.metrics.count_error("111122223333", "us-east-1", "ListDeployments", "ThrottlingException")
    exporter.republish()
    server = serve("127.0.0.1:0", exporter)
    yield server.url + "/metrics"
    server.stop()


def get(url, **headers):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        body = r.read()
        if r.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return r.headers["Content-Type"], body.decode("utf-8")


def test_openmetrics_is_served_when_asked_for_and_parses(served):
    for headers in ({"Accept": PROMETHEUS_ACCEPT}, {"Accept": OPENMETRICS, "Accept-Encoding": "gzip"}):
        content_type, text = get(served, **headers)
        assert content_type.startswith("application/openmetrics-text; version=1.0.0")
        assert text.endswith("# EOF\n") and text.count("# EOF") == 1
        families = {f.name: f for f in parse_openmetrics(text)}
        errors = families["codedeploy_exporter_api_request_errors"]
        assert errors.type == "counter"
        assert {s.name for s in errors.samples} == {"codedeploy_exporter_api_request_errors_total"}
        assert families["codedeploy_deployment_create_timestamp_seconds"].unit == "seconds"
        assert families["codedeploy_deployment_error_info"].unit == ""
        assert families["codedeploy_deployment_lifecycle_event_duration_seconds"].type == "summary"
        # A gauge histogram: OpenMetrics' own type, buckets only (the +Inf one is the count).
        hooks = families["codedeploy_deployment_group_lifecycle_event_duration_seconds"]
        assert hooks.type == "gaugehistogram" and hooks.unit == "seconds"
        assert {s.name for s in hooks.samples} == {hooks.name + "_bucket"}


def test_text_format_is_the_default_and_parses(served):
    for headers in ({}, {"Accept": "text/plain"}, {"Accept": "*/*"}, {"Accept-Encoding": "gzip"}):
        content_type, text = get(served, **headers)
        assert content_type.startswith("text/plain; version=0.0.4")
        assert "# EOF" not in text and "# UNIT" not in text
        names = {f.name for f in parse_text(text)}
        assert "codedeploy_target_status" in names and "process_cpu_seconds" in names
        # 0.0.4 has no gauge histogram: written `histogram`, as prometheus-client writes one.
        assert "# TYPE codedeploy_deployment_group_lifecycle_event_duration_seconds histogram\n" in text


def test_text_format_passes_promtool_lint(served):
    # promtool check metrics reads the 0.0.4 text format (it takes OpenMetrics' counter
    # families for help-less metrics), so OpenMetrics is checked by its parser above.
    promtool = require_binary("promtool")
    _, text = get(served, Accept="text/plain")
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text.encode(), check=False, capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


def test_accept_header_negotiation():
    assert wants_openmetrics(PROMETHEUS_ACCEPT)
    assert wants_openmetrics("application/openmetrics-text")
    assert not wants_openmetrics("")
    assert not wants_openmetrics("text/plain;version=0.0.4")
    assert not wants_openmetrics("application/openmetrics-text;q=0")
    assert not wants_openmetrics("text/plain;q=1,application/openmetrics-text;q=0.5")
