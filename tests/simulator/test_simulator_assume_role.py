"""STS AssumeRole in a simulator Cloud, through boto3's sts client over the Query protocol:
the credentials it issues, the identity they carry, and its errors (facts.py, sts.assume_role*)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from botocore.exceptions import ClientError
from support.cloud import assume, client
from support.expo import FakeClock

from exporter.simulator.cloud import Cloud

MANAGEMENT, PROD = "111111111111", "222222222222"
NOW = 1_700_000_000.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def cloud(clock) -> Cloud:
    cloud = Cloud(clock=clock)
    cloud.add_account(PROD, "prod")
    cloud.add_role(PROD, "reader")
    cloud.add_role(PROD, "partner", external_id="s3cret-id")
    cloud.add_role(PROD, "long", max_session_duration=43200)
    return cloud


@pytest.fixture
def sts(server):
    return client(server.endpoint_url, "sts")


def denied(sts, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(**kwargs)
    return excinfo.value


def test_assume_role_answers_credentials_for_the_role_s_account(sts):
    answer = sts.assume_role(RoleArn=f"arn:aws:iam::{PROD}:role/reader", RoleSessionName="exporter")
    credentials, user = answer["Credentials"], answer["AssumedRoleUser"]
    assert set(credentials) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", credentials["AccessKeyId"])
    assert len(credentials["SecretAccessKey"]) == 40 and credentials["SessionToken"]
    assert isinstance(credentials["Expiration"], datetime)
    assert user["Arn"] == f"arn:aws:sts::{PROD}:assumed-role/reader/exporter"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}:exporter", user["AssumedRoleId"])
    again = sts.assume_role(RoleArn=f"arn:aws:iam::{PROD}:role/reader", RoleSessionName="exporter")
    assert again["Credentials"]["AccessKeyId"] != credentials["AccessKeyId"]  # a new session each time
    assert again["AssumedRoleUser"]["AssumedRoleId"] == user["AssumedRoleId"]  # the same role


def test_caller_identity_of_an_assumed_role_names_the_role_and_its_account(server):
    credentials = assume(server, PROD, "reader")
    identity = client(server.endpoint_url, "sts", credentials=credentials).get_caller_identity()
    assert identity["Account"] == PROD
    assert identity["Arn"] == f"arn:aws:sts::{PROD}:assumed-role/reader/tests"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}:tests", identity["UserId"])


def test_session_expiration_follows_duration_seconds(sts, clock):
    def expiration(role: str, **kwargs) -> float:
        arn = f"arn:aws:iam::{PROD}:role/{role}"
        return sts.assume_role(RoleArn=arn, RoleSessionName="s1", **kwargs)["Credentials"]["Expiration"].timestamp()

    assert expiration("reader") == NOW + 3600
    assert expiration("reader", DurationSeconds=900) == NOW + 900
    assert expiration("long", DurationSeconds=43200) == NOW + 43200
    clock.advance(60)
    assert expiration("reader") == NOW + 60 + 3600
    error = denied(sts, RoleArn=f"arn:aws:iam::{PROD}:role/reader", RoleSessionName="s1", DurationSeconds=7200)
    assert error.response["Error"]["Code"] == "ValidationError"
    assert "MaxSessionDuration" in error.response["Error"]["Message"]


def test_assume_role_is_denied_without_the_role_or_its_external_id(server, sts):
    for kwargs in (
        {"RoleArn": f"arn:aws:iam::{PROD}:role/no-such-role"},
        {"RoleArn": f"arn:aws:iam::{MANAGEMENT}:role/reader"},  # a role of another account
        {"RoleArn": f"arn:aws:iam::{PROD}:role/partner"},  # its external id missing
        {"RoleArn": f"arn:aws:iam::{PROD}:role/partner", "ExternalId": "wrong-id"},
    ):
        error = denied(sts, RoleSessionName="s1", **kwargs)
        assert error.response["Error"]["Code"] == "AccessDenied"
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert error.response["Error"]["Message"] == (
            f"User: arn:aws:iam::{MANAGEMENT}:user/simulator is not authorized to perform: "
            f"sts:AssumeRole on resource: {kwargs['RoleArn']}"
        )
    assert assume(server, PROD, "partner", ExternalId="s3cret-id")["AccessKeyId"].startswith("ASIA")
    # Role chaining: the caller is the assumed role.
    chained = client(server.endpoint_url, "sts", credentials=assume(server, PROD, "reader"))
    error = denied(chained, RoleArn=f"arn:aws:iam::{PROD}:role/partner", RoleSessionName="s1")
    caller = f"arn:aws:sts::{PROD}:assumed-role/reader/tests"
    assert error.response["Error"]["Message"].startswith(f"User: {caller} is not authorized")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"RoleArn": "arn:aws:iam::2222:role/reader"},
        {"RoleArn": f"arn:aws:s3:::{PROD}-bucket/reader"},
        {"RoleArn": f"arn:aws:iam::{PROD}:user/reader"},
        {"RoleArn": f"arn:aws:iam::{PROD}:role/reader", "RoleSessionName": "has space"},
    ],
    ids=["short-account", "not-iam", "not-a-role", "bad-session-name"],
)
def test_assume_role_validates_its_parameters(sts, kwargs):
    error = denied(sts, **{"RoleSessionName": "s1", **kwargs})
    assert error.response["Error"]["Code"] == "ValidationError"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_assume_role_with_a_path_in_the_arn_finds_the_role(sts):
    answer = sts.assume_role(RoleArn=f"arn:aws:iam::{PROD}:role/team/ops/reader", RoleSessionName="s1")
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{PROD}:assumed-role/reader/s1"
