"""An AWS Organization as the Cloud keeps it: a root, OUs, member accounts with their status,
and each account's Regions with their opt-in status (see facts.py, ``organizations.*``)."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# model (organizations): AccountStatus enum. State (AccountState) has PENDING_ACTIVATION and
# CLOSED too; the simulator sets State to the Status value, which both enums share.
ACCOUNT_STATUSES = ("ACTIVE", "SUSPENDED", "PENDING_CLOSURE")
JOINED_METHOD = "CREATED"  # model: AccountJoinedMethod INVITED|CREATED
ACCOUNT_MEMBERS = ("Id", "Arn", "Email", "Name", "Status", "State", "JoinedMethod", "JoinedTimestamp")
REGION_OPT_STATUSES = ("ENABLED", "ENABLING", "DISABLING", "DISABLED", "ENABLED_BY_DEFAULT")  # model (account)
# Every account's Regions unless add_account says otherwise: three enabled by default and one
# opt-in Region left disabled (ap-east-1 is opt-in).
DEFAULT_REGIONS = {
    "us-east-1": "ENABLED_BY_DEFAULT",
    "us-west-2": "ENABLED_BY_DEFAULT",
    "eu-west-1": "ENABLED_BY_DEFAULT",
    "ap-east-1": "DISABLED",
}
_ID_CHARS = string.ascii_lowercase + string.digits


@dataclass
class OrgAccount:
    id: str
    name: str
    email: str
    parent_id: str
    status: str
    joined_timestamp: float

    def answer(self, management_account: str, organization_id: str) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Arn": f"arn:aws:organizations::{management_account}:account/{organization_id}/{self.id}",
            "Email": self.email,
            "Name": self.name,
            "Status": self.status,
            "State": self.status,
            "JoinedMethod": JOINED_METHOD,
            "JoinedTimestamp": self.joined_timestamp,
        }


@dataclass(frozen=True)
class OrgUnit:
    id: str
    name: str
    parent_id: str


class Organization:
    """Not thread-safe on its own: the Cloud calls it under its lock."""

    def __init__(
        self, management_account: str, clock: Callable[[], float], default_regions: dict[str, str] | None = None
    ) -> None:
        self.management_account, self.clock = management_account, clock
        self.default_regions = dict(default_regions if default_regions is not None else DEFAULT_REGIONS)
        self.accounts: dict[str, OrgAccount] = {}  # in joining order
        self.ous: dict[str, OrgUnit] = {}  # in creation order
        self.regions: dict[str, dict[str, str]] = {}  # kept when an account leaves
        # The same ids for the same management account, run after run.
        self._random = random.Random(management_account)
        self.id = "o-" + self._suffix(10)  # model: OrganizationId ^o-[a-z0-9]{10,32}$
        self.root_id = "r-" + self._suffix(4)  # model: RootId ^r-[0-9a-z]{4,32}$
        self.add_account(management_account, "management")

    def _suffix(self, length: int) -> str:
        return "".join(self._random.choice(_ID_CHARS) for _ in range(length))

    def arn(self, kind: str, resource_id: str) -> str:
        return f"arn:aws:organizations::{self.management_account}:{kind}/{self.id}/{resource_id}"

    def is_parent(self, parent_id: str) -> bool:
        return parent_id == self.root_id or parent_id in self.ous

    def add_ou(self, name: str, parent_id: str | None = None) -> str:
        parent = self._parent(parent_id)
        # model: OrganizationalUnitId ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$, the root's suffix first.
        ou_id = f"ou-{self.root_id[2:]}-{self._suffix(8)}"
        self.ous[ou_id] = OrgUnit(ou_id, name, parent)
        return ou_id

    def add_account(
        self,
        account_id: str,
        name: str,
        parent_id: str | None = None,
        status: str = "ACTIVE",
        regions: dict[str, str] | None = None,
        email: str | None = None,
    ) -> None:
        if len(account_id) != 12 or not account_id.isdigit():
            raise ValueError(f"account ids are 12 digits: {account_id!r}")
        if account_id in self.accounts:
            raise ValueError(f"account {account_id} is already in the organization")
        _check(status, ACCOUNT_STATUSES)
        for opt_status in (regions or {}).values():
            _check(opt_status, REGION_OPT_STATUSES)
        parent = self._parent(parent_id)
        self.accounts[account_id] = OrgAccount(
            account_id, name, email or f"{account_id}@example.com", parent, status, self.clock()
        )
        if regions is not None or account_id not in self.regions:
            self.regions[account_id] = dict(regions if regions is not None else self.default_regions)

    def set_status(self, account_id: str, status: str) -> None:
        _check(status, ACCOUNT_STATUSES)
        self._account(account_id).status = status

    def remove_account(self, account_id: str) -> None:
        if account_id == self.management_account:
            raise ValueError("the management account cannot leave its organization")
        self._account(account_id)
        del self.accounts[account_id]

    def account_regions(self, account_id: str) -> dict[str, str]:
        """An account's Regions; an account the Cloud never heard of has the defaults."""
        return self.regions.get(account_id, self.default_regions)

    def _account(self, account_id: str) -> OrgAccount:
        if account_id not in self.accounts:
            raise KeyError(f"account {account_id} is not in the organization")
        return self.accounts[account_id]

    def _parent(self, parent_id: str | None) -> str:
        if parent_id is None:
            return self.root_id
        if not self.is_parent(parent_id):
            raise KeyError(f"no root or OU {parent_id}")
        return parent_id


def _check(value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {allowed}")
