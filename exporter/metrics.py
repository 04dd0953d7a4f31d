"""The exporter's own metrics, kept in a private registry (prometheus-client instruments)."""

from __future__ import annotations

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from exporter import __version__

# `_created` series double the size of every counter and help nobody here.
prometheus_client.disable_created_metrics()

API_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ExporterMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        Gauge("codedeploy_exporter_build_info", "Version of the exporter; always 1.", ["version"],
              registry=r).labels(__version__).set(1)
        self.api_requests = Counter(
            "codedeploy_exporter_api_requests", "CodeDeploy API requests sent, retries included.",
            ["operation"], registry=r)
        self.api_errors = Counter(
            "codedeploy_exporter_api_request_errors",
            "CodeDeploy API requests that failed, by AWS error code (ThrottlingException when "
            "throttled), retries included.", ["operation", "error_code"], registry=r)
        self.api_duration = Histogram(
            "codedeploy_exporter_api_request_duration_seconds",
            "Duration of CodeDeploy API calls, retries included.", ["operation"],
            buckets=API_BUCKETS, registry=r)
        self.poll_duration = Gauge(
            "codedeploy_exporter_poll_duration_seconds", "Wall time of the last completed poll.",
            registry=r)
        self.last_poll_success = Gauge(
            "codedeploy_exporter_last_poll_success_timestamp_seconds",
            "When the last poll without API-wide errors completed, Unix seconds. Scrapes serve that "
            "poll's snapshot and never call AWS, so this says how fresh the data is.", registry=r)
        self.targets = Gauge(
            "codedeploy_exporter_targets",
            "Tracked targets: polled each interval, or frozen (finished, served from cache).",
            ["state"], registry=r)
        self.shard_ordinal = Gauge(
            "codedeploy_exporter_shard_ordinal", "Shard this replica exports (--shard).", registry=r)
        self.total_shards = Gauge(
            "codedeploy_exporter_total_shards", "Number of shards (--total-shards).", registry=r)
        self.reload_successful = Gauge(
            "codedeploy_exporter_config_last_reload_successful",
            "Whether the last configuration load succeeded.", registry=r)
        self.reload_success_time = Gauge(
            "codedeploy_exporter_config_last_reload_success_timestamp_seconds",
            "When the configuration was last loaded successfully, Unix seconds.", registry=r)
        for state in ("polled", "frozen"):
            self.targets.labels(state)
        self.total_shards.set(1)

    def render(self) -> str:
        return prometheus_client.generate_latest(self.registry).decode("utf-8")
