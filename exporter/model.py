"""Typed records the rest of the exporter works on (no I/O, no boto3).

Slotted: a 10k-target fleet holds ~100k lifecycle events, and a per-instance __dict__ would
cost tens of MB of peak RSS.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

TERMINAL_DEPLOYMENT_STATUSES = frozenset({"Succeeded", "Failed", "Stopped"})

# Status sets of the metric contract, in the API's enum order (botocore's model).
TARGET_STATUSES = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Unknown", "Ready")
LIFECYCLE_STATUSES = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Unknown")
TASK_SET_STATUSES = ("PRIMARY", "ACTIVE", "DRAINING")
DEPLOYMENT_STATUSES = (
    "Created",
    "Queued",
    "InProgress",
    "Baking",
    "Succeeded",
    "Failed",
    "Stopped",
    "Ready",
)


# diagnostics.logTail: "CodeDeploy returns up to the last 4 KB of the diagnostic log" (botocore's
# model); a longer one is cut to its last LOG_TAIL_MAX characters when parsed.
LOG_TAIL_MAX = 4096


@dataclass(frozen=True, slots=True)
class Diagnostics:
    error_code: str
    script_name: str
    message: str
    log_tail: str

    def slim(self, keep_message: bool, log_tail_chars: int) -> Diagnostics:
        """What is kept once nothing reads more: the script's message only if shown, and the
        last `log_tail_chars` characters of its log tail (one more when it is longer, so what
        shows it still knows it was cut: exporter.log.bounded_tail)."""
        message = self.message if keep_message else ""
        log_tail = self.log_tail[-(log_tail_chars + 1) :] if log_tail_chars > 0 else ""
        if message is self.message and log_tail == self.log_tail:
            return self
        if not message and not log_tail:
            # Error code and script only: a few distinct ones in a fleet, one record each.
            key = (self.error_code, self.script_name)
            shared = _BARE_DIAGNOSTICS.get(key)
            if shared is None:
                shared = Diagnostics(self.error_code, self.script_name, "", "")
                if len(_BARE_DIAGNOSTICS) < _BARE_DIAGNOSTICS_MAX:
                    _BARE_DIAGNOSTICS[key] = shared
            return shared
        return Diagnostics(self.error_code, self.script_name, message, log_tail)


_BARE_DIAGNOSTICS: dict[tuple[str, str], Diagnostics] = {}  # Diagnostics.slim's shared records
_BARE_DIAGNOSTICS_MAX = 4096


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    name: str
    status: str
    start: float | None
    end: float | None
    diagnostics: Diagnostics | None


@dataclass(frozen=True, slots=True)
class TaskSet:
    id: str
    label: str
    target_group: str
    status: str
    desired: int | None
    pending: int | None
    running: int | None
    traffic_weight: float | None  # 0-1 (the API's percent, divided: exporter.aws.parse.percent_ratio)


@dataclass(frozen=True, slots=True)
class LambdaFunction:
    function_name: str
    function_alias: str
    current_version: str
    target_version: str
    weight: float | None  # 0-1 (exporter.aws.parse.either_ratio)


@dataclass(frozen=True, slots=True)
class Target:
    """One deployment target as GetDeploymentTarget describes it, whatever its type."""

    deployment_id: str
    target_id: str
    target_type: str
    target_arn: str
    status: str
    last_updated: float | None
    instance_label: str
    lifecycle_events: tuple[LifecycleEvent, ...]
    lambda_function: LambdaFunction | None = None
    task_sets: tuple[TaskSet, ...] = ()
    cfn_resource_type: str | None = None
    cfn_weight: float | None = None  # 0-1 (exporter.aws.parse.either_ratio)

    def failed_event(self) -> LifecycleEvent | None:
        for event in self.lifecycle_events:
            if event.status == "Failed":
                return event
        return None

    def settled(self, keep_message: bool = True, log_tail_chars: int = LOG_TAIL_MAX) -> Target:
        """What a target of a finished deployment keeps once its deployment's per-hook
        aggregates are made: its identity, status and the hook that failed (what its series,
        the status page and the failure log read), not every hook, weight and task set. Of the
        failed hook's script output, only what the status page shows (Diagnostics.slim)."""
        failed = self.failed_event() if self.status == "Failed" else None
        if failed is not None and failed.diagnostics is not None:
            diagnostics = failed.diagnostics.slim(keep_message, log_tail_chars)
            if diagnostics is not failed.diagnostics:
                failed = LifecycleEvent(failed.name, failed.status, failed.start, failed.end, diagnostics)
        return Target(
            self.deployment_id,
            self.target_id,
            self.target_type,
            self.target_arn,
            self.status,
            self.last_updated,
            self.instance_label,
            (failed,) if failed is not None else (),
        )


# Upper bounds of the per-group hook duration history (exporter.collect.hook_history): CodeDeploy
# hooks take from a second (a Lambda validation) to hours (a script's 3600 s timeout, a slow
# traffic shift); 11 bounds and +Inf keep it at 12 buckets.
HOOK_DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 3600.0, 10800.0)


@dataclass(slots=True)
class HookAggregate:
    """One lifecycle event over the targets of one deployment."""

    counts: dict[str, int] = field(default_factory=dict)
    duration_sum: float = 0.0
    duration_count: int = 0
    duration_max: float = 0.0
    # Durations per HOOK_DURATION_BUCKETS bucket (not cumulative; the last is above every
    # bound), made only when a duration is seen: what the group's hook history adds up.
    duration_buckets: list[int] | None = None


def aggregate_hooks(targets: Iterable[Target | None]) -> dict[str, HookAggregate]:
    """Per lifecycle event name: its targets by status and its durations (a hook name repeated
    within a target counts once)."""
    hooks: dict[str, HookAggregate] = {}
    for target in targets:
        if target is None:
            continue
        seen: set[str] = set()
        for event in target.lifecycle_events:
            if event.name in seen:
                continue
            seen.add(event.name)
            agg = hooks.get(event.name)
            if agg is None:
                agg = hooks[event.name] = HookAggregate()
            agg.counts[event.status] = agg.counts.get(event.status, 0) + 1
            if event.start is not None and event.end is not None:
                duration = event.end - event.start
                agg.duration_sum += duration
                agg.duration_count += 1
                buckets = agg.duration_buckets
                if buckets is None:
                    buckets = agg.duration_buckets = [0] * (len(HOOK_DURATION_BUCKETS) + 1)
                buckets[bisect.bisect_left(HOOK_DURATION_BUCKETS, duration)] += 1
                if agg.duration_count == 1 or duration > agg.duration_max:
                    agg.duration_max = duration
    return hooks


@dataclass(frozen=True, slots=True)
class Revision:
    """Where the deployed revision lives (RevisionLocation); unused fields are empty."""

    revision_type: str
    s3_bucket: str = ""
    s3_key: str = ""
    s3_version: str = ""
    github_repository: str = ""
    github_commit: str = ""
    content_sha256: str = ""  # String / AppSpecContent revisions: the content is not a label
    # Not labels: with the rest, they name the revision to BatchGetApplicationRevisions (lead time).
    s3_bundle_type: str = ""
    s3_etag: str = ""


@dataclass(frozen=True, slots=True)
class AlarmOverride:
    """overrideAlarmConfiguration: this deployment ran with other alarms than its group's."""

    enabled: bool | None  # False: CloudWatch alarms were off for this deployment
    ignore_poll_alarm_failure: bool | None
    alarms: int  # how many alarms the override names


@dataclass(frozen=True, slots=True)
class Deployment:
    deployment_id: str
    application: str
    deployment_group: str
    status: str
    compute_platform: str
    deployment_config: str
    deployment_type: str
    creator: str
    create_time: float | None
    complete_time: float | None
    overview: tuple[tuple[str, int], ...]
    start_time: float | None = None
    error_code: str = ""
    error_message: str = ""
    rollback_deployment_id: str = ""
    rollback_triggering_deployment_id: str = ""
    revision: Revision | None = None
    termination_wait_started: bool | None = None
    # CodeDeploy's own words about the deployment (deploymentStatusMessages, and the deprecated
    # additionalDeploymentStatusInfo), and rollbackInfo.rollbackMessage: logged and shown, never
    # labels; bounded by exporter.aws.parse.
    status_messages: tuple[str, ...] = ()
    rollback_message: str = ""
    alarm_override: AlarmOverride | None = None
    auto_update_root: str = ""  # relatedDeployments: the deployment whose auto-update started this one
    # blueGreenDeploymentConfiguration, what a blue/green deployment's waits were configured to
    # (exporter.collect.phases): deploymentReadyOption.actionOnTimeout and waitTimeInMinutes, and
    # terminateBlueInstancesOnDeploymentSuccess.action and terminationWaitTimeInMinutes, in
    # seconds; "" / None when the record does not say.
    ready_action: str = ""
    ready_wait: float | None = None
    termination_action: str = ""
    termination_wait: float | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_DEPLOYMENT_STATUSES

    @property
    def single_target_batches(self) -> bool:
        # BatchGetDeploymentTargets takes exactly one ID for ECS and Lambda deployments.
        return self.compute_platform in ("ECS", "Lambda")


@dataclass(frozen=True)
class LastDeployment:
    """A deployment group's lastAttemptedDeployment or lastSuccessfulDeployment."""

    deployment_id: str
    status: str
    create_time: float | None
    end_time: float | None


@dataclass(frozen=True)
class GroupRecord:
    """One deployment group as BatchGetDeploymentGroups describes it."""

    application: str
    deployment_group: str
    compute_platform: str
    deployment_config: str
    deployment_type: str
    deployment_option: str
    last_attempted: LastDeployment | None
    last_success: LastDeployment | None


COUNTED_STATUSES = ("Succeeded", "Failed", "Stopped")
DURATION_BUCKETS = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0)


@dataclass(frozen=True)
class Histogram:
    buckets: tuple[int, ...]  # cumulative counts per DURATION_BUCKETS bound (le)
    sum: float
    count: int

    def observe(self, value: float) -> Histogram:
        first = bisect.bisect_left(DURATION_BUCKETS, value)
        buckets = tuple(n + 1 if i >= first else n for i, n in enumerate(self.buckets))
        return Histogram(buckets, self.sum + value, self.count + 1)


EMPTY_HISTOGRAM = Histogram((0,) * len(DURATION_BUCKETS), 0.0, 0)


# codedeploy_deployment_lead_time_seconds: revision registered -> deployed, 5 minutes to 2 weeks.
LEAD_TIME_BUCKETS = (
    300.0,
    900.0,
    1800.0,
    3600.0,
    10800.0,
    21600.0,
    43200.0,
    86400.0,
    172800.0,
    345600.0,
    604800.0,
    1209600.0,
)
EMPTY_LEAD_TIMES = Histogram((0,) * len(LEAD_TIME_BUCKETS), 0.0, 0)


def observe_lead_time(histogram: Histogram, value: float) -> Histogram:
    """Histogram.observe over LEAD_TIME_BUCKETS."""
    first = bisect.bisect_left(LEAD_TIME_BUCKETS, value)
    buckets = tuple(n + 1 if i >= first else n for i, n in enumerate(histogram.buckets))
    return Histogram(buckets, histogram.sum + value, histogram.count + 1)


@dataclass(frozen=True, slots=True)
class HookHistogram:
    """Durations of one lifecycle event over the targets of a group's finished deployments."""

    buckets: tuple[int, ...]  # cumulative counts per HOOK_DURATION_BUCKETS bound (le), then +Inf

    @property
    def count(self) -> int:
        return self.buckets[-1]
