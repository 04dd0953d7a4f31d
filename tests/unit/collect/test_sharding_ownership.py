"""Sharding: which replica owns a group or a deployment, and what keep_owned leaves a replica."""

from __future__ import annotations

import hashlib

import pytest

from exporter.collect.deployments import DeploymentStore
from exporter.collect.sharding import Sharding, group_key, shard_of
from exporter.collect.sources import Wanted
from exporter.config import AwsSettings
from exporter.model import Deployment

AWS = AwsSettings(region="us-east-1", account_id="123456789012")
ACCOUNT, REGION = "123456789012", "us-east-1"


def identity(aws: AwsSettings) -> tuple[str, str]:
    return ACCOUNT, REGION


def reference_shard(key: str, total: int) -> int:
    # The documented formula, written out here rather than imported: first 8 bytes of
    # SHA-256 of the UTF-8 key, big-endian, mod the number of shards.
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % total


def group_on(shard: int, total: int, prefix: str = "g") -> str:
    """The first group name of application `web` whose group key lands on `shard`."""
    return next(
        name
        for name in (f"{prefix}{n}" for n in range(1000))
        if reference_shard(group_key(ACCOUNT, REGION, "web", name), total) == shard
    )


def id_on(shard: int, total: int) -> str:
    """The first deployment ID (valid as CodeDeploy writes them) whose own hash lands on `shard`."""
    return next(i for i in (f"d-UNKNOWN{n:02d}" for n in range(100)) if reference_shard(i, total) == shard)


def record(deployment_id: str, group: str) -> Deployment:
    return Deployment(deployment_id, "web", group, "InProgress", "Server", "c", "IN_PLACE", "user", 1.0, None, ())


# Known values: a replica of another release must agree with these, or groups change hands.
PINNED = {
    "d-ABCDEFGHI": {2: 0, 3: 1, 5: 3, 7: 6, 1000: 578},
    group_key(ACCOUNT, REGION, "web", "prod"): {2: 0, 3: 2, 5: 0, 7: 5, 1000: 570},
    group_key(ACCOUNT, REGION, "web", "staging"): {2: 1, 3: 0, 5: 0, 7: 6, 1000: 855},
}


@pytest.mark.parametrize("key", list(PINNED))
def test_shard_of_is_the_first_8_bytes_of_sha256_big_endian_mod_total(key):
    for total, pinned in PINNED[key].items():
        assert shard_of(key, total) == reference_shard(key, total) == pinned


def test_group_key_joins_account_region_application_and_group_with_unit_separator():
    assert group_key("1", "r", "a", "g") == "1\x1fr\x1fa\x1fg"


def test_every_group_is_owned_by_exactly_one_of_n_shards():
    total = 4
    shardings = [Sharding(s, total, identity) for s in range(total)]
    owners_per_shard = [0] * total
    for n in range(60):
        owners = [s.shard for s in shardings if s.owns_group(AWS, "web", f"group-{n}")]
        assert len(owners) == 1
        assert owners == [reference_shard(group_key(ACCOUNT, REGION, "web", f"group-{n}"), total)]
        owners_per_shard[owners[0]] += 1
    assert all(owners_per_shard)  # the hash spreads groups, not all on one shard


def test_the_group_key_includes_the_account_and_region_that_identity_gives():
    group = group_on(0, 2)
    other_account = next(
        a for a in (f"{n:012d}" for n in range(100)) if reference_shard(group_key(a, REGION, "web", group), 2) == 1
    )
    assert Sharding(0, 2, identity).owns_group(AWS, "web", group)
    assert not Sharding(0, 2, lambda aws: (other_account, REGION)).owns_group(AWS, "web", group)


def test_a_single_shard_owns_everything_without_asking_for_the_identity():
    def no_identity(aws: AwsSettings) -> tuple[str, str]:
        raise AssertionError("a single replica needs no account id to shard")

    sharding = Sharding(0, 1, no_identity)
    store = DeploymentStore()
    store.sync({("d-KNOWNGRP1", AWS), ("d-UNKNOWN01", AWS)})
    store.tracked[("d-KNOWNGRP1", AWS)].record = record("d-KNOWNGRP1", "prod")
    wanted = Wanted(listed={("d-KNOWNGRP1", AWS)}, watched={("d-UNKNOWN01", AWS)})

    kept = sharding.keep_owned(store, wanted)

    assert sharding.owns_group(AWS, "web", "anything")
    assert kept.listed == wanted.listed and kept.watched == wanted.watched
    assert all(t.owned for t in store.tracked.values())


def scenario(total: int) -> tuple[DeploymentStore, Wanted]:
    """Deployments of a group on shard 0 and of one on shard 1, listed, watched and in pairs,
    plus IDs the API did not know (no record), one hashing to each shard."""
    mine, theirs = group_on(0, total), group_on(1, total)
    groups = {
        "d-LISTED001": mine,
        "d-LISTED002": theirs,
        "d-WATCHED01": mine,
        "d-WATCHED02": theirs,
        "d-PAIRED001": mine,
        "d-PAIRED002": theirs,
    }
    unknown = [id_on(0, total), id_on(1, total)]
    store = DeploymentStore()
    store.sync({(i, AWS) for i in [*groups, *unknown]})
    for deployment_id, group in groups.items():
        store.tracked[(deployment_id, AWS)].record = record(deployment_id, group)
    wanted = Wanted(
        listed={("d-LISTED001", AWS), ("d-LISTED002", AWS), *((i, AWS) for i in unknown)},
        watched={("d-WATCHED01", AWS), ("d-WATCHED02", AWS)},
        pairs={("d-PAIRED001", "i-1", AWS), ("d-PAIRED002", "i-2", AWS)},
        groups={(AWS, "web", mine): True},
    )
    return store, wanted


def test_keep_owned_keeps_what_belongs_to_the_groups_of_this_shard():
    store, wanted = scenario(2)
    mine, theirs = group_on(0, 2), group_on(1, 2)

    kept = Sharding(0, 2, identity).keep_owned(store, wanted)

    assert kept.listed == {("d-LISTED001", AWS), (id_on(0, 2), AWS)}
    assert kept.watched == {("d-WATCHED01", AWS)}
    assert kept.pairs == {("d-PAIRED001", "i-1", AWS)}
    # Every tracked deployment says whether it is ours, also those not kept (read_due skips them).
    assert {k[0]: t.owned for k, t in store.tracked.items()} == {
        "d-LISTED001": True,
        "d-LISTED002": False,
        "d-WATCHED01": True,
        "d-WATCHED02": False,
        "d-PAIRED001": True,
        "d-PAIRED002": False,
        id_on(0, 2): True,
        id_on(1, 2): False,
    }
    assert (AWS, "web", theirs) not in kept.groups
    assert kept.groups[(AWS, "web", mine)] is True


def test_a_deployment_whose_group_is_unknown_is_owned_by_the_shard_of_its_id():
    store, wanted = scenario(3)
    for shard in range(3):
        kept = Sharding(shard, 3, identity).keep_owned(store, wanted)
        unknown = {k[0] for k in kept.listed if store.record(k) is None}
        assert unknown == {i for i in (id_on(0, 3), id_on(1, 3)) if reference_shard(i, 3) == shard}


def test_groups_of_named_deployments_are_added_as_not_listed_and_a_listed_group_stays_listed():
    store, _ = scenario(2)
    mine, other_mine = group_on(0, 2), group_on(0, 2, prefix="named")
    store.tracked[("d-PAIRED001", AWS)].record = record("d-PAIRED001", other_mine)
    store.tracked[("d-WATCHED01", AWS)].record = record("d-WATCHED01", group_on(0, 2, prefix="watched"))
    wanted = Wanted(
        listed={("d-LISTED001", AWS)},
        watched={("d-WATCHED01", AWS)},
        pairs={("d-PAIRED001", "i-1", AWS)},
        groups={(AWS, "web", mine): True},
    )

    kept = Sharding(0, 2, identity).keep_owned(store, wanted)

    # A pair's group gets group state (not listed); a watched deployment's group does not.
    assert kept.groups == {(AWS, "web", mine): True, (AWS, "web", other_mine): False}


def test_shards_partition_what_is_wanted() -> None:
    total = 3
    store, wanted = scenario(total)
    kept = [Sharding(s, total, identity).keep_owned(store, wanted) for s in range(total)]
    for part in ("listed", "watched", "pairs"):
        union: set[object] = set()
        for k in kept:
            assert not union & getattr(k, part), f"{part} kept by two shards"
            union |= getattr(k, part)
        assert union == getattr(wanted, part)
