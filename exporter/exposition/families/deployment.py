"""Deployment families (BatchGetDeployments), and the per-lifecycle-event aggregates over a
deployment's targets.

Sample functions take exporter.exposition.views' DeploymentView or exporter.model's HookAggregate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from exporter.exposition.families.base import STATUS, Family, Level, PlainSamples, Sample, SuffixedSample
from exporter.exposition.text import escape, label_pairs, status_set
from exporter.model import DEPLOYMENT_STATUSES

if TYPE_CHECKING:
    from exporter.exposition.views import DeploymentView
    from exporter.model import HookAggregate


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


def _deployment_time(attribute: str) -> PlainSamples:
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


DEPLOYMENT_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_deployment_info",
        "gauge",
        "Deployment facts (platform, config, type, creator); always 1.",
        Level.DEPLOYMENT,
        ("compute_platform", "deployment_config", "deployment_type", "creator"),
        value="1",
        samples=_deployment_info,
    ),
    Family(
        "codedeploy_deployment_status",
        "gauge",
        "Deployment status: 1 for the current status, 0 "
        "for the others (every known status, whatever sparse_status says).",
        Level.DEPLOYMENT,
        STATUS,
        value="1/0",
        samples=_deployment_status,
        status_set=DEPLOYMENT_STATUSES,
    ),
    Family(
        "codedeploy_deployment_create_timestamp_seconds",
        "gauge",
        "When the deployment was created (createTime), Unix seconds.",
        Level.DEPLOYMENT,
        unit="seconds",
        value="`createTime`",
        samples=_deployment_time("create_time"),
    ),
    Family(
        "codedeploy_deployment_start_timestamp_seconds",
        "gauge",
        "When the deployment started (startTime), Unix seconds.",
        Level.DEPLOYMENT,
        unit="seconds",
        value="`startTime` (when present)",
        samples=_deployment_time("start_time"),
    ),
    Family(
        "codedeploy_deployment_complete_timestamp_seconds",
        "gauge",
        "When the deployment completed (completeTime), Unix seconds.",
        Level.DEPLOYMENT,
        unit="seconds",
        value="`completeTime` (when present)",
        samples=_deployment_time("complete_time"),
    ),
    Family(
        "codedeploy_deployment_targets",
        "gauge",
        "Targets of the deployment per status, as CodeDeploy counts them (deploymentOverview).",
        Level.DEPLOYMENT,
        STATUS,
        value="count per key of `deploymentOverview`",
        samples=_deployment_targets,
    ),
    Family(
        "codedeploy_deployment_error_info",
        "gauge",
        "Why the deployment failed (errorInformation.code); always 1. The message is logged.",
        Level.DEPLOYMENT,
        ("error_code",),
        value="1, when `errorInformation` is present",
        samples=_deployment_error,
    ),
    Family(
        "codedeploy_deployment_rollback_info",
        "gauge",
        "Rollback links of the deployment (rollbackInfo); always 1.",
        Level.DEPLOYMENT,
        ("rollback_deployment_id", "rollback_triggering_deployment_id"),
        value="1, when `rollbackInfo` names a deployment",
        samples=_deployment_rollback,
    ),
    Family(
        "codedeploy_deployment_alarm_override",
        "gauge",
        "The deployment ran with its own CloudWatch alarm settings instead of its group's "
        '(overrideAlarmConfiguration): how many alarms it names; alarms_enabled="false" '
        "means no alarm could stop it.",
        Level.DEPLOYMENT,
        ("alarms_enabled", "ignore_poll_alarm_failure"),
        value="number of alarms, when `overrideAlarmConfiguration` is present",
        samples=_alarm_override,
        stability="experimental",
    ),
    Family(
        "codedeploy_deployment_auto_update_info",
        "gauge",
        "The deployment updates outdated instances for another one (relatedDeployments); always 1.",
        Level.DEPLOYMENT,
        ("auto_update_root_deployment_id",),
        value="1, when `relatedDeployments` names a root deployment",
        samples=_auto_update,
        stability="experimental",
    ),
    Family(
        "codedeploy_deployment_revision_info",
        "gauge",
        "The revision the deployment deploys (S3 object, GitHub commit, or SHA-256 of inline content); always 1.",
        Level.DEPLOYMENT,
        ("revision_type", "s3_bucket", "s3_key", "s3_version", "github_repository", "github_commit", "content_sha256"),
        value="1, when `revision` is present",
        samples=_deployment_revision,
    ),
    Family(
        "codedeploy_deployment_instance_termination_wait_started",
        "gauge",
        "Whether the blue/green wait before terminating the original instances has started "
        "(instanceTerminationWaitTimeStarted), 1 or 0.",
        Level.DEPLOYMENT,
        value="1/0 (when present)",
        samples=_termination_wait,
    ),
    # ---- per deployment and lifecycle event: aggregates over the deployment's targets ----
    Family(
        "codedeploy_deployment_lifecycle_event_targets",
        "gauge",
        "Targets of the deployment whose lifecycle event is in this status.",
        Level.DEPLOYMENT_LIFECYCLE_EVENT,
        STATUS,
        value="count (non-zero only)",
        samples=_hook_targets,
    ),
    Family(
        "codedeploy_deployment_lifecycle_event_duration_seconds",
        "summary",
        "Lifecycle event durations (endTime - startTime) over the deployment's targets that have both times.",
        Level.DEPLOYMENT_LIFECYCLE_EVENT,
        unit="seconds",
        value="`_sum` of durations, `_count` of targets",
        samples=_hook_duration,
    ),
    Family(
        "codedeploy_deployment_lifecycle_event_max_duration_seconds",
        "gauge",
        "The longest lifecycle event duration among the deployment's targets.",
        Level.DEPLOYMENT_LIFECYCLE_EVENT,
        unit="seconds",
        value="seconds (when a target has both times)",
        samples=_hook_max_duration,
    ),
)
