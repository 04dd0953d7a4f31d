"""The exporter's own families: declared here for their help texts and the README, served by
the instruments of exporter.exposition.self_metrics and exporter.events.metrics."""

from __future__ import annotations

from exporter.exposition.families.base import Family, Level

EXPORTER_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_exporter_build_info",
        "gauge",
        "Version, git revision and Python version of the exporter; always 1.",
        Level.EXPORTER,
        ("version", "revision", "python_version"),
        value="1",
    ),
    Family(
        "codedeploy_exporter_api_requests_total",
        "counter",
        "CodeDeploy API requests sent, retries included, by the account and region they went to.",
        Level.EXPORTER,
        ("account_id", "region", "operation"),
        value="requests; the operations of a poll start at 0 in each account-region",
    ),
    Family(
        "codedeploy_exporter_api_request_errors_total",
        "counter",
        "CodeDeploy API requests that failed, by AWS error code (ThrottlingException when "
        "throttled), retries included, by the account and region they went to.",
        Level.EXPORTER,
        ("account_id", "region", "operation", "error_code"),
        value="failed requests; ThrottlingException starts at 0 in each account-region",
    ),
    Family(
        "codedeploy_exporter_scope_up",
        "gauge",
        "Whether the last poll of an account-region succeeded: 0 when an API-wide error "
        "(access denied, a role that cannot be assumed, throttling that outlasted the retries, an "
        "unreachable endpoint) cut it short. Account-regions no longer polled disappear.",
        Level.EXPORTER,
        ("account_id", "region"),
        value="1 or 0",
        stability="experimental",
    ),
    Family(
        "codedeploy_exporter_scope_last_error_info",
        "gauge",
        "The API-wide error code of an account-region's last failed poll, kept after it "
        "recovers; join on account_id and region to say why scope_up is 0.",
        Level.EXPORTER,
        ("account_id", "region", "error_code"),
        value="1",
        stability="experimental",
    ),
    Family(
        "codedeploy_exporter_parse_errors_total",
        "counter",
        "Response values and objects the exporter could not read and left out: wrong_type and "
        "bad_value drop one value of a response, record and render skip one object.",
        Level.EXPORTER,
        ("operation", "reason"),
        value="values dropped or objects skipped; the batch operations start at 0",
        stability="experimental",
    ),
    Family(
        "codedeploy_exporter_api_request_duration_seconds",
        "histogram",
        "Duration of CodeDeploy API calls, retries included.",
        Level.EXPORTER,
        ("operation",),
        unit="seconds",
        value="histogram",
    ),
    Family(
        "codedeploy_exporter_poll_duration_seconds",
        "gauge",
        "Wall time of the last completed poll.",
        Level.EXPORTER,
        unit="seconds",
        value="seconds",
    ),
    Family(
        "codedeploy_exporter_poll_interval_seconds",
        "gauge",
        "The configured poll.interval: alerts measure staleness and slow polls against it.",
        Level.EXPORTER,
        unit="seconds",
        value="seconds",
    ),
    Family(
        "codedeploy_exporter_last_poll_success_timestamp_seconds",
        "gauge",
        "When the last poll completed in which some account-region answered without an API-wide error "
        "(every one, with a single account-region), Unix seconds. Scrapes serve that poll's snapshot and "
        "never call AWS, so this says how fresh the data is; codedeploy_exporter_scope_up names the "
        "account-regions that did not answer.",
        Level.EXPORTER,
        unit="seconds",
        value="Unix seconds",
    ),
    Family(
        "codedeploy_exporter_targets",
        "gauge",
        "Tracked targets: polled each interval, or frozen (finished, served from cache).",
        Level.EXPORTER,
        ("state",),
        value="targets per state (polled, frozen)",
    ),
    Family(
        "codedeploy_exporter_shard_ordinal",
        "gauge",
        "Shard this replica exports (--shard).",
        Level.EXPORTER,
        value="shard",
    ),
    Family(
        "codedeploy_exporter_total_shards",
        "gauge",
        "Number of shards (--total-shards).",
        Level.EXPORTER,
        value="shards",
    ),
    Family(
        "codedeploy_exporter_config_last_reload_successful",
        "gauge",
        "Whether the last configuration load succeeded.",
        Level.EXPORTER,
        value="1/0",
    ),
    Family(
        "codedeploy_exporter_config_last_reload_success_timestamp_seconds",
        "gauge",
        "When the configuration was last loaded successfully, Unix seconds.",
        Level.EXPORTER,
        unit="seconds",
        value="Unix seconds",
    ),
)

# The event consumer's (exporter.events.metrics): served only with `events` configured.
EVENT_CONSUMER_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_exporter_events_received_total",
        "counter",
        "SQS messages received by the event consumer, by type: deployment_state_change and "
        "instance_state_change (EventBridge), deployment_trigger and instance_trigger (CodeDeploy "
        "triggers via SNS), other (not a CodeDeploy event), malformed.",
        Level.EXPORTER,
        ("type",),
        value="messages; every type starts at 0",
    ),
    Family(
        "codedeploy_exporter_events_applied_total",
        "counter",
        "CodeDeploy events whose deployment was refreshed because of them.",
        Level.EXPORTER,
        value="events",
    ),
    Family(
        "codedeploy_exporter_events_ignored_total",
        "counter",
        "Messages that caused no refresh: not_codedeploy (another kind of message), untracked (a "
        "deployment the exporter does not follow), finished (a finished deployment whose targets "
        "are all frozen: a late or duplicate event), unwatched_account (an EventBridge event from an "
        "account no entry or organization scope polls; only told apart once every polled account is known).",
        Level.EXPORTER,
        ("reason",),
        value="messages; every reason starts at 0",
    ),
    Family(
        "codedeploy_exporter_events_malformed_total",
        "counter",
        "Messages that are not JSON or are CodeDeploy events with unusable fields; deleted.",
        Level.EXPORTER,
        value="messages",
    ),
    Family(
        "codedeploy_exporter_event_age_seconds",
        "gauge",
        "Age of the newest CodeDeploy event when it was received: now minus the event's own time "
        "(EventBridge time, trigger time or SNS timestamp).",
        Level.EXPORTER,
        unit="seconds",
        value="seconds",
    ),
    Family(
        "codedeploy_exporter_event_refreshes_total",
        "counter",
        "Refreshes triggered by events (one per debounce window), by result: error when an "
        "API-wide error or an unexpected failure hit it. Not polls: "
        "codedeploy_exporter_last_poll_success_timestamp_seconds ignores them.",
        Level.EXPORTER,
        ("result",),
        value="refreshes (success, error)",
    ),
    Family(
        "codedeploy_exporter_last_event_refresh_timestamp_seconds",
        "gauge",
        "When the last refresh triggered by events completed, Unix seconds.",
        Level.EXPORTER,
        unit="seconds",
        value="Unix seconds",
    ),
    Family(
        "codedeploy_exporter_event_consumer_errors_total",
        "counter",
        "Failed SQS calls of the event consumer by operation and error code (AccessDenied, "
        "AWS.SimpleQueueService.NonExistentQueue ...). Polling goes on regardless.",
        Level.EXPORTER,
        ("operation", "error_code"),
        value="failed calls; the common codes start at 0",
    ),
)
