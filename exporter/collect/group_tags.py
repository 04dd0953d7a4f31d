"""Deployment group tags for `metrics.group_tags`: ListTagsForResource per followed group, read
once per `poll.group_refresh`, at most a budget of calls per poll (half an interval's worth of
the rate limit, like discovery scans), so a big fleet's reads spread over polls and stay spread.

Discovery scopes that filter on tags read the same tags; both go through one TagCache (by group
ARN), so a group a scan read within `group_refresh` is not asked again. A failing read keeps
the group's last tags and is retried after a backoff; other groups are not held back. A group
whose tags were never read has no series (unknown is not "untagged").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from exporter.aws.arn import group_arn, partition_of
from exporter.aws.codedeploy import CodeDeployApi
from exporter.aws.errors import ApiError
from exporter.collect.keys import GroupRef
from exporter.collect.outages import Outages
from exporter.config import AwsSettings
from exporter.config.tag_labels import tag_label
from exporter.workers import PoolMap

Tags = dict[str, str]


class TagCache:
    """Tags by group ARN, with when they were read. Shared by discovery scans and GroupTags;
    written from the poll's worker threads."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Tags]] = {}
        self._lock = threading.Lock()

    def put(self, arn: str, tags: Tags, now: float) -> None:
        with self._lock:
            self._entries[arn] = (now, dict(tags))

    def fresh(self, arn: str, now: float, max_age: float) -> tuple[float, Tags] | None:
        """(when read, tags) if read less than `max_age` ago."""
        with self._lock:
            entry = self._entries.get(arn)
        return entry if entry is not None and now - entry[0] < max_age else None

    def forget_older_than(self, when: float) -> None:
        with self._lock:
            self._entries = {arn: e for arn, e in self._entries.items() if e[0] >= when}


@dataclass
class _GroupTagState:
    tags: Tags | None = None  # None: never read
    due: float = 0.0
    failures: int = 0


class GroupTags:
    """The tags of each followed group, kept across polls."""

    def __init__(self, cache: TagCache) -> None:
        self.cache = cache
        self.states: dict[GroupRef, _GroupTagState] = {}
        self.keys: tuple[str, ...] = ()

    def refresh(
        self,
        refs: Iterable[GroupRef],
        map_: PoolMap,
        api_for: Callable[[AwsSettings], CodeDeployApi],
        identity: Callable[[AwsSettings], tuple[str, str]],
        outages: Outages,
        *,
        keys: tuple[str, ...],
        now: float,
        every: float,
        interval: float,
        budget: int,
    ) -> None:
        """Read the tags that are due: never read first, then the longest due."""
        self.keys = keys
        self.cache.forget_older_than(now - every)
        if not keys:  # not configured: no state, no calls
            self.states = {}
            return
        self.states = {ref: self.states.get(ref) or _GroupTagState() for ref in refs}
        arns = {ref: _arn(ref, identity) for ref in self.states}
        due = sorted(
            (ref for ref, s in self.states.items() if s.due <= now and arns[ref]),
            key=lambda ref: (self.states[ref].tags is not None, self.states[ref].due),
        )
        calls: list[GroupRef] = []
        for ref in due:
            cached = self.cache.fresh(arns[ref], now, every)
            if cached is not None:  # a discovery scan read it lately
                state = self.states[ref]
                state.tags, state.due, state.failures = cached[1], cached[0] + every, 0
            elif len(calls) < budget:
                calls.append(ref)

        def read(ref: GroupRef) -> tuple[GroupRef, Tags | ApiError]:
            try:
                return ref, api_for(ref[0]).list_tags_for_resource(arns[ref])
            except ApiError as exc:
                return ref, exc

        for ref, answer in map_(read, calls):
            state = self.states[ref]
            if isinstance(answer, ApiError):
                # Counted by the API error metrics; the last tags stay, retried after a backoff.
                outages.note(answer, f"tags of {ref[1]}/{ref[2]}")
                state.failures += 1
                state.due = now + min(every, interval * 2 ** (state.failures - 1)) - 1e-6
                continue
            self.cache.put(arns[ref], answer, now)
            state.tags, state.due, state.failures = answer, now + every - 1e-6, 0

    def labels(self, ref: GroupRef) -> tuple[tuple[str, str], ...] | None:
        """(label name, value) per configured key, or None (not configured, or never read)."""
        state = self.states.get(ref)
        if state is None or state.tags is None:
            return None
        tags = state.tags
        return tuple((tag_label(key), tags.get(key, "")) for key in self.keys)


def _arn(ref: GroupRef, identity: Callable[[AwsSettings], tuple[str, str]]) -> str:
    """The group's ARN, or "" while its account is unknown (no ARN to ask about)."""
    aws, application, group = ref
    account, region = identity(aws)
    return group_arn(partition_of(aws, region), region, account, application, group) if account else ""
