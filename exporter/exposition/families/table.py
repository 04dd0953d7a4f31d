"""Every family in exposition order, which the README's metric reference follows too."""

from __future__ import annotations

from exporter.exposition.families.account import ACCOUNT_FAMILIES
from exporter.exposition.families.base import Family
from exporter.exposition.families.deployment import DEPLOYMENT_FAMILIES
from exporter.exposition.families.dora import DORA_FAMILIES
from exporter.exposition.families.exporter import EVENT_CONSUMER_FAMILIES, EXPORTER_FAMILIES
from exporter.exposition.families.group import GROUP_FAMILIES
from exporter.exposition.families.group_facts import GROUP_FACT_FAMILIES
from exporter.exposition.families.hook_history import HOOK_HISTORY_FAMILIES
from exporter.exposition.families.phases import PHASE_FAMILIES
from exporter.exposition.families.target import TARGET_FAMILIES

FAMILIES: tuple[Family, ...] = (
    *GROUP_FAMILIES,
    *GROUP_FACT_FAMILIES,
    *HOOK_HISTORY_FAMILIES,
    *DORA_FAMILIES,
    *PHASE_FAMILIES,
    *DEPLOYMENT_FAMILIES,
    *TARGET_FAMILIES,
    *ACCOUNT_FAMILIES,
    *EXPORTER_FAMILIES,
    *EVENT_CONSUMER_FAMILIES,
)

BY_NAME: dict[str, Family] = {family.name: family for family in FAMILIES}
