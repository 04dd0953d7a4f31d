"""Which replica exports what: a stable hash, the same in every process and release.

shard(key) = first 8 bytes of SHA-256(key as UTF-8), big-endian, mod total. The key of a
deployment group is its account id, region, application and group joined by U+001F
(group_key); a group's deployments, targets, state and counters all follow it. A deployment
whose group cannot be learned (an ID the API does not know) is keyed by its ID.
Python's hash() is salted per process, so it cannot be used here.
"""

from __future__ import annotations

import hashlib


def shard_of(key: str, total_shards: int) -> int:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total_shards


def owns(key: str, shard: int, total_shards: int) -> bool:
    return total_shards <= 1 or shard_of(key, total_shards) == shard


def group_key(account: str, region: str, application: str, group: str) -> str:
    return "\x1f".join((account, region, application, group))
