"""The exporter's own metrics: process collector, build info, counters pre-initialised per
account-region, scope health, and metrics.include/exclude applied to them as to every family."""

from support.expo import samples, value

from exporter.exposition.selection import Selection
from exporter.exposition.self_metrics import OPERATIONS, PREINITIALISED_ERRORS, ExporterMetrics

SCOPE = {"account_id": "111122223333", "region": "eu-west-1"}


def test_an_account_regions_counters_exist_at_zero_from_its_first_call():
    metrics = ExporterMetrics()
    assert value(metrics.render(), "codedeploy_exporter_api_requests_total") is None  # no call yet
    metrics.scope_seen("111122223333", "eu-west-1")
    out = samples(metrics.render())
    for operation in OPERATIONS:
        key = frozenset({**SCOPE, "operation": operation}.items())
        assert out[("codedeploy_exporter_api_requests_total", key)] == 0
        for code in PREINITIALISED_ERRORS:
            key = frozenset({**SCOPE, "operation": operation, "error_code": code}.items())
            assert out[("codedeploy_exporter_api_request_errors_total", key)] == 0
    # Eight series per account-region: an organisation of 600 stays at 4,800.
    api = [n for (n, _) in out if n.startswith("codedeploy_exporter_api_request")]
    assert len(api) == len(OPERATIONS) * (1 + len(PREINITIALISED_ERRORS)) == 8


def test_scope_health_says_which_account_region_failed_and_why_and_forgets_those_gone():
    metrics = ExporterMetrics()
    other = ("444455556666", "us-east-1")
    for scope in (("111122223333", "eu-west-1"), other):
        metrics.scope_seen(*scope)
    metrics.count_error(*other, "ListDeployments", "AccessDenied")
    metrics.set_scope_health({("111122223333", "eu-west-1"): None, other: "AccessDenied"})
    body = metrics.render()
    assert value(body, "codedeploy_exporter_scope_up", **SCOPE) == 1
    assert value(body, "codedeploy_exporter_scope_up", account_id="444455556666") == 0
    assert value(body, "codedeploy_exporter_scope_last_error_info", account_id="444455556666") == 1
    assert value(body, "codedeploy_exporter_scope_last_error_info", error_code="AccessDenied") == 1
    # Recovered: up again, the last error stays to say what it was.
    metrics.set_scope_health({("111122223333", "eu-west-1"): None, other: None})
    body = metrics.render()
    assert value(body, "codedeploy_exporter_scope_up", account_id="444455556666") == 1
    assert value(body, "codedeploy_exporter_scope_last_error_info", error_code="AccessDenied") == 1
    # A new error replaces the last one; an account-region no longer polled loses every series.
    metrics.set_scope_health({other: "ThrottlingException"})
    out = samples(metrics.render())
    assert not [ls for (n, ls) in out if ("account_id", "111122223333") in ls]
    infos = [dict(ls)["error_code"] for (n, ls) in out if n == "codedeploy_exporter_scope_last_error_info"]
    assert infos == ["ThrottlingException"]


def test_build_info_carries_revision_and_python_version(monkeypatch):
    monkeypatch.setenv("CODEDEPLOY_EXPORTER_REVISION", "4f1c0d2e9b7a")
    body = ExporterMetrics().render()
    assert value(body, "codedeploy_exporter_build_info", revision="4f1c0d2e9b7a") == 1
    (labels,) = [dict(ls) for (n, ls), _ in samples(body).items() if n == "codedeploy_exporter_build_info"]
    assert labels["python_version"].count(".") == 2


def test_process_metrics_are_served():
    assert value(ExporterMetrics().render(), "process_cpu_seconds_total") is not None


def test_include_and_exclude_apply_to_self_metrics():
    metrics = ExporterMetrics()
    metrics.scope_seen("111122223333", "eu-west-1")
    metrics.selection = Selection(exclude=("process_.*", "codedeploy_exporter_api_.*"))
    names = {n for n, _ in samples(metrics.render())}
    assert not any(n.startswith(("process_", "codedeploy_exporter_api_")) for n in names)
    assert "codedeploy_exporter_build_info" in names
    metrics.selection = Selection(include=("codedeploy_exporter_api_requests_total",))
    assert {n for n, _ in samples(metrics.render())} == {"codedeploy_exporter_api_requests_total"}
