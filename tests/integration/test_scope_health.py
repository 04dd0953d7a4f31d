"""Each account-region has its own health and API budget: one whose calls are denied or
throttled is reported as down with its error code, and the others are polled as before."""

from __future__ import annotations

import threading

from support.expo import FakeClock, samples, value

from exporter.app import Exporter
from exporter.aws.budgets import Budgets
from exporter.aws.clients import ClientFactory
from exporter.config import parse_config
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.simulator import Simulator, SimulatorServer, deployment_info, instance_target

NOW = 1_800_000_000.0
GOOD, DENIED = "111122223333", "444455556666"


def _world(deployment_id: str) -> Simulator:
    sim = Simulator()
    sim.put_deployment(
        deployment_info(deployment_id, "web", "prod", "InProgress", NOW - 60),
        [instance_target(deployment_id, "i-0000000000000001", "InProgress", [], NOW - 50)],
    )
    return sim


def _exporter(endpoints: dict[str, str]) -> Exporter:
    config = parse_config(
        {
            "poll": {"interval": "30s", "max_requests_per_second": 1000},
            "deployments": [
                {
                    "deployment_id": f"d-{account[:9]}",
                    "aws": {"region": "eu-west-1", "endpoint_url": url, "account_id": account},
                }
                for account, url in endpoints.items()
            ],
        }
    )
    metrics = ExporterMetrics()
    clients = ClientFactory(metrics, 4, 1000, static_credentials=("testing", "testing"), max_attempts=1)
    return Exporter(config, clients, metrics, clock=FakeClock(NOW))


def test_a_denied_account_is_down_with_its_error_and_the_other_is_polled():
    good, denied = _world(f"d-{GOOD[:9]}"), _world(f"d-{DENIED[:9]}")
    denied.fail(100, "AccessDeniedException", 400)
    with SimulatorServer(good) as a, SimulatorServer(denied) as b:
        exporter = _exporter({GOOD: a.endpoint_url, DENIED: b.endpoint_url})
        exporter.poll_once()
        body = exporter.snapshot.body
        assert value(body, "codedeploy_exporter_scope_up", account_id=GOOD) == 1
        assert value(body, "codedeploy_exporter_scope_up", account_id=DENIED) == 0
        (info,) = [dict(ls) for (n, ls) in samples(body) if n == "codedeploy_exporter_scope_last_error_info"]
        assert info == {"account_id": DENIED, "region": "eu-west-1", "error_code": "AccessDeniedException"}
        # The good account's deployment is exported; the counters tell the accounts apart.
        assert value(body, "codedeploy_deployment_status", deployment_id=f"d-{GOOD[:9]}", status="InProgress") == 1
        requests = "codedeploy_exporter_api_requests_total"
        assert value(body, requests, account_id=GOOD, operation="BatchGetDeployments") == 1
        assert value(body, requests, account_id=DENIED, operation="BatchGetDeployments") == 1
        errors = "codedeploy_exporter_api_request_errors_total"
        assert value(body, errors, account_id=DENIED, error_code="AccessDeniedException") == 1
        assert value(body, errors, account_id=GOOD, operation="ListDeployments", error_code="ThrottlingException") == 0
        # Access comes back: up again, the last error stays to say what it was.
        denied.clear_faults()
        exporter.poll_once()
        body = exporter.snapshot.body
        assert value(body, "codedeploy_exporter_scope_up", account_id=DENIED) == 1
        assert value(body, "codedeploy_exporter_scope_last_error_info", account_id=DENIED) == 1


def test_each_account_region_draws_on_its_own_budget():
    budgets = Budgets(1.0)
    budgets.bucket((DENIED, "eu-west-1")).acquire()  # its one token of burst is spent
    waited = threading.Event()

    def second_call() -> None:
        budgets.bucket((DENIED, "eu-west-1")).acquire()  # waits a second for a token
        waited.set()

    thread = threading.Thread(target=second_call, daemon=True)
    thread.start()
    budgets.bucket((GOOD, "eu-west-1")).acquire()  # another account: a token at once
    budgets.bucket((DENIED, "us-east-1")).acquire()  # the same account in another region too
    assert not waited.is_set()
    thread.join(timeout=5)
    assert waited.is_set()
    assert sorted(budgets.scopes()) == [(GOOD, "eu-west-1"), (DENIED, "eu-west-1"), (DENIED, "us-east-1")]
    budgets.rate = 7.0  # a reload changes every bucket's rate
    assert {budgets.bucket(s).rate for s in budgets.scopes()} == {7.0}
