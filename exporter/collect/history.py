"""Each listed group's history: one small record (dora_rules.Entry) per finished deployment of
the longest DORA window (or metrics.duration_window, if longer), the source of the DORA
counters, the recovery histogram, the restart-proof window gauges and the work/waiting
histogram (exporter.collect.phases).

Filled once per group at start: ListDeployments of the group's finished deployments created
within the longest window plus a day (HISTORY_SLACK: a deployment that ran long still counts
in the window it completed in), then BatchGetDeployments of those the poll has not read already.
Deployment records only, never their targets; they are not followed nor exported one by one.
Then rolled forward by every deployment record a poll reads.

Why gauges computed from history rather than counters seeded at start: a counter whose first
value already holds history is read by increase() over a restart as all new (the reset makes
the post-restart value count from 0), so it double counts; a gauge of the window's figure is
the same number before and after a restart, without long Prometheus retention.

Counters and the histogram count what the exporter sees happen: a change when it finishes,
a change failure when its remediation (or the change itself) finishes, a recovery when the
Succeeded deployment that ends the streak finishes, never history read at start.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from exporter.aws.codedeploy import BATCH_DEPLOYMENTS_MAX, CodeDeployApi
from exporter.aws.errors import ApiError
from exporter.aws.parse import parse_deployment
from exporter.aws.parse_errors import parse_each
from exporter.collect.dora_rules import Entry, Failure, change_failures, entry_of, recoveries
from exporter.collect.keys import GroupRef, backoff, chunks
from exporter.collect.outages import Outages
from exporter.collect.phases import Watch, observed, watch
from exporter.config import AwsSettings
from exporter.config.fields import parse_duration
from exporter.group_figures import (
    CAUSES,
    PHASE_BUCKETS,
    PHASE_STATUSES,
    PHASES,
    WINDOW_STATUSES,
    DoraView,
    PhaseHistograms,
    RecoveryHistogram,
    WindowFigures,
)
from exporter.model import COUNTED_STATUSES, Deployment
from exporter.workers import PoolMap

HISTORY_SLACK = 86400.0
# A bound on memory whatever the deployment rate: the oldest records go first (a group with
# more finished deployments than this in the longest window sees its oldest figures cut).
MAX_ENTRIES_PER_GROUP = 20_000
_ZERO = (0,) * (len(WINDOW_STATUSES) + 2)


@dataclass
class GroupHistory:
    first_poll: int
    started_at: float  # finished before this (the first poll, less an interval): history
    entries: dict[str, Entry] = field(default_factory=dict)
    # Seen unfinished: counted when it finishes; how reads saw it wait (exporter.collect.phases).
    running: dict[str, Watch] = field(default_factory=dict)
    reach: float = -1.0  # how far back (seconds) the history has been read; -1: not yet
    failures: int = 0
    retry_at: float = 0.0
    dirty: bool = True
    changes: int = 0
    failed_changes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CAUSES, 0))
    recovery: RecoveryHistogram = RecoveryHistogram()
    causes: dict[str, Failure] = field(default_factory=dict)
    windows: tuple[WindowFigures, ...] | None = None
    # For the windows, remade when the entries change: complete times in order, and the running
    # totals (per WINDOW_STATUSES, changes, change failures) up to each, so that a window is
    # two bisections whatever the number of entries.
    completes: list[float] = field(default_factory=list)
    totals: list[tuple[int, ...]] = field(default_factory=lambda: [_ZERO])
    oldest: float = math.inf  # the smallest entry order: nothing to prune before it
    ended: list[str] = field(default_factory=list)  # entry IDs in `completes` order
    indexed: int = 0  # how many times the index was remade: what `phases` was made from
    phases: PhaseHistograms | None = None
    phases_of: tuple[int, int, int] = (-1, 0, 0)  # (indexed, first, last) of `ended` it describes

    def add(self, record: Deployment, new: bool, seen: tuple[float, ...] | None = None) -> None:
        old = self.entries.get(record.deployment_id)
        if old is not None:
            # A finished record changes only by its rollback links (a rollback made later).
            links = (
                record.rollback_deployment_id or old.rolled_back_by,
                record.rollback_triggering_deployment_id or old.rolls_back,
            )
            if links != (old.rolled_back_by, old.rolls_back):
                old.rolled_back_by, old.rolls_back = links
                self.dirty = True
            return
        entry = self.entries[record.deployment_id] = entry_of(record, new, seen)
        self.oldest = min(self.oldest, entry.order[0])
        self.dirty = True


def reach(windows: Iterable[str], duration_window: float = 0.0) -> float:
    """How far back (create time) the history is read at start: the longest window (or the
    duration window, when longer) plus HISTORY_SLACK; 0 without either (nothing is read, the
    history holds what polls read)."""
    lengths = [parse_duration(w) for w in windows] + ([duration_window] if duration_window > 0 else [])
    return max(lengths) + HISTORY_SLACK if lengths else 0.0


class History:
    def __init__(self) -> None:
        self.groups: dict[GroupRef, GroupHistory] = {}

    def sync(self, listed: Iterable[GroupRef], poll: int, now: float, interval: float) -> None:
        """Keep the listed groups' histories; a group newly listed starts one (read at start)."""
        # One interval of slack, as group state: AWS's clock and ours need not agree to the second.
        self.groups = {ref: self.groups.get(ref) or GroupHistory(poll, now - interval) for ref in listed}

    def observe(self, fetched: Iterable[tuple[AwsSettings, Deployment]], poll: int, now: float) -> None:
        """Roll forward: every deployment record read this poll (at `now`)."""
        for aws, record in fetched:
            history = self.groups.get((aws, record.application, record.deployment_group))
            if history is None:
                continue
            deployment_id = record.deployment_id
            if not record.terminal:
                seen = history.running.get(deployment_id)
                if seen is None:
                    seen = history.running[deployment_id] = watch(record.status)
                seen.see(record.status, now)
                continue
            end = record.complete_time
            new = deployment_id in history.running or (
                poll != history.first_poll and (end is None or end >= history.started_at)
            )
            history.add(record, new, observed(history.running.pop(deployment_id, None)))

    def read_due(
        self,
        map_: PoolMap,
        api_for: Callable[[AwsSettings], CodeDeployApi],
        outages: Outages,
        now: float,
        back: float,
        interval: float,
    ) -> None:
        """Read the history of each group not read that far back yet (at start, or after a
        reload made the longest window longer): its deployments finished and created within
        `back` seconds, those not read already. Without windows (`back` 0), nothing is read."""
        if back <= 0:
            for history in self.groups.values():
                history.reach = max(history.reach, 0.0)
            return
        due = [ref for ref, h in self.groups.items() if h.reach < back and h.retry_at <= now]

        def read(ref: GroupRef) -> None:
            aws, application, group = ref
            history = self.groups[ref]
            try:
                api = api_for(aws)
                ids = api.list_deployments(application, group, now - back, COUNTED_STATUSES)
                unread = [i for i in dict.fromkeys(ids) if i not in history.entries]
                for chunk in chunks(unread, BATCH_DEPLOYMENTS_MAX):
                    raw = api.batch_get_deployments(chunk)
                    for record in parse_each(raw, parse_deployment, api.parse_errors, "BatchGetDeployments"):
                        if record.terminal and (record.application, record.deployment_group) == (application, group):
                            seen = history.running.pop(record.deployment_id, None)
                            history.add(record, seen is not None, observed(seen))
            except ApiError as exc:
                outages.note(exc, f"history of {application}/{group}")
                history.failures += 1
                history.retry_at = now + backoff(interval, history.failures)
                return
            history.reach, history.failures, history.dirty = back, 0, True

        list(map_(read, due))

    def update(self, now: float, windows: tuple[str, ...], change_window: float, duration_window: float = 0.0) -> None:
        """Forget what is older than the history's reach, count what is new, make the windows
        and, with a `duration_window`, the phase histograms."""
        wanted = reach(windows, duration_window)
        # Without windows, still long enough to see a change's redeploy and the revision before.
        since = now - max(wanted, change_window + HISTORY_SLACK)
        lengths = [(w, parse_duration(w)) for w in windows]
        for history in self.groups.values():
            if history.oldest < since or len(history.entries) > MAX_ENTRIES_PER_GROUP:
                _prune(history, since)
            # Seen running, then no longer read (no longer followed): unread for as long as the
            # history reaches, its watch can no longer tell anything a record would not.
            history.running = {i: w for i, w in history.running.items() if w.last >= since}
            if history.reach < wanted:
                continue  # not read back that far yet: no figure rather than a short one
            if history.dirty:
                _count(history, change_window)
                _index(history)
            history.windows = tuple(_window(history, label, now - length, now) for label, length in lengths)
            history.phases = _phases(history, now - duration_window, now) if duration_window > 0 else None

    def view(self, ref: GroupRef) -> DoraView | None:
        history = self.groups.get(ref)
        if history is None:
            return None
        failures = tuple((cause, history.failed_changes[cause]) for cause in CAUSES)
        return DoraView(history.changes, failures, history.recovery, history.windows, history.phases)


def _prune(history: GroupHistory, since: float) -> None:
    entries = history.entries
    old = [i for i, e in entries.items() if e.order[0] < since]
    if len(entries) - len(old) > MAX_ENTRIES_PER_GROUP:
        kept = sorted((e.order, i) for i, e in entries.items() if e.order[0] >= since)
        old += [i for _, i in kept[: len(kept) - MAX_ENTRIES_PER_GROUP]]
    for i in old:
        del entries[i]
    history.oldest = min((e.order[0] for e in entries.values()), default=math.inf)
    history.dirty = history.dirty or bool(old)


def _count(history: GroupHistory, change_window: float) -> None:
    entries = history.entries
    history.causes = change_failures(list(entries.values()), change_window)
    recovered = recoveries(entries.values())
    for deployment_id, entry in entries.items():
        if entry.is_change and not entry.change_counted:
            entry.change_counted = True
            history.changes += entry.new
        failure = history.causes.get(deployment_id)
        if failure is not None and not entry.failure_counted:
            entry.failure_counted = True
            remediation = entries.get(failure.remediation)
            if entry.new or (remediation is not None and remediation.new):
                history.failed_changes[failure.cause] += 1
        seconds = recovered.get(deployment_id)
        if seconds is not None and not entry.recovery_counted:
            entry.recovery_counted = True
            if entry.new:
                history.recovery = history.recovery.observe(seconds)
    history.dirty = False


def _index(history: GroupHistory) -> None:
    ended = sorted((e.complete, i) for i, e in history.entries.items() if e.complete is not None)
    running = [0] * (len(WINDOW_STATUSES) + 2)
    totals = [tuple(running)]
    for _, deployment_id in ended:
        entry = history.entries[deployment_id]
        if entry.status in WINDOW_STATUSES:
            running[WINDOW_STATUSES.index(entry.status)] += 1
        if entry.is_change:
            running[-2] += 1
            running[-1] += deployment_id in history.causes
        totals.append(tuple(running))
    history.completes = [complete for complete, _ in ended]
    history.ended = [deployment_id for _, deployment_id in ended]
    history.totals = totals
    history.indexed += 1


def _window(history: GroupHistory, label: str, start: float, end: float) -> WindowFigures:
    """The figures of the deployments completed in (start, end]."""
    first = history.totals[bisect.bisect_right(history.completes, start)]
    last = history.totals[bisect.bisect_right(history.completes, end)]
    counts = [b - a for a, b in zip(first, last, strict=True)]
    statuses = tuple(zip(WINDOW_STATUSES, counts, strict=False))
    return WindowFigures(label, statuses, counts[-2], counts[-1])


def _phases(history: GroupHistory, start: float, end: float) -> PhaseHistograms:
    """The phase histograms of the deployments completed in (start, end], made again only when
    the index or the window's members changed."""
    first = bisect.bisect_right(history.completes, start)
    last = bisect.bisect_right(history.completes, end)
    key = (history.indexed, first, last)
    if history.phases is not None and history.phases_of == key:
        return history.phases
    width = len(PHASE_BUCKETS) + 1
    counts = [[0] * width for _ in range(len(PHASES) * len(PHASE_STATUSES))]
    left_out = 0
    for deployment_id in history.ended[first:last]:
        entry = history.entries[deployment_id]
        if entry.status not in PHASE_STATUSES:
            continue
        if entry.phases is None:
            left_out += 1
            continue
        row = PHASE_STATUSES.index(entry.status)
        for i, seconds in enumerate((entry.phases.active, entry.phases.waiting)):
            if seconds is not None:  # waiting None: it never waited, no observation of waiting
                counts[i * len(PHASE_STATUSES) + row][bisect.bisect_left(PHASE_BUCKETS, seconds)] += 1
    cumulative = tuple(tuple(_running_sum(c)) for c in counts)
    history.phases_of = key
    return PhaseHistograms(cumulative, left_out)


def _running_sum(counts: list[int]) -> list[int]:
    total, out = 0, []
    for n in counts:
        total += n
        out.append(total)
    return out
