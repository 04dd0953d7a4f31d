"""Application revisions in the simulator (BatchGetApplicationRevisions,
RegisterApplicationRevision), through real boto3 over loopback HTTP, every answer validated
against botocore's output shapes. moto implements neither operation (facts.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from support.expo import FakeClock
from support.simulated import assert_valid_response, error_code, make_client

from exporter.simulator import (
    Simulator,
    SimulatorServer,
    appspec_revision,
    deployment_info,
    github_revision,
    s3_revision,
)

NOW = 1_700_000_000.0
BUNDLE = s3_revision("artifacts", "web/build-41.zip", version="v41", etag="e41")
COMMIT = github_revision("acme/web", "a" * 40)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock) -> Simulator:
    return Simulator(clock=clock)


@pytest.fixture
def client(sim):
    with SimulatorServer(sim) as server:
        yield make_client(server)


def _deploy(sim, deployment_id, group, revision, created, status="Succeeded"):
    sim.put_deployment(
        deployment_info(deployment_id, "web", group, status, created, complete_time=created + 60, revision=revision)
    )


def test_registered_revisions_are_read_back_with_their_register_time(sim, client):
    sim.register_application_revision("web", BUNDLE, register_time=NOW - 7200, description="build 41")
    sim.register_application_revision("web", COMMIT, register_time=NOW - 3600)
    _deploy(sim, "d-REV000001", "staging", BUNDLE, NOW - 3000)
    _deploy(sim, "d-REV000002", "prod", BUNDLE, NOW - 2000)
    _deploy(sim, "d-REV000003", "staging", COMMIT, NOW - 1000)  # staging moves on to the commit

    answer = client.batch_get_application_revisions(applicationName="web", revisions=[COMMIT, BUNDLE])
    assert answer["applicationName"] == "web" and answer["errorMessage"] == ""
    commit, bundle = answer["revisions"]  # in the order asked
    assert commit["revisionLocation"] == COMMIT and bundle["revisionLocation"] == BUNDLE
    assert bundle["genericRevisionInfo"]["registerTime"].timestamp() == NOW - 7200
    assert bundle["genericRevisionInfo"]["description"] == "build 41"
    assert bundle["genericRevisionInfo"]["firstUsedTime"].timestamp() == NOW - 3000
    assert bundle["genericRevisionInfo"]["lastUsedTime"].timestamp() == NOW - 2000
    assert bundle["genericRevisionInfo"]["deploymentGroups"] == ["prod"]
    assert commit["genericRevisionInfo"]["registerTime"].timestamp() == NOW - 3600
    assert commit["genericRevisionInfo"]["deploymentGroups"] == ["staging"]
    assert "description" not in commit["genericRevisionInfo"]
    assert_valid_response(sim, "BatchGetApplicationRevisions", {"applicationName": "web", "revisions": [BUNDLE]})


def test_a_registered_revision_never_deployed_has_no_usage(sim, client):
    sim.register_application_revision("web", COMMIT, register_time=NOW - 60)
    (info,) = client.batch_get_application_revisions(applicationName="web", revisions=[COMMIT])["revisions"]
    generic = info["genericRevisionInfo"]
    assert generic["deploymentGroups"] == []
    assert "firstUsedTime" not in generic and "lastUsedTime" not in generic


def test_unregistered_revisions_are_left_out_and_named(sim, client):
    sim.register_application_revision("web", BUNDLE, register_time=NOW - 60)
    other_version = s3_revision("artifacts", "web/build-41.zip", version="v42", etag="e41")
    inline = appspec_revision("version: 0.0")
    answer = client.batch_get_application_revisions(
        applicationName="web", revisions=[other_version, BUNDLE, inline, BUNDLE]
    )
    assert [r["revisionLocation"] for r in answer["revisions"]] == [BUNDLE]  # once, though asked twice
    assert "v42" in answer["errorMessage"] and inline["appSpecContent"]["sha256"] in answer["errorMessage"]


def test_a_revision_deployed_unregistered_is_registered_by_its_first_deployment(sim, client):
    _deploy(sim, "d-IMPLICIT2", "prod", COMMIT, NOW - 1000)
    _deploy(sim, "d-IMPLICIT1", "staging", COMMIT, NOW - 2000)  # the first by createTime
    inline = appspec_revision("version: 0.0")
    _deploy(sim, "d-IMPLICIT3", "lambda", inline, NOW - 500)
    answer = client.batch_get_application_revisions(applicationName="web", revisions=[COMMIT, inline])
    (info,) = answer["revisions"]  # the inline revision is not registered by its deployment
    generic = info["genericRevisionInfo"]
    assert generic["description"] == "Application revision registered by Deployment ID: d-IMPLICIT1"
    assert generic["registerTime"].timestamp() == generic["firstUsedTime"].timestamp() == NOW - 2000
    assert generic["lastUsedTime"].timestamp() == NOW - 1000
    assert inline["appSpecContent"]["sha256"] in answer["errorMessage"]
    sim.register_application_revision("web", COMMIT, register_time=NOW - 9000, description="CI build 7")
    (info,) = client.batch_get_application_revisions(applicationName="web", revisions=[COMMIT])["revisions"]
    assert info["genericRevisionInfo"]["registerTime"].timestamp() == NOW - 9000  # the registration wins
    assert info["genericRevisionInfo"]["description"] == "CI build 7"


def test_register_application_revision_through_boto3(sim, client, clock):
    sim.put_application("web")
    client.register_application_revision(applicationName="web", revision=COMMIT, description="first")
    clock.advance(600)
    (info,) = client.batch_get_application_revisions(applicationName="web", revisions=[COMMIT])["revisions"]
    assert info["genericRevisionInfo"]["registerTime"].timestamp() == NOW
    client.register_application_revision(applicationName="web", revision=COMMIT, description="again")
    (info,) = client.batch_get_application_revisions(applicationName="web", revisions=[COMMIT])["revisions"]
    assert info["genericRevisionInfo"]["registerTime"].timestamp() == NOW + 600
    assert info["genericRevisionInfo"]["description"] == "again"


def test_application_revision_errors_are_the_model_s(sim, client):
    sim.register_application_revision("web", COMMIT, register_time=NOW)
    revisions = [github_revision("acme/web", f"{n:040x}") for n in range(26)]
    assert (
        len(client.batch_get_application_revisions(applicationName="web", revisions=revisions[:25])["revisions"]) == 0
    )
    cases = [
        ({"applicationName": "web", "revisions": revisions}, "BatchLimitExceededException"),
        ({"applicationName": "nope", "revisions": [COMMIT]}, "ApplicationDoesNotExistException"),
        ({"applicationName": "web", "revisions": []}, "RevisionRequiredException"),
        (
            {"applicationName": "web", "revisions": [{"revisionType": "S3", "s3Location": {"bucket": "b"}}]},
            "InvalidRevisionException",
        ),
        (
            {"applicationName": "web", "revisions": [{"revisionType": "GitHub", "s3Location": {"bucket": "b"}}]},
            "InvalidRevisionException",
        ),
    ]
    for params, code in cases:
        with pytest.raises(ClientError) as excinfo:
            client.batch_get_application_revisions(**params)
        assert error_code(excinfo) == code, params
    with pytest.raises(ClientError) as excinfo:
        client.register_application_revision(applicationName="nope", revision=COMMIT)
    assert error_code(excinfo) == "ApplicationDoesNotExistException"
    status, body = sim.handle("BatchGetApplicationRevisions", {"revisions": [COMMIT]})
    assert (status, body["__type"]) == (400, "ApplicationNameRequiredException")


def test_moto_does_not_implement_application_revisions():
    """No cross-check is possible: when moto gains these operations, this fails and one is due."""
    from moto.codedeploy.responses import CodeDeployResponse

    assert not hasattr(CodeDeployResponse, "batch_get_application_revisions")
    assert not hasattr(CodeDeployResponse, "register_application_revision")
