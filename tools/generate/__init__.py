"""Generators of checked-in files; run each from the repository root as ``python -m tools.generate.<name>``.

- ``dashboard``: exporter/monitoring/dashboard.json (Grafana);
- ``monitoring``: the alert rules declared in ``alerts`` (exporter/monitoring/alerts.yaml), the
  recording rules declared in ``rules`` (rules.yaml), the Helm chart's PrometheusRule template,
  alert values, their schema and its copy of the dashboard, and the monitoring mixin's data
  (``mixin``; the alerts' owner join is ``owner``);
- ``metric_reference``: prints the README's metric reference (from exporter.exposition.families);
- ``config_schema``: config.schema.json, web-config.schema.json, the `config` subtree of the
  chart's values schema and the README's configuration reference (from exporter/config/).

A test fails when a checked-in file differs from its generator's output.
"""
