"""What the renderer is handed: one immutable view per target, deployment and deployment
group (a record plus its rendered identity labels), and the per-lifecycle-event aggregates
over a deployment's targets. The family table's sample functions read these."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from exporter.exposition.families.base import Level, identity_prefix
from exporter.model import Deployment, GroupRecord, Histogram, LastDeployment, Target


@dataclass(frozen=True, slots=True)
class TargetView:
    """What the renderer needs of one tracked target."""

    key: Hashable  # stable while the target is tracked
    prefix: str  # its identity labels (Level.TARGET), rendered
    target: Target | None
    success: bool
    frozen: bool = False
    deployment_finished: bool = False
    deployment_key: Hashable | None = None  # the DeploymentView.key its aggregates go to

    @property
    def owner(self) -> Hashable:
        """The DeploymentView.key whose aggregates count this target."""
        if self.deployment_key is not None:
            return self.deployment_key
        # Without one: the deployment ID, which deployment_view() uses as its key.
        return self.target.deployment_id if self.target is not None else None


@dataclass(frozen=True, slots=True)
class DeploymentView:
    key: Hashable
    prefix: str  # its identity labels (Level.DEPLOYMENT), rendered
    deployment: Deployment


@dataclass
class HookAggregate:
    """One lifecycle event over the targets of one deployment."""

    counts: dict[str, int] = field(default_factory=dict)
    duration_sum: float = 0.0
    duration_count: int = 0
    duration_max: float = 0.0


def aggregate_hooks(targets: Iterable[Target | None]) -> dict[str, HookAggregate]:
    hooks: dict[str, HookAggregate] = {}
    for target in targets:
        if target is None:
            continue
        seen: set[str] = set()
        for event in target.lifecycle_events:
            if event.name in seen:
                continue
            seen.add(event.name)
            agg = hooks.get(event.name)
            if agg is None:
                agg = hooks[event.name] = HookAggregate()
            agg.counts[event.status] = agg.counts.get(event.status, 0) + 1
            if event.start is not None and event.end is not None:
                duration = event.end - event.start
                agg.duration_sum += duration
                agg.duration_count += 1
                if agg.duration_count == 1 or duration > agg.duration_max:
                    agg.duration_max = duration
    return hooks


def deployment_view(deployment: Deployment, account_id: str = "", region: str = "") -> DeploymentView:
    prefix = identity_prefix(
        Level.DEPLOYMENT,
        account_id,
        region,
        deployment.application,
        deployment.deployment_group,
        deployment.deployment_id,
    )
    return DeploymentView(deployment.deployment_id, prefix, deployment)


@dataclass(frozen=True)
class GroupView:
    """What the renderer needs of one group (immutable: compared to skip re-rendering)."""

    account: str
    region: str
    application: str
    deployment_group: str
    record: GroupRecord | None
    last_attempted: LastDeployment | None
    last_success_end: float | None
    last_failure_end: float | None
    totals: tuple[tuple[tuple[str, str], int], ...] | None  # None: counters not kept
    durations: tuple[tuple[str, Histogram], ...] | None


def group_prefix(view: GroupView) -> str:
    return identity_prefix(Level.DEPLOYMENT_GROUP, view.account, view.region, view.application, view.deployment_group)
