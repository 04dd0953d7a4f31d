"""`--demo`: the embedded simulator playing cycling scenarios, and a config that follows it.

The simulator plays an AWS Organization: the management account runs every scenario and is
watched through `deployment_groups` entries; two member accounts, found through an
`organizations` scope, run one scenario each; a third has no role to assume, so its scope is
down (AccessDenied) and CodeDeployExporterScopeDown fires after 15 minutes. demo-ecs parks each
deployment in Ready for a manual reroute (scenarios/ecs.py), so the phase histogram shows waiting,
and the deployments read back at start count in the status page's phase_durations_left_out."""

from __future__ import annotations

import logging
import os

from exporter.config import (
    AwsSettings,
    Config,
    EventsSettings,
    GroupEntry,
    MetricsSettings,
    NameFilter,
    OrganizationScope,
    PollSettings,
)
from exporter.http.address import parse_listen_address
from exporter.simulator import DEMO_GROUPS, DemoDriver, DemoScenarios, SimulatorServer
from exporter.simulator.cloud import Cloud
from exporter.simulator.eventbridge import StateChangeWatcher
from exporter.simulator.records import ACCOUNT, REGION

log = logging.getLogger(__name__)

DEMO_POLL_INTERVAL = 2.0
# With --demo.events the poll is the slow safety net and events carry the changes.
DEMO_EVENTS_POLL_INTERVAL = 60.0
DEMO_QUEUE = "codedeploy-events"
DEMO_CREDENTIALS = ("demo", "demo")  # the simulator checks no signature; boto3 needs some
DEMO_ROLE = "codedeploy-exporter-read"
# Member accounts: id -> (name, organizational unit, the demo applications they deploy).
DEMO_MEMBERS = {
    # Scenarios that succeed: the demo's failures (and their alerts) stay the management account's.
    "210987654321": ("payments-prod", "Production", ("demo-ecs",)),
    "345678901234": ("search-prod", "Production", ("demo-lambda",)),
}
DEMO_ALIAS = "demo-management"  # the IAM alias of the management account
DEMO_NO_ROLE = ("456789012345", "legacy-sandbox")  # no role to assume: its scope is down


class Demo:
    def __init__(
        self, simulator_address: str = "127.0.0.1:0", cycle_seconds: float = 60.0, events: bool = False
    ) -> None:
        host, port = parse_listen_address(simulator_address)
        self.cloud = Cloud(management_account=ACCOUNT, region=REGION)
        self.simulator = self.cloud.simulator(ACCOUNT, REGION)
        self.drivers = [DemoDriver(self.simulator, DemoScenarios(self.simulator, cycle_seconds=cycle_seconds))]
        units: dict[str, str] = {}
        for account, (name, unit, applications) in DEMO_MEMBERS.items():
            if unit not in units:
                units[unit] = self.cloud.add_ou(unit)
            self.cloud.add_account(account, name, parent_id=units[unit])
            self.cloud.add_role(account, DEMO_ROLE)
            member = self.cloud.simulator(account, REGION)
            scenarios = DemoScenarios(member, cycle_seconds=cycle_seconds, applications=applications, id_salt=account)
            self.drivers.append(DemoDriver(member, scenarios))
        self.cloud.add_account(*DEMO_NO_ROLE)
        self.cloud.set_account_alias(ACCOUNT, DEMO_ALIAS)  # how the entries' account is named
        self.server = SimulatorServer(cloud=self.cloud, host=host or "127.0.0.1", port=port)
        self.events = events
        self.watcher: StateChangeWatcher | None = None
        self.queue_url: str | None = None

    def start(self) -> Demo:
        for driver in self.drivers:
            driver.start()
        self.server.start()
        # The account_id label comes from STS GetCallerIdentity, the accounts from Organizations;
        # the simulator answers both, so the demo never calls AWS (boto3 reads these variables
        # like any endpoint override).
        for service in ("STS", "IAM", "ORGANIZATIONS", "ACCOUNT"):
            os.environ[f"AWS_ENDPOINT_URL_{service}"] = self.server.endpoint_url
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
        for driver in self.drivers:
            driver.stop()

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
            # Every opt-in family, so the demo shows the whole contract (its groups carry team
            # and env tags, and its S3 and GitHub revisions are registered by first use).
            metrics=MetricsSettings(group_tags=("team", "env"), lead_time=True, lifecycle_event_history=True),
            deployment_groups=tuple(
                GroupEntry(application=app, deployment_group=group, latest=2, aws=aws) for app, group in DEMO_GROUPS
            ),
            organizations=(
                OrganizationScope(
                    aws=aws,
                    role_name=DEMO_ROLE,
                    regions=(REGION,),
                    account_ids=NameFilter(exclude=ACCOUNT),  # the management account's groups are entries
                    latest=2,
                ),
            ),
            events=EventsSettings(sqs_queue_url=self.queue_url, endpoint_url=self.server.endpoint_url, debounce=0.25)
            if self.queue_url
            else None,
            source="<demo>",
        )
