"""The exporter's own metrics: process collector, build info, pre-initialised error counters,
and metrics.include/exclude applied to them as to every family."""

from support.expo import samples, value

from exporter.exposition.selection import Selection
from exporter.exposition.self_metrics import KNOWN_ERRORS, OPERATIONS, ExporterMetrics


def test_error_counters_exist_at_zero_before_any_error():
    out = samples(ExporterMetrics().render())
    for operation in OPERATIONS:
        assert out[("codedeploy_exporter_api_requests_total", frozenset({("operation", operation)}))] == 0
        for code in KNOWN_ERRORS:
            key = frozenset({("operation", operation), ("error_code", code)})
            assert out[("codedeploy_exporter_api_request_errors_total", key)] == 0


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
    metrics.selection = Selection(exclude=("process_.*", "codedeploy_exporter_api_.*"))
    names = {n for n, _ in samples(metrics.render())}
    assert not any(n.startswith(("process_", "codedeploy_exporter_api_")) for n in names)
    assert "codedeploy_exporter_build_info" in names
    metrics.selection = Selection(include=("codedeploy_exporter_api_requests_total",))
    assert {n for n, _ in samples(metrics.render())} == {"codedeploy_exporter_api_requests_total"}
