"""Names of the accounts that plain entries (`targets`, `deployments`, `deployment_groups`,
`discovery`) reach: each credential set's IAM account alias, read once a day, never per poll.
Organization scopes name their accounts from the organization's listing instead.

An alias that cannot be read (no iam:ListAccountAliases permission, say) leaves that account
unnamed and is asked again a day later; it never counts as a failed poll of the account."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from exporter.aws.errors import ApiError
from exporter.aws.organizations import IamApi
from exporter.config import AwsSettings

log = logging.getLogger(__name__)

ALIAS_TTL = 86400.0  # an account is renamed rarely; a day-old name is fine


@dataclass
class _Alias:
    account_id: str
    alias: str
    read_at: float


class AccountAliases:
    def __init__(
        self, iam: Callable[[AwsSettings], IamApi], identity: Callable[[AwsSettings], tuple[str, str]]
    ) -> None:
        self._iam = iam
        self._identity = identity
        self._known: dict[tuple[str | None, str | None, str | None, str | None], _Alias] = {}

    def refresh(self, now: float, settings: Iterable[AwsSettings]) -> None:
        """Read the alias of each credential set not read in the last ALIAS_TTL."""
        wanted = {(s.profile, s.role_arn, s.external_id, s.endpoint_url): s for s in settings}
        self._known = {k: v for k, v in self._known.items() if k in wanted}
        for key, aws in wanted.items():
            known = self._known.get(key)
            if known is not None and now < known.read_at + ALIAS_TTL:
                continue
            account = self._identity(aws)[0]
            if not account:
                continue  # the account is not known yet: asked again next poll
            try:
                alias = self._iam(aws).account_alias()
            except ApiError as exc:
                log.info(
                    "event=account_alias_unknown account_id=%s error_code=%s retry_in=%ds",
                    account,
                    exc.code,
                    ALIAS_TTL,
                )
                alias = ""
            self._known[key] = _Alias(account, alias, now)

    def names(self) -> dict[str, str]:
        """account id -> alias, for the accounts that have one."""
        return {a.account_id: a.alias for a in self._known.values() if a.alias}
