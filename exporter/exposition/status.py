"""The status page's model: what an on-call engineer asks first (what is deploying, what failed,
where, why, how far traffic has shifted), made from one poll's records.

`build` is pure: the app hands it the poller's records once per publish (never on the poll's
API path, never calling AWS) and keeps the result on the snapshot. `select` applies a request's
filters and the row limit to that model; it is cheap (rows are per deployment, not per target),
so filtered pages are made per request and the unfiltered one once per snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Generic, TypeVar
from urllib.parse import quote

from exporter.exposition.views import GroupView
from exporter.log import diagnostics_fields
from exporter.model import Deployment, Target

DEFAULT_ROWS = 100
FILTERS = ("account_id", "region", "application", "deployment_group", "deployment_id", "status")
# deploymentOverview's keys, in the order a progress bar shows them.
OVERVIEW_ORDER = ("Succeeded", "Failed", "InProgress", "Pending", "Skipped", "Ready")
_FAILING = frozenset({"Failed", "Stopped"})
_STATE_ORDER = {"failing": 0, "running": 1, "ok": 2, "unknown": 3}

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Scope:
    account_id: str
    region: str
    error: str  # the first API-wide error code of the last poll there; "" when it answered


@dataclass(frozen=True, slots=True)
class Header:
    version: str
    revision: str
    shard: int
    total_shards: int
    poll_interval: float
    last_poll: float | None  # when the last poll that brought data ended; None before one
    poll_health: str  # "ok", "waiting for the first poll", or what went wrong
    scopes: tuple[Scope, ...]  # failing ones first
    diagnostics: str  # --log.diagnostics: whether script output is shown
    # --web.external-url: where people reach the exporter, for the absolute links the page and
    # its JSON give (e.g. to one deployment); "" when not set: links are relative.
    external_url: str = ""


@dataclass(frozen=True, slots=True)
class GroupRow:
    account_id: str
    region: str
    application: str
    deployment_group: str
    platform: str
    state: str  # failing, running, ok, unknown: the page's order
    latest_deployment_id: str
    latest_status: str
    latest_time: float | None  # the latest attempted deployment's create time
    last_success: float | None  # end times
    last_failure: float | None
    # Deployments of the duration window left out of the phase histogram (their waits unknown);
    # None: no phase histogram for the group.
    phases_left_out: int | None = None


@dataclass(frozen=True, slots=True)
class Share:
    """One traffic weight of a target: an ECS task set, a Lambda alias or a CloudFormation
    resource's target version."""

    target_id: str
    name: str
    weight: float  # 0-1


@dataclass(frozen=True, slots=True)
class FailedTarget:
    target_id: str
    target_type: str
    status: str
    hook: str
    error_code: str
    script_name: str
    message: str  # "" unless --log.diagnostics=full (a script's output may hold secrets)
    log_tail: str


@dataclass(frozen=True, slots=True)
class DeploymentRow:
    account_id: str
    region: str
    application: str
    deployment_group: str
    deployment_id: str
    status: str
    platform: str
    creator: str
    created: float | None
    started: float | None
    completed: float | None
    targets: tuple[tuple[str, int], ...]  # deploymentOverview, in OVERVIEW_ORDER
    traffic: tuple[Share, ...]  # deployments in progress only: finished targets keep no weights
    current_hooks: tuple[str, ...]  # hooks in progress on its targets, most common first
    error_code: str
    error_message: str  # once per deployment, never per target
    notes: tuple[str, ...]  # status messages, rollback message, alarms switched off
    rollback_deployment_id: str
    rollback_triggering_deployment_id: str
    failed_targets: tuple[FailedTarget, ...]
    failed_targets_not_shown: int


@dataclass(frozen=True, slots=True)
class Section(Generic[R]):
    rows: tuple[R, ...]
    not_shown: int = 0  # rows the filters kept but the limit cut


@dataclass(frozen=True, slots=True)
class Filters:
    account_id: str = ""
    region: str = ""
    application: str = ""
    deployment_group: str = ""
    # One deployment (what an alert about it links to): its row, and its group's row.
    deployment_id: str = ""
    status: str = ""  # a group's latest status or a deployment's status, any case

    @classmethod
    def of(cls, query: Mapping[str, Sequence[str]]) -> Filters:
        """From parsed query parameters (urllib.parse.parse_qs); unknown ones are ignored."""
        return cls(**{name: (query.get(name) or [""])[0].strip() for name in FILTERS})

    def active(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def keeps(self, row: GroupRow | DeploymentRow) -> bool:
        """Whether a row passes every filter but a group row's deployment_id (see select)."""
        status = row.latest_status if isinstance(row, GroupRow) else row.status
        return (
            (not self.deployment_id or isinstance(row, GroupRow) or row.deployment_id == self.deployment_id)
            and (not self.account_id or row.account_id == self.account_id)
            and (not self.region or row.region == self.region)
            and (not self.application or row.application == self.application)
            and (not self.deployment_group or row.deployment_group == self.deployment_group)
            and (not self.status or status.lower() == self.status.lower())
        )


NO_FILTERS = Filters()


@dataclass(frozen=True, slots=True)
class Status:
    """Everything the page and the JSON show, sorted, every row kept (filters pick from it)."""

    header: Header
    generated: float  # when it was made: relative times are relative to this
    limit: int  # rows per section (and failed targets per deployment)
    groups: tuple[GroupRow, ...]
    running: tuple[DeploymentRow, ...]
    failed: tuple[DeploymentRow, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """A Status filtered and cut to its limit: what one request shows."""

    header: Header
    generated: float
    limit: int
    filters: Filters
    groups: Section[GroupRow]
    running: Section[DeploymentRow]
    failed: Section[DeploymentRow]


@dataclass(frozen=True, slots=True)
class Tracked:
    """One deployment as the app hands it over: its identity, record and the target records
    the page reads (all of them while it runs; the failed ones once it has finished)."""

    account_id: str
    region: str
    deployment: Deployment
    targets: Sequence[Target]


def deployment_notes(deployment: Deployment) -> tuple[str, ...]:
    """CodeDeploy's own words about a deployment beside its error: status messages, the
    rollback message, and alarms switched off for it."""
    notes = list(deployment.status_messages)
    if deployment.rollback_message:
        notes.append(f"rollback: {deployment.rollback_message}")
    override = deployment.alarm_override
    if override is not None and override.enabled is False:
        notes.append("CloudWatch alarms were off for this deployment")
    return tuple(notes)


def build(
    header: Header,
    generated: float,
    groups: Iterable[GroupView],
    deployments: Iterable[Tracked],
    limit: int = DEFAULT_ROWS,
    full_diagnostics: bool = False,
) -> Status:
    running: list[DeploymentRow] = []
    failed: list[DeploymentRow] = []
    tracked = list(deployments)
    for item in tracked:
        record = item.deployment
        if not record.terminal:
            running.append(_row(item, limit, full_diagnostics))
        elif record.status in _FAILING:
            failed.append(_row(item, limit, full_diagnostics))
    # Running: those already failing targets first, then the newest.
    running.sort(
        key=lambda r: (dict(r.targets).get("Failed", 0) == 0, -(r.started or r.created or 0.0), r.deployment_id)
    )
    failed.sort(key=lambda r: (-(r.completed or r.created or 0.0), r.deployment_id))
    rows = _group_rows(groups, tracked)
    rows.sort(
        key=lambda g: (
            _STATE_ORDER[g.state],
            -(g.latest_time or 0.0),
            g.account_id,
            g.region,
            g.application,
            g.deployment_group,
        )
    )
    return Status(header, generated, limit, tuple(rows), tuple(running), tuple(failed))


Row = TypeVar("Row", GroupRow, DeploymentRow)  # what filters pick from


def select(status: Status, filters: Filters = NO_FILTERS) -> Page:
    def section(rows: tuple[Row, ...]) -> Section[Row]:
        kept = [row for row in rows if filters.keeps(row)] if filters.active() else rows
        return Section(tuple(kept[: status.limit]), max(0, len(kept) - status.limit))

    running, failed = section(status.running), section(status.failed)
    group_rows = status.groups
    if filters.deployment_id:
        # A group row names no deployment but its latest: show the groups of the deployments kept.
        keys = {_group_key(row) for row in (*running.rows, *failed.rows)}
        group_rows = tuple(row for row in group_rows if _group_key(row) in keys)
    groups = section(group_rows)
    return Page(status.header, status.generated, status.limit, filters, groups, running, failed)


def deployment_query(deployment_id: str) -> str:
    """The page's query for one deployment: what an alert about it links to."""
    return "deployment_id=" + quote(deployment_id, safe="")


def _group_key(row: GroupRow | DeploymentRow) -> tuple[str, str, str, str]:
    return (row.account_id, row.region, row.application, row.deployment_group)


def with_header(status: Status, header: Header) -> Status:
    return replace(status, header=header)


def _row(item: Tracked, limit: int, full: bool) -> DeploymentRow:
    record = item.deployment
    overview = dict(record.overview)
    failed = sorted((t for t in item.targets if t.status == "Failed"), key=lambda t: t.target_id)
    return DeploymentRow(
        item.account_id,
        item.region,
        record.application,
        record.deployment_group,
        record.deployment_id,
        record.status,
        record.compute_platform,
        record.creator,
        record.create_time,
        record.start_time,
        record.complete_time,
        tuple((status, overview[status]) for status in OVERVIEW_ORDER if overview.get(status)),
        () if record.terminal else _traffic(item.targets),
        () if record.terminal else _current_hooks(item.targets),
        record.error_code,
        record.error_message,
        deployment_notes(record),
        record.rollback_deployment_id,
        record.rollback_triggering_deployment_id,
        tuple(_failed_target(t, full) for t in failed[:limit]),
        max(0, len(failed) - limit),
    )


def _failed_target(target: Target, full: bool) -> FailedTarget:
    # The same diagnostics the log shows (exporter.log.diagnostics_fields): script output only
    # with --log.diagnostics=full.
    shown = diagnostics_fields(target.failed_event(), full)
    return FailedTarget(
        target.target_id,
        target.target_type,
        target.status,
        shown["lifecycle_event"],
        shown["error_code"],
        shown["script_name"],
        shown.get("message", ""),
        shown.get("log_tail", ""),
    )


def _traffic(targets: Iterable[Target]) -> tuple[Share, ...]:
    shares = []
    for target in sorted(targets, key=lambda t: t.target_id):
        for task_set in target.task_sets:
            if task_set.traffic_weight is not None:
                name = " ".join(part for part in (task_set.label, task_set.status) if part) or task_set.id
                shares.append(Share(target.target_id, name, task_set.traffic_weight))
        function = target.lambda_function
        if function is not None and function.weight is not None:
            name = f"{function.function_name}:{function.function_alias} version {function.target_version}"
            shares.append(Share(target.target_id, name, function.weight))
        if target.cfn_weight is not None:
            shares.append(Share(target.target_id, target.cfn_resource_type or "target version", target.cfn_weight))
    return tuple(shares)


def _current_hooks(targets: Iterable[Target]) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for target in targets:
        for event in target.lifecycle_events:
            if event.status == "InProgress":
                counts[event.name] = counts.get(event.name, 0) + 1
    return tuple(sorted(counts, key=lambda name: (-counts[name], name)))


def _state(status: str) -> str:
    if status in _FAILING:
        return "failing"
    if not status:
        return "unknown"
    return "ok" if status == "Succeeded" else "running"


def _group_rows(views: Iterable[GroupView], tracked: Sequence[Tracked]) -> list[GroupRow]:
    rows: dict[tuple[str, str, str, str], GroupRow] = {}
    for view in views:
        record, latest = view.record, view.last_attempted
        status = latest.status if latest else ""
        rows[(view.account, view.region, view.application, view.deployment_group)] = GroupRow(
            view.account,
            view.region,
            view.application,
            view.deployment_group,
            record.compute_platform if record else "",
            _state(status),
            latest.deployment_id if latest else "",
            status,
            latest.create_time if latest else None,
            view.last_success_end,
            view.last_failure_end,
            view.dora.phases.left_out if view.dora is not None and view.dora.phases is not None else None,
        )
    # Groups of deployments followed on their own (`deployments:`, `targets:`) have no group
    # state: their rows come from the deployments tracked.
    derived: dict[tuple[str, str, str, str], list[Deployment]] = {}
    for item in tracked:
        deployment = item.deployment
        key = (item.account_id, item.region, deployment.application, deployment.deployment_group)
        if key not in rows:
            derived.setdefault(key, []).append(deployment)
    for key, records in derived.items():
        latest_record = max(records, key=lambda d: (d.create_time or 0.0, d.deployment_id))
        rows[key] = GroupRow(
            *key,
            latest_record.compute_platform,
            _state(latest_record.status),
            latest_record.deployment_id,
            latest_record.status,
            latest_record.create_time,
            _last_end(records, "Succeeded"),
            _last_end(records, "Failed"),
        )
    return list(rows.values())


def _last_end(records: Iterable[Deployment], status: str) -> float | None:
    ends = [d.complete_time for d in records if d.status == status and d.complete_time is not None]
    return max(ends) if ends else None
