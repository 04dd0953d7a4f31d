#!/usr/bin/env python3
"""Generate the Grafana dashboard exporter/monitoring/dashboard.json.

Built with grafana-foundation-sdk, Grafana's typed dashboard builders (a development
dependency in the `test` extra; Python 3.11+). The checked-in JSON is what users import; a
test fails when it differs from this script's output. Edit this file, then run

    python -m tools.generate.dashboard          # rewrite the JSON
    python -m tools.generate.dashboard --check  # exit 1 when the JSON is out of date
    python -m tools.generate.monitoring         # refresh the Helm chart's copy

Queries are sparse-safe: target, lifecycle-event and task-set status series exist only for
the current status (value 1), so panels select `== 1` series and never count zeros.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import (
    bargauge,
    common,
    dashboard,
    prometheus,
    stat,
    statetimeline,
    table,
    timeseries,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    GridPos,
    ValueMap,
    ValueMappingResult,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

OUTPUT = Path(__file__).resolve().parents[2] / "exporter" / "monitoring" / "dashboard.json"
UID = "codedeploy-exporter"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
RUNBOOKS = "https://github.com/codedeploy-exporter/codedeploy-exporter/blob/main/docs/monitoring.md"
# Group-level panels follow the four group variables; deployment-level panels also the
# deployment variable.
SEL_GROUP = (
    'account_id=~"$account_id", region=~"$region", application=~"$application", deployment_group=~"$deployment_group"'
)
SEL = SEL_GROUP + ', deployment_id=~"$deployment_id"'
THROTTLING = 'error_code=~"Throttling.*|TooManyRequests.*|RequestLimitExceeded"'
GROUP_LABELS = "account_id, region, application, deployment_group"
DEPLOYMENT_LABELS = GROUP_LABELS + ", deployment_id"
TARGET_LABELS = DEPLOYMENT_LABELS + ", target_id"
GROUP_LEGEND = "{{application}}/{{deployment_group}} ({{region}})"
TOP_TARGETS = 50  # rows of the "needs attention" table: enough to act on, cheap at 10k targets

STATUS_COLORS = {
    "Succeeded": "green",
    "Ready": "green",
    "InProgress": "blue",
    "Baking": "blue",
    "Created": "text",
    "Queued": "text",
    "Pending": "text",
    "Skipped": "text",
    "Failed": "red",
    "Stopped": "orange",
    "Unknown": "orange",
}
# The state timeline shows one number per group; these are the numbers of each status.
OUTCOME_CODES = {
    "Succeeded": 1,
    "Failed": 2,
    "Stopped": 3,
    "InProgress": 4,
    "Baking": 5,
    "Ready": 6,
    "Queued": 7,
    "Created": 8,
}


# ---- small typed helpers ----------------------------------------------------------------


def query(expr: str, legend: str = "", *, table_format: bool = False) -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).legend_format(legend).datasource(DATASOURCE)
    if table_format:  # tables show the current state: one instant sample per series
        return q.format(PromQueryFormat.TABLE).instant()
    return q.range()


def _with_queries(panel: Any, queries: list[prometheus.Dataquery]) -> Any:
    # Grafana names table value columns after refIds ("Value #C"), so they follow the order.
    for i, q in enumerate(queries):
        panel = panel.with_target(q.ref_id(chr(ord("A") + i)))
    return panel


def place(
    panel: Any, title: str, description: str, queries: list[prometheus.Dataquery], grid: tuple[int, int, int, int]
) -> Any:
    x, y, w, h = grid
    panel = panel.title(title).description(description).datasource(DATASOURCE).grid_pos(GridPos(x=x, y=y, w=w, h=h))
    return _with_queries(panel, queries)


def status_mapping(codes: dict[str, int] | None = None) -> list[ValueMap]:
    """Colour status names (or their numeric codes) the same way in every panel."""
    if codes is None:
        options = {s: ValueMappingResult(color=c, index=i) for i, (s, c) in enumerate(STATUS_COLORS.items())}
    else:
        options = {
            str(code): ValueMappingResult(text=s, color=STATUS_COLORS[s], index=i)
            for i, (s, code) in enumerate(codes.items())
        }
    return [ValueMap(options=options)]


def status_column(panel: Any, field: str) -> Any:
    return panel.override_by_name(
        field,
        [
            DynamicConfigValue(id_val="mappings", value=status_mapping()),
            DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
        ],
    )


def merge_table(hide: list[str], rename: dict[str, str]) -> list[DataTransformerConfig]:
    """Join the instant queries of a table on their common labels, drop helper columns."""
    return [
        DataTransformerConfig(id_val="merge", options={}),
        DataTransformerConfig(
            id_val="organize", options={"excludeByName": {name: True for name in hide}, "renameByName": rename}
        ),
    ]


def legend_table() -> common.VizLegendOptions:
    return (
        common.VizLegendOptions()
        .display_mode(common_models.LegendDisplayMode.TABLE)  # type: ignore[arg-type]  # StrEnum: 3.11+, mypy checks 3.10
        .placement(common_models.LegendPlacement.RIGHT)
        .show_legend(True)
        .calcs(["lastNotNull"])
    )


def multi_tooltip() -> common.VizTooltipOptions:
    return (
        common.VizTooltipOptions()
        .mode(common_models.TooltipDisplayMode.MULTI)  # type: ignore[arg-type]  # StrEnum: 3.11+, mypy checks 3.10
        .sort(common_models.SortOrder.DESCENDING)
    )


def series(
    title: str,
    description: str,
    queries: list[prometheus.Dataquery],
    grid: tuple[int, int, int, int],
    unit: str,
    **extra: Any,
) -> timeseries.Panel:
    panel = place(timeseries.Panel(), title, description, queries, grid).unit(unit)
    panel = panel.legend(legend_table()).tooltip(multi_tooltip())
    if extra.get("steps"):
        panel = panel.line_interpolation(common_models.LineInterpolation.STEP_AFTER)
    if extra.get("bars"):
        panel = panel.draw_style(common_models.GraphDrawStyle.BARS).fill_opacity(60)
    if "min" in extra:
        panel = panel.min(extra["min"])
    if "max" in extra:
        panel = panel.max(extra["max"])
    if "decimals" in extra:
        panel = panel.decimals(extra["decimals"])
    return panel


# ---- rows --------------------------------------------------------------------------------


def group_panels(y: int) -> list[Any]:
    outcome = "\n  or ".join(
        f'(codedeploy_deployment_group_last_attempted_status{{{SEL_GROUP}, status="{s}"}} == 1) * {code}'
        for s, code in OUTCOME_CODES.items()
    )
    return [
        place(
            statetimeline.Panel(),
            "Latest outcome per group",
            "Status of each deployment group's latest deployment over time (from the "
            "group's last attempted deployment).",
            [query(f"max by ({GROUP_LABELS}) (\n  {outcome}\n)", GROUP_LEGEND)],
            (0, y, 16, 8),
        )
        .mappings(status_mapping(OUTCOME_CODES))
        .show_value(common_models.VisibilityMode.NEVER)
        .merge_values(True)
        .row_height(0.8)
        .fill_opacity(80),
        place(
            bargauge.Panel(),
            "Time since last success",
            "How long ago each group's last successful deployment ended (from the API, so "
            "right after an exporter restart too).",
            [
                query(
                    f"time() - max by ({GROUP_LABELS}) "
                    f"(codedeploy_deployment_group_last_success_timestamp_seconds{{{SEL_GROUP}}})",
                    GROUP_LEGEND,
                    table_format=False,
                ).instant()
            ],
            (16, y, 8, 8),
        )
        .unit("s")
        .orientation(common_models.VizOrientation.HORIZONTAL)
        .display_mode(common_models.BarGaugeDisplayMode.BASIC)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False)),
    ]


def dora_panels(y: int) -> list[Any]:
    total = f"codedeploy_deployments_total{{{SEL_GROUP}}}"
    by = f"sum by ({GROUP_LABELS})"
    return [
        series(
            "Deployments per day",
            "Finished deployments per group over the previous 24 h (deployment frequency). "
            "Counts start at the exporter's first poll of a group.",
            [query(f"{by} (increase({total}[1d]))", GROUP_LEGEND)],
            (0, y, 6, 8),
            "short",
            min=0,
        ),
        series(
            "Change failure rate",
            "Share of the deployments finished over the previous 7 days that failed or were stopped.",
            [
                query(
                    f"{by} (increase(codedeploy_deployments_total{{{SEL_GROUP}, "
                    f'status=~"Failed|Stopped"}}[7d]))\n  / {by} (increase({total}[7d]))',
                    GROUP_LEGEND,
                )
            ],
            (6, y, 6, 8),
            "percentunit",
            min=0,
            max=1,
        ),
        series(
            "Rollbacks",
            "Automatic rollbacks (deployments created by codeDeployRollback) finished over the previous 24 h.",
            [
                query(
                    f'{by} (increase(codedeploy_deployments_total{{{SEL_GROUP}, creator="codeDeployRollback"}}[1d]))',
                    GROUP_LEGEND,
                )
            ],
            (12, y, 6, 8),
            "short",
            min=0,
        ),
        series(
            "Deployment duration",
            "Create-to-complete time of the deployments finished over the previous 24 h: "
            "median, 90th and 99th percentile.",
            [
                query(
                    f"histogram_quantile({q}, sum by (le) (rate("
                    f"codedeploy_deployment_duration_seconds_bucket{{{SEL_GROUP}}}[1d])))",
                    f"p{round(q * 100)}",
                )
                for q in (0.5, 0.9, 0.99)
            ],
            (18, y, 6, 8),
            "s",
            min=0,
        ),
    ]


def deployment_panels(y: int) -> list[Any]:
    by_status = (
        place(
            stat.Panel(),
            "Deployments by status",
            "How many of the selected deployments are in each status.",
            [query(f"count by (status) (codedeploy_deployment_status{{{SEL}}} == 1)", "{{status}}")],
            (0, y, 8, 6),
        )
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
        .color_mode(common_models.BigValueColorMode.BACKGROUND)
        .text_mode(common_models.BigValueTextMode.VALUE_AND_NAME)
    )
    for status, color in STATUS_COLORS.items():
        if color != "text":
            by_status = by_status.override_by_name(
                status, [DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": color})]
            )
    deployments = (
        place(
            table.Panel(),
            "Deployments",
            "Current status, platform, configuration and target counts of each deployment.",
            [
                query(
                    f"max by ({DEPLOYMENT_LABELS}, status) (codedeploy_deployment_status{{{SEL}}} == 1)",
                    table_format=True,
                ),
                query(
                    f"max by ({DEPLOYMENT_LABELS}, compute_platform, deployment_config, "
                    f"deployment_type, creator) (codedeploy_deployment_info{{{SEL}}})",
                    table_format=True,
                ),
                query(
                    f"1000 * max by ({DEPLOYMENT_LABELS}) (codedeploy_deployment_create_timestamp_seconds{{{SEL}}})",
                    table_format=True,
                ),
                query(f"sum by ({DEPLOYMENT_LABELS}) (codedeploy_deployment_targets{{{SEL}}})", table_format=True),
                query(
                    f'sum by ({DEPLOYMENT_LABELS}) (codedeploy_deployment_targets{{{SEL}, status="Failed"}})',
                    table_format=True,
                ),
            ],
            (8, y, 16, 6),
        )
        .show_header(True)
        .sort_by([common.TableSortByFieldState().display_name("Created").desc(True)])
        .override_by_name("Created", [DynamicConfigValue(id_val="unit", value="dateTimeAsIso")])
        .transformations(
            merge_table(
                ["Time", "Value #A", "Value #B"],
                {"Value #C": "Created", "Value #D": "Targets", "Value #E": "Failed targets"},
            )
        )
    )
    return [by_status, status_column(deployments, "status")]


def target_panels(y: int) -> list[Any]:
    attention = (
        place(
            table.Panel(),
            "Targets needing attention",
            f"Failed and in-progress targets, the {TOP_TARGETS} most recently updated "
            "(finished targets that succeeded are left out).",
            [
                query(
                    f"1000 * topk({TOP_TARGETS},\n"
                    f"  max by ({TARGET_LABELS}) "
                    f"(codedeploy_target_last_updated_timestamp_seconds{{{SEL}}})\n"
                    f"  * on ({TARGET_LABELS}) group_left (status)\n"
                    f"  max by ({TARGET_LABELS}, status) (codedeploy_target_status{{{SEL}, "
                    f'status=~"Failed|InProgress|Pending|Ready|Unknown"}} == 1)\n)',
                    table_format=True,
                )
            ],
            (0, y, 24, 8),
        )
        .show_header(True)
        .sort_by([common.TableSortByFieldState().display_name("Last updated").desc(True)])
        .override_by_name("Last updated", [DynamicConfigValue(id_val="unit", value="dateTimeAsIso")])
        .transformations(merge_table(["Time"], {"Value": "Last updated"}))
    )
    hooks = (
        place(
            table.Panel(),
            "Failed lifecycle hooks",
            "Every failed lifecycle event with the error code and script CodeDeploy reported.",
            [
                query(
                    f"max by ({TARGET_LABELS}, lifecycle_event, error_code, script_name) "
                    f"(codedeploy_lifecycle_event_diagnostics_info{{{SEL}}})",
                    table_format=True,
                )
            ],
            (0, y + 8, 24, 6),
        )
        .show_header(True)
        .override_by_name(
            "error_code",
            [
                DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
                DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": "red"}),
            ],
        )
        .transformations(merge_table(["Time", "Value"], {}))
    )
    return [status_column(attention, "status"), hooks]


def hook_panels(y: int) -> list[Any]:
    agg = "codedeploy_deployment_lifecycle_event"
    return [
        place(
            bargauge.Panel(),
            "Lifecycle hook durations",
            "Slowest and average completed run of each lifecycle event across the selected "
            "deployments (per-deployment aggregates, so targets whose per-target series are "
            "left out still count): the slow hook stands out.",
            [
                query(f"max by (lifecycle_event) ({agg}_max_duration_seconds{{{SEL}}})", "{{lifecycle_event}} (max)"),
                query(
                    f"sum by (lifecycle_event) ({agg}_duration_seconds_sum{{{SEL}}})\n"
                    f"  / sum by (lifecycle_event) ({agg}_duration_seconds_count{{{SEL}}})",
                    "{{lifecycle_event}} (avg)",
                ),
            ],
            (0, y, 12, 9),
        )
        .unit("s")
        .orientation(common_models.VizOrientation.HORIZONTAL)
        .display_mode(common_models.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"])),
        series(
            "Lifecycle hooks in progress",
            "How long each running lifecycle event has been in progress.",
            [
                query(
                    f"time() - codedeploy_lifecycle_event_start_timestamp_seconds{{{SEL}}}\n"
                    f"  and on ({TARGET_LABELS}, lifecycle_event)\n"
                    f'  codedeploy_lifecycle_event_status{{{SEL}, status="InProgress"}} == 1',
                    "{{deployment_id}} {{target_id}} {{lifecycle_event}}",
                )
            ],
            (12, y, 12, 9),
            "s",
        ),
    ]


def traffic_panels(y: int) -> list[Any]:
    return [
        series(
            "Traffic shift",
            "Share of traffic on each ECS task set, and on the target version of Lambda "
            "aliases and CloudFormation blue/green resources (all three on one 0-1 scale).",
            [
                query(
                    f"codedeploy_ecs_task_set_traffic_weight_ratio{{{SEL}}}",
                    "ECS {{deployment_id}} {{task_set_label}} {{task_set_id}}",
                ),
                query(
                    f"codedeploy_lambda_target_version_weight_ratio{{{SEL}}}",
                    "Lambda {{deployment_id}} {{function_name}}:{{function_alias}} v{{target_version}}",
                ),
                query(
                    f"codedeploy_cloudformation_target_version_weight_ratio{{{SEL}}}",
                    "CloudFormation {{deployment_id}} {{target_id}}",
                ),
            ],
            (0, y, 12, 9),
            "percentunit",
            min=0,
            max=1,
            steps=True,
        ),
        series(
            "ECS task sets",
            "Desired, running and pending tasks of each ECS task set.",
            [
                query(f"codedeploy_ecs_task_set_desired_tasks{{{SEL}}}", "desired {{task_set_label}} {{task_set_id}}"),
                query(f"codedeploy_ecs_task_set_running_tasks{{{SEL}}}", "running {{task_set_label}} {{task_set_id}}"),
                query(f"codedeploy_ecs_task_set_pending_tasks{{{SEL}}}", "pending {{task_set_label}} {{task_set_id}}"),
            ],
            (12, y, 12, 9),
            "short",
            min=0,
            decimals=0,
            steps=True,
        ),
    ]


def exporter_panels(y: int) -> list[Any]:
    # "or ... * 0" draws a flat zero per operation instead of "No data" when nothing failed.
    requests = "sum by (operation) (rate(codedeploy_exporter_api_requests_total[$__rate_interval]))"
    return [
        series(
            "Poll duration",
            "Wall time of the exporter's last completed poll, against its poll interval.",
            [
                query("codedeploy_exporter_poll_duration_seconds", "{{instance}}"),
                query("codedeploy_exporter_poll_interval_seconds", "{{instance}} interval"),
            ],
            (0, y, 6, 8),
            "s",
        ),
        series(
            "Data age",
            "Seconds since the last successful poll: how old the served data is.",
            [query("time() - codedeploy_exporter_last_poll_success_timestamp_seconds", "{{instance}}")],
            (6, y, 6, 8),
            "s",
        ),
        series(
            "API requests and errors",
            "CodeDeploy API request rate per operation and error rate per error code.",
            [
                query(requests, "{{operation}}"),
                query(
                    "sum by (operation, error_code) "
                    "(rate(codedeploy_exporter_api_request_errors_total[$__rate_interval])) "
                    f"or 0 * {requests}",
                    "{{operation}} {{error_code}}",
                ),
            ],
            (12, y, 6, 8),
            "reqps",
        ),
        series(
            "API throttling",
            "Throttled CodeDeploy API requests per operation.",
            [
                query(
                    "sum by (operation) (rate(codedeploy_exporter_api_request_errors_total"
                    f"{{{THROTTLING}}}[$__rate_interval])) or 0 * {requests}",
                    "{{operation}}",
                )
            ],
            (18, y, 6, 8),
            "reqps",
        ),
        series(
            "API latency (p95)",
            "95th percentile CodeDeploy API call duration per operation, retries included.",
            [
                query(
                    "histogram_quantile(0.95, sum by (operation, le) "
                    "(rate(codedeploy_exporter_api_request_duration_seconds_bucket"
                    "[$__rate_interval])))",
                    "{{operation}}",
                )
            ],
            (0, y + 8, 8, 8),
            "s",
        ),
        series(
            "Tracked targets",
            "Targets polled every interval and targets frozen after finishing.",
            [query("sum by (state) (codedeploy_exporter_targets)", "{{state}}")],
            (8, y + 8, 8, 8),
            "short",
        ),
        series(
            "Targets failing to poll",
            "Targets whose last poll failed (codedeploy_exporter_target_poll_success == 0).",
            [query("sum by (instance) (1 - codedeploy_exporter_target_poll_success)", "{{instance}}")],
            (16, y + 8, 8, 8),
            "short",
            min=0,
            decimals=0,
        ),
    ]


# ---- variables, annotations, dashboard --------------------------------------------------


def variable(name: str, label: str, expr: str) -> dashboard.QueryVariable:
    # The object form ({"query", "refId"}) is what Grafana's Prometheus variable editor saves.
    return (
        dashboard.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query({"query": expr, "refId": f"{name}-variable"})
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


def deployment_annotations() -> list[dashboard.AnnotationQuery]:
    """Deployment start and end markers; copy them to any dashboard with the same variables."""

    def marker(name: str, metric: str, color: str) -> dashboard.AnnotationQuery:
        return (
            dashboard.AnnotationQuery()
            .name(name)
            .datasource(DATASOURCE)
            .enable(True)
            .hide(False)
            .icon_color(color)
            .expr(f"1000 * max by ({DEPLOYMENT_LABELS}) ({metric}{{{SEL}}})")
        )

    return [
        marker("Deployment created", "codedeploy_deployment_create_timestamp_seconds", "blue"),
        marker("Deployment completed", "codedeploy_deployment_complete_timestamp_seconds", "purple"),
    ]


# Prometheus annotation options the SDK's AnnotationQuery has no setters for: place each
# marker at the timestamp the series holds (useValueForTime), once per deployment.
_ANNOTATION_EXTRAS = {
    "useValueForTime": True,
    "step": "1m",
    "titleFormat": "{{deployment_id}}",
    "textFormat": "{{application}}/{{deployment_group}} ({{account_id}}, {{region}})",
    "tagKeys": "application,deployment_group",
}


def build_dashboard() -> dict[str, Any]:
    rows = [
        ("Deployment groups", 9, group_panels),
        ("DORA", 9, dora_panels),
        ("Deployments", 7, deployment_panels),
        ("Targets", 15, target_panels),
        ("Lifecycle hooks", 10, hook_panels),
        ("Traffic shifting", 10, traffic_panels),
        ("Exporter health", 17, exporter_panels),
    ]
    board = (
        dashboard.Dashboard("AWS CodeDeploy")
        .uid(UID)
        .description(
            "Deployment groups, DORA trends, deployments, targets, lifecycle hooks "
            "and traffic shifting from codedeploy-exporter, and the exporter's own "
            "health."
        )
        .tags(["codedeploy", "aws", "codedeploy-exporter"])
        .editable()
        .tooltip(dashboard_tooltip())
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("")
        .link(
            dashboard.DashboardLink("Runbooks")
            .type(DashboardLinkType.LINK)  # type: ignore[arg-type]  # StrEnum: 3.11+, mypy checks 3.10
            .url(RUNBOOKS + "#runbooks")
            .target_blank(True)
        )
    )
    board = board.with_variable(dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus"))
    info = "codedeploy_deployment_group_info"
    board = (
        board.with_variable(variable("account_id", "Account", f"label_values({info}, account_id)"))
        .with_variable(variable("region", "Region", f'label_values({info}{{account_id=~"$account_id"}}, region)'))
        .with_variable(
            variable(
                "application",
                "Application",
                f'label_values({info}{{account_id=~"$account_id", region=~"$region"}}, application)',
            )
        )
        .with_variable(
            variable(
                "deployment_group",
                "Deployment group",
                f'label_values({info}{{account_id=~"$account_id", '
                f'region=~"$region", application=~"$application"}}, '
                "deployment_group)",
            )
        )
        .with_variable(
            variable(
                "deployment_id", "Deployment", f"label_values(codedeploy_deployment_info{{{SEL_GROUP}}}, deployment_id)"
            )
        )
    )
    for marker in deployment_annotations():
        board = board.annotation(marker)
    number, y = 1, 0
    for title, height, build in rows:
        board = board.with_row(dashboard.Row(title).id(number).grid_pos(GridPos(x=0, y=y, w=24, h=1)))
        number += 1
        for panel in build(y + 1):
            board = board.with_panel(panel.id(number))
            number += 1
        y += height
    data = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    for entry in data["annotations"]["list"]:
        entry.update(_ANNOTATION_EXTRAS)
    return data


def dashboard_tooltip() -> Any:
    from grafana_foundation_sdk.models.dashboard import DashboardCursorSync

    return DashboardCursorSync.CROSSHAIR


def render() -> str:
    return json.dumps(build_dashboard(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the checked-in JSON differs")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run python -m tools.generate.dashboard", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
