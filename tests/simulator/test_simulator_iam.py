"""IAM's ListAccountAliases in a simulator Cloud, through boto3's iam client over the Query
protocol on the same port as STS: the caller's account's alias (facts.py, iam.*)."""

from __future__ import annotations

import re
import urllib.request

import botocore.session
import pytest
from botocore.exceptions import ClientError
from support.cloud import assume, client
from support.simulated import assert_matches_shape, error_code

from exporter.simulator import Simulator, SimulatorServer
from exporter.simulator.cloud import Cloud
from exporter.simulator.iam import IAM_NAMESPACE
from exporter.simulator.server import query_service, service_from_authorization

MODEL = botocore.session.get_session().get_service_model("iam")
MANAGEMENT, PROD, DEV = "111111111111", "222222222222", "333333333333"


@pytest.fixture
def cloud() -> Cloud:
    cloud = Cloud()
    for account, name in ((PROD, "prod"), (DEV, "dev")):
        cloud.add_account(account, name)
        cloud.add_role(account, "reader")
    cloud.set_account_alias(MANAGEMENT, "acme-management")
    cloud.set_account_alias(PROD, "acme-prod")
    return cloud


def aliases(server, credentials=None, **params) -> list[str]:
    answer = client(server.endpoint_url, "iam", credentials=credentials).list_account_aliases(**params)
    answer.pop("ResponseMetadata")
    assert_matches_shape(MODEL.operation_model("ListAccountAliases").output_shape, answer)
    assert answer["IsTruncated"] is False and "Marker" not in answer
    result: list[str] = answer["AccountAliases"]
    return result


def test_list_account_aliases_answers_the_management_account_s_alias_to_static_keys(cloud, server):
    assert aliases(server) == ["acme-management"]
    assert aliases(server, MaxItems=1) == ["acme-management"]  # one alias fits any page
    (call, paged) = cloud.calls("iam", "ListAccountAliases")
    assert (call.service, call.access_key_id, call.params) == ("iam", "testing", {})
    assert paged.params == {"MaxItems": "1"}  # Query parameters arrive as strings
    # IAM and STS share the port without crossing.
    assert client(server.endpoint_url, "sts").get_caller_identity()["Account"] == MANAGEMENT
    assert cloud.call_count("sts", "GetCallerIdentity") == 1 and cloud.call_count("iam") == 2


def test_list_account_aliases_answers_an_assumed_role_s_account_alias(cloud, server):
    assert aliases(server, assume(server, PROD, "reader")) == ["acme-prod"]
    assert aliases(server, assume(server, DEV, "reader")) == []  # an account without alias: an empty list
    cloud.set_account_alias(DEV, "acme-dev")
    assert aliases(server, assume(server, DEV, "reader")) == ["acme-dev"]
    cloud.set_account_alias(DEV, "acme-dev-2")  # at most one alias: it replaces the other
    assert aliases(server, assume(server, DEV, "reader")) == ["acme-dev-2"]
    cloud.set_account_alias(DEV, None)
    assert aliases(server, assume(server, DEV, "reader")) == []
    assert cloud.account_alias(PROD) == "acme-prod" and cloud.account_alias(DEV) is None
    assert [c.access_key_id.startswith("ASIA") for c in cloud.calls("iam")] == [True] * 5


def test_an_account_without_alias_lists_none():
    cloud = Cloud()
    with SimulatorServer(cloud=cloud) as server:
        assert aliases(server) == []
    # A plain (non-organization) account may have an alias too.
    cloud.set_account_alias("999999999999", "outside")
    assert cloud.account_alias("999999999999") == "outside"


@pytest.mark.parametrize(
    "alias",
    ["ab", "a" * 64, "Acme", "acme_prod", "-acme", "acme-", "acme--prod", "acme prod", "acme\n", ""],
)
def test_set_account_alias_refuses_what_the_model_s_pattern_refuses(cloud, alias):
    with pytest.raises(ValueError):
        cloud.set_account_alias(DEV, alias)
    assert cloud.account_alias(DEV) is None
    pattern = MODEL.shape_for("accountAliasType").metadata["pattern"]
    assert not re.fullmatch(pattern, alias)  # Python's $ alone would take a trailing newline


def test_set_account_alias_takes_what_the_pattern_takes_once_across_accounts(cloud):
    for alias in ("abc", "a" * 63, "0-a-1", "acme-dev"):
        cloud.set_account_alias(DEV, alias)
        assert cloud.account_alias(DEV) == alias
    cloud.set_account_alias(DEV, "acme-dev")  # setting its own alias again is fine
    with pytest.raises(ValueError, match="already account 222222222222's"):
        cloud.set_account_alias(DEV, "acme-prod")  # aliases are unique across accounts
    with pytest.raises(ValueError, match="not an account id"):
        cloud.set_account_alias("prod", "acme-x")
    assert cloud.account_alias(DEV) == "acme-dev"


def test_iam_is_told_from_sts_by_the_credential_scope_or_the_version():
    header = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x"
    assert service_from_authorization(header) == "iam"
    assert service_from_authorization(header.replace("/iam/", "/sts/")) == "sts"
    assert service_from_authorization(None) is None
    assert query_service(header, "2011-06-15") == "iam"  # the signature wins
    assert query_service(None, "2010-05-08") == "iam"
    assert query_service(None, "2011-06-15") == query_service(None, None) == "sts"


def test_an_unsigned_iam_form_post_is_told_apart_by_its_version(cloud, server):
    request = urllib.request.Request(
        server.endpoint_url,
        data=b"Action=ListAccountAliases&Version=2010-05-08",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read().decode()
    assert body.startswith(f'<ListAccountAliasesResponse xmlns="{IAM_NAMESPACE}"><ListAccountAliasesResult>')
    assert "<AccountAliases><member>acme-management</member></AccountAliases><IsTruncated>false</IsTruncated>" in body
    assert cloud.calls("iam", "ListAccountAliases")[0].access_key_id is None


def test_iam_errors_reach_boto3_as_query_protocol_errors(cloud, server):
    cloud.faults.fail(1, "ServiceFailure", status=500, operation="ListAccountAliases", message="down")
    with pytest.raises(ClientError) as excinfo:
        client(server.endpoint_url, "iam").list_account_aliases()
    assert error_code(excinfo) == "ServiceFailure"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    with pytest.raises(ClientError) as excinfo:
        client(server.endpoint_url, "iam").list_users()
    assert error_code(excinfo) == "InvalidAction"


def test_a_server_without_a_cloud_answers_iam_calls_invalid_action():
    sim = Simulator()
    with SimulatorServer(sim) as server:
        with pytest.raises(ClientError) as excinfo:
            client(server.endpoint_url, "iam").list_account_aliases()
        assert error_code(excinfo) == "InvalidAction"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert client(server.endpoint_url, "sts").get_caller_identity()["Account"] == sim.account_id
    assert [c.operation for c in sim.calls] == ["GetCallerIdentity"]
