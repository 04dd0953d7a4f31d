"""Scopes that find deployment groups by themselves: a region (`discovery:`) or every account and
region of an AWS Organization (`organizations:`), with the name and tag filters they share."""

import functools
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from exporter.config.connection import REGION_PATTERN, Aws, AwsSettings, ExternalId, Region
from exporter.config.fields import Matching, Model, PositiveDuration, Regex


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class NameFilter(Model):
    """Names to keep: a full match of `include` and none of `exclude`."""

    include: Regex | None = Field(
        None, description="Regular expression (full match); only matching names are kept. Default: every name."
    )
    exclude: Regex | None = Field(
        None, description="Regular expression (full match); matching names are dropped, even if included."
    )

    def matches(self, name: str) -> bool:
        if self.include is not None and not _compiled(self.include).fullmatch(name):
            return False
        return self.exclude is None or not _compiled(self.exclude).fullmatch(name)


class GroupFilters(Model):
    """Which deployment groups of an account-region are watched, and how often that is re-read."""

    applications: NameFilter = Field(NameFilter(), description="Which applications to watch.")
    deployment_groups: NameFilter = Field(NameFilter(), description="Which deployment groups to watch.")
    tags: dict[str, Regex] = Field(
        {},
        strict=False,
        description="Deployment-group tags that must all be "
        "present, each value a regular expression (full match). Default: no "
        "tag filter, and no ListTagsForResource calls.",
    )
    latest: int = Field(1, ge=1, le=100, description="How many of each group's most recent deployments to follow.")
    refresh: PositiveDuration = Field(
        600.0,
        description="How often applications, groups and tags are "
        "re-read (ListApplications, ListDeploymentGroups, "
        "ListTagsForResource), spread over polls.",
    )

    def tags_match(self, tags: Mapping[str, str]) -> bool:
        return all(key in tags and _compiled(pattern).fullmatch(tags[key]) for key, pattern in self.tags.items())


class DiscoveryScope(GroupFilters):
    """The deployment groups of one region (and role) whose names and tags match."""

    aws: Aws = AwsSettings()


# botocore's organizations model: ParentId (a root r-... or an organizational unit ou-...-...).
ParentId = Annotated[
    str,
    Matching(
        r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}",
        "an organizational unit ID like ou-ab12-cd34ef56 (or a root ID like r-ab12)",
        100,
    ),
]
# botocore's iam model: roleNameType.
RoleName = Annotated[str, Matching(r"[\w+=,.@-]{1,64}", "an IAM role name: 1 to 64 letters, digits or _+=,.@-", 64)]


_REGION = re.compile(REGION_PATTERN)


def _regions(value: Any) -> Any:
    # Checked here so that a wrong value gets one message, not one per half of the union.
    if value == "all":
        return value
    if not isinstance(value, (list, tuple)) or not value:
        raise PydanticCustomError(
            "regions", "must be a non-empty list of regions like [us-east-1, eu-west-1], or `all`"
        )
    for index, region in enumerate(value):
        if not isinstance(region, str) or not _REGION.fullmatch(region):
            raise PydanticCustomError(
                "regions",
                "item {index} ({region}) is not an AWS region name like us-east-1",
                {"index": index + 1, "region": region},
            )
    return tuple(value)


class OrganizationScope(GroupFilters):
    """Every account of an AWS Organization (or of some of its organizational units) and the
    given regions of each: discovery scopes found by themselves, re-read every `accounts_refresh`."""

    aws: Aws = Field(
        AwsSettings(),
        description="AWS connection that lists the organization's accounts: the management account or a "
        "delegated administrator (`role_arn` to assume there). Its `profile`, `role_session_name` and "
        "`endpoint_url` also serve the calls into each account; its `region` is where the account list and "
        "each account's regions are read.",
    )
    role_name: RoleName = Field(
        description="Role assumed in each account (`arn:<partition>:iam::<account>:role/<role_name>`) to read "
        "CodeDeploy there, e.g. `codedeploy-exporter-read`."
    )
    external_id: ExternalId | None = Field(None, description="ExternalId sent with each account's AssumeRole.")
    regions: Annotated[tuple[Region, ...] | Literal["all"], BeforeValidator(_regions)] = Field(
        description="Regions watched in each account: a list, or `all` for each account's enabled regions "
        "(account:ListRegions in the account, re-read with the account list).",
    )
    organizational_units: tuple[ParentId, ...] = Field(
        (),
        strict=False,
        description="Watch only the accounts in these organizational units and the units below them. "
        "Default: the whole organization.",
    )
    account_ids: NameFilter = Field(NameFilter(), description="Which account IDs to watch (regular expressions).")
    account_names: NameFilter = Field(NameFilter(), description="Which account names to watch (regular expressions).")
    accounts_refresh: PositiveDuration = Field(
        3600.0,
        description="How often the accounts (and, with `regions: all`, their regions) are re-read: a new account "
        "is watched from the next poll after that, one that left or was suspended stops being watched.",
    )
