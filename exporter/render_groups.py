"""Deployment-group families: group state and DORA-style counters, one group at a time.

Written as (family, sample name, labels, value) tuples so each family ports as one entry of
a declarative family table.
"""

from __future__ import annotations

from collections.abc import Iterator

from exporter.groups import COUNTED_STATUSES, DURATION_BUCKETS, GroupView
from exporter.model import DEPLOYMENT_STATUSES

Sample = tuple[str, str, dict[str, str], object]

_RESTART = (" Counts deployments that finished after the exporter's first poll of the group; "
            "history before it is not counted, and the count restarts at 0 with the exporter "
            "(use increase() or rate()).")

# (name, help, type): the order is the exposition's.
GROUP_FAMILIES = (
    ("codedeploy_deployment_group_info",
     "Deployment group facts from BatchGetDeploymentGroups (platform, config, type, option); "
     "always 1.", "gauge"),
    ("codedeploy_deployment_group_last_attempted_status",
     "Status of the group's most recent deployment: 1 for its status, 0 for the others "
     "(every known status, always).", "gauge"),
    ("codedeploy_deployment_group_last_attempted_timestamp_seconds",
     "When the group's most recent deployment was created, Unix seconds.", "gauge"),
    ("codedeploy_deployment_group_last_attempted_info",
     "The group's most recent deployment (deployment_id); always 1.", "gauge"),
    ("codedeploy_deployment_group_last_success_timestamp_seconds",
     "When the group's last successful deployment ended (lastSuccessfulDeployment), Unix "
     "seconds; right from the first poll after a restart.", "gauge"),
    ("codedeploy_deployment_group_last_failure_timestamp_seconds",
     "When the group's last Failed deployment ended, Unix seconds. From the deployments the "
     "exporter has seen (the API has no last failure): after a restart, known only for "
     "failures within poll.retention.", "gauge"),
    ("codedeploy_deployments_total",
     "Deployments of the group that reached a terminal status (Succeeded, Failed, Stopped), "
     "by status and creator." + _RESTART, "counter"),
    ("codedeploy_deployment_duration_seconds",
     "Create-to-complete time of the group's deployments that reached a terminal status, by "
     "status." + _RESTART, "histogram"),
)


def _le(bound: float) -> str:
    return str(int(bound)) if bound == int(bound) else repr(bound)


def group_samples(view: GroupView) -> Iterator[Sample]:
    labels = {"account_id": view.account, "region": view.region,
              "application": view.application, "deployment_group": view.deployment_group}
    record = view.record
    if record is not None:
        yield ("codedeploy_deployment_group_info", "codedeploy_deployment_group_info",
               {**labels, "compute_platform": record.compute_platform,
                "deployment_config": record.deployment_config,
                "deployment_type": record.deployment_type,
                "deployment_option": record.deployment_option}, 1)
    last = view.last_attempted
    if last is not None:
        name = "codedeploy_deployment_group_last_attempted_status"
        statuses = DEPLOYMENT_STATUSES if last.status in DEPLOYMENT_STATUSES \
            else (*DEPLOYMENT_STATUSES, last.status)  # newer than botocore's enum: show it
        for status in statuses:
            yield name, name, {**labels, "status": status}, 1 if status == last.status else 0
        if last.create_time is not None:
            name = "codedeploy_deployment_group_last_attempted_timestamp_seconds"
            yield name, name, labels, last.create_time
        name = "codedeploy_deployment_group_last_attempted_info"
        yield name, name, {**labels, "deployment_id": last.deployment_id}, 1
    for name, value in (
        ("codedeploy_deployment_group_last_success_timestamp_seconds", view.last_success_end),
        ("codedeploy_deployment_group_last_failure_timestamp_seconds", view.last_failure_end),
    ):
        if value is not None:
            yield name, name, labels, value
    yield from _dora(view, labels)


def _dora(view: GroupView, labels: dict[str, str]) -> Iterator[Sample]:
    if view.totals is None or view.durations is None:
        return  # the group is not listed: its deployments are not all seen
    name = "codedeploy_deployments_total"
    totals = dict(view.totals)
    # Present from the first poll, so increase() sees the first user deployment of each kind.
    for status in COUNTED_STATUSES:
        totals.setdefault((status, "user"), 0)
    for (status, creator), count in sorted(totals.items()):
        yield name, name, {**labels, "status": status, "creator": creator}, count
    family = "codedeploy_deployment_duration_seconds"
    for status, histogram in view.durations:
        for bound, count in zip(DURATION_BUCKETS, histogram.buckets, strict=True):
            yield family, f"{family}_bucket", {**labels, "status": status, "le": _le(bound)}, count
        yield family, f"{family}_bucket", {**labels, "status": status, "le": "+Inf"}, histogram.count
        yield family, f"{family}_sum", {**labels, "status": status}, histogram.sum
        yield family, f"{family}_count", {**labels, "status": status}, histogram.count
