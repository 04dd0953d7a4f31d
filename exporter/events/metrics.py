"""Self-metrics of the event consumer (registered only when `events` is configured); declared,
with their help texts, in the family table (exporter.exposition.families.table).

    codedeploy_exporter_events_received_total{type="instance_state_change"} 12
    codedeploy_exporter_events_applied_total 10
    codedeploy_exporter_events_ignored_total{reason="untracked"} 2
    codedeploy_exporter_events_malformed_total 0
    codedeploy_exporter_event_age_seconds 0.84
    codedeploy_exporter_event_refreshes_total{result="success"} 7
    codedeploy_exporter_event_consumer_errors_total{operation="ReceiveMessage",error_code="AccessDenied"} 0
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from exporter.events.parse import EVENT_TYPES
from exporter.exposition.families.table import BY_NAME

IGNORE_REASONS = ("not_codedeploy", "untracked", "finished", "unwatched_account")
REFRESH_RESULTS = ("success", "error")
SQS_OPERATIONS = ("GetQueueAttributes", "ReceiveMessage", "DeleteMessageBatch")
# Codes a consumer outage usually shows; others appear when they happen.
KNOWN_ERROR_CODES = ("AccessDenied", "AWS.SimpleQueueService.NonExistentQueue", "EndpointConnectionError")


def _family(name: str) -> tuple[str, str]:
    """(name without _total, help) from the family table, so /metrics and the README agree."""
    return (name[: -len("_total")] if name.endswith("_total") else name), BY_NAME[name].help


class EventMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.received = Counter(*_family("codedeploy_exporter_events_received_total"), ["type"], registry=r)
        self.applied = Counter(*_family("codedeploy_exporter_events_applied_total"), registry=r)
        self.ignored = Counter(*_family("codedeploy_exporter_events_ignored_total"), ["reason"], registry=r)
        self.malformed = Counter(*_family("codedeploy_exporter_events_malformed_total"), registry=r)
        self.age = Gauge(*_family("codedeploy_exporter_event_age_seconds"), registry=r)
        self.refreshes = Counter(*_family("codedeploy_exporter_event_refreshes_total"), ["result"], registry=r)
        self.last_refresh = Gauge(*_family("codedeploy_exporter_last_event_refresh_timestamp_seconds"), registry=r)
        self.errors = Counter(
            *_family("codedeploy_exporter_event_consumer_errors_total"), ["operation", "error_code"], registry=r
        )
        for kind in EVENT_TYPES:
            self.received.labels(kind)
        for reason in IGNORE_REASONS:
            self.ignored.labels(reason)
        for result in REFRESH_RESULTS:
            self.refreshes.labels(result)
        for operation in SQS_OPERATIONS:
            for code in KNOWN_ERROR_CODES:
                self.errors.labels(operation, code)
