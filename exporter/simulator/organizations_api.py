"""The AWS Organizations operations the Cloud answers (JSON 1.1, X-Amz-Target
AWSOrganizationsV20161128.<Operation>): ListAccounts, ListAccountsForParent,
ListOrganizationalUnitsForParent, ListRoots, DescribeAccount (see facts.py, organizations.*)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import paging
from .organization import Organization
from .records import ApiError

TARGET_PREFIX = "AWSOrganizationsV20161128."
MAX_RESULTS = (1, 20)  # model: MaxResults min/max
DEFAULT_PAGE_SIZE = 20  # facts.py: AWS documents no default; the model's maximum
PARENT_ID = re.compile(r"^(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$")  # model: ParentId
ACCOUNT_ID = re.compile(r"^\d{12}$")  # model: AccountId
ROOT_NAME = "Root"  # every organization's root is named Root


def handle(org: Organization, caller_account: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """One call's result, or the ApiError AWS answers with."""
    handler = OPERATIONS.get(operation)
    if handler is None:
        raise ApiError("UnknownOperationException", f"Unknown operation {operation}")
    if caller_account != org.management_account:
        # API reference: these operations are for the management account (or a delegated
        # administrator, which the Cloud has none of); an account outside it is not in use.
        if caller_account in org.accounts:
            raise ApiError("AccessDeniedException", "You don't have permissions to access this resource.")
        raise ApiError("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
    return handler(org, body)


def _page(operation: str, key: str, items: list[Any], body: dict[str, Any]) -> dict[str, Any]:
    limit = body.get("MaxResults", DEFAULT_PAGE_SIZE)
    if not isinstance(limit, int) or not MAX_RESULTS[0] <= limit <= MAX_RESULTS[1]:
        raise ApiError("InvalidInputException", f"MaxResults must be between {MAX_RESULTS[0]} and {MAX_RESULTS[1]}.")
    try:
        return paging.page(operation, key, items, {"NextToken": body.get("NextToken")}, limit, token="NextToken")
    except ApiError:
        raise ApiError("InvalidInputException", "The provided NextToken is not valid.") from None


def _parent(org: Organization, body: dict[str, Any]) -> str:
    parent_id = str(body.get("ParentId", ""))
    if not PARENT_ID.match(parent_id):
        raise ApiError("InvalidInputException", f"Invalid ParentId: {parent_id}")
    if not org.is_parent(parent_id):
        raise ApiError("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
    return parent_id


def _accounts(org: Organization, parent_id: str | None = None) -> list[dict[str, Any]]:
    return [
        account.answer(org.management_account, org.id)
        for account in org.accounts.values()
        if parent_id is None or account.parent_id == parent_id
    ]


def list_accounts(org: Organization, body: dict[str, Any]) -> dict[str, Any]:
    return _page("ListAccounts", "Accounts", _accounts(org), body)


def list_accounts_for_parent(org: Organization, body: dict[str, Any]) -> dict[str, Any]:
    return _page("ListAccountsForParent", "Accounts", _accounts(org, _parent(org, body)), body)


def list_organizational_units_for_parent(org: Organization, body: dict[str, Any]) -> dict[str, Any]:
    parent_id = _parent(org, body)
    children = [ou for ou in org.ous.values() if ou.parent_id == parent_id]
    units = [{"Id": ou.id, "Arn": org.arn("ou", ou.id), "Name": ou.name} for ou in children]
    return _page("ListOrganizationalUnitsForParent", "OrganizationalUnits", units, body)


def list_roots(org: Organization, body: dict[str, Any]) -> dict[str, Any]:
    root = {"Id": org.root_id, "Arn": org.arn("root", org.root_id), "Name": ROOT_NAME, "PolicyTypes": []}
    return _page("ListRoots", "Roots", [root], body)


def describe_account(org: Organization, body: dict[str, Any]) -> dict[str, Any]:
    account_id = str(body.get("AccountId", ""))
    if not ACCOUNT_ID.match(account_id):
        raise ApiError("InvalidInputException", f"Invalid AccountId: {account_id}")
    account = org.accounts.get(account_id)
    if account is None:
        raise ApiError(
            "AccountNotFoundException", "We can't find an AWS account with the AccountId that you specified."
        )
    return {"Account": account.answer(org.management_account, org.id)}


OPERATIONS: dict[str, Callable[[Organization, dict[str, Any]], dict[str, Any]]] = {
    "ListAccounts": list_accounts,
    "ListAccountsForParent": list_accounts_for_parent,
    "ListOrganizationalUnitsForParent": list_organizational_units_for_parent,
    "ListRoots": list_roots,
    "DescribeAccount": describe_account,
}
