"""Deployment group families: state from BatchGetDeploymentGroups and the group's most recent
deployments, and the DORA counters kept from the deployments the exporter sees finish.

Sample functions take exporter.exposition.views' GroupView.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from exporter.exposition.families.base import (
    STATUS,
    Family,
    Level,
    PlainSamples,
    Sample,
    SuffixedSample,
    histogram_samples,
    le_values,
)
from exporter.exposition.text import escape, label_pairs, status_set
from exporter.model import COUNTED_STATUSES, DEPLOYMENT_STATUSES, DURATION_BUCKETS

if TYPE_CHECKING:
    from exporter.exposition.views import GroupView


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


def _group_time(attribute: str) -> PlainSamples:
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


_DURATION_LE = le_values(DURATION_BUCKETS)


def _deployment_duration(v: GroupView) -> Iterator[SuffixedSample]:
    for status, histogram in v.durations or ():
        yield from histogram_samples(f'status="{escape(status)}"', _DURATION_LE, histogram)


_SINCE_FIRST_POLL = (
    " Counts deployments that finished after the exporter's first poll of the group "
    "(history before it is not counted) and restarts at 0 with the exporter, like "
    "every counter: use increase() or rate(). Groups that are listed "
    "(deployment_groups, discovery) only."
)

GROUP_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_deployment_group_info",
        "gauge",
        "Deployment group facts from BatchGetDeploymentGroups (platform, config, type, option); always 1.",
        Level.DEPLOYMENT_GROUP,
        ("compute_platform", "deployment_config", "deployment_type", "deployment_option"),
        value="1",
        samples=_group_info,
    ),
    Family(
        "codedeploy_deployment_group_last_attempted_status",
        "gauge",
        "Status of the group's most "
        "recent deployment: 1 for its status, 0 for the others (every known status, always).",
        Level.DEPLOYMENT_GROUP,
        STATUS,
        value="1/0",
        samples=_group_last_status,
        status_set=DEPLOYMENT_STATUSES,
    ),
    Family(
        "codedeploy_deployment_group_last_attempted_timestamp_seconds",
        "gauge",
        "When the group's most recent deployment was created, Unix seconds.",
        Level.DEPLOYMENT_GROUP,
        unit="seconds",
        value="`createTime` of the most recent deployment",
        samples=_group_last_created,
    ),
    Family(
        "codedeploy_deployment_group_last_attempted_info",
        "gauge",
        "The group's most recent deployment; always 1.",
        Level.DEPLOYMENT_GROUP,
        ("deployment_id",),
        value="1",
        samples=_group_last_attempted,
    ),
    Family(
        "codedeploy_deployment_group_last_success_timestamp_seconds",
        "gauge",
        "When the group's "
        "last successful deployment ended (lastSuccessfulDeployment), Unix seconds; right from the "
        "first poll after a restart.",
        Level.DEPLOYMENT_GROUP,
        unit="seconds",
        value="`endTime` of `lastSuccessfulDeployment`",
        samples=_group_time("last_success_end"),
    ),
    Family(
        "codedeploy_deployment_group_last_failure_timestamp_seconds",
        "gauge",
        "When the group's "
        "last Failed deployment ended, Unix seconds. From the deployments the exporter has seen "
        "(the API has no last failure): after a restart, known only for failures within "
        "poll.retention.",
        Level.DEPLOYMENT_GROUP,
        unit="seconds",
        value="`completeTime` of the last Failed deployment seen",
        samples=_group_time("last_failure_end"),
    ),
    Family(
        "codedeploy_deployments_total",
        "counter",
        "Deployments of the group that reached a terminal "
        "status (Succeeded, Failed, Stopped), by status and creator." + _SINCE_FIRST_POLL,
        Level.DEPLOYMENT_GROUP,
        ("status", "creator"),
        value="deployments; (status, user) start at 0",
        samples=_deployments_total,
    ),
    Family(
        "codedeploy_deployment_duration_seconds",
        "histogram",
        "Create-to-complete time of the "
        "group's deployments that reached a terminal status, by status; buckets 30 s to 4 h." + _SINCE_FIRST_POLL,
        Level.DEPLOYMENT_GROUP,
        STATUS,
        unit="seconds",
        value="histogram",
        samples=_deployment_duration,
    ),
)
