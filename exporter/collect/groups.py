"""Group state: what each followed deployment group looks like and how its deployments ended.

Two inputs. BatchGetDeploymentGroups (one application per call, up to 100 groups), for a group
when it is first followed and then once per `poll.group_refresh`: its configuration and the
API's lastAttemptedDeployment / lastSuccessfulDeployment, right from the first poll after a
restart. And every deployment record the poll read: newer than the API's view between group
refreshes, and the only source of the last failure and of the DORA counters.

Counting rule: a deployment is counted once, when it is seen terminal, if it was seen running
before or first seen after the group's first poll. What finished before that poll is not
counted (counters start at 0 like every Prometheus counter; `increase()` handles it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from exporter.aws.codedeploy import BATCH_GROUPS_MAX, CodeDeployApi
from exporter.aws.errors import ApiError
from exporter.aws.parse import parse_deployment_group
from exporter.aws.parse_errors import parse_each
from exporter.collect.keys import chunks
from exporter.collect.outages import Outages
from exporter.config import AwsSettings
from exporter.exposition.views import GroupView
from exporter.group_figures import DoraView
from exporter.model import COUNTED_STATUSES, EMPTY_HISTOGRAM, Deployment, GroupRecord, Histogram, LastDeployment
from exporter.workers import PoolMap

GroupRef = tuple[AwsSettings, str, str]  # aws settings, application, deployment group


@dataclass
class GroupState:
    account: str
    region: str
    listed: bool  # a source lists every deployment of the group, so counters are complete
    first_poll: int
    started_at: float
    record: GroupRecord | None = None
    retry_at: float = 0.0
    failures: int = 0
    newest_seen: Deployment | None = None
    last_success_seen: float | None = None
    last_failure: float | None = None
    # Seen unfinished -> the last read that saw it so; forgotten, as `done`, once no read has
    # seen it for forget_after (no longer followed): a deployment that stops being read while
    # running would otherwise stay for the life of the process.
    running: dict[str, float] = field(default_factory=dict)
    done: dict[str, float] = field(default_factory=dict)  # counted (or baseline) -> when
    totals: dict[tuple[str, str], int] = field(default_factory=dict)
    durations: dict[str, Histogram] = field(default_factory=dict)


class GroupStates:
    def __init__(self) -> None:
        self.states: dict[GroupRef, GroupState] = {}
        # Told of each deployment as it is counted (lead time: exporter.collect.lead_time).
        self.on_counted: Callable[[GroupRef, Deployment], None] | None = None

    def sync(
        self,
        wanted: dict[GroupRef, bool],
        identity: Callable[[AwsSettings], tuple[str, str]],
        poll: int,
        now: float,
        interval: float,
    ) -> None:
        states = {}
        for ref, listed in wanted.items():
            state = self.states.get(ref)
            if state is None:
                account, region = identity(ref[0])
                # One interval of slack: AWS's clock and ours need not agree to the second.
                state = GroupState(account, region, listed, poll, now - interval)
            elif listed and not state.listed:
                state.listed, state.first_poll, state.started_at = True, poll, now - interval
                state.totals, state.durations, state.running, state.done = {}, {}, {}, {}
            state.listed = listed
            # An account id learned late (STS answered after a failure) relabels the group.
            state.account, state.region = identity(ref[0])
            states[ref] = state
        self.states = states

    def read_due(
        self,
        map_: PoolMap,
        api_for: Callable[[AwsSettings], CodeDeployApi],
        outages: Outages,
        now: float,
        every: float,
        interval: float,
    ) -> None:
        """BatchGetDeploymentGroups for the groups that are due, one application per call."""
        due: dict[tuple[AwsSettings, str], list[str]] = {}
        for (aws, application, group), state in self.states.items():
            if state.retry_at <= now:
                due.setdefault((aws, application), []).append(group)
        jobs = [
            (aws, app, names)
            for (aws, app), groups in due.items()
            for names in chunks(sorted(groups), BATCH_GROUPS_MAX)
        ]

        def fetch(job: tuple[AwsSettings, str, list[str]]) -> None:
            aws, application, names = job
            try:
                api = api_for(aws)
                raw = api.batch_get_deployment_groups(application, names)
            except ApiError as exc:
                if exc.code not in ("ApplicationDoesNotExistException", "DeploymentGroupDoesNotExistException"):
                    outages.note(exc, f"group state of {application}")
                for name in names:
                    state = self.states[(aws, application, name)]
                    state.failures += 1
                    state.retry_at = now + min(every, interval * 2 ** (state.failures - 1)) - 1e-6
                return
            parsed = parse_each(raw, parse_deployment_group, api.parse_errors, "BatchGetDeploymentGroups")
            records = {r.deployment_group: r for r in parsed}
            for name in names:
                state = self.states[(aws, application, name)]
                state.record = records.get(name)  # a deleted group drops its info
                state.failures, state.retry_at = 0, now + every - 1e-6

        list(map_(fetch, jobs))

    def observe(
        self, fetched: Iterable[tuple[AwsSettings, Deployment]], poll: int, now: float, forget_after: float
    ) -> None:
        """Feed every deployment record read this poll (once each, in any order)."""
        for aws, record in fetched:
            ref = (aws, record.application, record.deployment_group)
            state = self.states.get(ref)
            if state is not None and _observe(state, record, poll, now) and self.on_counted is not None:
                self.on_counted(ref, record)
        for state in self.states.values():
            state.done = {i: t for i, t in state.done.items() if t + forget_after >= now}
            state.running = {i: t for i, t in state.running.items() if t + forget_after >= now}

    def views(
        self,
        extend: Callable[[GroupRef, GroupView], GroupView] | None = None,
        dora: Callable[[GroupRef], DoraView | None] = lambda ref: None,
    ) -> list[GroupView]:
        """One view per group; `extend` adds what other parts keep of it (tags, lead time), `dora`
        a listed group's DORA figures."""
        views = ((ref, _view(ref, state, dora(ref) if state.listed else None)) for ref, state in self.states.items())
        return [view if extend is None else extend(ref, view) for ref, view in views]


def _observe(state: GroupState, record: Deployment, poll: int, now: float) -> bool:
    """Feed one record; True when it is counted now."""
    newest = state.newest_seen
    # Ties on create time go to the greater ID, so the answer does not depend on read order.
    if (
        newest is None
        or newest.deployment_id == record.deployment_id
        or (record.create_time or 0.0, record.deployment_id) > (newest.create_time or 0.0, newest.deployment_id)
    ):
        state.newest_seen = record
    end = record.complete_time
    if record.status == "Succeeded" and end is not None:
        state.last_success_seen = max(state.last_success_seen or end, end)
    if record.status == "Failed" and end is not None:
        state.last_failure = max(state.last_failure or end, end)
    deployment_id = record.deployment_id
    if not record.terminal:
        state.running[deployment_id] = now
        return False
    if deployment_id in state.done:
        return False
    was_running = deployment_id in state.running
    state.running.pop(deployment_id, None)
    state.done[deployment_id] = state.started_at if poll == state.first_poll else (end or 0.0)
    new = poll != state.first_poll and (end is None or end >= state.started_at)
    if not state.listed or not (was_running or new):
        return False  # finished before the group's first poll: history, not counted
    key = (record.status, record.creator)
    state.totals[key] = state.totals.get(key, 0) + 1
    if record.create_time is not None and end is not None:
        histogram = state.durations.get(record.status, EMPTY_HISTOGRAM)
        state.durations[record.status] = histogram.observe(max(0.0, end - record.create_time))
    return True


def _last_attempted(state: GroupState) -> LastDeployment | None:
    api = state.record.last_attempted if state.record else None
    seen = state.newest_seen
    mine = (
        None if seen is None else LastDeployment(seen.deployment_id, seen.status, seen.create_time, seen.complete_time)
    )
    if api is None or mine is None:
        return mine or api
    if api.deployment_id == mine.deployment_id:
        # The later of the two reads: a finished one never goes back to running.
        return api if api.status in COUNTED_STATUSES and mine.status not in COUNTED_STATUSES else mine
    newer = (mine.create_time or 0.0, mine.deployment_id) > (api.create_time or 0.0, api.deployment_id)
    return mine if newer else api


def _view(ref: GroupRef, state: GroupState, dora: DoraView | None) -> GroupView:
    api_success = state.record.last_success if state.record else None
    ends = [t for t in (api_success.end_time if api_success else None, state.last_success_seen) if t is not None]
    return GroupView(
        account=state.account,
        region=state.region,
        application=ref[1],
        deployment_group=ref[2],
        record=state.record,
        last_attempted=_last_attempted(state),
        last_success_end=max(ends) if ends else None,
        last_failure_end=state.last_failure,
        totals=tuple(sorted(state.totals.items())) if state.listed else None,
        durations=tuple(sorted(state.durations.items())) if state.listed else None,
        dora=dora,
    )
