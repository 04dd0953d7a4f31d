"""Organization scopes through real boto3 against the simulator's multi-account cloud: the
accounts the organization lists (walked through its units) are entered with STS AssumeRole,
each account-region is a discovery scope with its own budget and health, and the accounts'
names are exported for joins."""

from __future__ import annotations

import threading

import pytest
from support.expo import FakeClock, samples, value

from exporter.app import Exporter
from exporter.aws.clients import ClientFactory
from exporter.config import parse_config
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.simulator import SimulatorServer, deployment_info, instance_target
from exporter.simulator.cloud import Cloud

NOW = 1_800_000_000.0
MANAGEMENT = "111111111111"
PAYMENTS, SEARCH, SANDBOX, SUSPENDED, NO_ROLE = (
    "222222222222",
    "333333333333",
    "444444444444",
    "555555555555",
    "666666666666",
)
ROLE = "codedeploy-read"


def put(cloud: Cloud, account: str, region: str, deployment_id: str, status: str = "InProgress") -> None:
    sim = cloud.simulator(account, region)
    sim.put_deployment_group("web", "web-prod")
    sim.put_deployment(
        deployment_info(deployment_id, "web", "web-prod", status, NOW - 120),
        [instance_target(deployment_id, "i-0000000000000001", "InProgress", [], NOW - 100)],
    )


UNITS: dict[str, str] = {}  # name -> id of the fixture's organizational units


@pytest.fixture
def cloud() -> Cloud:
    cloud = Cloud(management_account=MANAGEMENT)
    production = UNITS["Production"] = cloud.add_ou("Production")
    sandboxes = UNITS["Sandboxes"] = cloud.add_ou("Sandboxes")
    cloud.add_account(PAYMENTS, "payments-prod", parent_id=production)
    cloud.add_account(SEARCH, "search-prod", parent_id=production)
    cloud.add_account(SANDBOX, "sandbox-alice", parent_id=sandboxes)
    cloud.add_account(SUSPENDED, "closing-soon", parent_id=production, status="SUSPENDED")
    for account in (MANAGEMENT, PAYMENTS, SEARCH, SANDBOX, SUSPENDED):
        cloud.add_role(account, ROLE)
    put(cloud, PAYMENTS, "eu-west-1", "d-PAYMENTS1")
    put(cloud, SEARCH, "us-east-1", "d-SEARCH001")
    put(cloud, SANDBOX, "us-east-1", "d-SANDBOX01")
    put(cloud, SUSPENDED, "us-east-1", "d-SUSPEND01")
    return cloud


@pytest.fixture
def server(cloud: Cloud, monkeypatch: pytest.MonkeyPatch):
    with SimulatorServer(cloud=cloud) as server:
        for service in ("STS", "IAM", "ORGANIZATIONS", "ACCOUNT"):
            monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", server.endpoint_url)
        yield server


def exporter_for(server: SimulatorServer, clock: FakeClock | None = None, **entry: object) -> Exporter:
    organization = {
        "aws": {"region": "us-east-1", "endpoint_url": server.endpoint_url},
        "role_name": ROLE,
        "regions": ["us-east-1", "eu-west-1"],
        **entry,
    }
    config = parse_config(
        {
            "poll": {"interval": "30s", "max_requests_per_second": 1000, "retention": "1d"},
            "organizations": [organization],
        }
    )
    metrics = ExporterMetrics()
    clients = ClientFactory(metrics, 4, 1000, static_credentials=("testing", "testing"), max_attempts=1)
    return Exporter(config, clients, metrics, clock=clock or FakeClock(NOW))


def deployments(body: str) -> dict[str, str]:
    """deployment_id -> account_id of every exported deployment."""
    return {
        dict(ls)["deployment_id"]: dict(ls)["account_id"]
        for (name, ls) in samples(body)
        if name == "codedeploy_deployment_info"
    }


def series(body: str, name: str) -> list[dict[str, str]]:
    return sorted((dict(ls) for (n, ls) in samples(body) if n == name), key=lambda d: sorted(d.items()))


def test_every_active_account_and_region_is_watched_through_its_role(server, cloud):
    exporter = exporter_for(server)
    exporter.poll_once()
    body = exporter.snapshot.body
    # The suspended account is not entered; the others (the management account too) are, in both regions.
    assert deployments(body) == {"d-PAYMENTS1": PAYMENTS, "d-SEARCH001": SEARCH, "d-SANDBOX01": SANDBOX}
    up = {(s["account_id"], s["region"]) for s in series(body, "codedeploy_exporter_scope_up")}
    assert up == {(a, r) for a in (MANAGEMENT, PAYMENTS, SEARCH, SANDBOX) for r in ("us-east-1", "eu-west-1")}
    assert all(value(body, "codedeploy_exporter_scope_up", account_id=a, region=r) == 1 for a, r in up)
    # One AssumeRole per account, whatever the number of regions; the tree is walked once.
    assert cloud.call_count("sts", "AssumeRole") == 4
    walked = cloud.call_count("organizations")
    exporter.poll_once()
    assert cloud.call_count("organizations") == walked  # not again before accounts_refresh
    assert cloud.call_count("sts", "AssumeRole") == 4


def test_accounts_are_named_with_their_organizational_unit(server, cloud):
    exporter = exporter_for(server)
    exporter.poll_once()
    named = {
        s["account_id"]: (s["account_name"], s["organizational_unit"])
        for s in series(exporter.snapshot.body, "codedeploy_account_info")
    }
    assert named == {
        MANAGEMENT: ("management", ""),  # directly under the root
        PAYMENTS: ("payments-prod", "Production"),
        SEARCH: ("search-prod", "Production"),
        SANDBOX: ("sandbox-alice", "Sandboxes"),
    }


def test_units_and_name_filters_choose_the_accounts(server, cloud):
    exporter = exporter_for(server, organizational_units=[UNITS["Production"]], account_names={"exclude": "search-.*"})
    exporter.poll_once()
    assert deployments(exporter.snapshot.body) == {"d-PAYMENTS1": PAYMENTS}
    exporter = exporter_for(server, account_ids={"include": SANDBOX})
    exporter.poll_once()
    assert deployments(exporter.snapshot.body) == {"d-SANDBOX01": SANDBOX}


def test_a_missing_role_puts_that_account_down_and_no_other(server, cloud):
    cloud.add_account(NO_ROLE, "forgotten")  # under the root, no role to assume
    exporter = exporter_for(server)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert set(deployments(body)) == {"d-PAYMENTS1", "d-SEARCH001", "d-SANDBOX01"}
    for region in ("us-east-1", "eu-west-1"):
        assert value(body, "codedeploy_exporter_scope_up", account_id=NO_ROLE, region=region) == 0
        assert value(body, "codedeploy_exporter_scope_up", account_id=PAYMENTS, region=region) == 1
    (error,) = {s["error_code"] for s in series(body, "codedeploy_exporter_scope_last_error_info")}
    assert error == "AccessDenied"
    # Denied: one AssumeRole per account-region and poll, the scope's other steps not tried.
    denied = [c for c in cloud.calls("sts", "AssumeRole") if NO_ROLE in c.params["RoleArn"]]
    assert len(denied) == 2
    # The others answered: the data is fresh, and only the scope says what is missing.
    assert value(body, "codedeploy_exporter_last_poll_success_timestamp_seconds") == NOW


def test_a_throttled_account_region_is_down_and_the_others_are_fresh(server, cloud):
    cloud.throttle_scope(PAYMENTS, "eu-west-1")
    exporter = exporter_for(server)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert value(body, "codedeploy_exporter_scope_up", account_id=PAYMENTS, region="eu-west-1") == 0
    assert value(body, "codedeploy_exporter_scope_up", account_id=PAYMENTS, region="us-east-1") == 1
    assert set(deployments(body)) == {"d-SEARCH001", "d-SANDBOX01"}
    # Throttled: not asked again in the same poll (one attempt each here, max_attempts=1).
    assert cloud.simulator(PAYMENTS, "eu-west-1").call_count() == 1
    errors = "codedeploy_exporter_api_request_errors_total"

    def throttled(account: str, region: str) -> float:
        return sum(
            v
            for (n, ls), v in samples(body).items()
            if n == errors
            and dict(ls) | {"account_id": account, "region": region, "error_code": "ThrottlingException"} == dict(ls)
        )

    assert throttled(PAYMENTS, "eu-west-1") >= 1
    assert throttled(SEARCH, "us-east-1") == 0


def test_accounts_that_join_or_leave_are_followed_at_the_next_listing(server, cloud):
    clock = FakeClock(NOW)
    exporter = exporter_for(server, clock, accounts_refresh="1h")
    exporter.poll_once()
    newcomer = "777777777777"
    cloud.add_account(newcomer, "checkout-prod")
    cloud.add_role(newcomer, ROLE)
    put(cloud, newcomer, "us-east-1", "d-CHECKOUT1")
    cloud.remove_account(SANDBOX)
    clock.advance(600)
    exporter.poll_once()
    assert newcomer not in deployments(exporter.snapshot.body).values()  # not before accounts_refresh
    clock.advance(3600)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert deployments(body) == {"d-PAYMENTS1": PAYMENTS, "d-SEARCH001": SEARCH, "d-CHECKOUT1": newcomer}
    scopes = {s["account_id"] for s in series(body, "codedeploy_exporter_scope_up")}
    assert SANDBOX not in scopes and newcomer in scopes
    assert {s["account_id"] for s in series(body, "codedeploy_account_info")} == {
        MANAGEMENT,
        PAYMENTS,
        SEARCH,
        newcomer,
    }


def test_regions_all_watches_each_accounts_enabled_regions(server, cloud):
    cloud.add_account(
        "888888888888",
        "tokyo",
        regions={"ap-northeast-1": "ENABLED", "us-east-1": "ENABLED_BY_DEFAULT", "me-south-1": "DISABLED"},
    )
    cloud.add_role("888888888888", ROLE)
    put(cloud, "888888888888", "ap-northeast-1", "d-TOKYO0001")
    exporter = exporter_for(server, regions="all", account_ids={"include": "888888888888"})
    exporter.poll_once()
    body = exporter.snapshot.body
    assert deployments(body) == {"d-TOKYO0001": "888888888888"}
    regions = {s["region"] for s in series(body, "codedeploy_exporter_scope_up")}
    assert regions == {"ap-northeast-1", "us-east-1"}


def test_a_denied_organization_listing_is_reported_and_retried(server, cloud):
    cloud.faults.fail(1, "AccessDeniedException", 400, operation="ListRoots")
    exporter = exporter_for(server)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert deployments(body) == {}
    assert value(body, "codedeploy_exporter_scope_up", account_id=MANAGEMENT, region="us-east-1") == 0
    assert value(body, "codedeploy_exporter_last_poll_success_timestamp_seconds") == 0  # nothing answered
    exporter.poll_once()  # asked again at once, not after accounts_refresh
    assert set(deployments(exporter.snapshot.body)) == {"d-PAYMENTS1", "d-SEARCH001", "d-SANDBOX01"}


def test_the_role_session_name_is_the_configured_one(server, cloud):
    aws = {"region": "us-east-1", "endpoint_url": server.endpoint_url, "role_session_name": "platform-exporter"}
    exporter = exporter_for(server, aws=aws, account_ids={"include": PAYMENTS})
    exporter.poll_once()
    (call,) = cloud.calls("sts", "AssumeRole")
    assert call.params["RoleSessionName"] == "platform-exporter"
    assert call.params["RoleArn"] == f"arn:aws:iam::{PAYMENTS}:role/{ROLE}"


def test_plain_entries_name_their_account_by_its_iam_alias_once_a_day(server, cloud):
    """A discovery entry's account has no organization listing to name it: its IAM alias does,
    read once per credential set and day, never per poll; an account without one is unnamed."""
    cloud.set_account_alias(PAYMENTS, "payments-production")
    clock = FakeClock(NOW)
    config = parse_config(
        {
            "poll": {"interval": "30s", "max_requests_per_second": 1000},
            "discovery": [
                {"aws": {"region": region, "endpoint_url": server.endpoint_url, "role_arn": arn}}
                for region in ("us-east-1", "eu-west-1")
                for arn in (f"arn:aws:iam::{PAYMENTS}:role/{ROLE}", f"arn:aws:iam::{SEARCH}:role/{ROLE}")
            ],
        }
    )
    metrics = ExporterMetrics()
    clients = ClientFactory(metrics, 4, 1000, static_credentials=("testing", "testing"), max_attempts=1)
    exporter = Exporter(config, clients, metrics, clock=clock)
    exporter.poll_once()
    named = {s["account_id"]: s["account_name"] for s in series(exporter.snapshot.body, "codedeploy_account_info")}
    assert named == {PAYMENTS: "payments-production"}  # SEARCH has no alias: no series
    assert cloud.call_count("iam", "ListAccountAliases") == 2  # one per account, not per region
    clock.advance(3600)
    exporter.poll_once()
    assert cloud.call_count("iam", "ListAccountAliases") == 2
    cloud.set_account_alias(PAYMENTS, "payments")
    clock.advance(86400)
    exporter.poll_once()
    assert cloud.call_count("iam", "ListAccountAliases") == 4
    named = {s["account_id"]: s["account_name"] for s in series(exporter.snapshot.body, "codedeploy_account_info")}
    assert named == {PAYMENTS: "payments"}


def test_calls_in_flight_never_exceed_max_concurrency_across_account_regions(server, cloud):
    """Account-regions are polled side by side and each reads its groups' tags side by side: the
    process-wide cap still holds every moment to `max_concurrency` calls waiting on AWS."""
    active = {"now": 0, "max": 0}
    lock = threading.Lock()
    for account in (MANAGEMENT, PAYMENTS, SEARCH, SANDBOX):
        for region in ("us-east-1", "eu-west-1"):
            sim = cloud.simulator(account, region)
            for n in range(4):
                sim.put_deployment_group("tagged", f"group-{n}", tags={"team": "web"})
            sim.faults.set_latency(0.02)
            original = sim.handle

            def handle(*args, _original=original, **kwargs):
                with lock:
                    active["now"] += 1
                    active["max"] = max(active["max"], active["now"])
                try:
                    return _original(*args, **kwargs)
                finally:
                    with lock:
                        active["now"] -= 1

            sim.handle = handle
    config = parse_config(
        {
            "poll": {"interval": "30s", "max_requests_per_second": 1000, "max_concurrency": 2},
            "organizations": [
                {
                    "aws": {"region": "us-east-1", "endpoint_url": server.endpoint_url},
                    "role_name": ROLE,
                    "regions": ["us-east-1", "eu-west-1"],
                    "tags": {"team": "web"},
                }
            ],
        }
    )
    metrics = ExporterMetrics()
    clients = ClientFactory(metrics, 2, 1000, static_credentials=("testing", "testing"), max_attempts=1)
    exporter = Exporter(config, clients, metrics, clock=FakeClock(NOW))
    exporter.poll_once()
    tags = sum(s.call_count("ListTagsForResource") for s in cloud.simulators().values())
    assert tags >= 4 * 8  # every group's tags were read
    assert 1 <= active["max"] <= 2
