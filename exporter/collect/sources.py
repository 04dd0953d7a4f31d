"""Sources: which deployments the exporter wants this poll, one small part per config section.

Each source answers `want(ctx)` with a `Wanted`: deployments to follow (status and every
target), deployments to watch (status only), explicit (deployment, target) pairs, and the
groups it covers; between polls, `list_mentioned(ctx, mentions)` lists again the groups that
events mention. Sources call the API only to list and to read new IDs; reading deployments and
targets is shared (exporter.collect.deployments, .targets). Discovery scopes are in
exporter.collect.discovery.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from exporter.aws.codedeploy import CodeDeployApi
from exporter.aws.errors import ApiError
from exporter.collect.deployments import DeploymentStore
from exporter.collect.group_tags import TagCache
from exporter.collect.keys import DeploymentKey, GroupRef, TargetKey
from exporter.collect.outages import Outages
from exporter.config import AwsSettings, Config, DeploymentEntry, DiscoveryScope, GroupEntry, TargetEntry
from exporter.model import Deployment
from exporter.workers import PoolMap

DISCOVERY_OVERLAP = 3600.0  # re-list deployments created up to an hour before the newest seen


@dataclass
class PollContext:
    """What a poll's parts share: the config, the time, the API and the deployment store."""

    config: Config
    now: float
    number: int
    map: PoolMap  # the poll's bounded thread pool
    api_for: Callable[[AwsSettings], CodeDeployApi]
    outages: Outages
    deployments: DeploymentStore
    owns_group: Callable[[AwsSettings, str, str], bool]
    identity: Callable[[AwsSettings], tuple[str, str]]  # (account id, region)
    tags: TagCache = field(default_factory=TagCache)  # group tags read, shared with metrics.group_tags


@dataclass
class Wanted:
    listed: set[DeploymentKey] = field(default_factory=set)  # status and every target
    watched: set[DeploymentKey] = field(default_factory=set)  # status only
    pairs: set[TargetKey] = field(default_factory=set)
    groups: dict[GroupRef, bool] = field(default_factory=dict)  # -> listed (sees every deployment)

    def add(self, other: Wanted) -> None:
        self.listed |= other.listed
        self.watched |= other.watched
        self.pairs |= other.pairs
        for ref, listed in other.groups.items():
            self.groups[ref] = self.groups.get(ref, False) or listed

    def deployment_keys(self) -> set[DeploymentKey]:
        return self.listed | self.watched | {(d, aws) for d, _, aws in self.pairs}


class Mention(Protocol):
    """What a message from outside (an event) says of a deployment the exporter may not track
    yet: where it belongs. Any part may be unknown (None)."""

    @property
    def application(self) -> str | None: ...
    @property
    def deployment_group(self) -> str | None: ...
    @property
    def region(self) -> str | None: ...


def mentioned(region: str | None, group: GroupRef, mentions: Iterable[Mention]) -> bool:
    """Whether a mention may be of `group` (application, group and, where both say it, region)."""
    _, application, deployment_group = group
    return any(
        (m.application, m.deployment_group) == (application, deployment_group)
        and (region is None or m.region is None or region == m.region)
        for m in mentions
    )


class Source(Protocol):
    """One part of the config that says which deployments it wants (the classes below)."""

    def want(self, ctx: PollContext) -> Wanted: ...

    def list_mentioned(self, ctx: PollContext, mentions: Sequence[Mention]) -> Wanted:
        """Between polls: list again the groups these mentions may belong to that this source
        follows, and say what it follows there now (nothing if it lists no groups)."""
        ...


class PairsSource:
    """`targets:` entries: exactly the listed (deployment, target) pairs."""

    def want(self, ctx: PollContext) -> Wanted:
        out = Wanted()
        for entry in ctx.config.targets:
            out.pairs.add((entry.deployment_id, entry.target_id, entry.aws))
        return out

    def list_mentioned(self, ctx: PollContext, mentions: Sequence[Mention]) -> Wanted:
        return Wanted()  # names its deployments itself: a new one cannot be among them


class DeploymentsSource:
    """`deployments:` entries: every target of each listed deployment."""

    def want(self, ctx: PollContext) -> Wanted:
        return Wanted(listed={(e.deployment_id, e.aws) for e in ctx.config.deployments})

    def list_mentioned(self, ctx: PollContext, mentions: Sequence[Mention]) -> Wanted:
        return Wanted()  # names its deployments itself: a new one cannot be among them


@dataclass
class Listing:
    """What a source has listed of one group: create times, and which deployments it follows
    (the newest `latest` and those followed before, until `retention` after they complete) or
    watches (running ones outside those, read until they finish so the counters see them)."""

    created: dict[str, float] = field(default_factory=dict)
    completed: dict[str, float] = field(default_factory=dict)
    followed: set[str] = field(default_factory=set)
    watched: set[str] = field(default_factory=set)
    newest: float | None = None  # newest createTime seen: later listings start just before it

    def learn(self, record: Deployment) -> None:
        self.created[record.deployment_id] = record.create_time or 0.0
        self.newest = max(self.newest or 0.0, record.create_time or 0.0)

    def select(
        self, latest: int, record_of: Callable[[str], Deployment | None], retention: float, now: float, horizon: float
    ) -> None:
        newest_first = sorted(self.created, key=self.created.__getitem__, reverse=True)
        top = set(newest_first[:latest])
        for deployment_id in self.created:
            record = record_of(deployment_id)
            if record is not None and record.terminal and deployment_id not in self.completed:
                # No completeTime on a finished deployment: keep following it (as before).
                self.completed[deployment_id] = record.complete_time or math.inf
        self.followed = {
            i for i in top | self.followed if i not in self.completed or self.completed[i] + retention >= now
        }
        self.watched = {i for i in self.created if i not in self.completed and i not in self.followed}
        # Forget listed deployments that can no longer be listed again nor followed (the
        # newest `latest` stay, expired or not, so the window never has to be re-listed).
        keep = top | self.followed | self.watched
        self.created = {i: t for i, t in self.created.items() if t >= horizon or i in keep}
        self.completed = {i: t for i, t in self.completed.items() if i in self.created}


class GroupsSource:
    """`deployment_groups:` entries: ListDeployments of each group, from just before the newest
    create time seen (the first listing reads the group's history once)."""

    def __init__(self) -> None:
        self.listings: dict[GroupRef, Listing] = {}

    def want(self, ctx: PollContext) -> Wanted:
        entries = {
            (e.aws, e.application, e.deployment_group): e
            for e in ctx.config.deployment_groups
            if ctx.owns_group(e.aws, e.application, e.deployment_group)
        }
        self.listings = {ref: self.listings.get(ref) or Listing() for ref in entries}
        list(ctx.map(lambda ref: self.list_group(ctx, ref, entries[ref]), entries))
        out = Wanted()
        for ref, entry in entries.items():
            listing = self.listings[ref]
            out.listed.update((i, entry.aws) for i in listing.followed)
            out.watched.update((i, entry.aws) for i in listing.watched)
            out.groups[ref] = True
        return out

    def list_mentioned(self, ctx: PollContext, mentions: Sequence[Mention]) -> Wanted:
        """Groups no poll has listed yet, or another shard's, are left to polls."""
        out = Wanted()
        for entry in ctx.config.deployment_groups:
            ref = (entry.aws, entry.application, entry.deployment_group)
            if ref not in self.listings or not mentioned(entry.aws.region, ref, mentions):
                continue
            if not ctx.owns_group(*ref):
                continue
            self.list_group(ctx, ref, entry)
            listing = self.listings[ref]
            out.listed.update((i, entry.aws) for i in listing.followed)
            out.watched.update((i, entry.aws) for i in listing.watched)
        return out

    def list_group(self, ctx: PollContext, ref: GroupRef, entry: GroupEntry) -> None:
        listing = self.listings[ref]
        try:
            api = ctx.api_for(entry.aws)
            since = None if listing.newest is None else listing.newest - DISCOVERY_OVERLAP
            ids = api.list_deployments(entry.application, entry.deployment_group, since)
            unknown = [i for i in dict.fromkeys(ids) if i not in listing.created]
            for record in ctx.deployments.fetch(api, unknown, entry.aws):
                listing.learn(record)
        except ApiError as exc:
            ctx.outages.note(exc, f"discovery of {entry.application}/{entry.deployment_group}")
            return  # keep following what we had
        listing.select(
            entry.latest,
            lambda i: ctx.deployments.record((i, entry.aws)),
            ctx.config.poll.retention,
            ctx.now,
            (listing.newest or 0.0) - 2 * DISCOVERY_OVERLAP,
        )


def plain_settings(config: Config) -> set[AwsSettings]:
    """The connections of the entries that say where they poll themselves (all but organizations)."""
    entries: list[TargetEntry | DeploymentEntry | GroupEntry | DiscoveryScope] = [
        *config.targets,
        *config.deployments,
        *config.deployment_groups,
        *config.discovery,
    ]
    return {entry.aws for entry in entries}


def union(parts: Iterable[Wanted]) -> Wanted:
    out = Wanted()
    for part in parts:
        out.add(part)
    return out
