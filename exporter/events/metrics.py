"""Self-metrics of the event consumer (registered only when `events` is configured).

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

IGNORE_REASONS = ("not_codedeploy", "untracked", "finished")
REFRESH_RESULTS = ("success", "error")
SQS_OPERATIONS = ("GetQueueAttributes", "ReceiveMessage", "DeleteMessageBatch")
# Codes a consumer outage usually shows; others appear when they happen.
KNOWN_ERROR_CODES = ("AccessDenied", "AWS.SimpleQueueService.NonExistentQueue", "EndpointConnectionError")


class EventMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter(
            "codedeploy_exporter_events_received", "SQS messages received by the event consumer, by "
            "type: deployment_state_change and instance_state_change (EventBridge), deployment_trigger "
            "and instance_trigger (CodeDeploy triggers via SNS), other (not a CodeDeploy event), "
            "malformed.", ["type"], registry=registry)
        self.applied = Counter(
            "codedeploy_exporter_events_applied",
            "CodeDeploy events whose deployment was refreshed because of them.", registry=registry)
        self.ignored = Counter(
            "codedeploy_exporter_events_ignored",
            "Messages that caused no refresh: not_codedeploy (another kind of message), untracked "
            "(a deployment the exporter does not follow), finished (a finished deployment whose "
            "targets are all frozen: a late or duplicate event).", ["reason"], registry=registry)
        self.malformed = Counter(
            "codedeploy_exporter_events_malformed",
            "Messages that are not JSON or are CodeDeploy events with unusable fields; deleted.",
            registry=registry)
        self.age = Gauge(
            "codedeploy_exporter_event_age_seconds",
            "Age of the newest CodeDeploy event when it was received: now minus the event's own time "
            "(EventBridge time, trigger time or SNS timestamp).", registry=registry)
        self.refreshes = Counter(
            "codedeploy_exporter_event_refreshes",
            "Refreshes triggered by events (one per debounce window), by result: error when an "
            "API-wide error or an unexpected failure hit it. Not polls: "
            "codedeploy_exporter_last_poll_success_timestamp_seconds ignores them.",
            ["result"], registry=registry)
        self.last_refresh = Gauge(
            "codedeploy_exporter_last_event_refresh_timestamp_seconds",
            "When the last refresh triggered by events completed, Unix seconds.", registry=registry)
        self.errors = Counter(
            "codedeploy_exporter_event_consumer_errors",
            "Failed SQS calls of the event consumer by operation and error code (AccessDenied, "
            "AWS.SimpleQueueService.NonExistentQueue ...). Polling goes on regardless.",
            ["operation", "error_code"], registry=registry)
        for kind in EVENT_TYPES:
            self.received.labels(kind)
        for reason in IGNORE_REASONS:
            self.ignored.labels(reason)
        for result in REFRESH_RESULTS:
            self.refreshes.labels(result)
        for operation in SQS_OPERATIONS:
            for code in KNOWN_ERROR_CODES:
                self.errors.labels(operation, code)
