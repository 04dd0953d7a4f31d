"""Sharding in a poll: which of the wanted deployments and groups this replica owns, by a
stable hash, the same in every process and release.

shard(key) = first 8 bytes of SHA-256(key as UTF-8), big-endian, mod total. The key of a
deployment group is its account id, region, application and group joined by U+001F
(group_key); a group's deployments, targets, state and counters all follow it. A deployment
whose group cannot be learned (an ID the API does not know) is keyed by its ID.
Python's hash() is salted per process, so it cannot be used here.

A group belongs to the shard of its group key. Sources skip groups they can name and do not
own; deployments named by ID (`targets:`, `deployments:`) and deployments a
scope lists are read once by every replica to learn their group, then kept (so they are not
read again) but not followed by the replicas that do not own them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from exporter.collect.deployments import DeploymentStore
from exporter.collect.keys import DeploymentKey
from exporter.collect.sources import Wanted
from exporter.config import AwsSettings


def shard_of(key: str, total_shards: int) -> int:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total_shards


def owns(key: str, shard: int, total_shards: int) -> bool:
    return total_shards <= 1 or shard_of(key, total_shards) == shard


def group_key(account: str, region: str, application: str, group: str) -> str:
    return "\x1f".join((account, region, application, group))


class Sharding:
    def __init__(self, shard: int, total_shards: int, identity: Callable[[AwsSettings], tuple[str, str]]) -> None:
        self.shard, self.total_shards = shard, total_shards
        self.identity = identity  # -> (account id, region)

    def owns_group(self, aws: AwsSettings, application: str, group: str) -> bool:
        if self.total_shards <= 1:
            return True
        return owns(group_key(*self.identity(aws), application, group), self.shard, self.total_shards)

    def keep_owned(self, store: DeploymentStore, wanted: Wanted) -> Wanted:
        """What this replica follows, now that every wanted deployment's group is known; adds
        the groups of explicitly named deployments (group state only: they are not listed)."""
        for tracked in store.tracked.values():
            record = tracked.record
            if record is not None:
                tracked.owned = self.owns_group(tracked.aws, record.application, record.deployment_group)
            else:
                tracked.owned = owns(tracked.deployment_id, self.shard, self.total_shards)

        def mine(key: DeploymentKey) -> bool:
            tracked = store.tracked.get(key)
            return tracked is not None and tracked.owned

        out = Wanted(
            listed={k for k in wanted.listed if mine(k)},
            watched={k for k in wanted.watched if mine(k)},
            pairs={p for p in wanted.pairs if mine((p[0], p[2]))},
            groups=dict(wanted.groups),
        )
        for key in out.listed | {(d, aws) for d, _, aws in out.pairs}:
            record = store.record(key)
            if record is not None and record.application:
                out.groups.setdefault((key[1], record.application, record.deployment_group), False)
        return out
