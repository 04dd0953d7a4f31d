"""Cross-checks: the simulator and moto (an independent fake, run as a real HTTP server on
loopback) given the same setup answer the same, for the operations moto implements
(ListApplications, ListDeploymentGroups, GetDeploymentGroup, ListDeployments,
BatchGetDeployments, ListTagsForResource, STS GetCallerIdentity). moto has no
BatchGetDeploymentGroups, no deployment-target operations and no pagination; its
deployments never leave Created and its lastAttempted/lastSuccessful are empty, so those
facts rest on the model and the CLI examples instead (facts.py)."""

from __future__ import annotations

import urllib.request
from typing import Literal

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from exporter.aws.parse import parse_deployment
from exporter.simulator import BlueGreenRun, Simulator, SimulatorServer, blue_green_configuration
from exporter.simulator.builders import deployment_id_for, deployment_info

ACCOUNT = "123456789012"  # moto's default account, also the simulator's
GROUPS = {"web": ["prod", "staging"], "api": ["prod"], "batch": []}
TAGS = {("web", "prod"): {"team": "payments", "env": "prod"}, ("api", "prod"): {"env": "dev"}}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/CodeDeployServiceRole"


def _client(url: str, service: Literal["codedeploy", "sts"] = "codedeploy"):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture(scope="module")
def both(moto_url):
    """The same applications, groups, tags and deployments in moto and in the simulator."""
    # moto's backends are process-wide: start from, and leave, an empty moto.
    _reset_moto(moto_url)
    moto_client = _client(moto_url)
    sim = Simulator(page_size=1000)  # moto does not page; compare whole listings
    server = SimulatorServer(sim).start()
    sim_client = _client(server.endpoint_url)
    deployments: dict[str, list[str]] = {"moto": [], "sim": []}
    for application, groups in GROUPS.items():
        moto_client.create_application(applicationName=application, computePlatform="Server")
        sim.put_application(application)
        for group in groups:
            tags = TAGS.get((application, group), {})
            moto_client.create_deployment_group(
                applicationName=application,
                deploymentGroupName=group,
                serviceRoleArn=ROLE,
                deploymentConfigName="CodeDeployDefault.OneAtATime",
                deploymentStyle={
                    "deploymentType": "IN_PLACE",
                    "deploymentOption": "WITHOUT_TRAFFIC_CONTROL",
                },
                tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )
            sim.put_deployment_group(application, group, tags=tags)
    # moto creates deployments in Created, with its own ids and create times.
    for n, (application, group) in enumerate([("web", "prod"), ("web", "staging"), ("api", "prod"), ("web", "prod")]):
        deployments["moto"].append(
            moto_client.create_deployment(
                applicationName=application,
                deploymentGroupName=group,
                revision={"revisionType": "GitHub", "gitHubLocation": {"repository": "o/r", "commitId": "c" * 40}},
            )["deploymentId"]
        )
        dep = deployment_id_for(f"moto-cross-check:{n}")
        sim.put_deployment(deployment_info(dep, application, group, "Created", 1_700_000_000 + n), started=False)
        deployments["sim"].append(dep)
    yield {"moto": moto_client, "sim": sim_client, "simulator": sim, "deployments": deployments}
    _reset_moto(moto_url)
    server.stop()


def _reset_moto(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=5).close()


def answer(client, method: str, **kwargs):
    """The response without metadata, or the error code."""
    try:
        response = getattr(client, method)(**kwargs)
    except ClientError as error:
        return ("error", error.response["Error"]["Code"])
    response.pop("ResponseMetadata", None)
    return response


def test_listings_match_moto(both):
    moto, sim = both["moto"], both["sim"]
    assert sorted(answer(moto, "list_applications")["applications"]) == answer(sim, "list_applications")["applications"]
    for application in GROUPS:
        from_moto = answer(moto, "list_deployment_groups", applicationName=application)
        from_sim = answer(sim, "list_deployment_groups", applicationName=application)
        assert from_moto["applicationName"] == from_sim["applicationName"] == application
        assert sorted(from_moto["deploymentGroups"]) == sorted(from_sim["deploymentGroups"])


def test_get_deployment_group_matches_moto(both):
    moto, sim = both["moto"], both["sim"]
    keys = (
        "applicationName",
        "deploymentGroupName",
        "deploymentConfigName",
        "computePlatform",
        "deploymentStyle",
        "serviceRoleArn",
        "autoScalingGroups",
        "triggerConfigurations",
    )
    for application, groups in GROUPS.items():
        for group in groups:
            from_moto = answer(moto, "get_deployment_group", applicationName=application, deploymentGroupName=group)[
                "deploymentGroupInfo"
            ]
            from_sim = answer(sim, "get_deployment_group", applicationName=application, deploymentGroupName=group)[
                "deploymentGroupInfo"
            ]
            assert {k: from_sim[k] for k in keys} == {k: from_moto[k] for k in keys}
    for kwargs in (
        {"applicationName": "nope", "deploymentGroupName": "prod"},
        {"applicationName": "web", "deploymentGroupName": "nope"},
    ):
        assert answer(moto, "get_deployment_group", **kwargs) == answer(sim, "get_deployment_group", **kwargs)


def test_list_tags_for_resource_matches_moto(both):
    moto, sim = both["moto"], both["sim"]
    simulator = both["simulator"]
    for application, groups in GROUPS.items():
        for group in groups:
            arn = simulator.deployment_group_arn(application, group)
            assert (
                answer(moto, "list_tags_for_resource", ResourceArn=arn)["Tags"]
                == answer(sim, "list_tags_for_resource", ResourceArn=arn)["Tags"]
            )
    unknown = simulator.deployment_group_arn("web", "no-such-group")
    assert answer(moto, "list_tags_for_resource", ResourceArn=unknown)["Tags"] == []
    assert answer(sim, "list_tags_for_resource", ResourceArn=unknown)["Tags"] == []


def test_list_deployments_scope_and_validation_match_moto(both):
    moto, sim = both["moto"], both["sim"]
    deployments = both["deployments"]

    def ids(client, **kwargs):
        return answer(client, "list_deployments", **kwargs)

    assert len(ids(moto)["deployments"]) == len(ids(sim)["deployments"]) == 4
    assert sorted(ids(moto)["deployments"]) == sorted(deployments["moto"])
    for kwargs in (
        {"applicationName": "web", "deploymentGroupName": "prod"},
        {"applicationName": "api", "deploymentGroupName": "prod"},
        {"includeOnlyStatuses": ["Created"]},
        {"includeOnlyStatuses": ["Succeeded"]},
    ):
        assert len(ids(moto, **kwargs)["deployments"]) == len(ids(sim, **kwargs)["deployments"])
    for kwargs in (
        {"applicationName": "web"},
        {"deploymentGroupName": "prod"},
        {"createTimeRange": {"start": 2_000_000_000, "end": 1_000_000_000}},
    ):
        assert ids(moto, **kwargs) == ids(sim, **kwargs), kwargs
        assert ids(sim, **kwargs)[0] == "error"


def test_batch_get_deployments_omits_unknown_ids_like_moto(both):
    moto, sim = both["moto"], both["sim"]
    deployments = both["deployments"]
    from_moto = answer(moto, "batch_get_deployments", deploymentIds=[deployments["moto"][0], "d-UNKNOWN99"])
    from_sim = answer(sim, "batch_get_deployments", deploymentIds=[deployments["sim"][0], "d-UNKNOWN99"])
    assert len(from_moto["deploymentsInfo"]) == len(from_sim["deploymentsInfo"]) == 1
    moto_info, sim_info = from_moto["deploymentsInfo"][0], from_sim["deploymentsInfo"][0]
    for key in ("applicationName", "deploymentGroupName", "status", "creator", "computePlatform"):
        assert moto_info[key] == sim_info[key], key
    assert (
        answer(moto, "get_deployment", deploymentId="d-UNKNOWN99")
        == answer(sim, "get_deployment", deploymentId="d-UNKNOWN99")
        == ("error", "DeploymentDoesNotExistException")
    )


def test_caller_identity_has_moto_s_members_and_account(both):
    moto_url = both["moto"].meta.endpoint_url
    sim_url = both["sim"].meta.endpoint_url
    from_moto = answer(_client(moto_url, "sts"), "get_caller_identity")
    from_sim = answer(_client(sim_url, "sts"), "get_caller_identity")
    assert set(from_moto) == set(from_sim) == {"UserId", "Account", "Arn"}
    assert from_moto["Account"] == from_sim["Account"] == ACCOUNT
    # Partition and account agree; moto names its default user under sts, the CLI example
    # (which the simulator follows) an IAM user under iam.
    sim_arn, moto_arn = from_sim["Arn"].split(":"), from_moto["Arn"].split(":")
    assert (sim_arn[1], sim_arn[4]) == (moto_arn[1], moto_arn[4]) == ("aws", ACCOUNT)


def test_a_blue_green_deployment_carries_its_group_s_configuration_as_in_moto(moto_url):
    """moto copies the group's blueGreenDeploymentConfiguration into each DeploymentInfo; the
    simulator's blue/green runs carry the same shape, and the exporter reads the same waits."""
    _reset_moto(moto_url)
    try:
        moto_client = _client(moto_url)
        config = blue_green_configuration(termination_wait_minutes=30, ready_wait_minutes=10)
        moto_client.create_application(applicationName="bg", computePlatform="Server")
        moto_client.create_deployment_group(
            applicationName="bg",
            deploymentGroupName="prod",
            serviceRoleArn=ROLE,
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            blueGreenDeploymentConfiguration=config,
        )
        dep = moto_client.create_deployment(
            applicationName="bg",
            deploymentGroupName="prod",
            revision={"revisionType": "GitHub", "gitHubLocation": {"repository": "o/r", "commitId": "c" * 40}},
        )["deploymentId"]
        from_moto = moto_client.get_deployment(deploymentId=dep)["deploymentInfo"]
        sim = Simulator()
        with SimulatorServer(sim) as server:
            BlueGreenRun(sim, "d-MOTOBG001", "bg", "prod", 1_700_000_000.0, 60.0, ready_wait_minutes=10,
                         termination_wait_minutes=30).at(1_700_000_000.0)  # fmt: skip
            from_sim = _client(server.endpoint_url).get_deployment(deploymentId="d-MOTOBG001")["deploymentInfo"]
        assert from_moto["blueGreenDeploymentConfiguration"] == from_sim["blueGreenDeploymentConfiguration"] == config
        read = [parse_deployment(d) for d in (from_moto, from_sim)]
        assert {(r.ready_action, r.ready_wait, r.termination_action, r.termination_wait) for r in read} == {
            ("CONTINUE_DEPLOYMENT", 600.0, "TERMINATE", 1800.0)
        }
    finally:
        _reset_moto(moto_url)
