"""The deployment store: the deployments the sources want, read with BatchGetDeployments (25 IDs a call).

Shared by every source. A deployment's record is read until it is terminal; an ID the API
does not know backs off. Records fetched in a poll (by a source reading new IDs, or here) are
collected so group state and counters see every deployment exactly when it changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from exporter.aws.codedeploy import BATCH_DEPLOYMENTS_MAX, CodeDeployApi
from exporter.aws.errors import ApiError
from exporter.aws.parse import parse_deployment
from exporter.aws.parse_errors import parse_each
from exporter.collect.keys import DeploymentKey, backoff, chunks, keep_if_equal
from exporter.collect.outages import Outages
from exporter.config import AwsSettings
from exporter.log import quote
from exporter.model import Deployment, HookAggregate
from exporter.workers import PoolMap

log = logging.getLogger(__name__)


@dataclass
class TrackedDeployment:
    deployment_id: str
    aws: AwsSettings
    record: Deployment | None = None
    owned: bool = True  # False: another shard owns its group; its info was read only to learn that
    target_ids: tuple[str, ...] = ()
    list_final: bool = False
    failures: int = 0
    retry_at: float = 0.0
    error: str = ""
    fetched_in_poll: int = -1
    # Per-hook aggregates over its targets, kept once it has finished and they are all frozen
    # (TargetStore.settle); None while they are made from the targets' records.
    hooks: dict[str, HookAggregate] | None = None


class DeploymentStore:
    def __init__(self) -> None:
        self.tracked: dict[DeploymentKey, TrackedDeployment] = {}
        self.fetched: list[tuple[AwsSettings, Deployment]] = []  # read in the current poll
        self.poll_number = 0
        self._lock = threading.Lock()

    def begin_poll(self, number: int) -> None:
        self.poll_number = number
        self.fetched = []

    def record(self, key: DeploymentKey) -> Deployment | None:
        tracked = self.tracked.get(key)
        return tracked.record if tracked else None

    def fetch(self, api: CodeDeployApi, deployment_ids: list[str], aws: AwsSettings) -> list[Deployment]:
        """BatchGetDeployments in chunks of 25; the records are kept on tracked deployments
        (sources call this for IDs they have just listed, so read_due skips them this poll)."""
        records = []
        for chunk in chunks(deployment_ids, BATCH_DEPLOYMENTS_MAX):
            raw = api.batch_get_deployments(chunk)
            for record in parse_each(raw, parse_deployment, api.parse_errors, "BatchGetDeployments"):
                records.append(record)
                with self._lock:
                    key = (record.deployment_id, aws)
                    tracked = self.tracked.get(key)
                    if tracked is None:
                        tracked = self.tracked[key] = TrackedDeployment(*key)
                    if record.error_code and (tracked.record is None or tracked.record.error_code != record.error_code):
                        # CodeDeploy's own words (not script output): logged whatever
                        # --log.diagnostics says, never put in a label.
                        log.warning(
                            "event=deployment_ended deployment_id=%s application=%s "
                            "deployment_group=%s status=%s error_code=%s message=%s "
                            "status_messages=%s rollback_message=%s",
                            quote(record.deployment_id),
                            quote(record.application),
                            quote(record.deployment_group),
                            record.status,
                            quote(record.error_code),
                            quote(record.error_message),
                            quote(" | ".join(record.status_messages)),
                            quote(record.rollback_message),
                        )
                    tracked.record = keep_if_equal(tracked.record, record)
                    tracked.fetched_in_poll = self.poll_number
                    self.fetched.append((aws, record))
        return records

    def sync(self, wanted: Iterable[DeploymentKey]) -> None:
        wanted = set(wanted)
        for key in wanted:
            if key not in self.tracked:
                self.tracked[key] = TrackedDeployment(*key)
        for key in list(self.tracked):
            if key not in wanted:
                del self.tracked[key]

    def read_due(
        self,
        map_: PoolMap,
        api_for: Callable[[AwsSettings], CodeDeployApi],
        outages: Outages,
        now: float,
        interval: float,
        only: set[DeploymentKey] | None = None,
    ) -> None:
        due = [
            d
            for k, d in self.tracked.items()
            if (d.record is None or (d.owned and not d.record.terminal))
            and d.retry_at <= now
            and d.fetched_in_poll != self.poll_number  # a source may have just fetched it
            and (only is None or k in only)
        ]
        by_aws: dict[AwsSettings, list[TrackedDeployment]] = {}
        for tracked in due:
            by_aws.setdefault(tracked.aws, []).append(tracked)
        jobs = [(aws, chunk) for aws, items in by_aws.items() for chunk in chunks(items, BATCH_DEPLOYMENTS_MAX)]

        def read_chunk(job: tuple[AwsSettings, list[TrackedDeployment]]) -> None:
            aws, chunk = job
            try:
                found = {r.deployment_id for r in self.fetch(api_for(aws), [d.deployment_id for d in chunk], aws)}
            except ApiError as exc:
                outages.note(exc, "BatchGetDeployments")
                return
            for tracked in chunk:
                if tracked.deployment_id in found:
                    tracked.failures, tracked.error = 0, ""
                else:
                    # BatchGetDeployments silently omits IDs it does not know.
                    self.failed(tracked, "DeploymentDoesNotExistException", now, interval)

        list(map_(read_chunk, jobs))

    def failed(self, tracked: TrackedDeployment, code: str, now: float, interval: float) -> None:
        tracked.failures += 1
        tracked.retry_at = now + backoff(interval, tracked.failures)
        if tracked.error != code:
            log.warning(
                "event=deployment_unavailable deployment_id=%s error_code=%s", quote(tracked.deployment_id), code
            )
        tracked.error = code
