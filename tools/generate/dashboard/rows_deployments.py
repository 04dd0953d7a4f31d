"""Rows of the selected deployments: their status, targets, lifecycle hooks and traffic shifting."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import bargauge, common, stat, table
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

from tools.generate import rules as recording
from tools.generate.alerts import ALERTS
from tools.generate.dashboard.panels import STATUS_COLORS, merge_table, place, series, status_column
from tools.generate.dashboard.queries import (
    DEPLOYMENT_LABELS,
    GROUP_LABELS,
    SEL,
    SEL_GROUP,
    TARGET_LABELS,
    query,
)

TOP_TARGETS = 50  # rows of the "needs attention" table: enough to act on, cheap at 10k targets


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


def _threshold() -> str:
    """The learned alert's threshold per group, at its default factor and floor."""
    knobs = {k.name: k.default for a in ALERTS if a.name == "CodeDeployDeploymentSlowerThanUsual" for k in a.knobs}
    return f"clamp_min({knobs['factor']} * {recording.ACTIVE_P50}{{{SEL_GROUP}}}, {knobs['floorSeconds']})"


def running_panels(y: int) -> list[Any]:
    """Per running deployment: progress, active time so far, what its group usually takes, ETA
    (the expected-duration recording rules, docs/monitoring.md)."""
    elapsed = f"{recording.ELAPSED}{{{SEL}}}"
    running = (
        place(
            table.Panel(),
            "Running deployments",
            "Each running deployment: finished targets / all, active time so far (InProgress, not "
            "waiting in Ready or Baking), its group's median and p90 active duration over the "
            "exporter's duration window, and the ETA (median - elapsed, at least 0). Expected and "
            "ETA need minDeployments Succeeded deployments in the window.",
            [
                query(f"{recording.PROGRESS}{{{SEL}}}", table_format=True),
                query(elapsed, table_format=True),
                query(
                    f"{recording.ACTIVE_P50}{{{SEL_GROUP}}}\n  + on ({GROUP_LABELS}) group_right\n  0 * {elapsed}",
                    table_format=True,
                ),
                query(
                    f"{recording.ACTIVE_P90}{{{SEL_GROUP}}}\n  + on ({GROUP_LABELS}) group_right\n  0 * {elapsed}",
                    table_format=True,
                ),
                query(f"{recording.ETA}{{{SEL}}}", table_format=True),
            ],
            (0, y, 24, 7),
        )
        .show_header(True)
        .sort_by([common.TableSortByFieldState().display_name("Elapsed").desc(True)])
        .override_by_name("Progress", [DynamicConfigValue(id_val="unit", value="percentunit")])
        .override_by_name("Elapsed", [DynamicConfigValue(id_val="unit", value="s")])
        .override_by_name("Expected (p50)", [DynamicConfigValue(id_val="unit", value="s")])
        .override_by_name("p90", [DynamicConfigValue(id_val="unit", value="s")])
        .override_by_name("ETA", [DynamicConfigValue(id_val="unit", value="s")])
        .transformations(
            merge_table(
                ["Time"],
                {
                    "Value #A": "Progress",
                    "Value #B": "Elapsed",
                    "Value #C": "Expected (p50)",
                    "Value #D": "p90",
                    "Value #E": "ETA",
                },
            )
        )
    )
    return [running]


def slower_than_usual_marker() -> str:
    """When a running deployment crossed its group's learned threshold (start + threshold), while
    it is over it: a marker beside the deploy annotations."""
    start = f"max by ({DEPLOYMENT_LABELS}) (codedeploy_deployment_start_timestamp_seconds{{{SEL}}})"
    return (
        f"1000 * (\n  {start}\n  + on ({GROUP_LABELS}) group_left\n  {_threshold()}\n)\n"
        f"and on ({DEPLOYMENT_LABELS})\n  (\n    {recording.ELAPSED}{{{SEL}}}\n"
        f"    > on ({GROUP_LABELS}) group_left\n    {_threshold()}\n  )"
    )
