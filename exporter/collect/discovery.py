"""Discovery scopes (`discovery:`): every matching deployment group of a region, found cheaply.

Per scope and poll, one region-wide ListDeployments (no application: the API lists the whole
region) with a createTimeRange from just before the newest create time seen; the first poll
looks back `poll.retention` only, plus one listing of the non-terminal statuses so a
deployment started earlier and still running is not missed. New IDs are read once with
BatchGetDeployments (by every shard: that is how a deployment's group is learned); only the
owner of a group follows its deployments. Which groups match (names, tags) is re-read every
`refresh` (the scope's setting) by a GroupScan, spread over polls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from exporter.aws.arn import group_arn, partition_of
from exporter.aws.codedeploy import CodeDeployApi
from exporter.aws.errors import ApiError
from exporter.collect.sources import DISCOVERY_OVERLAP, Listing, Mention, PollContext, Wanted, mentioned
from exporter.config import AwsSettings, DiscoveryScope

NON_TERMINAL = ("Created", "Queued", "InProgress", "Baking", "Ready")
Group = tuple[str, str]  # application, deployment group


@dataclass
class GroupScan:
    """One pass over ListApplications, ListDeploymentGroups and ListTagsForResource, advanced a
    bounded number of calls per poll; `matched` is complete once `done`."""

    started: float
    applications: list[str] | None = None
    groups: list[Group] = field(default_factory=list)
    untagged: list[Group] | None = None  # groups still to read tags of
    matched: set[Group] = field(default_factory=set)

    def advance(self, ctx: PollContext, scope: DiscoveryScope, api: CodeDeployApi, budget: int) -> bool:
        """Spend at most `budget` calls; True when the pass is complete."""
        if self.applications is None:
            self.applications = [a for a in api.list_applications() if scope.applications.matches(a)]
            budget -= 1
        while self.applications and budget > 0:
            application = self.applications.pop()
            names = api.list_deployment_groups(application)
            budget -= 1
            # Only the owner of a group reads its tags and follows it.
            self.groups.extend(
                (application, n)
                for n in names
                if scope.deployment_groups.matches(n) and ctx.owns_group(scope.aws, application, n)
            )
        if self.applications:
            return False
        if not scope.tags:
            self.matched = set(self.groups)
            return True
        if self.untagged is None:
            self.untagged = list(self.groups)
        account, region = ctx.identity(scope.aws)
        partition = partition_of(scope.aws, region)
        batch, self.untagged = self.untagged[: max(budget, 0)], self.untagged[max(budget, 0) :]

        def read(group: Group) -> tuple[Group, dict[str, str]]:
            arn = group_arn(partition, region, account, *group)
            tags = api.list_tags_for_resource(arn)
            ctx.tags.put(arn, tags, ctx.now)  # metrics.group_tags reads them from here
            return group, tags

        for group, tags in ctx.map(read, batch):
            if scope.tags_match(tags):
                self.matched.add(group)
        return not self.untagged


class Scope:
    """The listing state of one scope: what it has read, which groups match, what it follows."""

    def __init__(self, config: DiscoveryScope) -> None:
        self.config = config
        self.list_from: float | None = None  # next listing's createTimeRange start
        self.known: dict[str, float] = {}  # deployment ID read -> create time
        self.listings: dict[Group, Listing] = {}  # owned groups whose names match
        self.matched: set[Group] | None = None  # from the last complete scan
        self.scan: GroupScan | None = None
        self.next_scan = 0.0
        self.failures = 0

    def want(self, ctx: PollContext) -> Wanted:
        aws = self.config.aws
        where = f"discovery scope {aws.region or ''} {aws.role_arn or ''}".strip()
        # A failing scan (e.g. no ListTagsForResource permission) does not stop the listing; an
        # account-region that cannot be reached (throttled, role denied) is not asked again
        # this poll, so it costs the poll one failed call, not one per step.
        for step in (self._scan, self.list_deployments):
            try:
                step(ctx, ctx.api_for(aws))
            except ApiError as exc:
                ctx.outages.note(exc, where)
                if exc.unreachable:
                    break
        return self.select(ctx, aws)

    def _scan(self, ctx: PollContext, api: CodeDeployApi) -> None:
        if self.scan is None and ctx.now >= self.next_scan:
            self.scan = GroupScan(ctx.now)
        if self.scan is None:
            return
        poll = ctx.config.poll
        # Spread: at most half an interval's worth of the rate limit per poll.
        budget = max(1, int(poll.max_requests_per_second * poll.interval / 2))
        job, self.scan = self.scan, None
        try:
            done = job.advance(ctx, self.config, api, budget)
        except ApiError:
            # The pass is abandoned and started again after a backoff (1, 2, 4 ... intervals,
            # at most `refresh`); the last complete pass keeps deciding what matches.
            self.failures += 1
            self.next_scan = ctx.now + min(self.config.refresh, poll.interval * 2 ** (self.failures - 1))
            raise
        if done:
            self.matched, self.failures = job.matched, 0
            self.next_scan = job.started + self.config.refresh
        else:
            self.scan = job

    def list_deployments(self, ctx: PollContext, api: CodeDeployApi) -> None:
        first = self.list_from is None
        start = ctx.now - ctx.config.poll.retention if self.list_from is None else self.list_from
        ids = api.list_deployments(None, None, start)
        if first:
            ids += api.list_deployments(None, None, statuses=NON_TERMINAL)
        new = [i for i in dict.fromkeys(ids) if i not in self.known]
        newest = None
        for record in ctx.deployments.fetch(api, new, self.config.aws):
            created = record.create_time or 0.0
            self.known[record.deployment_id] = created
            newest = max(newest or created, created)
            group = (record.application, record.deployment_group)
            if (
                self.config.applications.matches(group[0])
                and self.config.deployment_groups.matches(group[1])
                and ctx.owns_group(self.config.aws, *group)
            ):
                self.listings.setdefault(group, Listing()).learn(record)
        if newest is not None and newest - DISCOVERY_OVERLAP > start:
            start = newest - DISCOVERY_OVERLAP
        self.list_from = start
        # What is older than the next listing's start cannot be listed again.
        self.known = {i: t for i, t in self.known.items() if t >= start}

    def select(self, ctx: PollContext, aws: AwsSettings) -> Wanted:
        out = Wanted()
        if self.matched is None:
            return out  # no complete scan yet: nothing is known to match
        retention = ctx.config.poll.retention
        for group in self.matched:
            out.groups[(aws, group[0], group[1])] = True  # group state even without recent deployments
        for group, listing in self.listings.items():
            if group not in self.matched:
                continue
            listing.select(
                self.config.latest,
                lambda i: ctx.deployments.record((i, aws)),
                retention,
                ctx.now,
                (listing.newest or 0.0) - 2 * DISCOVERY_OVERLAP,
            )
            out.listed.update((i, aws) for i in listing.followed)
            out.watched.update((i, aws) for i in listing.watched)
        return out


class ScopesSource:
    """All `discovery:` scopes; state is kept per scope across polls and unchanged reloads."""

    def __init__(self) -> None:
        self.scopes: dict[str, Scope] = {}

    def want(self, ctx: PollContext) -> Wanted:
        configured = {f"{i}:{s.model_dump_json()}": s for i, s in enumerate(ctx.config.discovery)}
        self.scopes = {k: self.scopes.get(k) or Scope(s) for k, s in configured.items()}
        out = Wanted()
        # One scope after the other: a scope's tag reads use the poll's pool themselves.
        for scope in self.scopes.values():
            out.add(scope.want(ctx))
        return out

    def list_mentioned(self, ctx: PollContext, mentions: Sequence[Mention]) -> Wanted:
        return list_mentioned_scopes(ctx, list(self.scopes.values()), mentions, "discovery scope (event)")


def list_mentioned_scopes(ctx: PollContext, scopes: Sequence[Scope], mentions: Sequence[Mention], where: str) -> Wanted:
    """List again each scope a mention may fall in (one region-wide ListDeployments), and say
    what the scope follows now. Scopes with no complete scan yet are left to polls."""
    out = Wanted()
    for scope in scopes:
        aws = scope.config.aws
        if scope.matched is None or not any(mentioned(aws.region, (aws, *g), mentions) for g in scope.matched):
            continue
        try:
            scope.list_deployments(ctx, ctx.api_for(aws))
        except ApiError as exc:
            ctx.outages.note(exc, where)
            continue
        out.add(scope.select(ctx, aws))
    return out
