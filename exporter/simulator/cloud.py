"""A multi-account AWS for the simulator: an Organization (management account, root, OUs,
member accounts), IAM roles STS AssumeRole can assume, IAM account aliases, and one CodeDeploy
:class:`~exporter.simulator.state.Simulator` per account and Region, all behind one
:class:`~exporter.simulator.server.SimulatorServer` port. Every behaviour is in facts.py.

How a test reaches an account::

    cloud = Cloud()                                   # management account 111111111111
    cloud.add_account("222222222222", "prod")
    cloud.add_role("222222222222", "reader")
    cloud.simulator("222222222222", "eu-west-1").put_application("web")
    with SimulatorServer(cloud=cloud) as server:
        sts = boto3.client("sts", endpoint_url=server.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        creds = sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/reader",
                                RoleSessionName="exporter")["Credentials"]
        codedeploy = boto3.client("codedeploy", endpoint_url=server.endpoint_url, region_name="eu-west-1",
                                  aws_access_key_id=creds["AccessKeyId"],
                                  aws_secret_access_key=creds["SecretAccessKey"],
                                  aws_session_token=creds["SessionToken"])
        codedeploy.list_applications()                # answered by cloud.simulator("222222222222", "eu-west-1")

Any access key AssumeRole did not issue (e.g. the static ``testing``) acts as the management
account. The SigV4 signing region picks the Region.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import iam, organizations_api, regions
from .faults import Faults
from .organization import DEFAULT_REGIONS, Organization
from .records import REGION, ApiError
from .roles import Role, Roles
from .state import Simulator
from .sts import user_identity


@dataclass(frozen=True)
class CloudCall:
    """One STS, IAM, Organizations or Account call (CodeDeploy calls are in each Simulator's calls)."""

    service: str
    operation: str
    params: dict[str, Any]
    access_key_id: str | None
    region: str | None
    time: float


class Cloud:
    """Thread-safe: an Organization, roles and sessions, account aliases, and a Simulator per account-Region."""

    def __init__(
        self,
        management_account: str = "111111111111",
        region: str = REGION,
        clock: Callable[[], float] = time.time,
        max_calls: int = 100_000,
    ) -> None:
        self.management_account, self.region = management_account, region
        self._clock = clock
        self._lock = threading.Lock()
        # The Cloud's own Region is enabled in every account, whatever the defaults.
        regions = dict(DEFAULT_REGIONS)
        regions.setdefault(region, "ENABLED_BY_DEFAULT")
        self.organization = Organization(management_account, clock, regions)
        self.roles = Roles(clock)
        self.faults = Faults()  # for STS, IAM, Organizations and Account calls; CodeDeploy's are per Simulator
        self._aliases: dict[str, str] = {}  # account id -> its IAM account alias
        self._simulators: dict[tuple[str, str], Simulator] = {}
        self._calls: list[CloudCall] = []
        self.max_calls = max_calls

    # ---- the organization ------------------------------------------------------------
    @property
    def root_id(self) -> str:
        return self.organization.root_id

    @property
    def organization_id(self) -> str:
        return self.organization.id

    def add_ou(self, name: str, parent_id: str | None = None) -> str:
        """A new OU under ``parent_id`` (None: the root); its id."""
        with self._lock:
            return self.organization.add_ou(name, parent_id)

    def add_account(
        self,
        account_id: str,
        name: str,
        parent_id: str | None = None,
        status: str = "ACTIVE",
        regions: dict[str, str] | None = None,
        email: str | None = None,
    ) -> None:
        """A member account joins (under ``parent_id``, None: the root). ``regions``: Region ->
        RegionOptStatus (default: organization.DEFAULT_REGIONS plus the Cloud's Region)."""
        with self._lock:
            self.organization.add_account(account_id, name, parent_id, status, regions, email)

    def set_status(self, account_id: str, status: str) -> None:
        """ACTIVE, SUSPENDED or PENDING_CLOSURE (State follows)."""
        with self._lock:
            self.organization.set_status(account_id, status)

    def remove_account(self, account_id: str) -> None:
        """The account leaves the organization (its roles and CodeDeploy state stay)."""
        with self._lock:
            self.organization.remove_account(account_id)

    def add_role(
        self, account_id: str, role_name: str, external_id: str | None = None, max_session_duration: int = 3600
    ) -> str:
        """A role AssumeRole can assume (requiring ``external_id`` if given); its ARN."""
        role = Role(account_id, role_name, external_id, max_session_duration)
        with self._lock:
            self.roles.add(role)
        return role.arn

    # ---- IAM account aliases ------------------------------------------------------------
    def set_account_alias(self, account_id: str, alias: str | None) -> None:
        """The account's one IAM account alias (ListAccountAliases), replacing any it had; None
        removes it. Any 12-digit account may have one, in the organization or not. ValueError
        for an alias not matching the model's pattern, or one another account holds."""
        if not re.fullmatch(r"\d{12}", account_id):
            raise ValueError(f"not an account id: {account_id!r}")
        with self._lock:
            if alias is None:
                self._aliases.pop(account_id, None)
                return
            iam.check_alias(alias)
            holder = next((a for a, held in self._aliases.items() if held == alias and a != account_id), None)
            if holder is not None:
                raise ValueError(f"account alias {alias!r} is already account {holder}'s")
            self._aliases[account_id] = alias

    def account_alias(self, account_id: str) -> str | None:
        with self._lock:
            return self._aliases.get(account_id)

    # ---- CodeDeploy per account and Region ----------------------------------------------
    def simulator(self, account_id: str, region: str) -> Simulator:
        """The CodeDeploy world of one account-Region, created on first use."""
        with self._lock:
            key = (account_id, region)
            if key not in self._simulators:
                self._simulators[key] = Simulator(clock=self._clock, account_id=account_id, region=region)
            return self._simulators[key]

    def simulators(self) -> dict[tuple[str, str], Simulator]:
        """Every account-Region's Simulator created so far, by (account, Region)."""
        with self._lock:
            return dict(self._simulators)

    def throttle_scope(self, account_id: str, region: str) -> None:
        """Every CodeDeploy call of that account-Region answers ThrottlingException, until
        ``cloud.simulator(account_id, region).clear_faults()``."""
        self.simulator(account_id, region).throttle_forever()

    def account_for_key(self, access_key_id: str | None) -> str:
        """The account an access key acts as: its session's, else the management account."""
        with self._lock:
            return self._account_of(access_key_id)

    def codedeploy_for(self, access_key_id: str | None, region: str | None) -> Simulator:
        """The Simulator a CodeDeploy call signed with this key for this Region goes to."""
        return self.simulator(self.account_for_key(access_key_id), region or self.region)

    # ---- call accounting ----------------------------------------------------------------
    def calls(self, service: str, operation: str | None = None) -> list[CloudCall]:
        with self._lock:
            return [c for c in self._calls if c.service == service and operation in (None, c.operation)]

    def call_count(self, service: str, operation: str | None = None) -> int:
        return len(self.calls(service, operation))

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def interrupt_waits(self) -> None:
        self.faults.interrupt_waits()
        for simulator in self.simulators().values():
            simulator.interrupt_waits()

    # ---- dispatch -----------------------------------------------------------------------
    def handle(
        self,
        service: str,
        operation: str,
        body: dict[str, Any],
        access_key_id: str | None = None,
        region: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one STS/IAM/Organizations/Account call: ``(http_status, {__type, message} or result)``."""
        with self._lock:
            self._calls.append(CloudCall(service, operation, copy.deepcopy(body), access_key_id, region, self._clock()))
            if len(self._calls) > self.max_calls:
                del self._calls[: len(self._calls) - self.max_calls // 2]
        injected = self.faults.before_call(operation)  # may sleep: outside the lock
        if injected is not None:
            return injected.status, {"__type": injected.code, "message": injected.message}
        handler = _SERVICES.get(service)
        if handler is None:
            return 400, {"__type": "UnknownOperationException", "message": f"Unknown service {service}"}
        try:
            with self._lock:
                return 200, handler(self, operation, body, access_key_id)
        except ApiError as error:
            payload = error.body()
            if service == "organizations":  # its error shapes spell the member Message
                payload["Message"] = payload.pop("message")
            return error.status, payload

    def _account_of(self, access_key_id: str | None) -> str:
        session = self.roles.session(access_key_id)
        return session.account_id if session is not None else self.management_account

    def _caller(self, access_key_id: str | None) -> dict[str, str]:
        session = self.roles.session(access_key_id)
        return session.identity() if session is not None else user_identity(access_key_id, self.management_account)

    def _sts(self, operation: str, body: dict[str, Any], access_key_id: str | None) -> dict[str, Any]:
        if operation == "GetCallerIdentity":
            return self._caller(access_key_id)
        if operation == "AssumeRole":
            return self.roles.assume(self._caller(access_key_id)["Arn"], body)
        raise ApiError("InvalidAction", f"Could not find operation {operation}")

    def _iam(self, operation: str, body: dict[str, Any], access_key_id: str | None) -> dict[str, Any]:
        if operation == "ListAccountAliases":  # Marker and MaxItems: one alias fits any page
            return iam.list_account_aliases(self._aliases.get(self._account_of(access_key_id)))
        raise ApiError("InvalidAction", f"Could not find operation {operation}")

    def _organizations(self, operation: str, body: dict[str, Any], access_key_id: str | None) -> dict[str, Any]:
        return organizations_api.handle(self.organization, self._account_of(access_key_id), operation, body)

    def _account(self, operation: str, body: dict[str, Any], access_key_id: str | None) -> dict[str, Any]:
        handler = regions.OPERATIONS.get(operation)
        if handler is None:
            raise ApiError("UnknownOperationException", f"Unknown operation {operation}")
        return handler(self.organization, self._account_of(access_key_id), body)


_SERVICES: dict[str, Callable[[Cloud, str, dict[str, Any], str | None], dict[str, Any]]] = {
    "sts": Cloud._sts,
    "iam": Cloud._iam,
    "organizations": Cloud._organizations,
    "account": Cloud._account,
}
