"""The one module that talks to AWS (boto3/botocore). Everything else sees plain dicts.

Each call goes through a shared client-side rate limiter; botocore retries in adaptive mode;
every HTTP attempt is counted, so throttling that botocore absorbed still shows in metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config as BotoConfig
from botocore.credentials import DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError
from botocore.utils import parse_timestamp

from exporter import __version__
from exporter.config import AwsSettings
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.parse_errors import ParseErrors
from exporter.responses import TolerantParserFactory
from exporter.workers import Cancelled, PythonGate

if TYPE_CHECKING:  # the stubs are a test dependency: never imported at run time
    from mypy_boto3_codedeploy import CodeDeployClient
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger(__name__)

BATCH_TARGETS_MAX = 25
BATCH_DEPLOYMENTS_MAX = 25
SQS_WAIT_SECONDS = 20  # ReceiveMessage's longest long poll
SQS_MAX_MESSAGES = 10  # ReceiveMessage / DeleteMessageBatch maximum
# The read timeout must outlast the long poll, or every empty poll would end in a timeout.
SQS_READ_TIMEOUT = SQS_WAIT_SECONDS + 10
BATCH_GROUPS_MAX = 100  # BatchGetDeploymentGroups: one application, up to 100 group names
ACCOUNT_RETRY = 300  # seconds before asking STS again after GetCallerIdentity failed

# Errors that concern one deployment or target ID, not the API as a whole.
ID_ERRORS = frozenset(
    {
        "DeploymentDoesNotExistException",
        "InvalidDeploymentIdException",
        "DeploymentNotStartedException",
        "DeploymentTargetDoesNotExistException",
        "InvalidDeploymentTargetIdException",
        "InstanceDoesNotExistException",
        "InvalidInstanceNameException",
        "DeploymentTargetListSizeExceededException",
        "TargetNotReturned",
    }
)


class ApiError(Exception):
    def __init__(self, operation: str, code: str, message: str = "", settings: AwsSettings | None = None) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        self.settings = settings  # the AWS settings of the client that failed: its account and region

    @property
    def id_specific(self) -> bool:
        return self.code in ID_ERRORS


class RateLimiter:
    """Token bucket shared by all clients: at most `rate` calls per second, bursts of `rate`."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        cancelled: threading.Event | None = None,
    ) -> None:
        self.rate = rate
        self._cancelled = cancelled
        self._tokens = max(rate, 1.0)
        self._clock, self._sleep = clock, sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Take a token, waiting for one; returns at once when cancelled (the caller checks)."""
        while True:
            if self._cancelled is not None and self._cancelled.is_set():
                return
            with self._lock:
                now = self._clock()
                self._tokens = min(max(self.rate, 1.0), self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            if self._cancelled is not None:
                self._cancelled.wait(wait)  # a shutdown ends the wait
            else:
                self._sleep(wait)


class CodeDeployApi:
    """The read operations the exporter uses, paginated, with errors as ApiError."""

    def __init__(
        self,
        client: CodeDeployClient,
        limiter: RateLimiter,
        metrics: ExporterMetrics,
        cancelled: threading.Event | None = None,
        gate: PythonGate | None = None,
        parse_errors: ParseErrors | None = None,
        settings: AwsSettings | None = None,
    ) -> None:
        self._client = client
        self._settings = settings
        # Objects of this client's responses that cannot be read are counted here (the stores
        # parse them one by one: exporter.parse_errors.parse_each).
        self.parse_errors = parse_errors if parse_errors is not None else ParseErrors()
        self._limiter = limiter
        self._metrics = metrics
        self._cancelled = cancelled if cancelled is not None else threading.Event()
        self._gate = gate if gate is not None else PythonGate()
        client.meta.events.register("needs-retry.codedeploy", self._count_attempt)
        # The HTTP exchange (request sent to response read) runs without the pool's gate, and
        # so do retry backoffs (botocore sleeps after needs-retry); _call takes it back.
        # (Service-specific handlers run before botocore's generic ones, such as adaptive
        # mode's rate limiter on before-send, which may sleep too.)
        client.meta.events.register("before-send.codedeploy", self._gate.let_go)
        client.meta.events.register("before-parse.codedeploy", self._gate.take_back)
        client.meta.events.register("needs-retry.codedeploy", self._let_go_before_a_retry)
        self.closed = False

    @property
    def max_pool_connections(self) -> int:
        """Size of this client's connection pool (fixed when botocore made the client)."""
        # (botocore sets Config's options as attributes at run time; botocore-stubs does not declare them)
        return int(self._client.meta.config.max_pool_connections)  # type: ignore[attr-defined]

    def close(self) -> None:
        """Close the client's pooled connections (reload dropped its AWS settings)."""
        self._client.close()
        self.closed = True

    def _count_attempt(
        self,
        response: tuple[Any, dict[str, Any] | None] | None = None,
        operation: Any = None,
        caught_exception: Exception | None = None,
        **_: Any,
    ) -> None:
        name = getattr(operation, "name", "unknown")
        self._metrics.api_requests.labels(name).inc()
        code = None
        if caught_exception is not None:
            code = type(caught_exception).__name__
        elif response is not None:
            http, parsed = response
            if http.status_code >= 300:
                code = (parsed or {}).get("Error", {}).get("Code") or f"HTTP{http.status_code}"
        if code:
            self._metrics.api_errors.labels(name, code).inc()
        return None  # never vote on retrying: botocore's own handler decides

    def _let_go_before_a_retry(
        self,
        response: tuple[Any, dict[str, Any] | None] | None = None,
        caught_exception: Exception | None = None,
        **_: Any,
    ) -> None:
        # Only a failed attempt can be retried (after a backoff sleep); a success goes on
        # parsing with the gate it holds.
        if caught_exception is not None or (response is not None and response[0].status_code >= 300):
            self._gate.let_go()

    def _call(self, operation: str, method: str, **params: Any) -> dict[str, Any]:
        with self._gate.waiting():
            self._limiter.acquire()
        if self._cancelled.is_set():  # shutting down: issue no more calls (pages, retries...)
            raise Cancelled()
        started = time.perf_counter()
        try:
            response: dict[str, Any] = getattr(self._client, method)(**params)
            return response
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", "Unknown"), error.get("Message", "")
            raise ApiError(operation, code, message, self._settings) from None
        except BotoCoreError as exc:
            # Connection refused, timeouts, missing credentials: not counted by needs-retry
            # when they happen before a request is sent, so count them here.
            code = type(exc).__name__
            if "credential" in code.lower() or "region" in code.lower():
                self._metrics.api_errors.labels(operation, code).inc()
            raise ApiError(operation, code, str(exc), self._settings) from None
        except Cancelled:
            raise
        except Exception as exc:
            # Not an SDK error: a fault of our own or botocore's that this response set off.
            # It costs this call (as an error of the API, named after the exception), not the poll.
            log.exception("event=api_call_crashed operation=%s", operation)
            raise ApiError(operation, type(exc).__name__, str(exc)[:200], self._settings) from None
        finally:
            self._gate.take_back()  # needs-retry let it go (or an error came before before-parse)
            self._metrics.api_duration.labels(operation).observe(time.perf_counter() - started)

    @property
    def region(self) -> str:
        """The region boto3 resolved for this client (config, profile or environment)."""
        return self._client.meta.region_name or ""

    def batch_get_deployment_targets(self, deployment_id: str, target_ids: list[str]) -> list[dict[str, Any]]:
        response = self._call(
            "BatchGetDeploymentTargets",
            "batch_get_deployment_targets",
            deploymentId=deployment_id,
            targetIds=target_ids,
        )
        return response.get("deploymentTargets") or []

    def batch_get_deployments(self, deployment_ids: list[str]) -> list[dict[str, Any]]:
        response = self._call("BatchGetDeployments", "batch_get_deployments", deploymentIds=deployment_ids)
        return response.get("deploymentsInfo") or []

    def list_deployment_targets(self, deployment_id: str) -> list[str]:
        ids: list[str] = []
        params: dict[str, Any] = {"deploymentId": deployment_id}
        while True:
            page = self._call("ListDeploymentTargets", "list_deployment_targets", **params)
            ids.extend(page.get("targetIds") or [])
            if not page.get("nextToken"):
                return ids
            params["nextToken"] = page["nextToken"]

    def list_deployments(
        self,
        application: str | None,
        group: str | None,
        created_after: float | None = None,
        statuses: tuple[str, ...] = (),
    ) -> list[str]:
        """Deployment IDs, newest first; with no application, every deployment of the region."""
        params: dict[str, Any] = {}
        if application is not None:
            params = {"applicationName": application, "deploymentGroupName": group}
        if created_after is not None:
            params["createTimeRange"] = {"start": datetime.fromtimestamp(created_after, tz=timezone.utc)}
        if statuses:
            params["includeOnlyStatuses"] = list(statuses)
        return self._pages("ListDeployments", "list_deployments", "deployments", params)

    def list_applications(self) -> list[str]:
        return self._pages("ListApplications", "list_applications", "applications", {})

    def list_deployment_groups(self, application: str) -> list[str]:
        return self._pages(
            "ListDeploymentGroups", "list_deployment_groups", "deploymentGroups", {"applicationName": application}
        )

    def batch_get_deployment_groups(self, application: str, names: list[str]) -> list[dict[str, Any]]:
        response = self._call(
            "BatchGetDeploymentGroups",
            "batch_get_deployment_groups",
            applicationName=application,
            deploymentGroupNames=names,
        )
        return response.get("deploymentGroupsInfo") or []

    def list_tags_for_resource(self, arn: str) -> dict[str, str]:
        tags: dict[str, str] = {}
        params: dict[str, Any] = {"ResourceArn": arn}
        while True:
            page = self._call("ListTagsForResource", "list_tags_for_resource", **params)
            for tag in page.get("Tags") or []:
                tags[str(tag.get("Key", ""))] = str(tag.get("Value", ""))
            if not page.get("NextToken"):
                return tags
            params["NextToken"] = page["NextToken"]

    def _pages(self, operation: str, method: str, key: str, params: dict[str, Any]) -> list[str]:
        items: list[str] = []
        params = dict(params)
        while True:
            page = self._call(operation, method, **params)
            items.extend(page.get(key) or [])
            if not page.get("nextToken"):
                return items
            params["nextToken"] = page["nextToken"]


def pool_size(max_concurrency: int) -> int:
    """botocore's connection pool per client: every concurrent call gets a connection, with
    room for calls whose connection is still being returned."""
    return max(10, max_concurrency * 2)


class SqsApi:
    """The SQS calls of the event consumer, with errors as ApiError (not rate-limited: the
    CodeDeploy limiter protects CodeDeploy's quotas, and a long poll is one call per 20 s)."""

    def __init__(self, client: SQSClient) -> None:
        self._client = client

    def _call(self, operation: str, method: str, **params: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self._client, method)(**params)
            return response
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ApiError(operation, error.get("Code", "Unknown"), error.get("Message", "")) from None
        except BotoCoreError as exc:
            raise ApiError(operation, type(exc).__name__, str(exc)) from None

    def receive(self, queue_url: str, wait_seconds: int = SQS_WAIT_SECONDS) -> list[dict[str, Any]]:
        response = self._call(
            "ReceiveMessage",
            "receive_message",
            QueueUrl=queue_url,
            WaitTimeSeconds=wait_seconds,
            MaxNumberOfMessages=SQS_MAX_MESSAGES,
            MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
        )
        return response.get("Messages") or []

    def queue_attributes(self, queue_url: str, names: list[str]) -> dict[str, str]:
        response = self._call("GetQueueAttributes", "get_queue_attributes", QueueUrl=queue_url, AttributeNames=names)
        return response.get("Attributes") or {}

    def delete(self, queue_url: str, receipt_handles: list[str]) -> list[tuple[int, str]]:
        """Delete up to 10 messages; returns (index, error code) of those SQS did not delete."""
        entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(receipt_handles)]
        response = self._call("DeleteMessageBatch", "delete_message_batch", QueueUrl=queue_url, Entries=entries)
        return [(int(f["Id"]), f.get("Code", "Unknown")) for f in response.get("Failed") or []]


class ClientFactory:
    """One CodeDeployApi per distinct AwsSettings (region, profile, role), created on first use.

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
        self.limiter = RateLimiter(max_requests_per_second, cancelled=self.cancelled)
        self.gate = PythonGate()  # shared by the poll's pools and these clients
        self.parse_errors = ParseErrors(metrics.parse_errors)
        self._static = static_credentials
        self.max_pool_connections = pool_size(max_concurrency)
        self._boto_config = BotoConfig(
            retries={"mode": "adaptive", "total_max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=self.max_pool_connections,
            user_agent_extra=f"codedeploy-exporter/{__version__}",
        )
        self._apis: dict[AwsSettings, CodeDeployApi] = {}
        self._lock = threading.Lock()
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
        with self._lock:
            api = self._apis.get(settings)
            if api is None:
                api = CodeDeployApi(
                    self._client(settings),
                    self.limiter,
                    self._metrics,
                    self.cancelled,
                    self.gate,
                    self.parse_errors,
                    settings,
                )
                self._apis[settings] = api
            return api

    def settings_in_use(self) -> set[AwsSettings]:
        with self._lock:
            return set(self._apis)

    def reconfigure(self, max_concurrency: int, max_requests_per_second: float, keep: set[AwsSettings]) -> None:
        """Apply a reloaded config's limits; close clients of settings not in `keep`.

        botocore sizes a client's connection pool when the client is made, so a new pool size
        means new clients (made again on first use). Call between polls: a client in use
        would lose its connections (it would still work, reconnecting).
        """
        self.limiter.rate = max_requests_per_second
        with self._lock:
            size = pool_size(max_concurrency)
            if size != self.max_pool_connections:
                self.max_pool_connections = size
                self._boto_config = self._boto_config.merge(BotoConfig(max_pool_connections=size))
                drop = set(self._apis)
            else:
                drop = set(self._apis) - keep
            closing = [self._apis.pop(settings) for settings in drop]
        for api in closing:
            api.close()
        if drop:
            log.debug("event=aws_clients_closed count=%d pool_size=%d", len(drop), size)

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
            return SqsApi(self._session(settings).client("sqs", endpoint_url=settings.endpoint_url, config=config))
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
                sts = self._session(settings).client("sts", config=self._sts_config)
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

    def _client(self, settings: AwsSettings) -> CodeDeployClient:
        try:
            session = self._session(settings)
            # endpoint_url None lets botocore apply AWS_ENDPOINT_URL_CODEDEPLOY / AWS_ENDPOINT_URL.
            return session.client("codedeploy", endpoint_url=settings.endpoint_url, config=self._boto_config)
        except BotoCoreError as exc:
            raise ApiError("CreateClient", type(exc).__name__, str(exc), settings) from None

    def _session(self, settings: AwsSettings) -> boto3.Session:
        keys: dict[str, Any] = {}  # splatted into Session(), whose other parameters are not str
        if self._static is not None:
            keys = {"aws_access_key_id": self._static[0], "aws_secret_access_key": self._static[1]}
        base = boto3.Session(profile_name=settings.profile, region_name=settings.region, **keys)
        core = botocore.session.Session()
        # A value of an unexpected shape costs that value, not the response (exporter.responses).
        core.register_component(
            "response_parser_factory",
            TolerantParserFactory(self.parse_errors.dropped, timestamp_parser=_epoch_seconds),
        )
        if not settings.role_arn:
            return boto3.Session(
                botocore_session=core, profile_name=settings.profile, region_name=settings.region, **keys
            )
        sts = base.client("sts", config=self._boto_config)

        def refresh() -> dict[str, str]:
            params: dict[str, Any] = {"RoleArn": settings.role_arn, "RoleSessionName": "codedeploy-exporter"}
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

        # botocore refreshes these before they expire (the same mechanism its own
        # assume-role provider uses); deferred so start-up does not depend on STS.
        # (botocore's only way in for refreshable credentials; its stubs omit the private attribute)
        core._credentials = DeferredRefreshableCredentials(refresh, "sts-assume-role")  # type: ignore[attr-defined]
        return boto3.Session(botocore_session=core, region_name=base.region_name)


def _epoch_seconds(value: Any) -> Any:
    """CodeDeploy's JSON protocol sends timestamps as epoch numbers: keep them as numbers.

    botocore would build timezone-aware datetimes (a third of the exporter's poll CPU at 10,000
    targets) that exporter.parse turns straight back into floats. Anything else falls back
    to botocore's own parser, which exporter.parse also understands.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return parse_timestamp(value)
