"""The exporter health row: polls, data age, CodeDeploy API requests, errors and latency, targets."""

from __future__ import annotations

from typing import Any

from tools.generate.dashboard.panels import series
from tools.generate.dashboard.queries import query

THROTTLING = 'error_code=~"Throttling.*|TooManyRequests.*|RequestLimitExceeded"'


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
