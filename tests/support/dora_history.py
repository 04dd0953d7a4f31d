"""Deployment histories for the DORA figures, put into a simulator with the simulator's own
builders, each with its ground truth as the story says it (not as the exporter computes it):
which deployments are changes, which changes failed and why, and each recovery."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from exporter.simulator import Simulator, s3_revision
from exporter.simulator.builders import deployment_id_for
from exporter.simulator.history import put_finished_deployment, put_rollback

APPLICATION, GROUP = "shop", "prod"


@dataclass
class Truth:
    """One finished deployment of the story."""

    deployment_id: str
    status: str
    complete: float
    change: bool
    failure: str = ""  # "", "rollback" or "redeploy": how this change was remediated


@dataclass
class Story:
    sim: Simulator
    seed: str
    deployments: list[Truth] = field(default_factory=list)
    recoveries: list[tuple[float, float]] = field(default_factory=list)  # (success complete, seconds)
    good: dict | None = None  # the revision users run
    versions: int = 0
    streak: float | None = None  # complete time of the first failure of the current streak

    def _id(self) -> str:
        return deployment_id_for(f"{self.seed}:{len(self.deployments)}")

    def _new_revision(self) -> dict:
        self.versions += 1
        return s3_revision("artifacts", f"shop/v{self.versions}.zip", etag=f"e{self.versions}")

    def _put(self, status: str, at: float, revision: dict | None, instances: int, change: bool, **kwargs) -> Truth:
        info = put_finished_deployment(
            self.sim,
            self._id(),
            APPLICATION,
            GROUP,
            status,
            at,
            duration=600.0,
            instances=instances,
            revision=revision,
            **kwargs,
        )
        truth = Truth(info["deploymentId"], status, info["completeTime"], change)
        self.deployments.append(truth)
        self._streak(truth)
        return truth

    def _streak(self, truth: Truth) -> None:
        if truth.status in ("Failed", "Stopped"):
            self.streak = truth.complete if self.streak is None else self.streak
        elif self.streak is not None:
            self.recoveries.append((truth.complete, truth.complete - self.streak))
            self.streak = None

    # ---- the kinds of event ----------------------------------------------------------------

    def ok(self, at: float) -> None:
        """A new revision, Succeeded: a change that nothing remediates."""
        revision = self._new_revision()
        self._put("Succeeded", at, revision, 2, change=True)
        self.good = revision

    def manual_redeploy(self, at: float, after: float = 5400.0) -> None:
        """A new revision Succeeded; `after` seconds later a person deploys the previous one again."""
        previous = self.good
        bad = self._put("Succeeded", at, self._new_revision(), 2, change=True)
        bad.failure = "redeploy"
        self._put("Succeeded", bad.complete + after, previous, 2, change=True)

    def auto_rollback(self, at: float) -> None:
        """A new revision fails on its second instance after the first took it (users got it);
        CodeDeploy rolls back to the revision users ran."""
        failed = self._put("Failed", at, self._new_revision(), 2, change=True)
        failed.failure = "rollback"
        rollback = put_rollback(self.sim, failed.deployment_id, self._id(), duration=300.0, revision=self.good)
        truth = Truth(rollback["deploymentId"], "Succeeded", rollback["completeTime"], change=False)
        self.deployments.append(truth)
        self._streak(truth)

    def failed_before_traffic(self, at: float, status: str = "Failed") -> None:
        """A new revision whose only instance fails: no instance ever served it."""
        self._put(status, at, self._new_revision(), 1, change=False)


class Churn:
    """A seeded mix of every kind of event, one every 3 to 9 hours, added up to a time on demand
    (so a test can poll between the additions, as live)."""

    KINDS = ("ok", "ok", "manual_redeploy", "auto_rollback", "failed_before_traffic", "stopped")

    def __init__(self, story: Story, start: float) -> None:
        self.story, self.rng, self.at = story, random.Random(story.seed), start
        story.ok(start)
        self.at += 4 * 3600

    def until(self, end: float) -> None:
        """Add the events that start before `end` (the last may complete a few hours later)."""
        story, rng = self.story, self.rng
        while self.at < end:
            kind = rng.choice(self.KINDS)
            if kind == "manual_redeploy":
                story.manual_redeploy(self.at, after=rng.uniform(1800, 7200))
            elif kind == "auto_rollback":
                story.auto_rollback(self.at)
            elif kind == "failed_before_traffic":
                story.failed_before_traffic(self.at)
            elif kind == "stopped":
                story.failed_before_traffic(self.at, "Stopped")
            else:
                story.ok(self.at)
            self.at += rng.uniform(3 * 3600, 9 * 3600)


def churn(sim: Simulator, start: float, end: float, seed: str = "churn") -> Story:
    story = Story(sim, seed)
    Churn(story, start).until(end)
    return story


def window_truth(story: Story, start: float, end: float) -> dict[str, int]:
    """The window figures of (start, end]: deployments by status, changes, change failures."""
    inside = [t for t in story.deployments if start < t.complete <= end]
    out = {s: sum(t.status == s for t in inside) for s in ("Succeeded", "Failed", "Stopped")}
    out["changes"] = sum(t.change for t in inside)
    out["change_failures"] = sum(bool(t.change and t.failure) for t in inside)
    return out
