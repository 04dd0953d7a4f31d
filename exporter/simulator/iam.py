"""IAM's ListAccountAliases over the AWS Query protocol, as boto3's ``iam`` client speaks it: a
form-encoded POST (``Action=ListAccountAliases&Version=2010-05-08``) on the same port as STS,
answered with XML in IAM's namespace (see facts.py, iam.*). The aliases live in the Cloud."""

from __future__ import annotations

import re
from typing import Any

IAM_VERSION = "2010-05-08"
IAM_NAMESPACE = f"https://iam.amazonaws.com/doc/{IAM_VERSION}/"
# botocore's iam model, accountAliasType (min 3, max 63 follow from it).
ALIAS_PATTERN = r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
LIST_ACCOUNT_ALIASES_MEMBERS = ("AccountAliases", "IsTruncated")


def check_alias(alias: str) -> str:
    """``alias`` if it matches the model's accountAliasType pattern, else ValueError."""
    if not re.fullmatch(ALIAS_PATTERN, alias):
        raise ValueError(f"account alias {alias!r} does not match {ALIAS_PATTERN}")
    return alias


def list_account_aliases(alias: str | None) -> dict[str, Any]:
    """The answer for an account with ``alias`` (None: none). One alias fits any page: never truncated."""
    return {"AccountAliases": [alias] if alias is not None else [], "IsTruncated": False}
