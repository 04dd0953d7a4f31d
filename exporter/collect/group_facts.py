"""The opt-in facts of a followed group, beside its state (exporter.collect.groups): its tags
(`metrics.group_tags`, .group_tags) and its lead times (`metrics.lead_time`, .lead_time).

The poller calls `prepare` before group state sees the poll's deployments and `read` after;
group state tells `counted` of each deployment it counts; `extend` adds both to a group's view.
A family that `metrics.include`/`exclude` leaves out reads nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from exporter.aws.codedeploy import CodeDeployApi
from exporter.collect.group_tags import GroupTags, TagCache
from exporter.collect.keys import GroupRef
from exporter.collect.lead_time import LeadTimes
from exporter.collect.outages import Outages
from exporter.config import AwsSettings, Config
from exporter.exposition.selection import Selection
from exporter.exposition.views import GroupView
from exporter.model import Deployment
from exporter.workers import PoolMap

TAGS_FAMILY = "codedeploy_deployment_group_tags"
LEAD_TIME_FAMILY = "codedeploy_deployment_lead_time_seconds"


class GroupFacts:
    def __init__(self) -> None:
        self.tag_cache = TagCache()  # shared with discovery scans (PollContext.tags)
        self.tags = GroupTags(self.tag_cache)
        self.lead_times = LeadTimes()
        self.tag_keys: tuple[str, ...] = ()
        self.lead_time = False  # for the deployments counted until the next poll

    def prepare(self, config: Config, groups: Mapping[GroupRef, bool]) -> None:
        """This poll's settings, and the groups followed (-> listed)."""
        metrics = config.metrics
        self.tag_keys, self.lead_time = (), False
        if metrics.group_tags or metrics.lead_time:
            wants = Selection.of(metrics).wants
            self.tag_keys = metrics.group_tags if wants(TAGS_FAMILY) else ()
            self.lead_time = metrics.lead_time and wants(LEAD_TIME_FAMILY)
        self.lead_times.sync({ref for ref, listed in groups.items() if listed} if self.lead_time else set())

    def counted(self, ref: GroupRef, record: Deployment) -> None:
        """Group state counted a deployment (GroupStates.on_counted)."""
        if self.lead_time:
            self.lead_times.counted(ref, record)

    def read(
        self,
        config: Config,
        refs: Mapping[GroupRef, object],
        map_: PoolMap,
        api_for: Callable[[AwsSettings], CodeDeployApi],
        identity: Callable[[AwsSettings], tuple[str, str]],
        outages: Outages,
        now: float,
    ) -> None:
        """What is due: registerTimes of the revisions just counted, and tags."""
        poll = config.poll
        self.lead_times.resolve(map_, api_for, outages)
        self.tags.refresh(
            refs,
            map_,
            api_for,
            identity,
            outages,
            keys=self.tag_keys,
            now=now,
            every=poll.group_refresh,
            interval=poll.interval,
            # Spread: at most half an interval's worth of the rate limit per poll, as discovery scans.
            budget=max(1, int(poll.max_requests_per_second * poll.interval / 2)),
        )

    def extend(self, ref: GroupRef, view: GroupView) -> GroupView:
        tags, lead_times = self.tags.labels(ref), self.lead_times.histograms.get(ref)
        if tags is None and lead_times is None:
            return view
        return dataclasses.replace(view, tags=tags, lead_times=lead_times)
