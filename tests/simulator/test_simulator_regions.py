"""The Account service's ListRegions in a simulator Cloud, through boto3's account client
over rest-json (POST /listRegions): an account's Regions and opt-in status, filtering,
paging, and who may ask about another account (facts.py, account.*)."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.exceptions import ClientError
from support.cloud import assume, client
from support.simulated import assert_matches_shape, error_code

from exporter.simulator import Simulator, SimulatorServer
from exporter.simulator.cloud import Cloud

MODEL = botocore.session.get_session().get_service_model("account")
MANAGEMENT, PROD, DEV, OUTSIDER = "111111111111", "222222222222", "333333333333", "999999999999"
PROD_REGIONS = {"us-east-1": "ENABLED_BY_DEFAULT", "eu-central-2": "ENABLED", "me-south-1": "DISABLING"}


@pytest.fixture
def cloud() -> Cloud:
    cloud = Cloud()
    cloud.add_account(PROD, "prod", regions=PROD_REGIONS)
    cloud.add_account(DEV, "dev")
    for account in (PROD, DEV):
        cloud.add_role(account, "reader")
    return cloud


def regions(server, credentials=None, **params) -> dict[str, str]:
    answer = client(server.endpoint_url, "account", credentials=credentials).list_regions(**params)
    answer.pop("ResponseMetadata")
    assert_matches_shape(MODEL.operation_model("ListRegions").output_shape, answer)
    assert [r["RegionName"] for r in answer["Regions"]] == sorted(r["RegionName"] for r in answer["Regions"])
    return {r["RegionName"]: r["RegionOptStatus"] for r in answer["Regions"]}


def test_list_regions_answers_the_caller_s_regions(cloud, server):
    defaults = {
        "us-east-1": "ENABLED_BY_DEFAULT",
        "us-west-2": "ENABLED_BY_DEFAULT",
        "eu-west-1": "ENABLED_BY_DEFAULT",
        "ap-east-1": "DISABLED",
    }
    assert regions(server) == defaults  # static keys: the management account
    assert regions(server, assume(server, PROD, "reader")) == PROD_REGIONS
    assert regions(server, assume(server, DEV, "reader")) == defaults
    assert len(cloud.calls("account", "ListRegions")) == 3
    first = cloud.calls("account", "ListRegions")[0]
    assert (first.access_key_id, first.params) == ("testing", {})
    # The Cloud's own Region is enabled everywhere, whatever the defaults.
    assert "ap-south-2" in Cloud(region="ap-south-2").organization.account_regions("222222222222")
    # A server without a Cloud knows no /listRegions.
    with SimulatorServer(Simulator()) as plain, pytest.raises(ClientError):
        client(plain.endpoint_url, "account").list_regions()


def test_list_regions_filters_by_opt_status_and_pages(server):
    prod = assume(server, PROD, "reader")
    assert regions(server, prod, RegionOptStatusContains=["ENABLED", "ENABLED_BY_DEFAULT"]) == {
        "us-east-1": "ENABLED_BY_DEFAULT",
        "eu-central-2": "ENABLED",
    }
    assert regions(server, RegionOptStatusContains=["DISABLED"]) == {"ap-east-1": "DISABLED"}
    account = client(server.endpoint_url, "account", credentials=prod)
    first = account.list_regions(MaxResults=2)
    assert len(first["Regions"]) == 2 and first["NextToken"]
    rest = account.list_regions(MaxResults=2, NextToken=first["NextToken"])
    assert len(rest["Regions"]) == 1 and "NextToken" not in rest
    assert {r["RegionName"] for r in first["Regions"] + rest["Regions"]} == set(PROD_REGIONS)
    with pytest.raises(ClientError) as excinfo:
        account.list_regions(NextToken="not-a-token")
    assert error_code(excinfo) == "ValidationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_list_regions_of_another_account_is_for_the_management_account(cloud, server):
    assert regions(server, AccountId=PROD) == PROD_REGIONS
    cases = (
        ({"AccountId": MANAGEMENT}, None, "ValidationException", 400),
        ({"AccountId": OUTSIDER}, None, "AccessDeniedException", 403),
        ({"AccountId": DEV}, assume(server, PROD, "reader"), "AccessDeniedException", 403),
        ({"AccountId": PROD}, assume(server, PROD, "reader"), "AccessDeniedException", 403),
    )
    for params, credentials, code, status in cases:
        with pytest.raises(ClientError) as excinfo:
            client(server.endpoint_url, "account", credentials=credentials).list_regions(**params)
        assert (error_code(excinfo), excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    cloud.remove_account(DEV)  # a former member answers for itself, no more through the management account
    assert regions(server, assume(server, DEV, "reader"))["ap-east-1"] == "DISABLED"
    with pytest.raises(ClientError) as excinfo:
        client(server.endpoint_url, "account").list_regions(AccountId=DEV)
    assert error_code(excinfo) == "AccessDeniedException"
    status, body = cloud.handle("account", "ListRegions", {"MaxResults": 51}, "testing")
    assert (status, body["__type"]) == (400, "ValidationException")
