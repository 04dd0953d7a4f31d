"""Target families (BatchGetDeploymentTargets): the target itself, its lifecycle events and,
for ECS, its task sets.

Sample functions take exporter.exposition.views' TargetView, or a (TargetView, LifecycleEvent)
or (TargetView, TaskSet) pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from exporter.exposition.families.base import STATUS, Family, Level, PlainSamples, Sample
from exporter.exposition.text import escape, label_pairs, status_set
from exporter.model import LIFECYCLE_STATUSES, TARGET_STATUSES, TASK_SET_STATUSES

if TYPE_CHECKING:
    from exporter.exposition.views import TargetView
    from exporter.model import LifecycleEvent, TaskSet


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


def _task_count(attribute: str) -> PlainSamples:
    def samples(pair: tuple[TargetView, TaskSet]) -> Iterator[Sample]:
        count = getattr(pair[1], attribute)
        if count is not None:
            yield "", count

    return samples


def _task_set_status(pair: tuple[TargetView, TaskSet], sparse: bool) -> Iterable[Sample]:
    return status_set(pair[1].status, TASK_SET_STATUSES, sparse)


# What a target of a finished deployment keeps with `lifecycle_events: active` (the default):
# whether it is there and how it ended. A Failed one also keeps its failed hook's series; its
# other hooks, traffic weights and task sets are history the deployment's aggregates summarise.
FINISHED_TARGET_FAMILIES = frozenset(
    {
        "codedeploy_target_info",
        "codedeploy_target_status",
        "codedeploy_target_last_updated_timestamp_seconds",
        "codedeploy_exporter_target_poll_success",
    }
)

# In exposition order, which interleaves the target's families with its lifecycle events' and task sets'.
TARGET_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_target_info",
        "gauge",
        "Deployment target facts (type, ARN, blue/green label); always 1.",
        Level.TARGET,
        ("target_type", "target_arn", "instance_label"),
        value='1; `instance_label` is `""` when absent',
        samples=_target_info,
    ),
    Family(
        "codedeploy_target_status",
        "gauge",
        "Deployment target status: 1 for the current status (only that one with sparse_status), 0 for the others.",
        Level.TARGET,
        STATUS,
        value="1/0",
        samples=_target_status,
        status_set=TARGET_STATUSES,
        sparse=True,
    ),
    Family(
        "codedeploy_target_last_updated_timestamp_seconds",
        "gauge",
        "When CodeDeploy last updated the target (lastUpdatedAt), Unix seconds.",
        Level.TARGET,
        unit="seconds",
        value="`lastUpdatedAt`",
        samples=_target_last_updated,
    ),
    Family(
        "codedeploy_lifecycle_event_status",
        "gauge",
        "Lifecycle event (hook) status of a target: 1 "
        "for the current status (only that one with sparse_status), 0 for the others.",
        Level.LIFECYCLE_EVENT,
        STATUS,
        value="1/0",
        samples=_event_status,
        status_set=LIFECYCLE_STATUSES,
        sparse=True,
    ),
    Family(
        "codedeploy_lifecycle_event_start_timestamp_seconds",
        "gauge",
        "When the lifecycle event started, Unix seconds.",
        Level.LIFECYCLE_EVENT,
        unit="seconds",
        value="`startTime` (when present)",
        samples=_event_start,
    ),
    Family(
        "codedeploy_lifecycle_event_duration_seconds",
        "gauge",
        "Lifecycle event duration (endTime - startTime), seconds.",
        Level.LIFECYCLE_EVENT,
        unit="seconds",
        value="`endTime - startTime` (when both present)",
        samples=_event_duration,
    ),
    Family(
        "codedeploy_lifecycle_event_diagnostics_info",
        "gauge",
        "Diagnostics of a lifecycle event that did not succeed (error code, script); always 1.",
        Level.LIFECYCLE_EVENT,
        ("error_code", "script_name"),
        value="1, when diagnostics exist and `errorCode` is not Success",
        samples=_event_diagnostics,
    ),
    Family(
        "codedeploy_lambda_target_version_weight_ratio",
        "gauge",
        "Share of the Lambda alias's traffic routed to the target version, 0 to 1.",
        Level.TARGET,
        ("function_name", "function_alias", "current_version", "target_version"),
        unit="ratio",
        value="`targetVersionWeight`, on a 0-1 scale (read as percent above 1)",
        samples=_lambda_weight,
    ),
    Family(
        "codedeploy_ecs_task_set_traffic_weight_ratio",
        "gauge",
        "Share of the ECS service's production traffic served by a task set, 0 to 1.",
        Level.TASK_SET,
        ("target_group",),
        unit="ratio",
        value="`trafficWeight` (percent on the wire) / 100",
        samples=_task_set_weight,
    ),
    Family(
        "codedeploy_ecs_task_set_desired_tasks",
        "gauge",
        "Desired tasks of an ECS task set.",
        Level.TASK_SET,
        value="`desiredCount`",
        samples=_task_count("desired"),
    ),
    Family(
        "codedeploy_ecs_task_set_pending_tasks",
        "gauge",
        "Pending tasks of an ECS task set.",
        Level.TASK_SET,
        value="`pendingCount`",
        samples=_task_count("pending"),
    ),
    Family(
        "codedeploy_ecs_task_set_running_tasks",
        "gauge",
        "Running tasks of an ECS task set.",
        Level.TASK_SET,
        value="`runningCount`",
        samples=_task_count("running"),
    ),
    Family(
        "codedeploy_ecs_task_set_status",
        "gauge",
        "ECS task set status: 1 for the current status (only that one with sparse_status), 0 for the others.",
        Level.TASK_SET,
        STATUS,
        value="1/0",
        samples=_task_set_status,
        status_set=TASK_SET_STATUSES,
        sparse=True,
    ),
    Family(
        "codedeploy_cloudformation_target_version_weight_ratio",
        "gauge",
        "Share of production traffic routed to a CloudFormation blue/green target version, 0 to 1.",
        Level.TARGET,
        ("resource_type",),
        unit="ratio",
        value="`targetVersionWeight`, on a 0-1 scale (read as percent above 1)",
        samples=_cfn_weight,
    ),
    Family(
        "codedeploy_exporter_target_poll_success",
        "gauge",
        "Whether the last poll of a target that is still polled succeeded (1) or failed (0); a "
        "failed target keeps its previous values. Frozen targets have no such series.",
        Level.TARGET,
        value="1/0, for targets not frozen",
        samples=_poll_success,
    ),
)
