"""Sharding in a poll: which of the wanted deployments and groups this replica owns.

A group belongs to the shard of its group key (exporter.shard). Sources skip groups they can
name and do not own; deployments named by ID (`targets:`, `deployments:`) and deployments a
scope lists are read once by every replica to learn their group, then kept (so they are not
read again) but not followed by the replicas that do not own them.
"""

from __future__ import annotations

from collections.abc import Callable

from exporter.config import AwsSettings
from exporter.refresh import DeploymentKey, DeploymentStore
from exporter.shard import group_key, owns
from exporter.sources import Wanted


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
