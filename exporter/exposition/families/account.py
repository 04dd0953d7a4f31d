"""Families of AWS accounts: what joins a 12-digit account ID to a name people know."""

from __future__ import annotations

from exporter.exposition.families.base import Family, Level

ACCOUNT_FAMILIES: tuple[Family, ...] = (
    Family(
        "codedeploy_account_info",
        "gauge",
        "Name and organizational unit of each account polled: from the organization's listing for "
        "organization scopes, else the account's IAM alias (organizational_unit empty; accounts without "
        "an alias have no series). Join on account_id (group_left) to show names. Served by shard 0 only.",
        Level.ACCOUNT,
        ("account_name", "organizational_unit"),
        value="1",
        stability="experimental",
    ),
)
