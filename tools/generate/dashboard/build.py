"""The dashboard: its variables, deployment annotations and rows of panels, rendered as JSON."""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    GridPos,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from tools.generate.dashboard.queries import DATASOURCE, DEPLOYMENT_LABELS, SEL, SEL_GROUP
from tools.generate.dashboard.rows_deployments import (
    deployment_panels,
    hook_panels,
    running_panels,
    slower_than_usual_marker,
    target_panels,
    traffic_panels,
)
from tools.generate.dashboard.rows_exporter import exporter_panels
from tools.generate.dashboard.rows_groups import dora_panels, group_panels
from tools.generate.rules import DEFAULT_WINDOWS

UID = "codedeploy-exporter"
RUNBOOKS = "https://github.com/codedeploy-exporter/codedeploy-exporter/blob/main/docs/monitoring.md"


# Every account with a group, named where an organization scope knows its name: the options show
# the name (or the ID, unnamed), their values are IDs, so the panels filter on account_id as before.
ACCOUNTS = "max by (account_id, account_name) (codedeploy_account_info) or on (account_id) max by (account_id) ({info})"
ACCOUNT_OPTION = '/account_id="(?<value>[^"]+)"(,account_name="(?<text>[^"]*)")?/'


def account_variable(info: str) -> dashboard.QueryVariable:
    return variable("account_id", "Account", f"query_result({ACCOUNTS.format(info=info)})").regex(ACCOUNT_OPTION)


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


def window_variable() -> dashboard.CustomVariable:
    """The DORA row's window: one of the recording rules' windows (label `window`)."""
    windows = ",".join(DEFAULT_WINDOWS)
    default = VariableOption(selected=True, text="7d", value="7d")
    return dashboard.CustomVariable("window").label("DORA window").values(windows).current(default)


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

    slower = (
        dashboard.AnnotationQuery()
        .name("Slower than usual")
        .datasource(DATASOURCE)
        .enable(True)
        .hide(False)
        .icon_color("orange")
        .expr(slower_than_usual_marker())
    )
    return [
        marker("Deployment created", "codedeploy_deployment_create_timestamp_seconds", "blue"),
        marker("Deployment completed", "codedeploy_deployment_complete_timestamp_seconds", "purple"),
        slower,
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
        ("DORA", 17, dora_panels),
        ("Deployments", 7, deployment_panels),
        ("Running now", 8, running_panels),
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
        board.with_variable(account_variable(info))
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
    board = board.with_variable(window_variable())
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
