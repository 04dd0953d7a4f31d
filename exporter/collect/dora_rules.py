"""The DORA rules over one group's finished deployments, pure (no I/O, no clock).

- reached users: a deployment reached users if it Succeeded, or if it Failed/Stopped after
  traffic reached users, which only the deployment record can say (its targets are not read
  for history): per platform in `reached_users`.
- a change: a deployment that reached users, automatic rollbacks (CodeDeploy's own,
  linked by rollbackInfo) excepted: they restore a revision, they change nothing new.
- a change failure: a change that was remediated, either rolled back by CodeDeploy
  (rollbackInfo on either side) or followed, as the group's next change, by a deployment of
  an earlier revision (one an earlier deployment of the group delivered) within the window.
- recovery: from the completion of the first Failed/Stopped deployment of a streak to the
  completion of the next Succeeded one.

docs/monitoring.md states the same rules for users; the tests check them against simulator
histories whose truth the tests build themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from exporter.collect.phases import Phases, phases_of
from exporter.model import Deployment

ROLLBACK_CREATOR = "codeDeployRollback"


def reached_users(record: Deployment) -> bool:
    """Whether the deployment's new revision served users, from the deployment record alone
    (so the answer is the same for a deployment followed live and one read at start)."""
    if record.status == "Succeeded":
        return True
    if record.status not in ("Failed", "Stopped"):
        return False
    # No platform said: the API's default, EC2/on-premises.
    if record.compute_platform in ("Server", "") and record.deployment_type != "BLUE_GREEN":
        # In place: an instance that completed the deployment serves the new revision.
        return dict(record.overview).get("Succeeded", 0) > 0
    # Blue/green (EC2, ECS): the wait before the original fleet or task set is terminated
    # starts only once production traffic has moved to the replacement.
    if record.termination_wait_started is True:
        return True
    # ECS and Lambda shift traffic with no trace in the record; a deployment stopped by one of
    # its CloudWatch alarms is taken to have been serving the users those alarms watch.
    return record.compute_platform in ("ECS", "Lambda") and record.error_code == "ALARM_ACTIVE"


@dataclass(slots=True)
class Entry:
    """One finished deployment of a group, as the history keeps it (a small record: a group
    holds one per deployment of the longest window and metrics.duration_window). Create,
    start and complete times are kept for windowed duration histograms too."""

    deployment_id: str
    create: float | None
    start: float | None
    complete: float | None
    status: str
    creator: str
    # hash() of the deployment's Revision record: equal revisions, equal keys (a 64-bit hash:
    # a collision is as unlikely as it is harmless), without keeping the revision's strings.
    revision: int | None
    rolled_back_by: str  # rollbackInfo.rollbackDeploymentId: CodeDeploy rolled this one back
    rolls_back: str  # rollbackInfo.rollbackTriggeringDeploymentId: this one is a rollback
    reached: bool
    new: bool  # seen finishing while the exporter ran (counters count it), not history
    change_counted: bool = False
    failure_counted: bool = False
    recovery_counted: bool = False
    # Work and waiting (exporter.collect.phases), None when unknown; and the read times that saw
    # it begin and end a wait, when it was followed running (None: read finished).
    phases: Phases | None = None
    observed: tuple[float, ...] | None = None

    @property
    def is_rollback(self) -> bool:
        return bool(self.rolls_back) or self.creator == ROLLBACK_CREATOR

    @property
    def is_change(self) -> bool:
        return self.reached and not self.is_rollback

    @property
    def order(self) -> tuple[float, str]:
        return (self.create if self.create is not None else self.complete or 0.0, self.deployment_id)


def entry_of(record: Deployment, new: bool, observed: tuple[float, ...] | None = None) -> Entry:
    entry = Entry(
        record.deployment_id,
        record.create_time,
        record.start_time,
        record.complete_time,
        sys.intern(record.status),  # a handful of values: one string each, not one per entry
        sys.intern(record.creator),
        hash(record.revision) if record.revision is not None else None,
        record.rollback_deployment_id,
        record.rollback_triggering_deployment_id,
        reached_users(record),
        new,
    )
    entry.phases, entry.observed = phases_of(record, observed), observed
    return entry


@dataclass(frozen=True, slots=True)
class Failure:
    cause: str  # "rollback" or "redeploy"
    remediation: str  # the deployment that remediated it ("" when only the change names it)


def change_failures(entries: Sequence[Entry], window: float) -> dict[str, Failure]:
    """Change ID -> how it was remediated, for the changes that were."""
    rolled_back = {e.rolls_back: e.deployment_id for e in entries if e.rolls_back}
    ordered = sorted(entries, key=lambda e: e.order)
    first: dict[int, int] = {}  # revision -> index of the first deployment that delivered it
    for i, e in enumerate(ordered):
        if e.reached and e.revision is not None:
            first.setdefault(e.revision, i)
    failures: dict[str, Failure] = {}
    changes = [i for i, e in enumerate(ordered) if e.is_change]
    for k, i in enumerate(changes):
        change = ordered[i]
        remediation = change.rolled_back_by or rolled_back.get(change.deployment_id)
        if remediation:
            failures[change.deployment_id] = Failure("rollback", remediation)
            continue
        if k + 1 == len(changes):
            continue
        after = ordered[changes[k + 1]]
        if (
            after.revision is not None
            and change.revision is not None
            and after.revision != change.revision
            and first.get(after.revision, i) < i  # delivered before the change
            and change.complete is not None
            and after.create is not None
            and after.create - change.complete <= window
        ):
            failures[change.deployment_id] = Failure("redeploy", after.deployment_id)
    return failures


def recoveries(entries: Iterable[Entry]) -> dict[str, float]:
    """Succeeded deployment ID -> seconds since the first failure of the streak it ended."""
    out: dict[str, float] = {}
    streak: float | None = None
    ended = sorted((e.complete, e.deployment_id, e.status) for e in entries if e.complete is not None)
    for complete, deployment_id, status in ended:
        if status in ("Failed", "Stopped"):
            streak = complete if streak is None else streak
        elif status == "Succeeded" and streak is not None:
            out[deployment_id] = max(0.0, complete - streak)
            streak = None
    return out
