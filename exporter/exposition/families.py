"""The metric contract: every family the exporter serves, declared once.

Each :class:`Family` names its type, help, unit, the level it belongs to (which fixes its
identity labels) and its own labels, and, for the families rendered from poll records, the
function that yields its samples for one object. The renderer (exporter.exposition.cache), the README's
metric reference (exporter.reference) and the "nothing undeclared is emitted" test all read
:data:`FAMILIES`; the exporter's own instruments (exporter.exposition.self_metrics) take their help from it.

Sample functions yield ``(labels, value)``: ``labels`` is the family's own labels already
rendered (``'status="Failed"'``, or ``""``), the identity labels of the level are prepended by
the renderer. Summaries yield ``(suffix, labels, value)``. For example, a failed EC2 target:

    codedeploy_target_status{account_id="123456789012",region="eu-west-1",application="web",
                             deployment_group="prod",deployment_id="d-1",target_id="i-0abc",
                             status="Failed"} 1
    codedeploy_deployment_lifecycle_event_targets{...,deployment_id="d-1",
                             lifecycle_event="Install",status="Succeeded"} 99
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from exporter.exposition.text import escape, label_pairs, status_set
from exporter.model import (
    COUNTED_STATUSES,
    DEPLOYMENT_STATUSES,
    DURATION_BUCKETS,
    LIFECYCLE_STATUSES,
    TARGET_STATUSES,
    TASK_SET_STATUSES,
)

if TYPE_CHECKING:  # the sample functions' objects
    from exporter.exposition.views import DeploymentView, GroupView, HookAggregate, TargetView
    from exporter.model import LifecycleEvent, TaskSet

# Identity labels of each level, in the order they are rendered.
# account_id and region first: the identity reads from the widest scope to the narrowest.
DEPLOYMENT_LABELS = ("account_id", "region", "application", "deployment_group", "deployment_id")
TARGET_LABELS = (*DEPLOYMENT_LABELS, "target_id")
GROUP_LABELS = ("account_id", "region", "application", "deployment_group")
LEVEL_LABELS: dict[str, tuple[str, ...]] = {
    "deployment group": GROUP_LABELS,
    "deployment": DEPLOYMENT_LABELS,
    "deployment lifecycle event": (*DEPLOYMENT_LABELS, "lifecycle_event"),
    "target": TARGET_LABELS,
    "lifecycle event": (*TARGET_LABELS, "lifecycle_event"),
    "task set": (*TARGET_LABELS, "task_set_id", "task_set_label"),
    "exporter": (),
}

Sample = tuple[str, float]  # (the family's own labels, rendered; value)
SuffixedSample = tuple[str, str, float]  # summaries and histograms: (suffix, labels, value)
PlainSamples = Callable[[Any], Iterable[Sample]]
SuffixedSamples = Callable[[Any], Iterable[SuffixedSample]]


class SparseSamples(Protocol):
    """A status set's samples: the renderer binds ``sparse`` (Family.sparse) once per plan."""

    def __call__(self, obj: Any, /, sparse: bool) -> Iterable[Sample]: ...


# Which of the three a family has follows from its type (summary, histogram) and `sparse`.
Samples = PlainSamples | SuffixedSamples | SparseSamples


@dataclass(frozen=True)
class Family:
    name: str
    type: str  # gauge | counter | histogram | summary (the text format's types)
    help: str
    level: str  # a key of LEVEL_LABELS
    labels: tuple[str, ...] = ()  # the family's own labels, after the level's
    unit: str = ""  # OpenMetrics UNIT; only set where the name ends in _<unit>
    value: str = ""  # what the value is, for the README
    samples: Samples | None = None  # None: an instrument of exporter.exposition.self_metrics
    status_set: tuple[str, ...] = ()  # known values of a status set, for the README
    sparse: bool = False  # a status set that sparse_status reduces to its current value

    @property
    def header(self) -> str:
        return f"# HELP {self.name} {self.help}\n# TYPE {self.name} {self.type}\n"

    @property
    def openmetrics_header(self) -> str:
        kind = self.type
        name = self.name[: -len("_total")] if kind == "counter" else self.name
        unit = f"# UNIT {name} {self.unit}\n" if self.unit else ""
        return f"# HELP {name} {self.help}\n# TYPE {name} {kind}\n{unit}"

    def label_names(self) -> tuple[str, ...]:
        return LEVEL_LABELS[self.level] + self.labels


# ---- label and value formatting (shared with the renderer) --------------------------------


# ---- sample functions, one object each ------------------------------------------------------
# Objects: exporter.exposition.views' TargetView / DeploymentView, (view, LifecycleEvent),
# (view, TaskSet) and HookAggregate. Each function is small and pure.


def _target_info(v: TargetView) -> Iterator[Sample]:
    t = v.target
    if t is not None:
        yield label_pairs(target_type=t.target_type, target_arn=t.target_arn, instance_label=t.instance_label), 1


def _target_status(v: TargetView, sparse: bool) -> Iterable[Sample]:
    return status_set(v.target.status, TARGET_STATUSES, sparse) if v.target is not None else ()


def _target_last_updated(v: TargetView) -> Iterator[Sample]:
    if v.target is not None and v.target.last_updated is not None:
        yield "", v.target.last_updated


def _lambda_weight(v: TargetView) -> Iterator[Sample]:
    fn = v.target.lambda_function if v.target is not None else None
    if fn is not None and fn.weight is not None:
        yield (
            label_pairs(
                function_name=fn.function_name,
                function_alias=fn.function_alias,
                current_version=fn.current_version,
                target_version=fn.target_version,
            ),
            fn.weight,
        )


def _cfn_weight(v: TargetView) -> Iterator[Sample]:
    t = v.target
    if t is not None and t.cfn_weight is not None:
        yield label_pairs(resource_type=t.cfn_resource_type or ""), t.cfn_weight


def _poll_success(v: TargetView) -> Iterator[Sample]:
    if not v.frozen:  # a frozen target was, by definition, polled successfully
        yield "", 1 if v.success else 0


def _event_status(pair: tuple[TargetView, LifecycleEvent], sparse: bool) -> Iterable[Sample]:
    return status_set(pair[1].status, LIFECYCLE_STATUSES, sparse)


def _event_start(pair: tuple[TargetView, LifecycleEvent]) -> Iterator[Sample]:
    if pair[1].start is not None:
        yield "", pair[1].start


def _event_duration(pair: tuple[TargetView, LifecycleEvent]) -> Iterator[Sample]:
    event = pair[1]
    if event.start is not None and event.end is not None:
        yield "", event.end - event.start


def _event_diagnostics(pair: tuple[TargetView, LifecycleEvent]) -> Iterator[Sample]:
    diag = pair[1].diagnostics
    if diag is not None and diag.error_code != "Success":
        yield label_pairs(error_code=diag.error_code, script_name=diag.script_name), 1


def _task_set_weight(pair: tuple[TargetView, TaskSet]) -> Iterator[Sample]:
    ts = pair[1]
    if ts.traffic_weight is not None:
        yield f'target_group="{escape(ts.target_group)}"', ts.traffic_weight


def _task_count(attribute: str) -> Samples:
    def samples(pair: tuple[TargetView, TaskSet]) -> Iterator[Sample]:
        count = getattr(pair[1], attribute)
        if count is not None:
            yield "", count

    return samples


def _task_set_status(pair: tuple[TargetView, TaskSet], sparse: bool) -> Iterable[Sample]:
    return status_set(pair[1].status, TASK_SET_STATUSES, sparse)


def _deployment_info(v: DeploymentView) -> Iterator[Sample]:
    d = v.deployment
    yield (
        label_pairs(
            compute_platform=d.compute_platform,
            deployment_config=d.deployment_config,
            deployment_type=d.deployment_type,
            creator=d.creator,
        ),
        1,
    )


def _deployment_status(v: DeploymentView) -> Iterable[Sample]:
    # Always every known status: few series, and `== 0` queries keep working.
    return status_set(v.deployment.status, DEPLOYMENT_STATUSES, False)


def _deployment_time(attribute: str) -> Samples:
    def samples(v: DeploymentView) -> Iterator[Sample]:
        value = getattr(v.deployment, attribute)
        if value is not None:
            yield "", value

    return samples


def _deployment_targets(v: DeploymentView) -> Iterator[Sample]:
    seen: set[str] = set()
    for status, count in v.deployment.overview:
        if status not in seen:
            seen.add(status)
            yield f'status="{escape(status)}"', count


def _deployment_error(v: DeploymentView) -> Iterator[Sample]:
    if v.deployment.error_code:
        yield f'error_code="{escape(v.deployment.error_code)}"', 1


def _deployment_rollback(v: DeploymentView) -> Iterator[Sample]:
    d = v.deployment
    if d.rollback_deployment_id or d.rollback_triggering_deployment_id:
        yield (
            label_pairs(
                rollback_deployment_id=d.rollback_deployment_id,
                rollback_triggering_deployment_id=d.rollback_triggering_deployment_id,
            ),
            1,
        )


def _deployment_revision(v: DeploymentView) -> Iterator[Sample]:
    r = v.deployment.revision
    if r is not None:
        yield (
            label_pairs(
                revision_type=r.revision_type,
                s3_bucket=r.s3_bucket,
                s3_key=r.s3_key,
                s3_version=r.s3_version,
                github_repository=r.github_repository,
                github_commit=r.github_commit,
                content_sha256=r.content_sha256,
            ),
            1,
        )


def _bool_label(value: bool | None) -> str:
    return "" if value is None else "true" if value else "false"


def _alarm_override(v: DeploymentView) -> Iterator[Sample]:
    override = v.deployment.alarm_override
    if override is not None:
        yield (
            label_pairs(
                alarms_enabled=_bool_label(override.enabled),
                ignore_poll_alarm_failure=_bool_label(override.ignore_poll_alarm_failure),
            ),
            override.alarms,
        )


def _auto_update(v: DeploymentView) -> Iterator[Sample]:
    if v.deployment.auto_update_root:
        yield label_pairs(auto_update_root_deployment_id=v.deployment.auto_update_root), 1


def _termination_wait(v: DeploymentView) -> Iterator[Sample]:
    started = v.deployment.termination_wait_started
    if started is not None:
        yield "", 1 if started else 0


def _hook_targets(agg: HookAggregate) -> Iterator[Sample]:
    for status, count in agg.counts.items():
        if count:
            yield f'status="{escape(status)}"', count


def _hook_duration(agg: HookAggregate) -> Iterator[SuffixedSample]:
    yield "_sum", "", agg.duration_sum
    yield "_count", "", agg.duration_count


def _hook_max_duration(agg: HookAggregate) -> Iterator[Sample]:
    if agg.duration_count:
        yield "", agg.duration_max


# ---- deployment groups (exporter.exposition.views' GroupView) ----


def _group_info(v: GroupView) -> Iterator[Sample]:
    r = v.record
    if r is not None:
        yield (
            label_pairs(
                compute_platform=r.compute_platform,
                deployment_config=r.deployment_config,
                deployment_type=r.deployment_type,
                deployment_option=r.deployment_option,
            ),
            1,
        )


def _group_last_status(v: GroupView) -> Iterable[Sample]:
    # Always every known status: `== 1` and `== 0` both work, and few groups exist.
    return status_set(v.last_attempted.status, DEPLOYMENT_STATUSES, False) if v.last_attempted else ()


def _group_last_created(v: GroupView) -> Iterator[Sample]:
    if v.last_attempted is not None and v.last_attempted.create_time is not None:
        yield "", v.last_attempted.create_time


def _group_last_attempted(v: GroupView) -> Iterator[Sample]:
    if v.last_attempted is not None:
        yield f'deployment_id="{escape(v.last_attempted.deployment_id)}"', 1


def _group_time(attribute: str) -> Samples:
    def samples(v: GroupView) -> Iterator[Sample]:
        value = getattr(v, attribute)
        if value is not None:
            yield "", value

    return samples


def _deployments_total(v: GroupView) -> Iterator[Sample]:
    if v.totals is None:
        return  # the group is not listed: not every deployment of it is seen
    totals = dict(v.totals)
    # Present from the first poll, so increase() sees the first user deployment of each kind.
    for status in COUNTED_STATUSES:
        totals.setdefault((status, "user"), 0)
    for (status, creator), count in sorted(totals.items()):
        yield label_pairs(status=status, creator=creator), count


def _le(bound: float) -> str:
    return str(int(bound)) if bound == int(bound) else repr(bound)


def _deployment_duration(v: GroupView) -> Iterator[SuffixedSample]:
    for status, histogram in v.durations or ():
        own = f'status="{escape(status)}"'
        for bound, count in zip(DURATION_BUCKETS, histogram.buckets, strict=True):
            yield "_bucket", f'{own},le="{_le(bound)}"', count
        yield "_bucket", f'{own},le="+Inf"', histogram.count
        yield "_sum", own, histogram.sum
        yield "_count", own, histogram.count


F = Family
_STATUS = ("status",)
_GROUP = "deployment group"
_SINCE_FIRST_POLL = (
    " Counts deployments that finished after the exporter's first poll of the group "
    "(history before it is not counted) and restarts at 0 with the exporter, like "
    "every counter: use increase() or rate(). Groups that are listed "
    "(deployment_groups, discovery) only."
)

FAMILIES: tuple[Family, ...] = (
    # ---- deployment group ----
    F(
        "codedeploy_deployment_group_info",
        "gauge",
        "Deployment group facts from BatchGetDeploymentGroups (platform, config, type, option); always 1.",
        _GROUP,
        ("compute_platform", "deployment_config", "deployment_type", "deployment_option"),
        value="1",
        samples=_group_info,
    ),
    F(
        "codedeploy_deployment_group_last_attempted_status",
        "gauge",
        "Status of the group's most "
        "recent deployment: 1 for its status, 0 for the others (every known status, always).",
        _GROUP,
        _STATUS,
        value="1/0",
        samples=_group_last_status,
        status_set=DEPLOYMENT_STATUSES,
    ),
    F(
        "codedeploy_deployment_group_last_attempted_timestamp_seconds",
        "gauge",
        "When the group's most recent deployment was created, Unix seconds.",
        _GROUP,
        unit="seconds",
        value="`createTime` of the most recent deployment",
        samples=_group_last_created,
    ),
    F(
        "codedeploy_deployment_group_last_attempted_info",
        "gauge",
        "The group's most recent deployment; always 1.",
        _GROUP,
        ("deployment_id",),
        value="1",
        samples=_group_last_attempted,
    ),
    F(
        "codedeploy_deployment_group_last_success_timestamp_seconds",
        "gauge",
        "When the group's "
        "last successful deployment ended (lastSuccessfulDeployment), Unix seconds; right from the "
        "first poll after a restart.",
        _GROUP,
        unit="seconds",
        value="`endTime` of `lastSuccessfulDeployment`",
        samples=_group_time("last_success_end"),
    ),
    F(
        "codedeploy_deployment_group_last_failure_timestamp_seconds",
        "gauge",
        "When the group's "
        "last Failed deployment ended, Unix seconds. From the deployments the exporter has seen "
        "(the API has no last failure): after a restart, known only for failures within "
        "poll.retention.",
        _GROUP,
        unit="seconds",
        value="`completeTime` of the last Failed deployment seen",
        samples=_group_time("last_failure_end"),
    ),
    F(
        "codedeploy_deployments_total",
        "counter",
        "Deployments of the group that reached a terminal "
        "status (Succeeded, Failed, Stopped), by status and creator." + _SINCE_FIRST_POLL,
        _GROUP,
        ("status", "creator"),
        value="deployments; (status, user) start at 0",
        samples=_deployments_total,
    ),
    F(
        "codedeploy_deployment_duration_seconds",
        "histogram",
        "Create-to-complete time of the "
        "group's deployments that reached a terminal status, by status; buckets 30 s to 4 h." + _SINCE_FIRST_POLL,
        _GROUP,
        _STATUS,
        unit="seconds",
        value="histogram",
        samples=_deployment_duration,
    ),
    # ---- deployment ----
    F(
        "codedeploy_deployment_info",
        "gauge",
        "Deployment facts (platform, config, type, creator); always 1.",
        "deployment",
        ("compute_platform", "deployment_config", "deployment_type", "creator"),
        value="1",
        samples=_deployment_info,
    ),
    F(
        "codedeploy_deployment_status",
        "gauge",
        "Deployment status: 1 for the current status, 0 "
        "for the others (every known status, whatever sparse_status says).",
        "deployment",
        _STATUS,
        value="1/0",
        samples=_deployment_status,
        status_set=DEPLOYMENT_STATUSES,
    ),
    F(
        "codedeploy_deployment_create_timestamp_seconds",
        "gauge",
        "When the deployment was created (createTime), Unix seconds.",
        "deployment",
        unit="seconds",
        value="`createTime`",
        samples=_deployment_time("create_time"),
    ),
    F(
        "codedeploy_deployment_start_timestamp_seconds",
        "gauge",
        "When the deployment started (startTime), Unix seconds.",
        "deployment",
        unit="seconds",
        value="`startTime` (when present)",
        samples=_deployment_time("start_time"),
    ),
    F(
        "codedeploy_deployment_complete_timestamp_seconds",
        "gauge",
        "When the deployment completed (completeTime), Unix seconds.",
        "deployment",
        unit="seconds",
        value="`completeTime` (when present)",
        samples=_deployment_time("complete_time"),
    ),
    F(
        "codedeploy_deployment_targets",
        "gauge",
        "Targets of the deployment per status, as CodeDeploy counts them (deploymentOverview).",
        "deployment",
        _STATUS,
        value="count per key of `deploymentOverview`",
        samples=_deployment_targets,
    ),
    F(
        "codedeploy_deployment_error_info",
        "gauge",
        "Why the deployment failed (errorInformation.code); always 1. The message is logged.",
        "deployment",
        ("error_code",),
        value="1, when `errorInformation` is present",
        samples=_deployment_error,
    ),
    F(
        "codedeploy_deployment_rollback_info",
        "gauge",
        "Rollback links of the deployment (rollbackInfo); always 1.",
        "deployment",
        ("rollback_deployment_id", "rollback_triggering_deployment_id"),
        value="1, when `rollbackInfo` names a deployment",
        samples=_deployment_rollback,
    ),
    F(
        "codedeploy_deployment_alarm_override",
        "gauge",
        "The deployment ran with its own CloudWatch alarm settings instead of its group's "
        '(overrideAlarmConfiguration): how many alarms it names; alarms_enabled="false" '
        "means no alarm could stop it.",
        "deployment",
        ("alarms_enabled", "ignore_poll_alarm_failure"),
        value="number of alarms, when `overrideAlarmConfiguration` is present",
        samples=_alarm_override,
    ),
    F(
        "codedeploy_deployment_auto_update_info",
        "gauge",
        "The deployment updates outdated instances for another one (relatedDeployments); always 1.",
        "deployment",
        ("auto_update_root_deployment_id",),
        value="1, when `relatedDeployments` names a root deployment",
        samples=_auto_update,
    ),
    F(
        "codedeploy_deployment_revision_info",
        "gauge",
        "The revision the deployment deploys (S3 object, GitHub commit, or SHA-256 of inline content); always 1.",
        "deployment",
        ("revision_type", "s3_bucket", "s3_key", "s3_version", "github_repository", "github_commit", "content_sha256"),
        value="1, when `revision` is present",
        samples=_deployment_revision,
    ),
    F(
        "codedeploy_deployment_instance_termination_wait_started",
        "gauge",
        "Whether the blue/green wait before terminating the original instances has started "
        "(instanceTerminationWaitTimeStarted), 1 or 0.",
        "deployment",
        value="1/0 (when present)",
        samples=_termination_wait,
    ),
    # ---- per deployment and lifecycle event: aggregates over the deployment's targets ----
    F(
        "codedeploy_deployment_lifecycle_event_targets",
        "gauge",
        "Targets of the deployment whose lifecycle event is in this status.",
        "deployment lifecycle event",
        _STATUS,
        value="count (non-zero only)",
        samples=_hook_targets,
    ),
    F(
        "codedeploy_deployment_lifecycle_event_duration_seconds",
        "summary",
        "Lifecycle event durations (endTime - startTime) over the deployment's targets that have both times.",
        "deployment lifecycle event",
        unit="seconds",
        value="`_sum` of durations, `_count` of targets",
        samples=_hook_duration,
    ),
    F(
        "codedeploy_deployment_lifecycle_event_max_duration_seconds",
        "gauge",
        "The longest lifecycle event duration among the deployment's targets.",
        "deployment lifecycle event",
        unit="seconds",
        value="seconds (when a target has both times)",
        samples=_hook_max_duration,
    ),
    # ---- target ----
    F(
        "codedeploy_target_info",
        "gauge",
        "Deployment target facts (type, ARN, blue/green label); always 1.",
        "target",
        ("target_type", "target_arn", "instance_label"),
        value='1; `instance_label` is `""` when absent',
        samples=_target_info,
    ),
    F(
        "codedeploy_target_status",
        "gauge",
        "Deployment target status: 1 for the current status (only that one with sparse_status), 0 for the others.",
        "target",
        _STATUS,
        value="1/0",
        samples=_target_status,
        status_set=TARGET_STATUSES,
        sparse=True,
    ),
    F(
        "codedeploy_target_last_updated_timestamp_seconds",
        "gauge",
        "When CodeDeploy last updated the target (lastUpdatedAt), Unix seconds.",
        "target",
        unit="seconds",
        value="`lastUpdatedAt`",
        samples=_target_last_updated,
    ),
    F(
        "codedeploy_lifecycle_event_status",
        "gauge",
        "Lifecycle event (hook) status of a target: 1 "
        "for the current status (only that one with sparse_status), 0 for the others.",
        "lifecycle event",
        _STATUS,
        value="1/0",
        samples=_event_status,
        status_set=LIFECYCLE_STATUSES,
        sparse=True,
    ),
    F(
        "codedeploy_lifecycle_event_start_timestamp_seconds",
        "gauge",
        "When the lifecycle event started, Unix seconds.",
        "lifecycle event",
        unit="seconds",
        value="`startTime` (when present)",
        samples=_event_start,
    ),
    F(
        "codedeploy_lifecycle_event_duration_seconds",
        "gauge",
        "Lifecycle event duration (endTime - startTime), seconds.",
        "lifecycle event",
        unit="seconds",
        value="`endTime - startTime` (when both present)",
        samples=_event_duration,
    ),
    F(
        "codedeploy_lifecycle_event_diagnostics_info",
        "gauge",
        "Diagnostics of a lifecycle event that did not succeed (error code, script); always 1.",
        "lifecycle event",
        ("error_code", "script_name"),
        value="1, when diagnostics exist and `errorCode` is not Success",
        samples=_event_diagnostics,
    ),
    F(
        "codedeploy_lambda_target_version_weight_ratio",
        "gauge",
        "Share of the Lambda alias's traffic routed to the target version, 0 to 1.",
        "target",
        ("function_name", "function_alias", "current_version", "target_version"),
        unit="ratio",
        value="`targetVersionWeight`, on a 0-1 scale (read as percent above 1)",
        samples=_lambda_weight,
    ),
    F(
        "codedeploy_ecs_task_set_traffic_weight_ratio",
        "gauge",
        "Share of the ECS service's production traffic served by a task set, 0 to 1.",
        "task set",
        ("target_group",),
        unit="ratio",
        value="`trafficWeight` (percent on the wire) / 100",
        samples=_task_set_weight,
    ),
    F(
        "codedeploy_ecs_task_set_desired_tasks",
        "gauge",
        "Desired tasks of an ECS task set.",
        "task set",
        value="`desiredCount`",
        samples=_task_count("desired"),
    ),
    F(
        "codedeploy_ecs_task_set_pending_tasks",
        "gauge",
        "Pending tasks of an ECS task set.",
        "task set",
        value="`pendingCount`",
        samples=_task_count("pending"),
    ),
    F(
        "codedeploy_ecs_task_set_running_tasks",
        "gauge",
        "Running tasks of an ECS task set.",
        "task set",
        value="`runningCount`",
        samples=_task_count("running"),
    ),
    F(
        "codedeploy_ecs_task_set_status",
        "gauge",
        "ECS task set status: 1 for the current status (only that one with sparse_status), 0 for the others.",
        "task set",
        _STATUS,
        value="1/0",
        samples=_task_set_status,
        status_set=TASK_SET_STATUSES,
        sparse=True,
    ),
    F(
        "codedeploy_cloudformation_target_version_weight_ratio",
        "gauge",
        "Share of production traffic routed to a CloudFormation blue/green target version, 0 to 1.",
        "target",
        ("resource_type",),
        unit="ratio",
        value="`targetVersionWeight`, on a 0-1 scale (read as percent above 1)",
        samples=_cfn_weight,
    ),
    F(
        "codedeploy_exporter_target_poll_success",
        "gauge",
        "Whether the last poll of a target that is still polled succeeded (1) or failed (0); a "
        "failed target keeps its previous values. Frozen targets have no such series.",
        "target",
        value="1/0, for targets not frozen",
        samples=_poll_success,
    ),
    # ---- the exporter itself (instruments of exporter.exposition.self_metrics) ----
    F(
        "codedeploy_exporter_build_info",
        "gauge",
        "Version, git revision and Python version of the exporter; always 1.",
        "exporter",
        ("version", "revision", "python_version"),
        value="1",
    ),
    F(
        "codedeploy_exporter_api_requests_total",
        "counter",
        "CodeDeploy API requests sent, retries included.",
        "exporter",
        ("operation",),
        value="requests",
    ),
    F(
        "codedeploy_exporter_api_request_errors_total",
        "counter",
        "CodeDeploy API requests that failed, by AWS error code (ThrottlingException when "
        "throttled), retries included.",
        "exporter",
        ("operation", "error_code"),
        value="failed requests; the common error codes start at 0",
    ),
    F(
        "codedeploy_exporter_parse_errors_total",
        "counter",
        "Response values and objects the exporter could not read and left out: wrong_type and "
        "bad_value drop one value of a response, record and render skip one object.",
        "exporter",
        ("operation", "reason"),
        value="values dropped or objects skipped; the batch operations start at 0",
    ),
    F(
        "codedeploy_exporter_api_request_duration_seconds",
        "histogram",
        "Duration of CodeDeploy API calls, retries included.",
        "exporter",
        ("operation",),
        unit="seconds",
        value="histogram",
    ),
    F(
        "codedeploy_exporter_poll_duration_seconds",
        "gauge",
        "Wall time of the last completed poll.",
        "exporter",
        unit="seconds",
        value="seconds",
    ),
    F(
        "codedeploy_exporter_poll_interval_seconds",
        "gauge",
        "The configured poll.interval: alerts measure staleness and slow polls against it.",
        "exporter",
        unit="seconds",
        value="seconds",
    ),
    F(
        "codedeploy_exporter_last_poll_success_timestamp_seconds",
        "gauge",
        "When the last poll without API-wide errors completed, Unix seconds. Scrapes serve that "
        "poll's snapshot and never call AWS, so this says how fresh the data is.",
        "exporter",
        unit="seconds",
        value="Unix seconds",
    ),
    F(
        "codedeploy_exporter_targets",
        "gauge",
        "Tracked targets: polled each interval, or frozen (finished, served from cache).",
        "exporter",
        ("state",),
        value="targets per state (polled, frozen)",
    ),
    F("codedeploy_exporter_shard_ordinal", "gauge", "Shard this replica exports (--shard).", "exporter", value="shard"),
    F("codedeploy_exporter_total_shards", "gauge", "Number of shards (--total-shards).", "exporter", value="shards"),
    F(
        "codedeploy_exporter_config_last_reload_successful",
        "gauge",
        "Whether the last configuration load succeeded.",
        "exporter",
        value="1/0",
    ),
    F(
        "codedeploy_exporter_config_last_reload_success_timestamp_seconds",
        "gauge",
        "When the configuration was last loaded successfully, Unix seconds.",
        "exporter",
        unit="seconds",
        value="Unix seconds",
    ),
    # ---- the event consumer (exporter.events.metrics; only with `events` configured) ----
    F(
        "codedeploy_exporter_events_received_total",
        "counter",
        "SQS messages received by the event consumer, by type: deployment_state_change and "
        "instance_state_change (EventBridge), deployment_trigger and instance_trigger (CodeDeploy "
        "triggers via SNS), other (not a CodeDeploy event), malformed.",
        "exporter",
        ("type",),
        value="messages; every type starts at 0",
    ),
    F(
        "codedeploy_exporter_events_applied_total",
        "counter",
        "CodeDeploy events whose deployment was refreshed because of them.",
        "exporter",
        value="events",
    ),
    F(
        "codedeploy_exporter_events_ignored_total",
        "counter",
        "Messages that caused no refresh: not_codedeploy (another kind of message), untracked (a "
        "deployment the exporter does not follow), finished (a finished deployment whose targets "
        "are all frozen: a late or duplicate event).",
        "exporter",
        ("reason",),
        value="messages; every reason starts at 0",
    ),
    F(
        "codedeploy_exporter_events_malformed_total",
        "counter",
        "Messages that are not JSON or are CodeDeploy events with unusable fields; deleted.",
        "exporter",
        value="messages",
    ),
    F(
        "codedeploy_exporter_event_age_seconds",
        "gauge",
        "Age of the newest CodeDeploy event when it was received: now minus the event's own time "
        "(EventBridge time, trigger time or SNS timestamp).",
        "exporter",
        unit="seconds",
        value="seconds",
    ),
    F(
        "codedeploy_exporter_event_refreshes_total",
        "counter",
        "Refreshes triggered by events (one per debounce window), by result: error when an "
        "API-wide error or an unexpected failure hit it. Not polls: "
        "codedeploy_exporter_last_poll_success_timestamp_seconds ignores them.",
        "exporter",
        ("result",),
        value="refreshes (success, error)",
    ),
    F(
        "codedeploy_exporter_last_event_refresh_timestamp_seconds",
        "gauge",
        "When the last refresh triggered by events completed, Unix seconds.",
        "exporter",
        unit="seconds",
        value="Unix seconds",
    ),
    F(
        "codedeploy_exporter_event_consumer_errors_total",
        "counter",
        "Failed SQS calls of the event consumer by operation and error code (AccessDenied, "
        "AWS.SimpleQueueService.NonExistentQueue ...). Polling goes on regardless.",
        "exporter",
        ("operation", "error_code"),
        value="failed calls; the common codes start at 0",
    ),
)

BY_NAME: dict[str, Family] = {family.name: family for family in FAMILIES}
# prometheus-client's process collector (process_cpu_seconds_total, process_resident_memory_bytes,
# ...) is served too; its families are the library's, documented there.
PROCESS_PREFIX = "process_"


@dataclass(frozen=True)
class Selection:
    """The cardinality settings: which families and which series of them are rendered."""

    sparse_status: bool = True
    lifecycle_events: str = "active"  # active | all
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    enabled: frozenset[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        include = [re.compile(p) for p in self.include]
        exclude = [re.compile(p) for p in self.exclude]
        names = {f.name for f in FAMILIES}
        object.__setattr__(
            self,
            "enabled",
            frozenset(
                name
                for name in names
                if (not include or any(p.fullmatch(name) for p in include))
                and not any(p.fullmatch(name) for p in exclude)
            ),
        )

    @classmethod
    def of(cls, metrics: Any) -> Selection:
        """From the config's metrics settings."""
        return cls(metrics.sparse_status, metrics.lifecycle_events, tuple(metrics.include), tuple(metrics.exclude))

    def wants(self, name: str) -> bool:
        """Whether a family (or a process_* family of prometheus-client) is exported."""
        return name in self.enabled or (name.startswith(PROCESS_PREFIX) and self._process_wanted(name))

    def _process_wanted(self, name: str) -> bool:
        return (not self.include or any(re.fullmatch(p, name) for p in self.include)) and not any(
            re.fullmatch(p, name) for p in self.exclude
        )

    def families(self, level: str) -> tuple[Family, ...]:
        return tuple(f for f in FAMILIES if f.level == level and f.name in self.enabled)


FULL = Selection(sparse_status=False, lifecycle_events="all")  # today's contract, every series
