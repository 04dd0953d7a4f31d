"""Clients: one CodeDeployApi per distinct AWS settings (and, for account-regions that were
down, a one-attempt probe), the Organizations, Account and IAM clients, the credentials of each
credential set (profile, role, external id, session name), the account id of each, and the SQS
client of the event consumer.

The API objects are small; the botocore clients behind them are shared by every credential set
of a profile in a region (exporter.aws.credentials signs each call with its own), so memory
grows with regions, not accounts. A role is assumed once however many regions are watched, and
one botocore data loader serves everything, so the service models are read once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import boto3
import botocore.session
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials, DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError
from botocore.loaders import Loader, create_loader
from botocore.utils import parse_timestamp

from exporter import __version__
from exporter.aws.budgets import Budgets, CallSlots
from exporter.aws.calls import ServiceApi
from exporter.aws.codedeploy import CodeDeployApi
from exporter.aws.credentials import CallCredentials, LazyCredentials
from exporter.aws.errors import ApiError
from exporter.aws.organizations import AccountApi, IamApi, OrganizationsApi
from exporter.aws.parse_errors import ParseErrors
from exporter.aws.responses import TolerantParserFactory
from exporter.aws.sqs import SQS_READ_TIMEOUT, SqsApi
from exporter.config import AwsSettings
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.workers import PythonGate

log = logging.getLogger(__name__)
OtherApi = TypeVar("OtherApi", OrganizationsApi, AccountApi, IamApi)

PROBE = BotoConfig(retries={"mode": "standard", "total_max_attempts": 1})
ACCOUNT_RETRY = 300  # seconds before asking STS again after GetCallerIdentity failed


def pool_size(max_concurrency: int) -> int:
    """botocore's connection pool per client: every concurrent call gets a connection, with
    room for calls whose connection is still being returned."""
    return max(10, max_concurrency * 2)


class ClientFactory:
    """One CodeDeployApi per distinct AwsSettings (region, profile, role), made on first use.

    `reconfigure` (on reload) follows a new `max_concurrency` with the connection pool and
    closes the clients of AWS settings the config no longer uses; `cancel` (on shutdown)
    makes every API call from then on raise workers.Cancelled.
    """

    def __init__(
        self,
        metrics: ExporterMetrics,
        max_concurrency: int = 8,
        max_requests_per_second: float = 10.0,
        static_credentials: tuple[str, str] | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        max_attempts: int = 4,
    ) -> None:
        self._metrics = metrics
        self.cancelled = threading.Event()
        # One token bucket per account and region (exporter.aws.budgets).
        self.budgets = Budgets(max_requests_per_second, self.cancelled)
        self.slots = CallSlots(max_concurrency, self.cancelled)  # calls in flight, process-wide
        self.gate = PythonGate()  # shared by the poll's pools and these clients
        self.parse_errors = ParseErrors(metrics.parse_errors)
        self._static = static_credentials
        self.max_pool_connections = pool_size(max_concurrency)
        self._boto_config = BotoConfig(
            # Not adaptive: its client-side limiter belongs to a client, which the accounts of a
            # region share; each account-region's own token bucket (exporter.aws.budgets) limits.
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=self.max_pool_connections,
            user_agent_extra=f"codedeploy-exporter/{__version__}",
        )
        self._apis: dict[AwsSettings, CodeDeployApi] = {}
        self._probes: dict[AwsSettings, CodeDeployApi] = {}  # one attempt per call (see probe)
        self._others: dict[tuple[str, AwsSettings], ServiceApi] = {}  # Organizations, Account
        self._lock = threading.Lock()
        self._loader: Loader = create_loader()
        # Per profile: its sessions and default region; per credential set: its credentials (and,
        # for SQS and STS, a session); per profile and region: the STS client that assumes roles;
        # per profile, region, endpoint, service and retry setting: the shared botocore client.
        self._profiles: dict[str | None, tuple[boto3.Session, boto3.Session, str | None]] = {}
        self._credential_sets: dict[CredentialKey, Credentials] = {}
        self._sessions: dict[CredentialKey, boto3.Session] = {}
        self._sts_clients: dict[tuple[str | None, str | None], Any] = {}
        self._shared: dict[tuple[str | None, str | None, str | None, str, bool], Any] = {}
        self._session_lock = threading.RLock()
        # STS is asked once per credential set, quickly: a failure only leaves a label empty.
        self._sts_config = BotoConfig(
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            user_agent_extra=f"codedeploy-exporter/{__version__}",
        )
        # credential set (profile, region, endpoint_url) -> (account, retry_at)
        self._accounts: dict[tuple[str | None, str | None, str | None], tuple[str, float]] = {}
        self._account_lock = threading.Lock()
        self.clock: Callable[[], float] = time.monotonic

    def api(self, settings: AwsSettings) -> CodeDeployApi:
        return self._codedeploy(settings, self._apis, probe=False)

    def probe(self, settings: AwsSettings) -> CodeDeployApi:
        """A client that tries each call once, without retries: for account-regions that were
        down at the last poll (throttled, denied), so that each costs its poll one quick
        attempt per call instead of retry backoffs that would hold the others' data back."""
        return self._codedeploy(settings, self._probes, probe=True)

    def _codedeploy(self, settings: AwsSettings, made: dict[AwsSettings, CodeDeployApi], probe: bool) -> CodeDeployApi:
        with self._lock:
            api = made.get(settings)
            if api is None:
                client = self._client(settings, "codedeploy", settings.endpoint_url, probe)
                api = made[settings] = CodeDeployApi(client, **self._api_options(settings))
            return api

    def organizations(self, settings: AwsSettings) -> OrganizationsApi:
        """The Organizations client of an organization scope's own connection."""
        return self._other(OrganizationsApi, settings)

    def iam(self, settings: AwsSettings) -> IamApi:
        """The IAM client of one credential set (its account's alias)."""
        return self._other(IamApi, settings)

    def account(self, settings: AwsSettings) -> AccountApi:
        """The Account Management client of one member account (its own regions)."""
        return self._other(AccountApi, settings)

    def _other(self, kind: type[OtherApi], settings: AwsSettings) -> OtherApi:
        with self._lock:
            api = self._others.get((kind.service, settings))
            if api is None:
                # endpoint_url is CodeDeploy's: these take AWS_ENDPOINT_URL_ORGANIZATIONS etc.
                # An alias is a nicety, asked once a day: one attempt, no retry backoffs.
                client = self._client(settings, kind.service, None, probe=kind is IamApi)
                api = self._others[(kind.service, settings)] = kind(client, **self._api_options(settings))
            assert isinstance(api, kind)
            return api

    def _api_options(self, settings: AwsSettings) -> dict[str, Any]:
        return {
            "budgets": self.budgets,
            "metrics": self._metrics,
            "cancelled": self.cancelled,
            "gate": self.gate,
            "parse_errors": self.parse_errors,
            "settings": settings,
            "account": lambda: self.account_id(settings),
            "credentials": self._credentials(settings),
            "owns_client": False,
            "slots": self.slots,
        }

    def settings_in_use(self) -> set[AwsSettings]:
        """The settings of every client made: their account-regions are the scopes polled."""
        with self._lock:
            return self._made()

    def reconfigure(self, max_concurrency: int, max_requests_per_second: float, keep: set[AwsSettings]) -> None:
        """Apply a reloaded config's limits; drop the clients of settings not in `keep`.

        botocore sizes a client's connection pool when the client is made, so a new pool size
        means new clients (made again on first use). Call between polls: a client in use
        would lose its connections (it would still work, reconnecting).
        """
        self.budgets.rate = max_requests_per_second
        self.slots.limit = max_concurrency
        with self._lock:
            size = pool_size(max_concurrency)
            resized = size != self.max_pool_connections
            if resized:
                self.max_pool_connections = size
                self._boto_config = self._boto_config.merge(BotoConfig(max_pool_connections=size))
            drop = self._made() if resized else self._made() - keep
            shared = list(self._shared.values()) if resized else []
            if resized:
                self._shared.clear()
        self.release(drop)
        for client in shared:
            client.close()
        if drop:
            log.debug("event=aws_clients_closed count=%d pool_size=%d", len(drop), size)

    def _made(self) -> set[AwsSettings]:
        """The settings of every API object made. Caller holds _lock."""
        return set(self._apis) | set(self._probes) | {settings for _, settings in self._others}

    def release(self, gone: Iterable[AwsSettings]) -> None:
        """Forget the clients of settings no source polls any more (an account that left its
        organization): their account-regions are then no longer reported. The shared botocore
        clients stay, for the other accounts of their region."""
        gone = set(gone)
        with self._lock:
            closing: list[ServiceApi] = [made.pop(s) for made in (self._apis, self._probes) for s in gone if s in made]
            closing += [self._others.pop(key) for key in [k for k in self._others if k[1] in gone]]
            used = {_credential_key(s) for s in self._made()}
            for key in {_credential_key(s) for s in gone} - used:
                self._credential_sets.pop(key, None)
                self._sessions.pop(key, None)
        for api in closing:
            api.close()

    def cancel(self) -> None:
        """Shutdown: no API call starts from now on; rate-limit waits end at once."""
        self.cancelled.set()

    def sqs(self, settings: AwsSettings) -> SqsApi:
        """A new SQS client for the event consumer (endpoint_url None: AWS_ENDPOINT_URL_SQS etc.)."""
        # (botocore sets Config's options as attributes at run time; botocore-stubs does not declare them)
        config = BotoConfig(
            retries={"mode": "standard", "total_max_attempts": 3},
            connect_timeout=self._boto_config.connect_timeout,  # type: ignore[attr-defined]
            read_timeout=SQS_READ_TIMEOUT,
            user_agent_extra=f"codedeploy-exporter/{__version__}",
        )
        try:
            session, default_region = self._session(settings)
            client = session.client(
                "sqs", region_name=settings.region or default_region, endpoint_url=settings.endpoint_url, config=config
            )
            return SqsApi(client)
        except BotoCoreError as exc:
            raise ApiError("CreateClient", type(exc).__name__, str(exc)) from None

    def region(self, settings: AwsSettings) -> str:
        """The entry's resolved region ("" when boto3 cannot resolve one)."""
        try:
            return self.api(settings).region
        except ApiError:
            return settings.region or ""

    def account_id(self, settings: AwsSettings) -> str:
        """The account the entry's calls go to: from role_arn, else aws.account_id, else one
        STS GetCallerIdentity per credential set, cached. On failure: "" and one WARNING, and
        asked again after ACCOUNT_RETRY seconds; polling does not depend on it."""
        if settings.role_arn:
            return settings.role_arn.split(":")[4]
        if settings.account_id:
            return settings.account_id
        key = (settings.profile, settings.region, settings.endpoint_url)
        with self._account_lock:
            account, retry_at = self._accounts.get(key, ("", 0.0))
            if account or self.clock() < retry_at:
                return account
            try:
                session, default_region = self._session(settings)
                sts = session.client("sts", region_name=settings.region or default_region, config=self._sts_config)
                account = str(sts.get_caller_identity().get("Account") or "")
            except (BotoCoreError, ClientError) as exc:
                if key not in self._accounts:
                    log.warning(
                        "event=account_id_unknown profile=%s region=%s error=%s retry_in=%ds",
                        settings.profile or "default",
                        settings.region or "default",
                        type(exc).__name__,
                        ACCOUNT_RETRY,
                    )
                account = ""
            self._accounts[key] = (account, self.clock() + ACCOUNT_RETRY)
            return account

    def _client(self, settings: AwsSettings, service: str, endpoint_url: str | None, probe: bool) -> Any:
        """The botocore client shared by every credential set of the settings' profile in its
        region (exporter.aws.credentials): each call is signed with its own account's."""
        with self._session_lock:
            signing, default_region = self._profile(settings.profile)[1:]
            region = settings.region or default_region
            key = (settings.profile, region, endpoint_url, service, probe)
            client = self._shared.get(key)
            if client is None:
                config = self._boto_config.merge(PROBE) if probe else self._boto_config
                try:
                    # endpoint_url None lets botocore apply AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL.
                    client = signing.client(
                        service,  # type: ignore[call-overload]  # the stubs list only the services they were built with
                        region_name=region,
                        endpoint_url=endpoint_url,
                        config=config,
                    )
                except BotoCoreError as exc:
                    raise ApiError("CreateClient", type(exc).__name__, str(exc), settings) from None
                self._shared[key] = client
            return client

    def _profile(self, profile: str | None) -> tuple[boto3.Session, boto3.Session, str | None]:
        """A profile's sessions: one with its own credentials (for STS, SQS), one whose clients
        sign with the credentials of the call in progress; and its default region (the
        profile's or the environment's), for settings that name none. Caller holds _session_lock."""
        found = self._profiles.get(profile)
        if found is None:
            keys: dict[str, Any] = {}  # splatted into Session(), whose other parameters are not str
            if self._static is not None:
                keys = {"aws_access_key_id": self._static[0], "aws_secret_access_key": self._static[1]}
            base = boto3.Session(botocore_session=self._core(), profile_name=profile, **keys)
            core = self._core()
            # (botocore's only way in for credentials of our own; its stubs omit the private attribute)
            core._credentials = CallCredentials()  # type: ignore[attr-defined]
            found = self._profiles[profile] = (base, boto3.Session(botocore_session=core), base.region_name)
        return found

    def _credentials(self, settings: AwsSettings) -> Credentials:
        """The credentials of the settings' credential set: the profile's (resolved on first
        use), or the role's, assumed with the profile's and refreshed before they expire."""
        key = _credential_key(settings)
        with self._session_lock:
            found = self._credential_sets.get(key)
            if found is not None:
                return found
            base, _, default_region = self._profile(settings.profile)
            if not settings.role_arn:
                found = LazyCredentials(base.get_credentials)
            else:
                region = settings.region or default_region
                sts = self._sts_clients.get((settings.profile, region))
                if sts is None:
                    sts = self._sts_clients[(settings.profile, region)] = base.client(
                        "sts", region_name=region, config=self._boto_config
                    )
                found = DeferredRefreshableCredentials(_assume(sts, settings), "sts-assume-role")
            self._credential_sets[key] = found
            return found

    def _session(self, settings: AwsSettings) -> tuple[boto3.Session, str | None]:
        """A session of the settings' own credentials (the SQS client's, STS's), and its region."""
        key = _credential_key(settings)
        credentials = self._credentials(settings)
        with self._session_lock:
            base, _, default_region = self._profile(settings.profile)
            if not settings.role_arn:
                return base, default_region
            session = self._sessions.get(key)
            if session is None:
                core = self._core()
                core._credentials = credentials  # type: ignore[attr-defined]  # as in _profile
                session = self._sessions[key] = boto3.Session(botocore_session=core)
            return session, default_region

    def _core(self) -> botocore.session.Session:
        core = botocore.session.Session()
        core.register_component("data_loader", self._loader)
        # A value of an unexpected shape costs that value, not the response (exporter.aws.responses).
        core.register_component(
            "response_parser_factory",
            TolerantParserFactory(self.parse_errors.dropped, timestamp_parser=_epoch_seconds),
        )
        return core


def _assume(sts: Any, settings: AwsSettings) -> Callable[[], dict[str, str]]:
    """The refresh function of a role's credentials (botocore calls it before they expire; deferred,
    so start-up does not depend on STS)."""

    def refresh() -> dict[str, str]:
        params: dict[str, Any] = {
            "RoleArn": settings.role_arn,
            "RoleSessionName": settings.role_session_name or "codedeploy-exporter",
        }
        if settings.external_id:
            params["ExternalId"] = settings.external_id
        creds = sts.assume_role(**params)["Credentials"]
        log.info("event=assume_role role_arn=%s expires=%s", settings.role_arn, creds["Expiration"].isoformat())
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    return refresh


CredentialKey = tuple[str | None, str | None, str | None, str | None]


def _credential_key(settings: AwsSettings) -> CredentialKey:
    """What tells credential sets apart: one set serves its calls in every region."""
    return settings.profile, settings.role_arn, settings.external_id, settings.role_session_name


def _epoch_seconds(value: Any) -> Any:
    """CodeDeploy's JSON protocol sends timestamps as epoch numbers: keep them as numbers.

    botocore would build timezone-aware datetimes (a third of the exporter's poll CPU at 10,000
    targets) that exporter.aws.parse turns straight back into floats. Anything else falls back
    to botocore's own parser, which exporter.aws.parse also understands.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return parse_timestamp(value)
