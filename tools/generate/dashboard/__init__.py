"""Generator of the Grafana dashboard exporter/monitoring/dashboard.json.

Built with grafana-foundation-sdk, Grafana's typed dashboard builders (a development
dependency in the `test` extra; Python 3.11+). The checked-in JSON is what users import; a
test fails when it differs from this package's output. Edit the package, then run

    python -m tools.generate.dashboard          # rewrite the JSON
    python -m tools.generate.dashboard --check  # exit 1 when the JSON is out of date
    python -m tools.generate.monitoring         # refresh the Helm chart's copy

Queries are sparse-safe: target, lifecycle-event and task-set status series exist only for
the current status (value 1), so panels select `== 1` series and never count zeros.

``queries`` holds the data source, the label selectors and label sets every query uses, and
``query``; ``panels`` the status colours and the panel helpers (placing, status mappings,
merged tables, legends, time series); ``rows_groups`` (deployment groups, DORA),
``rows_deployments`` (deployments, targets, lifecycle hooks, traffic shifting) and
``rows_exporter`` (exporter health) one function per row of panels; ``build`` the variables,
annotations and the dashboard itself, rendered as JSON; ``cli`` the command line.
Import from those modules: this package re-exports nothing.
"""
