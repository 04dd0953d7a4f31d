"""Organization scopes (`organizations:`): discovery in every account and region of an AWS
Organization, the accounts found by the organization itself.

Every `accounts_refresh` the organization's tree is walked (exporter.aws.organizations) with the
entry's own connection; each ACTIVE account that the unit, ID and name filters keep is entered
through `role_name`, in each region of `regions` (or, with `all`, each region the account has
enabled, read with account:ListRegions in the account). Each account-region is then a discovery
scope (exporter.collect.discovery) with the entry's group filters, polled in parallel with the
others: each has its own API budget and health, so a throttled or denied account slows and
hides none of the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from exporter.aws.arn import partition_of
from exporter.aws.errors import ApiError
from exporter.aws.organizations import AccountApi, OrgAccount, OrganizationsApi
from exporter.collect.discovery import Scope, list_mentioned_scopes
from exporter.collect.sources import Mention, PollContext, Wanted
from exporter.config import AwsSettings, DiscoveryScope, OrganizationScope

log = logging.getLogger(__name__)

ACTIVE = "ACTIVE"
AccountRegion = tuple[str, str]
AccountApis = Callable[[AwsSettings], AccountApi]  # an account:ListRegions client per member connection


@dataclass(frozen=True)
class AccountName:
    """What `codedeploy_account_info` says of an account."""

    account_id: str
    name: str
    organizational_unit: str


def member_settings(entry: OrganizationScope, account: str, region: str | None) -> AwsSettings:
    """The connection into one account-region: the entry's profile and endpoint, the account's role."""
    base = entry.aws
    arn = f"arn:{partition_of(base, region or '')}:iam::{account}:role/{entry.role_name}"
    return AwsSettings(
        region=region,
        profile=base.profile,
        role_arn=arn,
        external_id=entry.external_id,
        role_session_name=base.role_session_name,
        endpoint_url=base.endpoint_url,
        account_id=account,
    )


def walk(api: OrganizationsApi, units: tuple[str, ...]) -> list[OrgAccount]:
    """The accounts of the organization, or of `units` and the units below them."""
    found: list[OrgAccount] = []
    todo = [(root, "", not units or root in units) for root in api.roots()]
    while todo:
        parent, name, inside = todo.pop()
        if inside:
            found.extend(api.accounts_in(parent, name))
        todo.extend((u.unit_id, u.name, inside or u.unit_id in units) for u in api.units_in(parent))
    return found


@dataclass
class Organization:
    """One `organizations:` entry: the accounts last listed, their regions, a scope per account-region."""

    config: OrganizationScope
    accounts: dict[str, OrgAccount] | None = None  # None until the first listing succeeds
    regions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # account -> regions watched
    next_listing: float = 0.0
    scopes: dict[AccountRegion, Scope] = field(default_factory=dict)

    def want(self, ctx: PollContext, organizations: OrganizationsApi, accounts: AccountApis) -> Wanted:
        if ctx.now >= self.next_listing:
            self._list(ctx, organizations, accounts)
        wanted = self._scopes()
        # Account-regions in parallel: each waits on its own budget and its own failures only.
        out = Wanted()
        for part in ctx.map(lambda scope: scope.want(ctx), wanted):
            out.add(part)
        return out

    def _list(self, ctx: PollContext, organizations: OrganizationsApi, accounts: AccountApis) -> None:
        entry = self.config
        try:
            listed = walk(organizations, entry.organizational_units)
        except ApiError as exc:
            # Asked again next poll: the failure shows as the listing account-region's scope_up 0.
            ctx.outages.note(exc, "organization account listing")
            return
        kept = {
            a.account_id: a
            for a in listed
            if a.state == ACTIVE and entry.account_ids.matches(a.account_id) and entry.account_names.matches(a.name)
        }
        if self.accounts is not None:
            joined, left = kept.keys() - self.accounts.keys(), self.accounts.keys() - kept.keys()
            if joined or left:
                log.info(
                    "event=organization_accounts_changed joined=%s left=%s",
                    ",".join(sorted(joined)) or "-",
                    ",".join(sorted(left)) or "-",
                )
        self.accounts = kept
        self.next_listing = ctx.now + entry.accounts_refresh
        if entry.regions != "all":
            self.regions = {account: entry.regions for account in kept}
            return
        home = entry.aws.region

        def regions_of(account: str) -> tuple[str, tuple[str, ...] | None]:
            settings = member_settings(entry, account, home)
            try:
                return account, tuple(accounts(settings).enabled_regions())
            except ApiError as exc:
                ctx.outages.note(exc, f"regions of account {account}")
                return account, None

        for account, found in ctx.map(regions_of, list(kept)):
            # Unknown regions (e.g. the role is missing): the last ones known, else the home
            # region, so the account is polled there and its failure shows in scope_up.
            self.regions[account] = found or self.regions.get(account) or ((home,) if home else ())
        self.regions = {a: r for a, r in self.regions.items() if a in kept}

    def _scopes(self) -> list[Scope]:
        entry = self.config
        filters = entry.model_dump(include={"applications", "deployment_groups", "tags", "latest", "refresh"})
        wanted: dict[AccountRegion, Scope] = {}
        for account in self.accounts or {}:
            for region in self.regions.get(account, ()):
                scope = self.scopes.get((account, region))
                if scope is None:
                    aws = member_settings(entry, account, region)
                    scope = Scope(DiscoveryScope.model_validate({**filters, "aws": aws}))
                wanted[(account, region)] = scope
        self.scopes = wanted
        return list(wanted.values())

    def names(self) -> list[AccountName]:
        return [AccountName(a.account_id, a.name, a.organizational_unit) for a in (self.accounts or {}).values()]


class OrganizationsSource:
    """All `organizations:` entries; their state survives polls and unchanged reloads."""

    def __init__(
        self,
        organizations: Callable[[AwsSettings], OrganizationsApi],
        accounts: AccountApis,
        release: Callable[[set[AwsSettings]], None] = lambda gone: None,
    ) -> None:
        self._organizations = organizations
        self._accounts = accounts
        self._release = release  # closes the clients of account-regions no longer watched
        self.entries: dict[str, Organization] = {}

    def want(self, ctx: PollContext) -> Wanted:
        configured = {f"{i}:{o.model_dump_json()}": o for i, o in enumerate(ctx.config.organizations)}
        before = self.settings()
        self.entries = {k: self.entries.get(k) or Organization(o) for k, o in configured.items()}
        out = Wanted()
        for organization in self.entries.values():
            try:
                api = self._organizations(organization.config.aws)
            except ApiError as exc:
                ctx.outages.note(exc, "organization account listing")
                continue
            out.add(organization.want(ctx, api, self._accounts))
        gone = before - self.settings()
        if gone:
            self._release(gone)
        return out

    def list_mentioned(self, ctx: PollContext, mentions: Sequence[Mention]) -> Wanted:
        """List again each account-region scope a mention may fall in, as discovery does."""
        scopes = [scope for organization in self.entries.values() for scope in organization.scopes.values()]
        return list_mentioned_scopes(ctx, scopes, mentions, "organization scope (event)")

    def names(self) -> list[AccountName]:
        return [name for organization in self.entries.values() for name in organization.names()]

    def settings(self) -> set[AwsSettings]:
        """The connections of every account-region watched, and of the accounts' region listings."""
        return {s.config.aws for o in self.entries.values() for s in o.scopes.values()} | {
            member_settings(o.config, account, o.config.aws.region)
            for o in self.entries.values()
            if o.config.regions == "all"
            for account in o.accounts or {}
        }
