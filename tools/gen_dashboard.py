#!/usr/bin/env python3
"""Generate the Grafana dashboard exporter/monitoring/dashboard.json.

The checked-in JSON is what users import; this script keeps its panels consistent (one
selector, one datasource reference, predictable ids and layout). Edit this file, then run

    python tools/gen_dashboard.py          # rewrite the JSON
    python tools/gen_dashboard.py --check  # exit 1 when the JSON is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent.parent / "exporter" / "monitoring" / "dashboard.json"
UID = "codedeploy-exporter"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Every CodeDeploy panel is narrowed by the three template variables.
SEL = ('application=~"$application", deployment_group=~"$deployment_group", '
       'deployment_id=~"$deployment_id"')
THROTTLING = 'error_code=~"Throttling.*|TooManyRequests.*|RequestLimitExceeded"'
DEPLOYMENT_LABELS = "application, deployment_group, deployment_id"
TARGET_LABELS = DEPLOYMENT_LABELS + ", target_id"


def target(expr: str, legend: str = "", *, table: bool = False) -> dict:
    query: dict[str, Any] = {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
    if table:  # tables show the current state: one instant sample per series
        query.update(format="table", instant=True, range=False)
    else:
        query.update(range=True, instant=False)
    return query


def _targets(*queries: dict) -> list[dict]:
    # Grafana names table value columns after refIds ("Value #C"), so they follow the order.
    return [dict(q, refId=chr(ord("A") + i)) for i, q in enumerate(queries)]


def panel(kind: str, title: str, description: str, queries: list[dict], grid: tuple[int, int, int, int],
          *, unit: str | None = None, options: dict | None = None, field_defaults: dict | None = None,
          overrides: list | None = None, transformations: list | None = None) -> dict:
    x, y, w, h = grid
    defaults = dict(field_defaults or {})
    if unit:
        defaults["unit"] = unit
    body = {
        "type": kind, "title": title, "description": description, "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": _targets(*queries),
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": options or {},
    }
    if transformations:
        body["transformations"] = transformations
    return body


def row(title: str, y: int) -> dict:
    return {"type": "row", "title": title, "collapsed": False, "panels": [],
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}}


STATUS_COLORS = {"Succeeded": "green", "Ready": "green", "InProgress": "blue", "Baking": "blue",
                 "Created": "text", "Queued": "text", "Pending": "text", "Skipped": "text",
                 "Failed": "red", "Stopped": "orange", "Unknown": "orange"}
STATUS_MAPPING = [{"type": "value", "options": {
    status: {"color": color, "index": i} for i, (status, color) in enumerate(STATUS_COLORS.items())}}]
_TIMESERIES = {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull"]},
               "tooltip": {"mode": "multi", "sort": "desc"}}


def _status_column(field: str) -> dict:
    return {"matcher": {"id": "byName", "options": field}, "properties": [
        {"id": "mappings", "value": STATUS_MAPPING},
        {"id": "custom.cellOptions", "value": {"type": "color-text"}}]}


def _table_merge(hide: list[str], rename: dict[str, str]) -> list[dict]:
    """Join the instant queries of a table on their common labels, drop helper columns."""
    return [{"id": "merge", "options": {}},
            {"id": "organize", "options": {"excludeByName": {name: True for name in hide},
                                           "renameByName": rename}}]


def deployment_panels(y: int) -> list[dict]:
    return [
        panel("stat", "Deployments by status",
              "How many of the selected deployments are in each status.",
              [target(f"count by (status) (codedeploy_deployment_status{{{SEL}}} == 1)", "{{status}}")],
              (0, y, 8, 6), options={"reduceOptions": {"calcs": ["lastNotNull"]},
                                     "colorMode": "background", "textMode": "value_and_name"},
              overrides=[{"matcher": {"id": "byName", "options": s},
                          "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": c}}]}
                         for s, c in STATUS_COLORS.items() if c != "text"]),
        panel("table", "Deployments",
              "Current status, platform, configuration and target counts of each deployment.",
              [target(f"max by ({DEPLOYMENT_LABELS}, status) "
                      f"(codedeploy_deployment_status{{{SEL}}} == 1)", table=True),
               target(f"max by ({DEPLOYMENT_LABELS}, compute_platform, deployment_config, "
                      f"deployment_type, creator) (codedeploy_deployment_info{{{SEL}}})", table=True),
               target(f"1000 * max by ({DEPLOYMENT_LABELS}) "
                      f"(codedeploy_deployment_create_timestamp_seconds{{{SEL}}})", table=True),
               target(f"sum by ({DEPLOYMENT_LABELS}) (codedeploy_deployment_targets{{{SEL}}})",
                      table=True),
               target(f"sum by ({DEPLOYMENT_LABELS}) "
                      f"(codedeploy_deployment_targets{{{SEL}, status=\"Failed\"}})", table=True)],
              (8, y, 16, 6),
              options={"showHeader": True, "sortBy": [{"displayName": "Created", "desc": True}]},
              overrides=[_status_column("status"),
                         {"matcher": {"id": "byName", "options": "Created"},
                          "properties": [{"id": "unit", "value": "dateTimeAsIso"}]}],
              transformations=_table_merge(
                  ["Time", "Value #A", "Value #B"],
                  {"Value #C": "Created", "Value #D": "Targets", "Value #E": "Failed targets"})),
    ]


def target_panels(y: int) -> list[dict]:
    return [
        panel("table", "Targets",
              "One row per deployment target: type, current status and last update.",
              [target(f"max by ({TARGET_LABELS}, status) (codedeploy_target_status{{{SEL}}} == 1)",
                      table=True),
               target(f"max by ({TARGET_LABELS}, target_type, instance_label) "
                      f"(codedeploy_target_info{{{SEL}}})", table=True),
               target(f"1000 * max by ({TARGET_LABELS}) "
                      f"(codedeploy_target_last_updated_timestamp_seconds{{{SEL}}})", table=True)],
              (0, y, 24, 8), options={"showHeader": True,
                                      "sortBy": [{"displayName": "Last updated", "desc": True}]},
              overrides=[_status_column("status"),
                         {"matcher": {"id": "byName", "options": "Last updated"},
                          "properties": [{"id": "unit", "value": "dateTimeAsIso"}]}],
              transformations=_table_merge(["Time", "Value #A", "Value #B"],
                                           {"Value #C": "Last updated"})),
        panel("table", "Failed lifecycle hooks",
              "Every failed lifecycle event with the error code and script CodeDeploy reported.",
              [target(f"max by ({TARGET_LABELS}, lifecycle_event, error_code, script_name) "
                      f"(codedeploy_lifecycle_event_diagnostics_info{{{SEL}}})", table=True)],
              (0, y + 8, 24, 6), options={"showHeader": True},
              overrides=[{"matcher": {"id": "byName", "options": "error_code"}, "properties": [
                  {"id": "custom.cellOptions", "value": {"type": "color-text"}},
                  {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}]}],
              transformations=_table_merge(["Time", "Value"], {})),
    ]


def hook_panels(y: int) -> list[dict]:
    return [
        panel("bargauge", "Lifecycle hook durations",
              "Slowest and average completed run of each lifecycle event across the selected "
              "targets: the slow hook stands out.",
              [target(f"max by (lifecycle_event) "
                      f"(codedeploy_lifecycle_event_duration_seconds{{{SEL}}})",
                      "{{lifecycle_event}} (max)"),
               target(f"avg by (lifecycle_event) "
                      f"(codedeploy_lifecycle_event_duration_seconds{{{SEL}}})",
                      "{{lifecycle_event}} (avg)")],
              (0, y, 12, 9), unit="s",
              options={"orientation": "horizontal", "displayMode": "gradient",
                       "reduceOptions": {"calcs": ["lastNotNull"]}}),
        panel("timeseries", "Lifecycle hooks in progress",
              "How long each running lifecycle event has been in progress.",
              [target(f"time() - codedeploy_lifecycle_event_start_timestamp_seconds{{{SEL}}} "
                      f"and on ({TARGET_LABELS}, lifecycle_event) "
                      f"codedeploy_lifecycle_event_status{{{SEL}, status=\"InProgress\"}} == 1",
                      "{{deployment_id}} {{target_id}} {{lifecycle_event}}")],
              (12, y, 12, 9), unit="s", options=_TIMESERIES),
    ]


def traffic_panels(y: int) -> list[dict]:
    return [
        panel("timeseries", "Traffic shift",
              "Share of traffic on each ECS task set, and on the target version of Lambda "
              "aliases and CloudFormation blue/green resources (percent).",
              [target(f"codedeploy_ecs_task_set_traffic_weight{{{SEL}}}",
                      "ECS {{deployment_id}} {{task_set_label}} {{task_set_id}}"),
               target(f"100 * codedeploy_lambda_target_version_weight{{{SEL}}}",
                      "Lambda {{deployment_id}} {{function_name}}:{{function_alias}} "
                      "v{{target_version}}"),
               target(f"100 * codedeploy_cloudformation_target_version_weight{{{SEL}}}",
                      "CloudFormation {{deployment_id}} {{target_id}}")],
              (0, y, 12, 9), unit="percent",
              field_defaults={"min": 0, "max": 100,
                              "custom": {"lineInterpolation": "stepAfter"}},
              options=_TIMESERIES),
        panel("timeseries", "ECS task sets",
              "Desired, running and pending tasks of each ECS task set.",
              [target(f"codedeploy_ecs_task_set_desired_tasks{{{SEL}}}",
                      "desired {{task_set_label}} {{task_set_id}}"),
               target(f"codedeploy_ecs_task_set_running_tasks{{{SEL}}}",
                      "running {{task_set_label}} {{task_set_id}}"),
               target(f"codedeploy_ecs_task_set_pending_tasks{{{SEL}}}",
                      "pending {{task_set_label}} {{task_set_id}}")],
              (12, y, 12, 9), unit="short",
              field_defaults={"min": 0, "decimals": 0,
                              "custom": {"lineInterpolation": "stepAfter"}},
              options=_TIMESERIES),
    ]


def exporter_panels(y: int) -> list[dict]:
    # "or ... * 0" draws a flat zero per operation instead of "No data" when nothing failed.
    requests = "sum by (operation) (rate(codedeploy_exporter_api_requests_total[$__rate_interval]))"
    return [
        panel("timeseries", "Poll duration",
              "Wall time of the exporter's last completed poll.",
              [target("codedeploy_exporter_poll_duration_seconds", "{{instance}}")],
              (0, y, 6, 8), unit="s", options=_TIMESERIES),
        panel("timeseries", "Data age",
              "Seconds since the last successful poll: how old the served data is.",
              [target("time() - codedeploy_exporter_last_poll_success_timestamp_seconds",
                      "{{instance}}")],
              (6, y, 6, 8), unit="s", options=_TIMESERIES),
        panel("timeseries", "API requests and errors",
              "CodeDeploy API request rate per operation and error rate per error code.",
              [target(requests, "{{operation}}"),
               target("sum by (operation, error_code) "
                      "(rate(codedeploy_exporter_api_request_errors_total[$__rate_interval])) "
                      f"or 0 * {requests}", "{{operation}} {{error_code}}")],
              (12, y, 6, 8), unit="reqps", options=_TIMESERIES),
        panel("timeseries", "API throttling",
              "Throttled CodeDeploy API requests per operation.",
              [target("sum by (operation) (rate(codedeploy_exporter_api_request_errors_total"
                      f"{{{THROTTLING}}}[$__rate_interval])) or 0 * {requests}",
                      "{{operation}}")],
              (18, y, 6, 8), unit="reqps", options=_TIMESERIES),
        panel("timeseries", "API latency (p95)",
              "95th percentile CodeDeploy API call duration per operation, retries included.",
              [target("histogram_quantile(0.95, sum by (operation, le) "
                      "(rate(codedeploy_exporter_api_request_duration_seconds_bucket"
                      "[$__rate_interval])))", "{{operation}}")],
              (0, y + 8, 8, 8), unit="s", options=_TIMESERIES),
        panel("timeseries", "Tracked targets",
              "Targets polled every interval and targets frozen after finishing.",
              [target("sum by (state) (codedeploy_exporter_targets)", "{{state}}")],
              (8, y + 8, 8, 8), unit="short", options=_TIMESERIES),
        panel("timeseries", "Targets failing to poll",
              "Targets whose last poll failed (codedeploy_exporter_target_poll_success == 0).",
              [target("sum by (instance) (1 - codedeploy_exporter_target_poll_success)",
                      "{{instance}}")],
              (16, y + 8, 8, 8), unit="short", field_defaults={"min": 0, "decimals": 0},
              options=_TIMESERIES),
    ]


def variable(name: str, label: str, query: str) -> dict:
    return {
        "type": "query", "name": name, "label": label, "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-variable"}, "definition": query,
        "refresh": 2, "sort": 1, "multi": True, "includeAll": True, "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
    }


def build_dashboard() -> dict:
    rows = [("Deployments", 7, deployment_panels), ("Targets", 15, target_panels),
            ("Lifecycle hooks", 10, hook_panels), ("Traffic shifting", 10, traffic_panels),
            ("Exporter health", 17, exporter_panels)]
    panels, y = [], 0
    for title, height, build in rows:
        panels.append(row(title, y))
        panels.extend(build(y + 1))
        y += height
    for number, item in enumerate(panels, start=1):
        item["id"] = number
    return {
        "uid": UID,
        "title": "AWS CodeDeploy",
        "description": "Deployments, targets, lifecycle hooks and traffic shifting from "
                       "codedeploy-exporter, and the exporter's own health.",
        "tags": ["codedeploy", "aws", "codedeploy-exporter"],
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "timezone": "",
        "links": [{"title": "Runbooks", "type": "link", "targetBlank": True,
                   "url": "https://github.com/codedeploy-exporter/codedeploy-exporter/blob/main/"
                          "docs/monitoring.md#runbooks"}],
        "annotations": {"list": []},
        "templating": {"list": [
            {"type": "datasource", "name": "datasource", "label": "Data source",
             "query": "prometheus", "current": {}, "hide": 0, "refresh": 1},
            variable("application", "Application",
                     "label_values(codedeploy_target_info, application)"),
            variable("deployment_group", "Deployment group",
                     'label_values(codedeploy_target_info{application=~"$application"}, '
                     "deployment_group)"),
            variable("deployment_id", "Deployment",
                     'label_values(codedeploy_target_info{application=~"$application", '
                     'deployment_group=~"$deployment_group"}, deployment_id)'),
        ]},
        "panels": panels,
    }


def render() -> str:
    return json.dumps(build_dashboard(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the checked-in JSON differs")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run python tools/gen_dashboard.py",
                  file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
