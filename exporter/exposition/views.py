"""What the renderer is handed: one immutable view per target, deployment and deployment
group (a record plus its rendered identity labels), and the per-lifecycle-event aggregates
over a deployment's targets. The family table's sample functions read these."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from exporter.exposition.families.base import Level, identity_prefix
from exporter.group_figures import DoraView
from exporter.model import Deployment, GroupRecord, Histogram, HookAggregate, HookHistogram, LastDeployment, Target


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
    # Its per-hook aggregates when they were made once and kept (a finished deployment whose
    # targets are settled, exporter.collect.targets); None: made from its targets' records.
    hooks: Mapping[str, HookAggregate] | None = None


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
    # metrics.group_tags: (label name, value) in the config's order; None: not configured.
    tags: tuple[tuple[str, str], ...] | None = None
    lead_times: Histogram | None = None  # metrics.lead_time, listed groups only
    # Per lifecycle event, its durations over the targets of the group's finished deployments
    # held (exporter.collect.hook_history); None: not kept (metrics.lifecycle_event_history).
    hook_durations: tuple[tuple[str, HookHistogram], ...] | None = None
    dora: DoraView | None = None  # listed groups: exporter.collect.history


def group_prefix(view: GroupView) -> str:
    return identity_prefix(Level.DEPLOYMENT_GROUP, view.account, view.region, view.application, view.deployment_group)
