"""The Grafana dashboard: generated, importable, and built only from the metric contract."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from conftest_tools import CONTRACT_METRICS, metric_names, panel_queries

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "exporter" / "monitoring" / "dashboard.json"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_dashboard", ROOT / "tools" / "gen_dashboard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def _panels(dashboard: dict) -> list[dict]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_checked_in_dashboard_is_exactly_the_generator_output():
    assert DASHBOARD.read_text() == _generator().render(), (
        "dashboard.json is out of date: run python tools/gen_dashboard.py")


def test_generator_check_mode_reports_an_outdated_file(tmp_path, capsys):
    stale = tmp_path / "dashboard.json"
    stale.write_text("{}\n")
    assert _generator().main(["--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert _generator().main(["--check", "--output", str(DASHBOARD)]) == 0


def test_dashboard_has_a_stable_uid_so_reimports_replace_it(dashboard):
    assert dashboard["uid"] == "codedeploy-exporter"
    assert "id" not in dashboard  # an id would tie the JSON to one Grafana instance


def test_datasource_is_a_prometheus_variable_used_by_every_panel_and_query(dashboard):
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    reference = {"type": "prometheus", "uid": "${datasource}"}
    for panel in _panels(dashboard):
        assert panel["datasource"] == reference, panel["title"]
        for query in panel["targets"]:
            assert query["datasource"] == reference, panel["title"]


def test_application_group_and_deployment_variables_come_from_label_values(dashboard):
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    for name in ("application", "deployment_group", "deployment_id"):
        query = variables[name]["query"]["query"]
        match = re.fullmatch(r"label_values\((codedeploy_\w+)(\{.*\})?, (\w+)\)", query)
        assert match, query
        assert match.group(1) in CONTRACT_METRICS and match.group(3) == name
        assert variables[name]["includeAll"] and variables[name]["allValue"] == ".*"


def test_every_panel_has_a_query(dashboard):
    for panel in _panels(dashboard):
        assert panel["targets"], panel["title"]
        for query in panel["targets"]:
            assert query["expr"].strip(), panel["title"]


def test_every_query_only_uses_metric_names_from_the_contract(dashboard):
    for title, expr in panel_queries(dashboard):
        used = metric_names(expr)
        assert used, f"{title}: {expr}"
        assert used <= CONTRACT_METRICS, f"{title}: unknown {used - CONTRACT_METRICS}"


def test_codedeploy_panels_follow_the_template_variables(dashboard):
    for title, expr in panel_queries(dashboard):
        if "codedeploy_exporter_" in expr:
            continue  # exporter health is per exporter, not per deployment
        for name in ("application", "deployment_group", "deployment_id"):
            assert f'{name}=~"${name}"' in expr, f"{title} ignores ${name}: {expr}"


def test_dashboard_covers_every_view_the_issue_asks_for(dashboard):
    used = set().union(*(metric_names(expr) for _, expr in panel_queries(dashboard)))
    assert used >= {
        "codedeploy_deployment_status", "codedeploy_target_status",
        "codedeploy_lifecycle_event_duration_seconds", "codedeploy_ecs_task_set_traffic_weight",
        "codedeploy_lambda_target_version_weight", "codedeploy_cloudformation_target_version_weight",
        "codedeploy_ecs_task_set_desired_tasks", "codedeploy_ecs_task_set_running_tasks",
        "codedeploy_ecs_task_set_pending_tasks", "codedeploy_lifecycle_event_diagnostics_info",
        "codedeploy_exporter_poll_duration_seconds", "codedeploy_exporter_api_request_errors_total",
        "codedeploy_exporter_last_poll_success_timestamp_seconds",
    }
    failed_hooks = next(p for p in _panels(dashboard) if p["title"] == "Failed lifecycle hooks")
    assert {"error_code", "script_name"} <= set(
        re.findall(r"\w+", failed_hooks["targets"][0]["expr"]))


def test_panel_ids_are_unique_and_panels_do_not_overlap(dashboard):
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24, panel["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]
