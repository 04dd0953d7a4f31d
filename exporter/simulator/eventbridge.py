"""What EventBridge would put on an SQS queue when the simulator's deployments change.

CodeDeploy sends "CodeDeploy Deployment State-change Notification" and "CodeDeploy Instance
State-change Notification" events to EventBridge (best effort); a rule routes them to a queue.
The shapes follow the documented examples (tests/fixtures/events/SOURCES.md). The state names
are CodeDeploy's event states (START, SUCCESS, FAILURE, STOP, READY); the simulator maps its API
statuses onto them. It also emits for every target type, where real CodeDeploy names instances.

:class:`StateChangeWatcher` compares the simulator's state every ``interval`` seconds and emits
one event per change, so scenarios need no hooks of their own.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .records import target_body
from .sqs.service import SqsService
from .state import Simulator

DEPLOYMENT_STATES = {
    "InProgress": "START",
    "Succeeded": "SUCCESS",
    "Failed": "FAILURE",
    "Stopped": "STOP",
    "Ready": "READY",
}
TARGET_STATES = {"InProgress": "START", "Succeeded": "SUCCESS", "Failed": "FAILURE", "Ready": "READY"}


def _envelope(
    detail_type: str, detail: dict[str, Any], resources: list[str], now: float, account: str, region: str
) -> dict[str, Any]:
    return {
        "account": account,
        "region": region,
        "detail-type": detail_type,
        "source": "aws.codedeploy",
        "version": "0",
        "time": datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "id": str(uuid.uuid4()),
        "resources": resources,
        "detail": detail,
    }


def deployment_event(
    info: dict[str, Any], state: str, now: float, account: str = "123456789012", region: str = "us-east-1"
) -> dict[str, Any]:
    app, group = info["applicationName"], info["deploymentGroupName"]
    return _envelope(
        "CodeDeploy Deployment State-change Notification",
        {
            "instanceGroupId": str(uuid.uuid5(uuid.NAMESPACE_URL, info["deploymentId"])),
            "region": region,
            "application": app,
            "deploymentId": info["deploymentId"],
            "state": state,
            "deploymentGroup": group,
        },
        [
            f"arn:aws:codedeploy:{region}:{account}:application:{app}",
            f"arn:aws:codedeploy:{region}:{account}:deploymentgroup:{app}/{group}",
        ],
        now,
        account,
        region,
    )


def instance_event(
    info: dict[str, Any],
    target_id: str,
    state: str,
    now: float,
    account: str = "123456789012",
    region: str = "us-east-1",
) -> dict[str, Any]:
    app, group = info["applicationName"], info["deploymentGroupName"]
    return _envelope(
        "CodeDeploy Instance State-change Notification",
        {
            "instanceId": target_id,
            "region": region,
            "state": state,
            "application": app,
            "deploymentId": info["deploymentId"],
            "instanceGroupId": str(uuid.uuid5(uuid.NAMESPACE_URL, info["deploymentId"])),
            "deploymentGroup": group,
        },
        [
            f"arn:aws:ec2:{region}:{account}:instance/{target_id}",
            f"arn:aws:codedeploy:{region}:{account}:deploymentgroup:{app}/{group}",
            f"arn:aws:codedeploy:{region}:{account}:application:{app}",
        ],
        now,
        account,
        region,
    )


def state_changes(before: dict[str, Any], after: dict[str, Any], now: float) -> list[dict[str, Any]]:
    """Events for every deployment and target status that differs between two snapshots."""
    events = []
    old = before.get("deployments", {})
    for deployment_id, current in after.get("deployments", {}).items():
        info = current["info"]
        previous = old.get(deployment_id)
        status = info.get("status")
        if (previous is None or previous["info"].get("status") != status) and status in DEPLOYMENT_STATES:
            events.append(deployment_event(info, DEPLOYMENT_STATES[status], now))
        previous_targets = previous["targets"] if previous else {}
        for target_id, target in current["targets"].items():
            status = target_body(target).get("status")
            was = previous_targets.get(target_id)
            if status in TARGET_STATES and (was is None or target_body(was).get("status") != status):
                events.append(instance_event(info, target_id, TARGET_STATES[status], now))
    return events


class StateChangeWatcher:
    """Puts an EventBridge event on ``queue_url`` for each state change of the simulator."""

    def __init__(
        self,
        sim: Simulator,
        sqs: SqsService,
        queue_url: str,
        interval: float = 0.2,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import time

        self.sim, self.sqs, self.queue_url, self.interval = sim, sqs, queue_url, interval
        self._clock = clock or time.time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last = sim.snapshot()  # what exists at start is not a change
        self.sent = 0

    def check(self) -> int:
        current = self.sim.snapshot()
        events = state_changes(self._last, current, self._clock())
        self._last = current
        for event in events:
            self.sqs.send(self.queue_url, json.dumps(event))
        self.sent += len(events)
        return len(events)

    def start(self) -> StateChangeWatcher:
        self._thread = threading.Thread(target=self._run, name="simulator-events", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # the queue may be gone (a test deleted it); keep watching
                pass

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
