"""The Account service's ListRegions (rest-json: ``POST /listRegions``), as the Cloud answers
it: an account's Regions and their opt-in status (see facts.py, ``account.list_regions*``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import paging
from .organization import REGION_OPT_STATUSES, Organization
from .records import ApiError

LIST_REGIONS_PATH = "/listRegions"  # model: ListRegions http requestUri
CONTENT_TYPE = "application/json"
MAX_RESULTS = (1, 50)  # model: ListRegionsRequestMaxResultsInteger min/max
DEFAULT_PAGE_SIZE = 50  # facts.py: AWS documents no default; the model's maximum


def _denied(message: str) -> ApiError:
    return ApiError("AccessDeniedException", message, 403)


def list_regions(org: Organization, caller_account: str, body: dict[str, Any]) -> dict[str, Any]:
    account_id = body.get("AccountId")
    if account_id is None:
        target = caller_account
    elif caller_account != org.management_account:
        # AccountId is for the management account (or a delegated administrator: none here).
        raise _denied(f"Account {caller_account} is not authorized to access account {account_id}.")
    elif account_id == org.management_account:
        raise ApiError("ValidationException", "The management account can't specify its own AccountId.")
    elif account_id not in org.accounts:
        raise _denied(f"Account {account_id} is not a member account of the organization.")
    else:
        target = account_id
    wanted = body.get("RegionOptStatusContains")
    if wanted is not None and not set(wanted) <= set(REGION_OPT_STATUSES):
        allowed = ", ".join(REGION_OPT_STATUSES)
        raise ApiError("ValidationException", f"RegionOptStatusContains must be among {allowed}.")
    regions = [
        {"RegionName": name, "RegionOptStatus": status}
        for name, status in sorted(org.account_regions(target).items())
        if wanted is None or status in wanted
    ]
    limit = body.get("MaxResults", DEFAULT_PAGE_SIZE)
    if not isinstance(limit, int) or not MAX_RESULTS[0] <= limit <= MAX_RESULTS[1]:
        raise ApiError("ValidationException", f"MaxResults must be between {MAX_RESULTS[0]} and {MAX_RESULTS[1]}.")
    try:
        return paging.page("ListRegions", "Regions", regions, {"NextToken": body.get("NextToken")}, limit, "NextToken")
    except ApiError:
        raise ApiError("ValidationException", "The NextToken is not valid.") from None


OPERATIONS: dict[str, Callable[[Organization, str, dict[str, Any]], dict[str, Any]]] = {"ListRegions": list_regions}
