"""`--demo`: the embedded simulator playing cycling scenarios, and a config that follows it."""

from __future__ import annotations

import logging
import os

from exporter.config import (
    AwsSettings,
    Config,
    GroupEntry,
    MetricsSettings,
    PollSettings,
)
from exporter.server import parse_listen_address
from exporter.simulator import DEMO_GROUPS, DemoDriver, DemoScenarios, Simulator, SimulatorServer

log = logging.getLogger(__name__)

DEMO_POLL_INTERVAL = 2.0
DEMO_CREDENTIALS = ("demo", "demo")  # the simulator checks no signature; boto3 needs some


class Demo:
    def __init__(self, simulator_address: str = "127.0.0.1:0", cycle_seconds: float = 60.0) -> None:
        host, port = parse_listen_address(simulator_address)
        self.simulator = Simulator()
        self.driver = DemoDriver(self.simulator, DemoScenarios(self.simulator,
                                                               cycle_seconds=cycle_seconds))
        self.server = SimulatorServer(self.simulator, host=host or "127.0.0.1", port=port)

    def start(self) -> Demo:
        self.driver.start()
        self.server.start()
        # The account_id label comes from STS GetCallerIdentity; the simulator answers it, so
        # the demo never calls AWS (boto3 reads this variable like any endpoint override).
        os.environ["AWS_ENDPOINT_URL_STS"] = self.server.endpoint_url
        log.info("event=demo_started simulator=%s state=%s/_simulator/state",
                 self.server.endpoint_url, self.server.endpoint_url)
        return self

    def stop(self) -> None:
        self.server.stop()
        self.driver.stop()

    def config(self) -> Config:
        aws = AwsSettings(region="us-east-1", endpoint_url=self.server.endpoint_url)
        return Config(
            aws=aws,
            poll=PollSettings(interval=DEMO_POLL_INTERVAL, max_concurrency=4,
                              max_requests_per_second=50, retention=600.0),
            metrics=MetricsSettings(),
            deployment_groups=tuple(
                GroupEntry(application=app, deployment_group=group, latest=2, aws=aws)
                for app, group in DEMO_GROUPS),
            source="<demo>",
        )
