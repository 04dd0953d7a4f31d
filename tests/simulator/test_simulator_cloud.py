"""A Cloud of accounts and Regions behind one SimulatorServer: CodeDeploy calls reach the
Simulator of the account their credentials act as and the Region they were signed for;
throttling is scoped to one account-Region; STS calls are counted (facts.py, cloud.*)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from support.cloud import assume, client
from support.simulated import error_code

from exporter.simulator import Simulator, SimulatorServer
from exporter.simulator.cloud import Cloud
from exporter.simulator.records import ACCOUNT, REGION

MANAGEMENT, PROD, DEV = "111111111111", "222222222222", "333333333333"


@pytest.fixture
def cloud() -> Cloud:
    cloud = Cloud()
    cloud.add_account(PROD, "prod")
    cloud.add_account(DEV, "dev")
    for account in (PROD, DEV):
        cloud.add_role(account, "reader")
    return cloud


def applications(server, region: str, credentials=None) -> list[str]:
    codedeploy = client(server.endpoint_url, "codedeploy", region, credentials)
    return codedeploy.list_applications()["applications"]


def test_codedeploy_calls_reach_the_account_and_region_the_credentials_and_signature_name(cloud, server):
    for account in (MANAGEMENT, PROD, DEV):
        for region in ("us-east-1", "eu-west-1"):
            cloud.simulator(account, region).put_application(f"app-{account}-{region}")
    prod = assume(server, PROD, "reader")
    dev = assume(server, DEV, "reader")
    assert applications(server, "eu-west-1", prod) == [f"app-{PROD}-eu-west-1"]
    assert applications(server, "us-east-1", prod) == [f"app-{PROD}-us-east-1"]
    assert applications(server, "eu-west-1", dev) == [f"app-{DEV}-eu-west-1"]
    # Each account-Region keeps its own calls, with the key that made them.
    calls = cloud.simulator(PROD, "eu-west-1").calls
    assert [(c.operation, c.access_key_id, c.region) for c in calls] == [
        ("ListApplications", prod["AccessKeyId"], "eu-west-1")
    ]
    assert cloud.simulator(DEV, "us-east-1").calls == []
    # A Region nobody set up is an empty CodeDeploy, created on first use.
    assert applications(server, "us-west-2", prod) == []
    assert (PROD, "us-west-2") in cloud.simulators()
    arn = cloud.simulator(PROD, "eu-west-1").deployment_group_arn("a", "g")
    assert arn == f"arn:aws:codedeploy:eu-west-1:{PROD}:deploymentgroup:a/g"


def test_static_keys_act_as_the_management_account(cloud, server):
    cloud.simulator(MANAGEMENT, "eu-west-1").put_application("management-app")
    assert applications(server, "eu-west-1") == ["management-app"]
    identity = client(server.endpoint_url, "sts").get_caller_identity()
    assert identity["Account"] == MANAGEMENT
    assert identity["Arn"] == f"arn:aws:iam::{MANAGEMENT}:user/simulator"
    # The server's own simulator (GET /_simulator/state) is the management account's.
    assert server.simulator is cloud.simulator(MANAGEMENT, REGION)


def test_a_throttled_account_region_throttles_only_itself(cloud, server):
    prod = assume(server, PROD, "reader")
    cloud.throttle_scope(PROD, "eu-west-1")
    for _ in range(3):
        with pytest.raises(ClientError) as excinfo:
            applications(server, "eu-west-1", prod)
        assert error_code(excinfo) == "ThrottlingException"
        assert excinfo.value.response["Error"]["Message"] == "Rate exceeded"
    assert applications(server, "us-east-1", prod) == []
    assert applications(server, "eu-west-1", assume(server, DEV, "reader")) == []
    assert applications(server, "eu-west-1") == []
    cloud.simulator(PROD, "eu-west-1").clear_faults()
    assert applications(server, "eu-west-1", prod) == []


def test_cloud_records_sts_calls_with_key_region_and_params(cloud, server):
    prod = assume(server, PROD, "reader")
    client(server.endpoint_url, "sts", "eu-west-1", prod).get_caller_identity()
    assert cloud.call_count("sts") == 2
    (assume_call,) = cloud.calls("sts", "AssumeRole")
    assert (assume_call.access_key_id, assume_call.region) == ("testing", "us-east-1")
    assert assume_call.params == {"RoleArn": f"arn:aws:iam::{PROD}:role/reader", "RoleSessionName": "tests"}
    (identity_call,) = cloud.calls("sts", "GetCallerIdentity")
    assert (identity_call.access_key_id, identity_call.region) == (prod["AccessKeyId"], "eu-west-1")
    assert cloud.calls("organizations") == []
    cloud.reset_calls()
    assert cloud.call_count("sts") == 0


def test_a_server_without_a_cloud_is_the_single_account_simulator():
    sim = Simulator()
    sim.put_application("web")
    with SimulatorServer(sim) as server:
        assert server.cloud is None
        assert applications(server, "eu-west-1") == ["web"]  # any Region: the one simulator
        assert client(server.endpoint_url, "sts").get_caller_identity()["Account"] == ACCOUNT
        with pytest.raises(ClientError) as excinfo:
            client(server.endpoint_url, "sts").assume_role(
                RoleArn=f"arn:aws:iam::{PROD}:role/reader", RoleSessionName="tests"
            )
        assert error_code(excinfo) == "InvalidAction"
