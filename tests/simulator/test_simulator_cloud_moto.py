"""Cross-checks of the Cloud against moto (an independent fake, as a real HTTP server on
loopback): the same boto3 calls (STS AssumeRole; an organization with accounts and an OU
listed through Organizations) answer with the same shapes, fields, status values and
paging in both. Ids differ (each makes its own); moto assumes any role (it keeps no trust
policies) and lets any account list the organization, so the AccessDenied facts rest on
the API reference (facts.py). moto has no Account ListRegions. IAM ListAccountAliases of the
management account and of an assumed role answer the same aliases."""

from __future__ import annotations

import re
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from support.cloud import client

from exporter.simulator import SimulatorServer
from exporter.simulator.cloud import Cloud

MANAGEMENT = "123456789012"  # moto's default account: use it as the Cloud's management account too
MEMBER = "222222222222"


def _reset_moto(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=5).close()


@pytest.fixture(scope="module")
def both(moto_url):
    """moto and a Cloud, each ready for the same calls; {"moto": url, "sim": url, "cloud": cloud}."""
    _reset_moto(moto_url)  # moto's backends are process-wide: start from, and leave, an empty moto
    cloud = Cloud(management_account=MANAGEMENT)
    cloud.add_account(MEMBER, "member")
    cloud.add_role(MEMBER, "reader")
    # The same organization in both: the management account, an OU with one account in it,
    # two accounts under the root.
    org = client(moto_url, "organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    created = [
        org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
        for name in ("prod", "dev", "sandbox")
    ]
    org.move_account(AccountId=created[0], SourceParentId=root, DestinationParentId=ou)
    sim_ou = cloud.add_ou("workloads")
    for account, name, parent in (
        ("333333333333", "prod", sim_ou),
        ("444444444444", "dev", None),
        ("555555555555", "sandbox", None),
    ):
        cloud.add_account(account, name, parent_id=parent)
    cloud.remove_account(MEMBER)  # a member in the org for AssumeRole only; moto has 4 accounts too
    with SimulatorServer(cloud=cloud) as server:
        yield {"moto": moto_url, "sim": server.endpoint_url, "cloud": cloud, "ou": {"moto": ou, "sim": sim_ou}}
    _reset_moto(moto_url)


def _assume(url: str) -> dict:
    answer = client(url, "sts").assume_role(RoleArn=f"arn:aws:iam::{MEMBER}:role/reader", RoleSessionName="s1")
    answer.pop("ResponseMetadata")
    return answer


def test_assume_role_has_moto_s_shape(both):
    from_moto, from_sim = _assume(both["moto"]), _assume(both["sim"])
    # moto adds PackedPolicySize (the size of session policies, which the Cloud does not take).
    assert set(from_sim) == set(from_moto) - {"PackedPolicySize"} == {"Credentials", "AssumedRoleUser"}
    assert set(from_sim["Credentials"]) == set(from_moto["Credentials"])
    for answer in (from_moto, from_sim):
        credentials, user = answer["Credentials"], answer["AssumedRoleUser"]
        assert re.fullmatch(r"ASIA[A-Z0-9]{16}", credentials["AccessKeyId"])
        assert len(credentials["SecretAccessKey"]) == 40
        assert type(credentials["Expiration"]).__name__ == "datetime"
        assert user["Arn"] == f"arn:aws:sts::{MEMBER}:assumed-role/reader/s1"
        assert re.fullmatch(r"AROA[A-Z0-9]+:s1", user["AssumedRoleId"])
    for answer, url in ((from_moto, both["moto"]), (from_sim, both["sim"])):
        credentials = answer["Credentials"]
        # Both keep a session an hour without DurationSeconds.
        assert abs(credentials["Expiration"].timestamp() - time.time() - 3600) < 60
        got = client(url, "sts", credentials=credentials).get_caller_identity()
        assert (got["Account"], got["Arn"]) == (MEMBER, f"arn:aws:sts::{MEMBER}:assumed-role/reader/s1")
        assert re.fullmatch(r"AROA[A-Z0-9]+:s1", got["UserId"])


def _everything(url: str, operation: str, key: str, **params) -> tuple[list[dict], int]:
    """Every item of a listing, and how many pages it took."""
    org, token, pages = client(url, "organizations"), None, 0
    items: list[dict] = []
    while True:
        page = getattr(org, operation)(**params, **({"NextToken": token} if token else {}))
        items, token, pages = items + page[key], page.get("NextToken"), pages + 1
        if not token:
            return items, pages


def test_organizations_listings_have_moto_s_shapes(both):
    urls = {"moto": both["moto"], "sim": both["sim"]}
    accounts = {name: _everything(url, "list_accounts", "Accounts")[0] for name, url in urls.items()}
    assert len(accounts["moto"]) == len(accounts["sim"]) == 4
    assert accounts["moto"][0]["Id"] == accounts["sim"][0]["Id"] == MANAGEMENT  # the management account first
    for from_moto, from_sim in zip(accounts["moto"], accounts["sim"], strict=True):
        assert set(from_moto) == set(from_sim)
        for key in ("Status", "State", "JoinedMethod"):
            assert from_moto[key] == from_sim[key], key
        for account in (from_moto, from_sim):
            pattern = rf"arn:aws:organizations::{MANAGEMENT}:account/o-[a-z0-9]{{10,32}}/{account['Id']}"
            assert re.fullmatch(pattern, account["Arn"])
    # The same names in the same (joining) order; moto names its management account "master".
    assert [a["Name"] for a in accounts["moto"][1:]] == [a["Name"] for a in accounts["sim"][1:]]
    # Paging: two accounts a page, a NextToken while more remain, none on the last page.
    assert _everything(urls["moto"], "list_accounts", "Accounts", MaxResults=2)[1] == 2
    assert _everything(urls["sim"], "list_accounts", "Accounts", MaxResults=2)[1] == 2
    roots = {name: client(url, "organizations").list_roots()["Roots"] for name, url in urls.items()}
    assert [set(r) for r in roots["moto"]] == [set(r) for r in roots["sim"]]
    assert roots["moto"][0]["Name"] == roots["sim"][0]["Name"] == "Root"
    for name, url in urls.items():
        org = client(url, "organizations")
        root = roots[name][0]["Id"]
        (ou,) = org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
        assert (ou["Id"], ou["Name"]) == (both["ou"][name], "workloads")
        assert set(ou) == {"Id", "Arn", "Name"}
        assert [a["Name"] for a in org.list_accounts_for_parent(ParentId=ou["Id"])["Accounts"]] == ["prod"]
        in_root = {a["Name"] for a in org.list_accounts_for_parent(ParentId=root)["Accounts"]}
        assert in_root == {"master" if name == "moto" else "management", "dev", "sandbox"}
    described = {
        name: client(url, "organizations").describe_account(AccountId=accounts[name][1]["Id"])["Account"]
        for name, url in urls.items()
    }
    assert set(described["moto"]) == set(described["sim"])


def test_organizations_errors_match_moto(both):
    def code(url: str, operation: str, **params) -> str:
        try:
            getattr(client(url, "organizations"), operation)(**params)
        except ClientError as error:
            return error.response["Error"]["Code"]
        return "no error"

    for operation, params in (
        ("describe_account", {"AccountId": "999999999999"}),
        ("list_accounts_for_parent", {"ParentId": "ou-zzzz-zzzzzzzz"}),
        ("list_organizational_units_for_parent", {"ParentId": "r-zzzz"}),
    ):
        assert code(both["moto"], operation, **params) == code(both["sim"], operation, **params) != "no error"


def test_list_account_aliases_has_moto_s_shape(both):
    """The management account's alias (static keys) and a member's (assumed role, none): the
    same aliases in both. moto leaves out IsTruncated; the Cloud answers it (false), a member
    of the model's ListAccountAliasesResponse that AWS's example shows."""
    client(both["moto"], "iam").create_account_alias(AccountAlias="acme-management")
    both["cloud"].set_account_alias(MANAGEMENT, "acme-management")
    for credentials, expected in ((None, ["acme-management"]), ("assumed", [])):
        answers = {}
        for name in ("moto", "sim"):
            url = both[name]
            creds = _assume(url)["Credentials"] if credentials else None
            answer = client(url, "iam", credentials=creds).list_account_aliases()
            answer.pop("ResponseMetadata")
            answers[name] = answer
        assert answers["moto"]["AccountAliases"] == answers["sim"]["AccountAliases"] == expected
        assert set(answers["sim"]) == set(answers["moto"]) | {"IsTruncated"} == {"AccountAliases", "IsTruncated"}
        assert answers["sim"]["IsTruncated"] is False
    # Both keep one alias an account: a second replaces the first.
    client(both["moto"], "iam").create_account_alias(AccountAlias="acme-root")
    both["cloud"].set_account_alias(MANAGEMENT, "acme-root")
    for url in (both["moto"], both["sim"]):
        assert client(url, "iam").list_account_aliases()["AccountAliases"] == ["acme-root"]
