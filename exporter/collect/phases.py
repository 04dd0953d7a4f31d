"""Work and waiting of one finished deployment, pure (no I/O, no clock).

- active: from the start (startTime, else createTime) until the deployment first reached Ready
  or Baking, or until it completed if it never did;
- waiting: the time it spent in Ready (a blue/green deployment waiting to reroute traffic) and
  Baking (the original fleet's termination wait).

Two sources, the first that knows wins:

1. Live observation (`Watch`): the polls (and event reads) that saw the deployment running,
   followed from a status other than Ready/Baking. The poll that first saw it Ready or Baking
   ends its active time, the one that first saw it leave ends that wait, completeTime ends a
   wait it finished in. Resolution: the time between two reads (active is over-stated and
   waiting under-stated by up to one poll interval per transition). A wait shorter than a poll
   interval may be missed; when no wait was seen, the record (2) is asked, and if it cannot
   tell, the deployment is taken as all active (no wait as long as a poll interval).
2. The record alone (a deployment read back at start, or never seen waiting), per platform:
   - Lambda, EC2/on-premises in place: no Ready or Baking exist: all active.
   - EC2 and ECS blue/green, from blueGreenDeploymentConfiguration: Ready lasts
     deploymentReadyOption.waitTimeInMinutes with actionOnTimeout CONTINUE_DEPLOYMENT (0: no
     Ready); with STOP_DEPLOYMENT it lasts until a person reroutes, which the record does not
     say: unknown. Baking lasts terminationWaitTimeInMinutes (action TERMINATE; KEEP_ALIVE has
     none) and ends at completeTime; it started when instanceTerminationWaitTimeStarted is true.
     A Succeeded deployment went through both; a Failed/Stopped one whose termination wait had
     not started may have failed before Ready or in it, unknown unless it had no Ready wait; one
     stopped during its termination wait waited an unknown part of it. Active is then what is
     left of start -> complete, which includes the rerouting between Ready and Baking (the record
     has no time for it). A wait skipped early (SkipWaitTimeForInstanceTermination,
     ContinueDeployment during a CONTINUE_DEPLOYMENT wait) is over-stated.

Unknown -> None: such a deployment is left out of the histogram rather than guessed
(exporter.collect.history counts how many). A deployment that never reached Ready or Baking has
no waiting phase (`waiting` None), not a wait of 0 seconds: it is counted in active only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exporter.model import Deployment

WAITING_STATUSES = frozenset({"Ready", "Baking"})


@dataclass(frozen=True, slots=True)
class Phases:
    active: float
    waiting: float | None  # None: it never reached Ready or Baking (in place, Lambda, KEEP_ALIVE...)


@dataclass(slots=True)
class Watch:
    """A running deployment as reads saw it: `clean` when first seen in neither Ready nor
    Baking (so the first wait seen is the first one), `times` the reads that saw a wait begin
    and end, in turn (an odd length: waiting at the last read)."""

    clean: bool
    times: list[float] = field(default_factory=list)
    last: float = 0.0  # the last read that saw it running: a watch no read renews is forgotten

    def see(self, status: str, at: float) -> None:
        self.last = at
        if (status in WAITING_STATUSES) != (len(self.times) % 2 == 1):
            self.times.append(at)


def watch(status: str) -> Watch:
    return Watch(status not in WAITING_STATUSES)


def observed(w: Watch | None) -> tuple[float, ...] | None:
    """What a finished deployment's history entry keeps of its watch: the transitions seen
    (empty: followed from before any wait and never seen waiting), None when the reads cannot
    tell its first wait (not followed, or first seen already waiting)."""
    return tuple(w.times) if w is not None and w.clean else None


def phases_of(record: Deployment, seen: tuple[float, ...] | None) -> Phases | None:
    """The phases of a finished deployment: from `seen` (Watch times) when there are any, else
    from the record; None when neither knows."""
    start = record.start_time if record.start_time is not None else record.create_time
    end = record.complete_time
    if start is None or end is None:
        return None
    total = max(0.0, end - start)
    if seen:
        times = [*seen, end] if len(seen) % 2 else list(seen)
        waiting = sum(max(0.0, min(b, end) - a) for a, b in zip(times[::2], times[1::2], strict=True))
        active = min(total, max(0.0, seen[0] - start))
        return Phases(active, min(waiting, total - active))  # seen Ready or Baking: it waited
    recorded = _recorded_wait(record)
    if recorded is None:
        # Followed and never seen waiting: no wait longer than a poll interval.
        return None if seen is None else Phases(total, None)
    if recorded <= 0.0:
        return Phases(total, None)  # the record says it never waited (0 minutes: no Ready, no Baking)
    waiting = min(recorded, total)
    return Phases(total - waiting, waiting)


def _recorded_wait(record: Deployment) -> float | None:
    """Seconds in Ready and Baking as the record tells them, None when it cannot."""
    blue_green = record.deployment_type == "BLUE_GREEN" and record.compute_platform in ("Server", "ECS", "")
    if not blue_green:
        return 0.0  # in place, or Lambda (its traffic shift has no Ready or Baking)
    ready = _ready_wait(record)
    baking = _baking_wait(record)
    if record.termination_wait_started is True:
        if record.status != "Succeeded" or ready is None or baking is None:
            return None  # stopped or failed during the termination wait: how long it ran is unknown
        return ready + baking
    if record.status == "Succeeded":
        # No termination wait started: KEEP_ALIVE (the flag stays false), or a record without it.
        if ready is None or (record.termination_action != "KEEP_ALIVE" and baking != 0.0):
            return None
        return ready
    # Failed or Stopped before traffic moved: before Ready, or in it.
    return 0.0 if ready == 0.0 else None


def _ready_wait(record: Deployment) -> float | None:
    if record.ready_action == "CONTINUE_DEPLOYMENT":
        return record.ready_wait if record.ready_wait is not None else 0.0
    return None  # STOP_DEPLOYMENT (a person reroutes, when the record does not say) or unknown


def _baking_wait(record: Deployment) -> float | None:
    if record.termination_action == "KEEP_ALIVE":
        return 0.0
    if record.termination_action == "TERMINATE":
        return record.termination_wait
    return None
