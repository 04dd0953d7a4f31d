"""The CodeDeploy read operations the exporter uses, paginated, with errors as ApiError.
Everything outside exporter.aws sees plain dicts.

Each call takes a token from the budget of its account and region (exporter.aws.budgets);
botocore retries in adaptive mode; every HTTP attempt is counted by account, region and
operation, so throttling that botocore absorbed still shows in metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from exporter.aws.budgets import Budgets
from exporter.aws.errors import ApiError
from exporter.aws.parse_errors import ParseErrors
from exporter.config import AwsSettings
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.workers import Cancelled, PythonGate

if TYPE_CHECKING:  # the stubs are a test dependency: never imported at run time
    from mypy_boto3_codedeploy import CodeDeployClient

log = logging.getLogger(__name__)

BATCH_TARGETS_MAX = 25
BATCH_DEPLOYMENTS_MAX = 25
BATCH_GROUPS_MAX = 100  # BatchGetDeploymentGroups: one application, up to 100 group names


class CodeDeployApi:
    """The read operations the exporter uses, paginated, with errors as ApiError."""

    def __init__(
        self,
        client: CodeDeployClient,
        budgets: Budgets,
        metrics: ExporterMetrics,
        cancelled: threading.Event | None = None,
        gate: PythonGate | None = None,
        parse_errors: ParseErrors | None = None,
        settings: AwsSettings | None = None,
        account: Callable[[], str] = lambda: "",
    ) -> None:
        self._client = client
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
            self._metrics.scope_seen(account, region)
        return account, region

    def _call(self, operation: str, method: str, **params: Any) -> dict[str, Any]:
        account, region = self.scope()
        bucket = self._budgets.bucket((account or self._unknown, region))
        with self._gate.waiting():
            bucket.acquire()
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
