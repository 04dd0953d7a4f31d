"""AWS Organizations in a simulator Cloud, through boto3's organizations client over JSON 1.1:
listings, paging, per-parent views, errors and who may call (facts.py, organizations.*).
Every answer is checked against botocore's Organizations output shapes."""

from __future__ import annotations

import json
import urllib.request

import botocore.session
import pytest
from botocore.exceptions import ClientError
from support.cloud import assume, client
from support.simulated import assert_matches_shape, error_code

from exporter.simulator.cloud import Cloud
from exporter.simulator.organizations_api import OPERATIONS

MODEL = botocore.session.get_session().get_service_model("organizations")
MANAGEMENT, PROD, DEV, OLD = "111111111111", "222222222222", "333333333333", "444444444444"
JOINED = 1_700_000_000.0


@pytest.fixture
def cloud() -> Cloud:
    cloud = Cloud(clock=lambda: JOINED)
    workloads = cloud.add_ou("workloads")
    cloud.add_account(PROD, "prod", parent_id=workloads, email="prod@example.com")
    cloud.add_account(DEV, "dev", parent_id=cloud.add_ou("dev", parent_id=workloads), status="SUSPENDED")
    cloud.add_account(OLD, "old")
    for account in (PROD, OLD):
        cloud.add_role(account, "reader")
    return cloud


@pytest.fixture
def org(server):
    return client(server.endpoint_url, "organizations")


def checked(org, operation: str, **params) -> dict:
    """The answer to one call, held to the model's output shape as it came over the wire."""
    answer = getattr(org, operation)(**params)
    meta = MODEL.operation_model("".join(part.title() for part in operation.split("_")))
    wire = json.loads(json.dumps({k: v for k, v in answer.items() if k != "ResponseMetadata"}, default=lambda d: 0))
    assert_matches_shape(meta.output_shape, wire)
    return answer


def everything(org, operation: str, key: str, **params) -> list[dict]:
    items, token = [], None
    while True:
        page = checked(org, operation, **params, **({"NextToken": token} if token else {}))
        items += page[key]
        token = page.get("NextToken")
        if not token:
            return items


def test_organizations_answers_through_boto3_with_model_shapes(cloud, org):
    accounts = everything(org, "list_accounts", "Accounts")
    for account in accounts:
        assert account["Arn"] == f"arn:aws:organizations::{MANAGEMENT}:account/{cloud.organization_id}/{account['Id']}"
        assert account["JoinedTimestamp"].timestamp() == JOINED
    # On the wire, timestamps are epoch seconds (numbers), as the JSON protocol has them.
    status, wire = cloud.handle("organizations", "ListAccounts", {}, "testing")
    assert status == 200 and all(isinstance(a["JoinedTimestamp"], float) for a in wire["Accounts"])
    assert_matches_shape(MODEL.operation_model("ListAccounts").output_shape, json.loads(json.dumps(wire)))
    checked(org, "list_roots")
    checked(org, "describe_account", AccountId=PROD)
    checked(org, "list_organizational_units_for_parent", ParentId=cloud.root_id)
    checked(org, "list_accounts_for_parent", ParentId=cloud.root_id)
    assert set(OPERATIONS) <= set(MODEL.operation_names)
    status, body = cloud.handle("organizations", "CreateAccount", {}, "testing")
    assert (status, body["__type"]) == (400, "UnknownOperationException")


def test_list_accounts_lists_the_management_account_and_members_with_their_status(cloud, org):
    accounts = everything(org, "list_accounts", "Accounts")
    assert [(a["Id"], a["Name"], a["Status"], a["State"]) for a in accounts] == [
        (MANAGEMENT, "management", "ACTIVE", "ACTIVE"),
        (PROD, "prod", "ACTIVE", "ACTIVE"),
        (DEV, "dev", "SUSPENDED", "SUSPENDED"),
        (OLD, "old", "ACTIVE", "ACTIVE"),
    ]
    assert accounts[1]["Email"] == "prod@example.com" and accounts[1]["JoinedMethod"] == "CREATED"
    cloud.set_status(PROD, "PENDING_CLOSURE")
    cloud.remove_account(OLD)
    accounts = everything(org, "list_accounts", "Accounts")
    assert [(a["Id"], a["Status"], a["State"]) for a in accounts] == [
        (MANAGEMENT, "ACTIVE", "ACTIVE"),
        (PROD, "PENDING_CLOSURE", "PENDING_CLOSURE"),
        (DEV, "SUSPENDED", "SUSPENDED"),
    ]
    with pytest.raises(ValueError):
        cloud.set_status(DEV, "CLOSED")  # a State, not a Status


def test_organizations_pages_by_max_results_and_next_token(cloud, org):
    for n in range(30):
        cloud.add_account(f"5000000000{n:02d}", f"bulk-{n}")
    first = checked(org, "list_accounts")
    assert len(first["Accounts"]) == 20 and first["NextToken"]
    rest = checked(org, "list_accounts", NextToken=first["NextToken"])
    assert len(rest["Accounts"]) == 14 and "NextToken" not in rest
    assert len(everything(org, "list_accounts", "Accounts", MaxResults=7)) == 34
    assert len(checked(org, "list_accounts", MaxResults=7)["Accounts"]) == 7
    ids = [a["Id"] for a in everything(org, "list_accounts", "Accounts", MaxResults=3)]
    assert len(set(ids)) == 34  # no account twice across pages
    for token in ("not-a-token", first["NextToken"]):  # ListAccounts' token is no good for another operation
        with pytest.raises(ClientError) as excinfo:
            org.list_accounts_for_parent(ParentId=cloud.root_id, NextToken=token)
        assert error_code(excinfo) == "InvalidInputException"
    status, body = cloud.handle("organizations", "ListAccounts", {"MaxResults": 21}, "testing")
    assert (status, body["__type"]) == (400, "InvalidInputException")


def test_accounts_and_ous_are_listed_per_parent(cloud, org):
    (workloads,) = checked(org, "list_organizational_units_for_parent", ParentId=cloud.root_id)["OrganizationalUnits"]
    assert workloads["Name"] == "workloads"
    assert workloads["Id"].startswith(f"ou-{cloud.root_id[2:]}-")
    assert workloads["Arn"] == f"arn:aws:organizations::{MANAGEMENT}:ou/{cloud.organization_id}/{workloads['Id']}"
    (dev_ou,) = checked(org, "list_organizational_units_for_parent", ParentId=workloads["Id"])["OrganizationalUnits"]
    assert checked(org, "list_organizational_units_for_parent", ParentId=dev_ou["Id"])["OrganizationalUnits"] == []

    def ids(parent: str) -> list[str]:
        return [a["Id"] for a in everything(org, "list_accounts_for_parent", "Accounts", ParentId=parent)]

    assert ids(cloud.root_id) == [MANAGEMENT, OLD]
    assert ids(workloads["Id"]) == [PROD]
    assert ids(dev_ou["Id"]) == [DEV]


def test_list_roots_answers_the_one_root(cloud, org):
    (root,) = checked(org, "list_roots")["Roots"]
    assert root == {
        "Id": cloud.root_id,
        "Arn": f"arn:aws:organizations::{MANAGEMENT}:root/{cloud.organization_id}/{cloud.root_id}",
        "Name": "Root",
        "PolicyTypes": [],
    }


def test_describe_account_and_unknown_ids(cloud, org):
    account = checked(org, "describe_account", AccountId=DEV)["Account"]
    assert (account["Id"], account["Name"], account["Status"]) == (DEV, "dev", "SUSPENDED")
    for call, code in (
        (lambda: org.describe_account(AccountId="999999999999"), "AccountNotFoundException"),
        (lambda: org.describe_account(AccountId="12345"), "InvalidInputException"),
        (lambda: org.list_accounts_for_parent(ParentId="ou-zzzz-zzzzzzzz"), "ParentNotFoundException"),
        (lambda: org.list_organizational_units_for_parent(ParentId="r-zzzz"), "ParentNotFoundException"),
        (lambda: org.list_accounts_for_parent(ParentId="not-a-parent"), "InvalidInputException"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == code
        assert excinfo.value.response["Error"]["Message"]  # the Message member reached boto3
    cloud.remove_account(OLD)
    with pytest.raises(ClientError) as excinfo:
        org.describe_account(AccountId=OLD)
    assert error_code(excinfo) == "AccountNotFoundException"


def test_member_accounts_are_denied_and_former_members_are_not_in_an_organization(cloud, server):
    member = client(server.endpoint_url, "organizations", credentials=assume(server, PROD, "reader"))
    with pytest.raises(ClientError) as excinfo:
        member.list_accounts()
    assert error_code(excinfo) == "AccessDeniedException"
    cloud.remove_account(OLD)
    former = client(server.endpoint_url, "organizations", credentials=assume(server, OLD, "reader"))
    with pytest.raises(ClientError) as excinfo:
        former.list_roots()
    assert error_code(excinfo) == "AWSOrganizationsNotInUseException"
    # The management account's own role sessions may call them.
    cloud.add_role(MANAGEMENT, "org-reader")
    management = client(server.endpoint_url, "organizations", credentials=assume(server, MANAGEMENT, "org-reader"))
    assert len(management.list_accounts()["Accounts"]) == 3
    assert [c.operation for c in cloud.calls("organizations")] == ["ListAccounts", "ListRoots", "ListAccounts"]


def test_organizations_faults_and_the_state_endpoint(cloud, org, server):
    cloud.faults.fail(1, "TooManyRequestsException", operation="ListAccounts")
    with pytest.raises(ClientError) as excinfo:
        org.list_accounts()
    assert error_code(excinfo) == "TooManyRequestsException"
    assert len(org.list_accounts()["Accounts"]) == 4
    with urllib.request.urlopen(f"{server.endpoint_url}/_simulator/state") as response:
        assert json.load(response)["deployments"] == {}  # the management account's Simulator
