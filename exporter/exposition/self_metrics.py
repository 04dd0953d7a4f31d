"""The exporter's own metrics, kept in a private registry (prometheus-client instruments).

Names and help texts come from the family table (exporter.exposition.families.table), so the README reference
and /metrics cannot disagree. Besides these: prometheus-client's process_* collector.
"""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from exporter import __version__
from exporter.exposition.families.table import BY_NAME
from exporter.exposition.selection import Selection

# `_created` series double the size of every counter and help nobody here.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated in prometheus-client

API_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# Per account and region the exporter calls: the operations every poll may make, and the error
# it alerts on by count, exist at 0 from the first call there, so rate() and increase() see the
# first one. Other errors (access denied, unreachable endpoints) show in scope_up at once; their
# counters start when they first happen, which keeps an organisation of 600 account-regions at
# 8 pre-initialised series each.
OPERATIONS = ("BatchGetDeploymentTargets", "BatchGetDeployments", "ListDeploymentTargets", "ListDeployments")
PREINITIALISED_ERRORS = ("ThrottlingException",)
Scope = tuple[str, str]  # (account id, region)

# codedeploy_exporter_parse_errors_total: `reason` wrong_type and bad_value come from botocore's
# parser (a value dropped, exporter.aws.responses), record from the record parser and render from
# deriving samples (an object skipped, exporter.aws.parse_errors); the operations whose objects are
# read one by one start at 0.
PARSE_ERROR_REASONS = ("wrong_type", "bad_value", "record", "render")
PARSED_OPERATIONS = ("BatchGetDeploymentGroups", "BatchGetDeployments", "BatchGetDeploymentTargets")

# Written at image build time (`git rev-parse HEAD > exporter/REVISION`); the environment
# variable wins, so a build can pass it without touching the source tree.
_REVISION_FILE = Path(__file__).with_name("REVISION")


def build_revision() -> str:
    revision = os.environ.get("CODEDEPLOY_EXPORTER_REVISION", "").strip()
    if not revision and _REVISION_FILE.is_file():
        revision = _REVISION_FILE.read_text(encoding="utf-8", errors="replace").strip()
    return revision[:64]


def _help(name: str) -> str:
    return BY_NAME[name].help


def _bare(name: str) -> str:
    # prometheus-client appends _total to counters itself.
    return name[: -len("_total")] if name.endswith("_total") else name


class ExporterMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry

        def gauge(name: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(name, _help(name), list(labels), registry=r)

        # Not the exporter's own, but kept here: a handful of series, replaced as a whole.
        self.account_info = gauge("codedeploy_account_info", ("account_id", "account_name", "organizational_unit"))
        gauge("codedeploy_exporter_build_info", ("version", "revision", "python_version")).labels(
            __version__, build_revision(), platform.python_version()
        ).set(1)
        name = "codedeploy_exporter_api_requests_total"
        self.api_requests = Counter(_bare(name), _help(name), ["account_id", "region", "operation"], registry=r)
        name = "codedeploy_exporter_api_request_errors_total"
        self.api_errors = Counter(
            _bare(name), _help(name), ["account_id", "region", "operation", "error_code"], registry=r
        )
        self.scope_up = gauge("codedeploy_exporter_scope_up", ("account_id", "region"))
        self.scope_last_error = gauge(
            "codedeploy_exporter_scope_last_error_info", ("account_id", "region", "error_code")
        )
        self._error_labels: set[tuple[str, str, str, str]] = set()  # to forget a scope's series
        self._scopes: set[Scope] = set()
        self._last_error: dict[Scope, str] = {}
        self._scope_lock = threading.Lock()
        name = "codedeploy_exporter_parse_errors_total"
        self.parse_errors = Counter(_bare(name), _help(name), ["operation", "reason"], registry=r)
        name = "codedeploy_exporter_api_request_duration_seconds"
        self.api_duration = Histogram(name, _help(name), ["operation"], buckets=API_BUCKETS, registry=r)
        self.poll_duration = gauge("codedeploy_exporter_poll_duration_seconds")
        self.poll_interval = gauge("codedeploy_exporter_poll_interval_seconds")
        self.last_poll_success = gauge("codedeploy_exporter_last_poll_success_timestamp_seconds")
        self.targets = gauge("codedeploy_exporter_targets", ("state",))
        self.shard_ordinal = gauge("codedeploy_exporter_shard_ordinal")
        self.total_shards = gauge("codedeploy_exporter_total_shards")
        self.reload_successful = gauge("codedeploy_exporter_config_last_reload_successful")
        self.reload_success_time = gauge("codedeploy_exporter_config_last_reload_success_timestamp_seconds")
        ProcessCollector(registry=r)
        for state in ("polled", "frozen"):
            self.targets.labels(state)
        for operation in PARSED_OPERATIONS:
            for reason in PARSE_ERROR_REASONS:
                self.parse_errors.labels(operation, reason)
        self.total_shards.set(1)
        self.selection = Selection()

    def set_accounts(self, accounts: Iterable[tuple[str, str, str]]) -> None:
        """The accounts known by name now (id, name, organizational unit): from organizations'
        listings, else from IAM aliases (Poller.account_names)."""
        self.account_info.clear()
        for account in accounts:
            self.account_info.labels(*account).set(1)

    # ---- per account and region ---------------------------------------------------------------
    def scope_seen(self, account: str, region: str) -> None:
        """Pre-initialise the counters of an account-region on its first call."""
        with self._scope_lock:
            if (account, region) in self._scopes:
                return
            self._scopes.add((account, region))
            for operation in OPERATIONS:
                self.api_requests.labels(account, region, operation)
                for code in PREINITIALISED_ERRORS:
                    self._error_labels.add((account, region, operation, code))
                    self.api_errors.labels(account, region, operation, code)

    def count_request(self, account: str, region: str, operation: str) -> None:
        self.api_requests.labels(account, region, operation).inc()

    def count_error(self, account: str, region: str, operation: str, code: str) -> None:
        with self._scope_lock:
            self._error_labels.add((account, region, operation, code))
        self.api_errors.labels(account, region, operation, code).inc()

    def set_scope_health(self, health: dict[Scope, str | None]) -> None:
        """The account-regions polled now, each with the API-wide error code of its last poll
        (None: it succeeded). Those no longer polled lose their series."""
        with self._scope_lock:
            for scope, code in health.items():
                self.scope_up.labels(*scope).set(0 if code else 1)
                last = self._last_error.get(scope)
                if code and code != last:
                    if last is not None:
                        self.scope_last_error.remove(*scope, last)
                    self.scope_last_error.labels(*scope, code).set(1)
                    self._last_error[scope] = code
            gone = (self._scopes | set(self._last_error)) - set(health)
            for scope in gone:
                self._forget(scope)

    def _forget(self, scope: Scope) -> None:
        # Caller holds _scope_lock.
        for labels in [k for k in self._error_labels if k[:2] == scope]:
            self._error_labels.discard(labels)
            self.api_errors.remove(*labels)
        if scope in self._scopes:
            self._scopes.discard(scope)
            for operation in OPERATIONS:
                self.api_requests.remove(*scope, operation)
        last = self._last_error.pop(scope, None)
        if last is not None:
            self.scope_last_error.remove(*scope, last)
        self.scope_up.remove(*scope)

    def _registry(self) -> CollectorRegistry:
        # metrics.include / metrics.exclude apply to these families as well.
        selection = self.selection
        if not selection.exclude and all(p == ".*" for p in selection.include):
            return self.registry
        filtered = CollectorRegistry(auto_describe=False)
        filtered.register(_Filtered(self.registry, selection))
        return filtered

    def render(self) -> str:
        return prometheus_client.generate_latest(self._registry()).decode("utf-8")

    def render_openmetrics(self) -> bytes:
        body: bytes = generate_openmetrics(self._registry())  # type: ignore[no-untyped-call]  # unannotated upstream
        return body


class _Filtered:
    """The families of a registry that a Selection wants (a collector, so that both exposition
    formats render it with prometheus-client's own code)."""

    def __init__(self, registry: CollectorRegistry, selection: Selection) -> None:
        self._registry, self._selection = registry, selection

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            name = family.name + ("_total" if family.type == "counter" else "")
            if self._selection.wants(name):
                yield family
