"""Lead time (register -> deploy) for `metrics.lead_time`: for each Succeeded deployment group
state counts (exporter.collect.groups: once, listed groups only), the time from its revision's
registerTime to its completeTime, in a histogram per group.

registerTime is read once per revision: the revisions not yet known are asked about with
BatchGetApplicationRevisions, one application and up to 25 revisions per call, right after the
poll's deployments are counted; what it answers (a time, or none: not registered) is kept in a
bounded cache by revision. A deployment whose revision cannot be asked about (String,
AppSpecContent) or has no registerTime is not observed. A failed call leaves its deployments
pending to the next poll, a bounded number of times.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from exporter.aws.codedeploy import BATCH_REVISIONS_MAX, CodeDeployApi
from exporter.aws.errors import ApiError
from exporter.aws.revisions import RevisionKey, register_times, revision_location
from exporter.collect.keys import GroupRef, chunks
from exporter.collect.outages import Outages
from exporter.config import AwsSettings
from exporter.model import EMPTY_LEAD_TIMES, Deployment, Histogram, observe_lead_time
from exporter.workers import PoolMap

CACHE_MAX = 10_000  # revisions whose registerTime (or its absence) is kept
PENDING_MAX = 10_000  # deployments waiting for their revision's registerTime
ATTEMPTS_MAX = 5  # polls a deployment waits through failed calls before it is given up
_CacheKey = tuple[AwsSettings, str, RevisionKey]  # settings, application, revision


@dataclass
class _Pending:
    ref: GroupRef
    key: RevisionKey
    location: dict[str, object]
    complete_time: float
    attempts: int = 0


class LeadTimes:
    def __init__(self) -> None:
        self.histograms: dict[GroupRef, Histogram] = {}
        self.pending: list[_Pending] = []
        self.register_times: OrderedDict[_CacheKey, float | None] = OrderedDict()

    def counted(self, ref: GroupRef, record: Deployment) -> None:
        """A deployment group state has just counted (groups.GroupStates' hook)."""
        if record.status != "Succeeded" or record.complete_time is None:
            return
        named = revision_location(record.revision)
        if named is not None and len(self.pending) < PENDING_MAX:
            self.pending.append(_Pending(ref, named[0], dict(named[1]), record.complete_time))

    def sync(self, refs: set[GroupRef]) -> None:
        """The listed groups followed now: each has a histogram, present (empty) from its first
        poll so rate() and increase() see its first observation; others are forgotten."""
        self.histograms = {ref: self.histograms.get(ref, EMPTY_LEAD_TIMES) for ref in refs}
        self.pending = [p for p in self.pending if p.ref in refs]

    def resolve(self, map_: PoolMap, api_for: Callable[[AwsSettings], CodeDeployApi], outages: Outages) -> None:
        """Ask for the registerTime of unknown revisions, then observe what can be."""
        unknown: dict[tuple[AwsSettings, str], dict[RevisionKey, dict[str, object]]] = {}
        for p in self.pending:
            aws, application, _ = p.ref
            if (aws, application, p.key) not in self.register_times:
                unknown.setdefault((aws, application), {})[p.key] = p.location
        jobs = [
            (aws, application, batch)
            for (aws, application), revisions in unknown.items()
            for batch in chunks(list(revisions.items()), BATCH_REVISIONS_MAX)
        ]

        def fetch(
            job: tuple[AwsSettings, str, list[tuple[RevisionKey, dict[str, object]]]],
        ) -> list[tuple[_CacheKey, float | None]]:
            aws, application, batch = job
            try:
                answer = api_for(aws).batch_get_application_revisions(application, [loc for _, loc in batch])
            except ApiError as exc:
                outages.note(exc, f"revisions of {application}")
                return []
            times = register_times(answer)
            # A revision asked about and not answered is not registered: no time.
            return [((aws, application, key), times.get(key)) for key, _ in batch]

        for answered in map_(fetch, jobs):
            for cache_key, registered in answered:
                self.register_times[cache_key] = registered
        waiting = []
        for p in self.pending:
            aws, application, _ = p.ref
            cache_key = (aws, application, p.key)
            if cache_key not in self.register_times:
                p.attempts += 1
                if p.attempts < ATTEMPTS_MAX:
                    waiting.append(p)
                continue
            registered = self.register_times[cache_key]
            self.register_times.move_to_end(cache_key)
            if registered is not None:
                histogram = self.histograms.get(p.ref, EMPTY_LEAD_TIMES)
                self.histograms[p.ref] = observe_lead_time(histogram, max(0.0, p.complete_time - registered))
        self.pending = waiting
        # Bounded after use, least recently used first: nothing answered this poll is lost.
        while len(self.register_times) > CACHE_MAX:
            self.register_times.popitem(last=False)
