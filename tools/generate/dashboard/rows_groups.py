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


def _recorded(figure: str) -> str:
    """A group-level DORA recording rule (exporter/monitoring/rules.yaml) for the chosen window."""
    return f'deployment_group:{figure}{{{SEL_GROUP}, window="$window"}}'


def dora_panels(y: int) -> list[Any]:
    """The DORA figures from the recording rules, for the window of the `window` variable; then
    rollbacks and durations from the raw series."""
    by = f"sum by ({GROUP_LABELS})"
    window = "over the previous $window (the window variable), per group, from the recording rules"
    return [
        series(
            "Deployment frequency",
            f"Successful deployments per day {window}. The exporter counts them from each group's "
            "listed history, so an exporter restart does not reset them.",
            [query(_recorded("codedeploy_deployments_succeeded:per_day"), GROUP_LEGEND)],
            (0, y, 6, 8),
            "short",
            min=0,
        ),
        series(
            "Deployment failure rate",
            f"Share of the deployments finished {window} that failed or were stopped, whether or "
            "not they reached users.",
            [query(_recorded("codedeploy_deployments_failed:ratio"), GROUP_LEGEND)],
            (6, y, 6, 8),
            "percentunit",
            min=0,
            max=1,
        ),
        series(
            "Change failure rate",
            f"Share of the changes (deployments that reached users) {window} that had to be "
            "remediated: rolled back, or followed by a redeploy of an earlier revision.",
            [query(_recorded("codedeploy_deployment_change_failures:ratio"), GROUP_LEGEND)],
            (12, y, 6, 8),
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
            (18, y, 6, 8),
            "short",
            min=0,
        ),
        series(
            "Time to restore",
            "Time from the first failed or stopped deployment of a streak to the next success, "
            f"median and 90th percentile of the recoveries {window}.",
            [
                query(_recorded(f"codedeploy_deployment_recovery_seconds:{q}"), f"{q} {GROUP_LEGEND}")
                for q in ("p50", "p90")
            ],
            (0, y + 8, 8, 8),
            "s",
            min=0,
        ),
        series(
            "Lead time",
            "Time from a revision's registration to the end of its successful deployment (the part "
            f"of lead time CodeDeploy sees), median and 90th percentile {window}; only with the "
            "exporter's metrics.lead_time.",
            [
                query(_recorded(f"codedeploy_deployment_lead_time_seconds:{q}"), f"{q} {GROUP_LEGEND}")
                for q in ("p50", "p90")
            ],
            (8, y + 8, 8, 8),
            "s",
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
            (16, y + 8, 8, 8),
            "s",
            min=0,
        ),
    ]
