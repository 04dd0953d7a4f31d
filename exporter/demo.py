"""`--demo`: the embedded simulator playing cycling scenarios, and a config that follows it."""

from __future__ import annotations

import logging
import os

from exporter.config import (
    AwsSettings,
    Config,
    EventsSettings,
    GroupEntry,
    MetricsSettings,
    PollSettings,
)
from exporter.http.address import parse_listen_address
from exporter.simulator import DEMO_GROUPS, DemoDriver, DemoScenarios, Simulator, SimulatorServer
from exporter.simulator.eventbridge import StateChangeWatcher

log = logging.getLogger(__name__)

DEMO_POLL_INTERVAL = 2.0
# With --demo.events the poll is the slow safety net and events carry the changes.
DEMO_EVENTS_POLL_INTERVAL = 60.0
DEMO_QUEUE = "codedeploy-events"
DEMO_CREDENTIALS = ("demo", "demo")  # the simulator checks no signature; boto3 needs some


class Demo:
    def __init__(
        self, simulator_address: str = "127.0.0.1:0", cycle_seconds: float = 60.0, events: bool = False
    ) -> None:
        host, port = parse_listen_address(simulator_address)
        self.simulator = Simulator()
        self.driver = DemoDriver(self.simulator, DemoScenarios(self.simulator, cycle_seconds=cycle_seconds))
        self.server = SimulatorServer(self.simulator, host=host or "127.0.0.1", port=port)
        self.events = events
        self.watcher: StateChangeWatcher | None = None
        self.queue_url: str | None = None

    def start(self) -> Demo:
        self.driver.start()
        self.server.start()
        # The account_id label comes from STS GetCallerIdentity; the simulator answers it, so
        # the demo never calls AWS (boto3 reads this variable like any endpoint override).
        os.environ["AWS_ENDPOINT_URL_STS"] = self.server.endpoint_url
        if self.events:
            # The simulator's SQS plays the queue an EventBridge rule would feed.
            self.queue_url = self.server.sqs.create_queue(DEMO_QUEUE, self.server.endpoint_url)
            self.watcher = StateChangeWatcher(self.simulator, self.server.sqs, self.queue_url).start()
        log.info(
            "event=demo_started simulator=%s state=%s/_simulator/state",
            self.server.endpoint_url,
            self.server.endpoint_url,
        )
        return self

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.server.stop()
        self.driver.stop()

    def config(self) -> Config:
        aws = AwsSettings(region="us-east-1", endpoint_url=self.server.endpoint_url)
        return Config(
            aws=aws,
            poll=PollSettings(
                interval=DEMO_EVENTS_POLL_INTERVAL if self.events else DEMO_POLL_INTERVAL,
                max_concurrency=4,
                max_requests_per_second=50,
                retention=600.0,
            ),
            metrics=MetricsSettings(),
            deployment_groups=tuple(
                GroupEntry(application=app, deployment_group=group, latest=2, aws=aws) for app, group in DEMO_GROUPS
            ),
            events=EventsSettings(sqs_queue_url=self.queue_url, endpoint_url=self.server.endpoint_url, debounce=0.25)
            if self.queue_url
            else None,
            source="<demo>",
        )
