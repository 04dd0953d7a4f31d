"""The status page benchmark's section of docs/benchmarks.md: its verdict follows its figures,
and the committed report holds it."""

from support.paths import REPO

from bench.status_page import SECTION, markdown

TIMING = {"median_ms": 5.0, "max_ms": 9.0}
RESULT = {
    "targets": 10_150,
    "deployments": 550,
    "rows": {"groups": 244, "running": 310, "failed": 80},
    "html_bytes": 580_000,
    "json_bytes": 497_000,
    "served_bytes": 580_000,
    "first_request_ms": 8.0,
    "machine": {"CPU": "cpu", "Cores": "2", "Python": "CPython 3.11", "Date": "today"},
    **{k: TIMING for k in ("model", "html", "json", "filtered_html", "cached_request", "json_request")},
}


def test_the_verdict_follows_the_bounds():
    within = markdown(RESULT, "python -m bench --status-page")
    assert within.startswith(SECTION.begin) and within.endswith(SECTION.end)
    assert "Within the issue's bounds" in within
    assert "Outside" in markdown({**RESULT, "html_bytes": 1_200_000}, "x")
    assert "Outside" in markdown({**RESULT, "html": {"median_ms": 60.0, "max_ms": 70.0}}, "x")


def test_the_report_holds_the_section():
    assert "## Status page (issue 22)" in SECTION.of((REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8"))
