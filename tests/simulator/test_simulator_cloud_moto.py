"""Cross-checks of the Cloud against moto (an independent fake, as a real HTTP server on
loopback): the same boto3 calls answer with the same shapes, fields and status values in
both. Ids differ (each makes its own); moto assumes any role (it keeps no trust policies),
so the AccessDenied facts rest on the API reference (facts.py)."""

from __future__ import annotations

import re
import time
import urllib.request

import pytest
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
    with SimulatorServer(cloud=cloud) as server:
        yield {"moto": moto_url, "sim": server.endpoint_url, "cloud": cloud}
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
