"""Which replica exports a deployment: a stable hash, the same in every process and release.

shard(deployment_id) = first 8 bytes of SHA-256(deployment_id as UTF-8), big-endian, mod total.
Python's hash() is salted per process, so it cannot be used here.
"""

from __future__ import annotations

import hashlib


def shard_of(deployment_id: str, total_shards: int) -> int:
    digest = hashlib.sha256(deployment_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total_shards


def owns(deployment_id: str, shard: int, total_shards: int) -> bool:
    return total_shards <= 1 or shard_of(deployment_id, total_shards) == shard
