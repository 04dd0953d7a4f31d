"""Rows of whole deployment groups: each group's latest outcome and last success, and the DORA trends."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import bargauge, common, statetimeline
from grafana_foundation_sdk.models import common as common_models

from tools.generate.dashboard.panels import place, series, status_mapping
from tools.generate.dashboard.queries import GROUP_LABELS, GROUP_LEGEND, SEL_GROUP, query

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
