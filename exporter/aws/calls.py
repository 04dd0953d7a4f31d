"""What every AWS client of the exporter shares: a token from the budget of its account and
region before each call, the poll's gate released while waiting on the network, every HTTP
attempt counted by account, region and operation (so throttling that botocore absorbed still
shows in metrics), and errors turned into ApiError. The services' own operations are in
exporter.aws.codedeploy and exporter.aws.organizations.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from exporter.aws.budgets import Budgets, CallSlots
from exporter.aws.credentials import signing_with
from exporter.aws.errors import ApiError
from exporter.aws.parse_errors import ParseErrors
from exporter.config import AwsSettings
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.workers import Cancelled, PythonGate

log = logging.getLogger(__name__)

# The ServiceApi whose call this thread is making: a botocore client is shared by the accounts
# of a region (exporter.aws.credentials), so its event handlers ask which one is calling.
_calling = threading.local()


def _caller() -> ServiceApi | None:
    api: ServiceApi | None = getattr(_calling, "api", None)
    return api


def _on_attempt(**kwargs: Any) -> None:
    api = _caller()
    if api is not None:
        api._count_attempt(**kwargs)
        api._let_go_before_a_retry(**kwargs)


def _on_send(**kwargs: Any) -> None:
    api = _caller()
    if api is not None:
        api._gate.let_go()


def _on_parse(**kwargs: Any) -> None:
    api = _caller()
    if api is not None:
        api._gate.take_back()


def hook(client: Any, service: str) -> None:
    """Register the handlers that count attempts and release the gate, once per client."""
    if getattr(client, "_exporter_hooked", False):
        return
    client.meta.events.register(f"needs-retry.{service}", _on_attempt)
    # The HTTP exchange (request sent to response read) runs without the pool's gate, and
    # so do retry backoffs (botocore sleeps after needs-retry); _call takes it back.
    # (Service-specific handlers run before botocore's generic ones, which may sleep too.)
    client.meta.events.register(f"before-send.{service}", _on_send)
    client.meta.events.register(f"before-parse.{service}", _on_parse)
    client._exporter_hooked = True


class ServiceApi:
    """One boto3 client of one service, behind the budget, the gate and the counters."""

    service = ""  # botocore's event name of the service, e.g. "codedeploy"
    # Pre-initialise the account-region's counters on its first call (CodeDeploy: the scopes polled).
    announces_scope = False

    def __init__(
        self,
        client: Any,
        budgets: Budgets,
        metrics: ExporterMetrics,
        cancelled: threading.Event | None = None,
        gate: PythonGate | None = None,
        parse_errors: ParseErrors | None = None,
        settings: AwsSettings | None = None,
        account: Callable[[], str] = lambda: "",
        credentials: Credentials | None = None,
        owns_client: bool = True,
        slots: CallSlots | None = None,
    ) -> None:
        self._client = client
        self._credentials = credentials  # signs this api's calls on a shared client (None: the client's own)
        self._slots = slots  # the process-wide cap on calls in flight (None: no cap)
        self._settings = settings
        self._account = account  # the account id, "" while unknown (cached by the factory)
        self._scope: tuple[str, str] | None = None  # (account, region) once the account is known
        # Until the account is known, calls draw from their credential set's bucket.
        self._unknown = "credentials:" + (
            "|".join(str(v) for v in (settings.profile, settings.role_arn, settings.endpoint_url)) if settings else ""
        )
        # Objects of this client's responses that cannot be read are counted here (the stores
        # parse them one by one: exporter.aws.parse_errors.parse_each).
        self.parse_errors = parse_errors if parse_errors is not None else ParseErrors()
        self._budgets = budgets
        self._metrics = metrics
        self._cancelled = cancelled if cancelled is not None else threading.Event()
        self._gate = gate if gate is not None else PythonGate()
        self._owns_client = owns_client
        hook(client, self.service)
        self.closed = False

    @property
    def max_pool_connections(self) -> int:
        """Size of this client's connection pool (fixed when botocore made the client)."""
        return int(self._client.meta.config.max_pool_connections)

    def close(self) -> None:
        """Close the client's pooled connections (reload dropped its AWS settings)."""
        if self._owns_client:  # a shared client is closed by the factory that shares it
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
        account, region = self.scope()
        self._metrics.count_request(account, region, name)
        code = None
        if caught_exception is not None:
            code = type(caught_exception).__name__
        elif response is not None:
            http, parsed = response
            if http.status_code >= 300:
                code = (parsed or {}).get("Error", {}).get("Code") or f"HTTP{http.status_code}"
        if code:
            self._metrics.count_error(account, region, name, code)
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

    def scope(self) -> tuple[str, str]:
        """(account id, region) of this client's calls; the account is "" while unknown."""
        if self._scope is not None:
            return self._scope
        account, region = self._account(), self.region
        if account:
            self._scope = (account, region)
            if self.announces_scope:
                self._metrics.scope_seen(account, region)
        return account, region

    def _call(self, operation: str, method: str, **params: Any) -> dict[str, Any]:
        account, region = self.scope()
        bucket = self._budgets.bucket((account or self._unknown, region))
        with self._gate.waiting():
            bucket.acquire()
            if self._slots is not None:
                self._slots.acquire()
        if self._cancelled.is_set():  # shutting down: issue no more calls (pages, retries...)
            if self._slots is not None:
                self._slots.release()
            raise Cancelled()
        started = time.perf_counter()
        _calling.api = self
        try:
            with signing_with(self._credentials):
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
                self._metrics.count_error(account, region, operation, code)
            raise ApiError(operation, code, str(exc), self._settings) from None
        except Cancelled:
            raise
        except Exception as exc:
            # Not an SDK error: a fault of our own or botocore's that this response set off.
            # It costs this call (as an error of the API, named after the exception), not the poll.
            log.exception("event=api_call_crashed operation=%s", operation)
            raise ApiError(operation, type(exc).__name__, str(exc)[:200], self._settings) from None
        finally:
            _calling.api = None
            if self._slots is not None:
                self._slots.release()
            self._gate.take_back()  # needs-retry let it go (or an error came before before-parse)
            self._metrics.api_duration.labels(operation).observe(time.perf_counter() - started)

    @property
    def region(self) -> str:
        """The region boto3 resolved for this client (config, profile or environment)."""
        return self._client.meta.region_name or ""

    def _pages(
        self, operation: str, method: str, key: str, params: dict[str, Any], token: str = "nextToken"
    ) -> list[Any]:
        """Every page's `key` items, following `token` (CodeDeploy's nextToken; NextToken elsewhere)."""
        items: list[Any] = []
        params = dict(params)
        while True:
            page = self._call(operation, method, **params)
            items.extend(page.get(key) or [])
            if not page.get(token):
                return items
            params[token] = page[token]
