"""Deployment group families that need an opt-in and an extra read: the group's allowlisted
tags as labels (metrics.group_tags, ListTagsForResource) and the lead time from a revision's
registration to its deployment (metrics.lead_time, BatchGetApplicationRevisions).

Sample functions take exporter.exposition.views' GroupView.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from exporter.config.tag_labels import PREFIX
from exporter.exposition.families.base import Family, Level, Sample, SuffixedSample, histogram_samples, le_values
from exporter.exposition.text import escape
from exporter.model import LEAD_TIME_BUCKETS

if TYPE_CHECKING:
    from exporter.exposition.views import GroupView


def _group_tags(v: GroupView) -> Iterator[Sample]:
    if v.tags is not None:  # () would be a series without tag labels: not configured is None
        yield ",".join(f'{name}="{escape(value)}"' for name, value in v.tags), 1


_LEAD_TIME_LE = le_values(LEAD_TIME_BUCKETS)


def _lead_time(v: GroupView) -> Iterator[SuffixedSample]:
    if v.lead_times is not None:
        yield from histogram_samples("", _LEAD_TIME_LE, v.lead_times)


GROUP_FACT_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_deployment_group_tags",
        "gauge",
        "The deployment group's tags named in metrics.group_tags, as labels tag_<key> (empty when "
        "the group has no such tag); always 1. Join with group_left to route alerts by owner.",
        Level.DEPLOYMENT_GROUP,
        value="1, one series per followed group, with metrics.group_tags only",
        samples=_group_tags,
        stability="experimental",
        open_labels=PREFIX,
    ),
    Family(
        "codedeploy_deployment_lead_time_seconds",
        "histogram",
        "Time from the registration of the deployed revision (registerTime, "
        "BatchGetApplicationRevisions) to the completeTime of the group's Succeeded deployments: "
        "the CodeDeploy part of lead time. Revisions without a registerTime (e.g. String or "
        "AppSpecContent revisions) are not observed. Counts deployments that finished after the "
        "exporter's first poll of the group; listed groups only; with metrics.lead_time only.",
        Level.DEPLOYMENT_GROUP,
        unit="seconds",
        value="histogram, buckets 5 min to 2 weeks",
        samples=_lead_time,
        stability="experimental",
    ),
)
