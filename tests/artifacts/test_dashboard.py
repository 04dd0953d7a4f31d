"""The Grafana dashboard: generated, importable, and built only from the metric contract."""

from __future__ import annotations

import importlib
import json
import re

import pytest
from support.paths import REPO
from support.tools import MONITORING_METRICS, metric_names, panel_queries

ROOT = REPO
DASHBOARD = ROOT / "exporter" / "monitoring" / "dashboard.json"


def _generator(module: str = "build"):
    # Imported when a test needs it: grafana-foundation-sdk installs on Python 3.11+ only.
    return importlib.import_module(f"tools.generate.dashboard.{module}")


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def _panels(dashboard: dict) -> list[dict]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_checked_in_dashboard_is_exactly_the_generator_output():
    assert DASHBOARD.read_text() == _generator().render(), (
        "dashboard.json is out of date: run python -m tools.generate.dashboard"
    )


def test_generator_check_mode_reports_an_outdated_file(tmp_path, capsys):
    stale = tmp_path / "dashboard.json"
    stale.write_text("{}\n")
    cli = _generator("cli")
    assert cli.main(["--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert cli.main(["--check", "--output", str(DASHBOARD)]) == 0


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


GROUP_VARIABLES = ("account_id", "region", "application", "deployment_group")
# Families of a whole group (no deployment_id label): their panels follow the group variables.
GROUP_LEVEL = re.compile(
    r"codedeploy_deployment_group_\w+|codedeploy_deployments_total|"
    r"codedeploy_deployment_duration_seconds\w*|deployment_group:codedeploy_\w+:\w+"
)


def test_group_variables_come_from_the_group_info_so_groups_without_targets_appear(dashboard):
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    for name in (*GROUP_VARIABLES[1:], "deployment_id"):
        query = variables[name]["query"]["query"]
        match = re.fullmatch(r"label_values\((codedeploy_\w+)(\{.*\})?, (\w+)\)", query)
        assert match, query
        expected = "codedeploy_deployment_info" if name == "deployment_id" else ("codedeploy_deployment_group_info")
        assert match.group(1) == expected and match.group(3) == name
        assert variables[name]["includeAll"] and variables[name]["allValue"] == ".*"
        # Each variable is narrowed by the ones before it.
        before = GROUP_VARIABLES[: GROUP_VARIABLES.index(name)] if name in GROUP_VARIABLES else (GROUP_VARIABLES)
        for earlier in before:
            assert f'{earlier}=~"${earlier}"' in query, (name, earlier)


def test_the_account_variable_lists_every_account_with_a_group_and_shows_names(dashboard):
    account = {v["name"]: v for v in dashboard["templating"]["list"]}["account_id"]
    query = account["query"]["query"]
    assert query.startswith("query_result(") and "codedeploy_account_info" in query
    assert "codedeploy_deployment_group_info" in query  # accounts no organization names, too
    pattern = re.compile(account["regex"].strip("/").replace("(?<", "(?P<"))
    named = pattern.search('{account_id="210987654321",account_name="payments-prod"} 1 1700000000000')
    assert named and named.group("value") == "210987654321" and named.group("text") == "payments-prod"
    unnamed = pattern.search('{account_id="123456789012"} 1 1700000000000')
    assert unnamed and unnamed.group("value") == "123456789012" and unnamed.group("text") is None
    assert account["includeAll"] and account["allValue"] == ".*"


def test_every_panel_has_a_query(dashboard):
    for panel in _panels(dashboard):
        assert panel["targets"], panel["title"]
        for query in panel["targets"]:
            assert query["expr"].strip(), panel["title"]


def test_every_query_only_uses_metric_names_from_the_contract(dashboard):
    annotations = [(a["name"], a["expr"]) for a in dashboard["annotations"]["list"]]
    for title, expr in panel_queries(dashboard) + annotations:
        used = metric_names(expr)
        assert used, f"{title}: {expr}"
        assert used <= MONITORING_METRICS, f"{title}: unknown {used - MONITORING_METRICS}"


def test_codedeploy_panels_follow_the_template_variables(dashboard):
    annotations = [(a["name"], a["expr"]) for a in dashboard["annotations"]["list"]]
    for title, expr in panel_queries(dashboard) + annotations:
        if "codedeploy_exporter_" in expr:
            continue  # exporter health is per exporter, not per deployment
        names = [*GROUP_VARIABLES]
        if not GROUP_LEVEL.search(expr):
            names.append("deployment_id")
        for name in names:
            assert f'{name}=~"${name}"' in expr, f"{title} ignores ${name}: {expr}"


def test_sparse_status_sets_are_only_read_for_their_current_status(dashboard):
    """Target, lifecycle and task-set status series exist only for the current status (1)."""
    sparse = re.compile(r"codedeploy_(?:target|lifecycle_event|ecs_task_set)_status\{[^}]*\}")
    for title, expr in panel_queries(dashboard):
        for match in sparse.finditer(expr):
            assert expr[match.end() :].lstrip().startswith("== 1"), (title, match.group(0))


def test_dashboard_covers_every_view_the_issue_asks_for(dashboard):
    used = set().union(*(metric_names(expr) for _, expr in panel_queries(dashboard)))
    assert used >= {
        "codedeploy_deployment_group_last_attempted_status",
        "codedeploy_deployment_group_last_success_timestamp_seconds",
        "codedeploy_deployments_total",
        "codedeploy_deployment_duration_seconds",
        "codedeploy_deployment_status",
        "codedeploy_target_status",
        "codedeploy_deployment_lifecycle_event_max_duration_seconds",
        "codedeploy_ecs_task_set_traffic_weight_ratio",
        "codedeploy_lambda_target_version_weight_ratio",
        "codedeploy_cloudformation_target_version_weight_ratio",
        "codedeploy_ecs_task_set_desired_tasks",
        "codedeploy_ecs_task_set_running_tasks",
        "codedeploy_ecs_task_set_pending_tasks",
        "codedeploy_lifecycle_event_diagnostics_info",
        "codedeploy_exporter_poll_duration_seconds",
        "codedeploy_exporter_api_request_errors_total",
        "codedeploy_exporter_last_poll_success_timestamp_seconds",
    }
    panels = {p["title"]: p for p in _panels(dashboard)}
    assert panels["Latest outcome per group"]["type"] == "state-timeline"
    raw = " ".join(q["expr"] for title in ("Rollbacks", "Deployment duration") for q in panels[title]["targets"])
    assert 'creator="codeDeployRollback"' in raw and "histogram_quantile(0.9," in raw
    attention = panels["Targets needing attention"]["targets"][0]["expr"]
    assert "topk(" in attention and "Succeeded" not in attention
    failed_hooks = panels["Failed lifecycle hooks"]
    assert {"error_code", "script_name"} <= set(re.findall(r"\w+", failed_hooks["targets"][0]["expr"]))


# The DORA row: each figure from its group-level recording rule, in the chosen window.
DORA_PANELS = {
    "Deployment frequency": ["deployment_group:codedeploy_deployments_succeeded:per_day"],
    "Deployment failure rate": ["deployment_group:codedeploy_deployments_failed:ratio"],
    "Change failure rate": ["deployment_group:codedeploy_deployment_change_failures:ratio"],
    "Time to restore": [
        "deployment_group:codedeploy_deployment_recovery_seconds:p50",
        "deployment_group:codedeploy_deployment_recovery_seconds:p90",
    ],
    "Lead time": [
        "deployment_group:codedeploy_deployment_lead_time_seconds:p50",
        "deployment_group:codedeploy_deployment_lead_time_seconds:p90",
    ],
}


def test_dora_row_reads_the_recording_rules_in_the_chosen_window(dashboard):
    from tools.generate.rules import DEFAULT_WINDOWS, recorded_names

    panels = {p["title"]: p for p in _panels(dashboard)}
    for title, names in DORA_PANELS.items():
        exprs = [q["expr"] for q in panels[title]["targets"]]
        assert [next(iter(metric_names(e))) for e in exprs] == names, title
        assert set(names) <= recorded_names()
        assert all('window="$window"' in e for e in exprs), title
    window = {v["name"]: v for v in dashboard["templating"]["list"]}["window"]
    assert window["type"] == "custom" and window["query"].split(",") == list(DEFAULT_WINDOWS)
    assert not window["multi"] and not window["includeAll"]  # one window: one value per group
    # the old Failed+Stopped ratio is the deployment failure rate now, not a change failure rate
    assert "codedeploy_deployments_total" not in " ".join(q["expr"] for q in panels["Change failure rate"]["targets"])


def test_every_query_parses_with_prometheus_own_parser(dashboard, tmp_path):
    """promtool check rules parses each query (variables as Grafana sends them with "All")."""
    import subprocess

    import yaml
    from support.tools import require_binary

    promtool = require_binary("promtool")
    annotations = [(a["name"], a["expr"]) for a in dashboard["annotations"]["list"]]
    rules = []
    for i, (_, expr) in enumerate(panel_queries(dashboard) + annotations):
        for name in (*GROUP_VARIABLES, "deployment_id"):
            expr = expr.replace(f"${name}", ".*")
        expr = expr.replace("$window", "7d").replace("$__rate_interval", "1m")
        rules.append({"record": f"dashboard:query_{i}:check", "expr": expr})
    path = tmp_path / "queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_deployment_annotations_mark_create_and_complete_times(dashboard):
    markers = {a["name"]: a for a in dashboard["annotations"]["list"]}
    assert set(markers) == {"Deployment created", "Deployment completed", "Slower than usual"}
    slower = markers.pop("Slower than usual")
    # marks the moment a running deployment crossed its group's learned threshold (start + 2.4 x p50,
    # the alert's default factor)
    assert slower["expr"].startswith("1000 * (") and slower["useValueForTime"] is True
    assert "codedeploy_deployment_start_timestamp_seconds" in slower["expr"]
    assert "clamp_min(2.4 * deployment_group:codedeploy_deployment_active_seconds:p50{" in slower["expr"]
    assert "deployment_id:codedeploy_deployment_active_seconds:elapsed" in slower["expr"]
    for marker, metric in zip(markers.values(), ("create", "complete"), strict=True):
        assert f"codedeploy_deployment_{metric}_timestamp_seconds" in marker["expr"]
        assert marker["expr"].startswith("1000 * ")  # Grafana times are milliseconds
        assert marker["useValueForTime"] is True
        assert marker["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


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


def test_running_now_shows_progress_elapsed_expected_and_eta_per_deployment(dashboard):
    (panel,) = [p for p in dashboard["panels"] if p.get("title") == "Running deployments"]
    exprs = [t["expr"] for t in panel["targets"]]
    for name in (
        "deployment_id:codedeploy_deployment_targets_finished:ratio",
        "deployment_id:codedeploy_deployment_active_seconds:elapsed",
        "deployment_group:codedeploy_deployment_active_seconds:p50",
        "deployment_group:codedeploy_deployment_active_seconds:p90",
        "deployment_id:codedeploy_deployment_active_seconds:eta",
    ):
        assert any(name in e for e in exprs), name
    # group figures are spread onto each running deployment, so the table joins on deployment_id
    assert all("deployment_id:" in e for e in exprs)
