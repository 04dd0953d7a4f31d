"""What the exporter reads of an AWS Organization (its tree of organizational units and the
accounts in each) and of an account (its enabled regions, its IAM alias), with errors as ApiError.

The tree is walked (ListRoots, ListOrganizationalUnitsForParent, ListAccountsForParent) rather
than read with ListAccounts: only the walk says which organizational unit an account is in,
which `codedeploy_account_info` reports. The calls are few (two per unit, an hour apart).
"""

from __future__ import annotations

from dataclasses import dataclass

from exporter.aws.calls import ServiceApi

# account:ListRegions statuses of a region the account can call (botocore: RegionOptStatus).
ENABLED_REGION_STATUSES = ("ENABLED", "ENABLED_BY_DEFAULT")


@dataclass(frozen=True)
class OrgAccount:
    account_id: str
    name: str
    state: str  # botocore's Account.State, else its older Status (retired 2026-09-09)
    organizational_unit: str  # name of the unit the account is directly in ("" under a root)


@dataclass(frozen=True)
class OrgUnit:
    unit_id: str
    name: str


class OrganizationsApi(ServiceApi):
    service = "organizations"

    def roots(self) -> list[str]:
        return [
            str(r.get("Id", ""))
            for r in self._pages("ListRoots", "list_roots", "Roots", {}, "NextToken")
            if r.get("Id")
        ]

    def units_in(self, parent_id: str) -> list[OrgUnit]:
        units = self._pages(
            "ListOrganizationalUnitsForParent",
            "list_organizational_units_for_parent",
            "OrganizationalUnits",
            {"ParentId": parent_id},
            "NextToken",
        )
        return [OrgUnit(str(u["Id"]), str(u.get("Name") or "")) for u in units if u.get("Id")]

    def accounts_in(self, parent_id: str, unit_name: str) -> list[OrgAccount]:
        accounts = self._pages(
            "ListAccountsForParent", "list_accounts_for_parent", "Accounts", {"ParentId": parent_id}, "NextToken"
        )
        return [
            OrgAccount(str(a["Id"]), str(a.get("Name") or ""), str(a.get("State") or a.get("Status") or ""), unit_name)
            for a in accounts
            if a.get("Id")
        ]


class IamApi(ServiceApi):
    """The one IAM call: the account's alias, the name plain entries' accounts are known by."""

    service = "iam"

    def account_alias(self) -> str:
        aliases = self._call("ListAccountAliases", "list_account_aliases").get("AccountAliases") or []
        return str(aliases[0]) if aliases else ""  # at most one per account


class AccountApi(ServiceApi):
    """The Account Management API, called in the account itself (its own regions)."""

    service = "account"

    def enabled_regions(self) -> list[str]:
        params = {"RegionOptStatusContains": list(ENABLED_REGION_STATUSES)}
        regions = self._pages("ListRegions", "list_regions", "Regions", params, "NextToken")
        return [
            str(r["RegionName"])
            for r in regions
            if r.get("RegionName") and r.get("RegionOptStatus") in ENABLED_REGION_STATUSES
        ]
