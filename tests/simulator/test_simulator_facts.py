"""The simulator's facts table (exporter/simulator/facts.py) held to botocore's service model,
and the behaviours it implements beyond targets (STS, deployment facts, groups and tags,
region-wide listing, the demo's stop and rollback, the account fleet), through real boto3
over loopback HTTP. Every response is validated against botocore's output shapes."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path
from typing import TypeVar

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import ServiceModel, Shape, StringShape, StructureShape
from support.paths import REPO
from support.simulated import (
    CYCLE,
    CYCLE_START,
    MODEL,
    assert_matches_shape,
    assert_valid_response,
    demo,
    error_code,
    make_client,
)

from exporter.simulator import (
    DEMO_GROUPS,
    BlueGreenRun,
    Simulator,
    SimulatorServer,
    appspec_revision,
    build_account,
    deployment_info,
    github_revision,
    put_failed_deployment,
    put_finished_deployment,
    put_rollback,
    put_stopped_deployment,
    s3_revision,
    string_revision,
)
from exporter.simulator.facts import CLOUD_OPERATION_ERRORS, FACTS, OPERATION_ERRORS, STS_COMMON_ERRORS
from exporter.simulator.records import target_body
from exporter.simulator.scenarios.lambdas import DEMO_ALARM

SESSION = botocore.session.get_session()
MODELS = {
    "codedeploy": MODEL,
    "sts": SESSION.get_service_model("sts"),
    "organizations": SESSION.get_service_model("organizations"),
    "account": SESSION.get_service_model("account"),
    "iam": SESSION.get_service_model("iam"),
}
NOW = 1_700_000_000.0
HERE = Path(__file__).parent


# ---- the facts table against the model ----------------------------------------------------
def _documentation(model, operation: str) -> str:
    op = model.operation_model(operation)
    texts = [op.documentation] + [m.documentation for m in op.input_shape.members.values()]
    return re.sub(r"<[^>]+>", "", " ".join(texts))


S = TypeVar("S", bound=Shape)


def _shape(model: ServiceModel, name: str, kind: type[S]) -> S:
    shape = model.shape_for(name)
    assert isinstance(shape, kind), f"{name} is a {type(shape).__name__}, not a {kind.__name__}"
    return shape


def check_against_model(fact) -> None:
    kind, service, name = fact.model
    model = MODELS[service]
    if kind == "enum":
        assert sorted(fact.value) == sorted(_shape(model, name, StringShape).enum), fact.key
    elif kind == "enum_subset":
        assert set(fact.value) <= set(_shape(model, name, StringShape).enum), fact.key
    elif kind == "members":
        values = (fact.value,) if isinstance(fact.value, str) else fact.value
        assert set(values) <= set(_shape(model, name, StructureShape).members), fact.key
    elif kind == "doc_number":
        assert re.search(rf"\bis {fact.value}\b", _documentation(model, name)), fact.key
    elif kind == "doc_mentions":  # name is Shape.member: its documentation states the value
        shape, member = name.split(".")
        text = re.sub(r"<[^>]+>", "", _shape(model, shape, StructureShape).members[member].documentation)
        assert re.search(rf"\b{fact.value}\b", text), fact.key
    elif kind == "pattern":  # value: examples the simulator makes, each matching the shape's pattern
        pattern = model.shape_for(name).metadata["pattern"]
        for example in (fact.value,) if isinstance(fact.value, str) else fact.value:
            assert re.search(pattern, example), f"{fact.key}: {example!r} !~ {pattern}"
    elif kind == "same_pattern":  # value: the pattern the simulator checks, the model's own
        assert model.shape_for(name).metadata["pattern"] == fact.value, fact.key
    elif kind == "request_uri":
        assert model.operation_model(name).http["requestUri"] == fact.value, fact.key
    elif kind == "range":  # value is (min, max) of a number shape
        metadata = model.shape_for(name).metadata
        assert (metadata.get("min"), metadata.get("max")) == tuple(fact.value), fact.key
    elif kind == "errors":
        for operation, codes in fact.value.items():
            declared = {s.name for s in model.operation_model(operation).error_shapes}
            assert set(codes) <= declared, f"{operation}: {set(codes) - declared}"
    elif kind == "operations":
        assert set(fact.value) <= set(model.operation_names), fact.key
    elif kind == "protocol":
        protocol = fact.value if isinstance(fact.value, str) else fact.value[0]
        # Newer models list several protocols (CodeDeploy's: smithy-rpc-v2-cbor, json);
        # botocore speaks the first it supports, which must be the one the simulator speaks.
        assert protocol in model.metadata.get("protocols", [model.metadata["protocol"]])
        assert getattr(model, "resolved_protocol", model.metadata["protocol"]) == protocol
        if service == "organizations":
            assert model.metadata["targetPrefix"] + "." == fact.value[1]
        if service in ("sts", "iam"):
            _, version, namespace = fact.value
            assert (model.metadata["apiVersion"], model.metadata["xmlNamespace"]) == (
                version,
                namespace,
            )
    else:
        raise AssertionError(f"unknown model check {kind} in {fact.key}")


@pytest.mark.parametrize("fact", [f for f in FACTS if f.model], ids=lambda f: f.key)
def test_fact_agrees_with_botocore_s_model(fact):
    check_against_model(fact)


def test_every_fact_has_a_source_and_names_tests_that_exist():
    defined = set()
    for path in HERE.glob("test_simulator*.py"):
        tree = ast.parse(path.read_text())
        defined |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert len({f.key for f in FACTS}) == len(FACTS)
    for fact in FACTS:
        assert fact.source and fact.behaviour and fact.tests, fact.key
        missing = set(fact.tests) - defined
        assert not missing, f"{fact.key} names tests that do not exist: {missing}"


def test_model_checks_catch_a_wrong_fact():
    """The checker itself: a table that disagrees with the model fails it."""
    wrong = [f for f in FACTS if f.key == "BatchGetDeployments.max_ids"][0]
    with pytest.raises(AssertionError):
        check_against_model(type(wrong)(**{**wrong.__dict__, "value": 100}))
    enum = [f for f in FACTS if f.key == "status.deployment"][0]
    with pytest.raises(AssertionError):
        check_against_model(type(enum)(**{**enum.__dict__, "value": enum.value[:-1]}))


def test_each_operation_raises_only_its_model_errors():
    """Ground truth from the source: every ApiError code the simulator raises belongs to the
    operations table (OPERATION_ERRORS), which the model check holds to the model."""
    source = "".join(p.read_text() for p in sorted((REPO / "exporter/simulator").glob("*.py")))
    raised = set(re.findall(r'ApiError\(\s*"(\w+)"', source))
    raised -= {"UnknownOperationException", "InvalidAction"}  # the protocol's own answers
    declared = {code for codes in OPERATION_ERRORS.values() for code in codes}
    declared |= {code for table in CLOUD_OPERATION_ERRORS.values() for codes in table.values() for code in codes}
    assert raised == declared | set(STS_COMMON_ERRORS)


# ---- ground truth: limits probed through boto3 ------------------------------------------
@pytest.fixture
def sim() -> Simulator:
    return Simulator(page_size=3)


@pytest.fixture
def server(sim):
    with SimulatorServer(sim) as running:
        yield running


@pytest.fixture
def client(server):
    return make_client(server)


def test_batch_limits_are_exact(sim, client):
    """25 deployment ids and 100 group names pass, one more fails, whatever the table says."""
    ids = [f"d-LIM{n:06d}" for n in range(26)]
    assert client.batch_get_deployments(deploymentIds=ids[:25])["deploymentsInfo"] == []
    with pytest.raises(ClientError) as excinfo:
        client.batch_get_deployments(deploymentIds=ids)
    assert error_code(excinfo) == "BatchLimitExceededException"
    names = [f"g{n:03d}" for n in range(101)]
    sim.put_application("app", names)
    got = client.batch_get_deployment_groups(applicationName="app", deploymentGroupNames=names[:100])
    assert len(got["deploymentGroupsInfo"]) == 100
    with pytest.raises(ClientError) as excinfo:
        client.batch_get_deployment_groups(applicationName="app", deploymentGroupNames=names)
    assert error_code(excinfo) == "BatchLimitExceededException"
    sim.put_deployment(deployment_info("d-LIM000000", "app", "g000", "InProgress", NOW))
    for n in range(26):
        sim.put_target(
            "d-LIM000000",
            {
                "deploymentTargetType": "InstanceTarget",
                "instanceTarget": {"deploymentId": "d-LIM000000", "targetId": f"i-{n}", "status": "Pending"},
            },
        )
    targets = [f"i-{n}" for n in range(26)]
    ok = client.batch_get_deployment_targets(deploymentId="d-LIM000000", targetIds=targets[:25])
    assert len(ok["deploymentTargets"]) == 25
    with pytest.raises(ClientError) as excinfo:
        client.batch_get_deployment_targets(deploymentId="d-LIM000000", targetIds=targets)
    assert error_code(excinfo) == "DeploymentTargetListSizeExceededException"


# ---- STS --------------------------------------------------------------------------------
def sts_client(server: SimulatorServer, key: str = "AKIATESTING"):
    return boto3.client(
        "sts",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def test_boto3_sts_client_gets_the_caller_identity_from_the_simulator(sim, server):
    sim.set_account("AKIAOTHERACCOUNT", "210987654321")
    mine = sts_client(server).get_caller_identity()
    other = sts_client(server, "AKIAOTHERACCOUNT").get_caller_identity()
    assert mine["Account"] == sim.account_id == "123456789012"
    assert mine["Arn"] == "arn:aws:iam::123456789012:user/simulator"
    assert re.fullmatch(r"AIDA[0-9A-F]{17}", mine["UserId"])
    assert other["Account"] == "210987654321" and other["Arn"].startswith("arn:aws:iam::210987654321:")
    assert [(c.operation, c.access_key_id) for c in sim.calls] == [
        ("GetCallerIdentity", "AKIATESTING"),
        ("GetCallerIdentity", "AKIAOTHERACCOUNT"),
    ]
    status, body = sim.handle("GetCallerIdentity", {}, "AKIATESTING", service="sts")
    assert status == 200
    assert_matches_shape(MODELS["sts"].operation_model("GetCallerIdentity").output_shape, body)


def test_sts_answers_through_aws_endpoint_url_sts_like_any_boto3_client(sim, server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", server.endpoint_url)
    client = boto3.client("sts", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    assert client.get_caller_identity()["Account"] == sim.account_id


def test_sts_errors_reach_boto3_as_query_protocol_errors(sim, server):
    sim.fail(1, "AccessDenied", status=403, operation="GetCallerIdentity", message="denied")
    with pytest.raises(ClientError) as excinfo:
        sts_client(server).get_caller_identity()
    assert error_code(excinfo) == "AccessDenied"
    assert excinfo.value.response["Error"]["Message"] == "denied"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert sts_client(server).get_caller_identity()["Account"] == sim.account_id
    with pytest.raises(ClientError) as excinfo:
        sts_client(server).get_session_token()
    assert error_code(excinfo) == "InvalidAction"


def test_codedeploy_and_sts_share_the_port_without_crossing(sim, client):
    status, body = sim.handle("GetCallerIdentity", {})  # the CodeDeploy side has no such op
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert client.list_applications()["applications"] == []


# ---- deployment facts ---------------------------------------------------------------------
def test_failed_deployment_reports_its_error_code_and_message(sim, client):
    put_failed_deployment(sim, "d-FAIL00001", "web", "prod", NOW, code="HEALTH_CONSTRAINTS")
    put_failed_deployment(
        sim, "d-FAIL00002", "web", "prod", NOW + 1, code="TIMEOUT", message="The deployment timed out."
    )
    infos = client.batch_get_deployments(deploymentIds=["d-FAIL00001", "d-FAIL00002"])["deploymentsInfo"]
    assert [(i["status"], i["errorInformation"]["code"]) for i in infos] == [
        ("Failed", "HEALTH_CONSTRAINTS"),
        ("Failed", "TIMEOUT"),
    ]
    assert infos[0]["errorInformation"]["message"].startswith("The overall deployment failed")
    assert infos[1]["errorInformation"]["message"] == "The deployment timed out."
    targets = sim.snapshot()["deployments"]["d-FAIL00001"]["targets"].values()
    assert sorted(target_body(t)["status"] for t in targets) == ["Failed", "Succeeded"]
    assert_valid_response(sim, "BatchGetDeployments", {"deploymentIds": ["d-FAIL00001"]})


def test_stopped_deployment_names_the_alarm_that_stopped_it(sim, client):
    put_stopped_deployment(sim, "d-STOP00001", "fn", "live", NOW, alarms=["errors", "latency"])
    put_stopped_deployment(sim, "d-STOP00002", "fn", "live", NOW + 1)
    first, second = client.batch_get_deployments(deploymentIds=["d-STOP00001", "d-STOP00002"])["deploymentsInfo"]
    assert first["status"] == "Stopped" and first["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert first["errorInformation"]["message"].endswith("Activated alarms: <errors> <latency>")
    assert second["errorInformation"]["code"] == "MANUAL_STOP"
    assert first["completeTime"].timestamp() > first["createTime"].timestamp()
    assert_valid_response(sim, "GetDeployment", {"deploymentId": "d-STOP00001"})


def test_rollback_is_linked_both_ways_and_created_by_codedeployrollback(sim, client):
    put_failed_deployment(sim, "d-TRIGGER01", "web", "prod", NOW, revision=s3_revision("b", "k"))
    put_rollback(sim, "d-TRIGGER01", "d-ROLLBACK1")
    trigger = client.get_deployment(deploymentId="d-TRIGGER01")["deploymentInfo"]
    rollback = client.get_deployment(deploymentId="d-ROLLBACK1")["deploymentInfo"]
    assert trigger["rollbackInfo"] == {"rollbackDeploymentId": "d-ROLLBACK1"}
    assert trigger["creator"] == "user"
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"] == {
        "rollbackTriggeringDeploymentId": "d-TRIGGER01",
        "rollbackMessage": "Deployment d-ROLLBACK1 is triggered to roll back deployment d-TRIGGER01.",
    }
    assert rollback["createTime"] == trigger["completeTime"]
    listed = client.list_deployments(applicationName="web", deploymentGroupName="prod")
    assert listed["deployments"] == ["d-ROLLBACK1", "d-TRIGGER01"]
    for deployment_id in ("d-TRIGGER01", "d-ROLLBACK1"):
        assert_valid_response(sim, "GetDeployment", {"deploymentId": deployment_id})


def test_revisions_of_each_type_reach_boto3(sim, client):
    revisions = {
        "d-REVS30001": s3_revision("artifacts", "web/1.zip", "tgz", version="v7", etag="abc"),
        "d-REVGH0001": github_revision("example/web", "0" * 40),
        "d-REVAS0001": appspec_revision("version: 0.0\nResources: []\n"),
        "d-REVST0001": string_revision("version: 0.0\n"),
    }
    for n, (deployment_id, revision) in enumerate(revisions.items()):
        put_finished_deployment(sim, deployment_id, "web", "prod", "Succeeded", NOW + n, revision=revision)
    infos = {
        i["deploymentId"]: i["revision"]
        for i in client.batch_get_deployments(deploymentIds=list(revisions))["deploymentsInfo"]
    }
    assert infos["d-REVS30001"]["s3Location"] == {
        "bucket": "artifacts",
        "key": "web/1.zip",
        "bundleType": "tgz",
        "version": "v7",
        "eTag": "abc",
    }
    assert infos["d-REVGH0001"] == {
        "revisionType": "GitHub",
        "gitHubLocation": {"repository": "example/web", "commitId": "0" * 40},
    }
    # GetDeployment documents appSpecContent.content as always null: only the digest comes.
    assert infos["d-REVAS0001"]["appSpecContent"] == {
        "sha256": hashlib.sha256(b"version: 0.0\nResources: []\n").hexdigest()
    }
    assert infos["d-REVST0001"]["string"]["content"] == "version: 0.0\n"
    assert_valid_response(sim, "BatchGetDeployments", {"deploymentIds": list(revisions)})


# ---- deployment groups and tags --------------------------------------------------------
def test_group_info_follows_its_configuration(sim, client):
    arn = sim.put_deployment_group(
        "svc",
        "blue-green",
        "ECS",
        "CodeDeployDefault.ECSAllAtOnce",
        "BLUE_GREEN",
        "WITH_TRAFFIC_CONTROL",
        auto_rollback_events=["DEPLOYMENT_FAILURE"],
        alarms=["5xx"],
    )
    assert arn == "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:svc/blue-green"
    info = client.get_deployment_group(applicationName="svc", deploymentGroupName="blue-green")["deploymentGroupInfo"]
    assert (info["computePlatform"], info["deploymentConfigName"]) == ("ECS", "CodeDeployDefault.ECSAllAtOnce")
    assert info["deploymentStyle"] == {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    assert info["autoRollbackConfiguration"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}
    assert info["alarmConfiguration"]["alarms"] == [{"name": "5xx"}]
    assert re.fullmatch(r"[0-9a-f-]{36}", info["deploymentGroupId"])
    assert "lastAttemptedDeployment" not in info and "lastSuccessfulDeployment" not in info
    assert_valid_response(sim, "GetDeploymentGroup", {"applicationName": "svc", "deploymentGroupName": "blue-green"})


def test_batch_get_deployment_groups_leaves_unknown_names_out_and_says_so(sim, client):
    sim.put_application("web", ["prod", "staging"])
    both = client.batch_get_deployment_groups(applicationName="web", deploymentGroupNames=["staging", "prod"])
    assert [g["deploymentGroupName"] for g in both["deploymentGroupsInfo"]] == ["staging", "prod"]
    assert both["errorMessage"] == ""
    partial = client.batch_get_deployment_groups(applicationName="web", deploymentGroupNames=["prod", "gone"])
    assert [g["deploymentGroupName"] for g in partial["deploymentGroupsInfo"]] == ["prod"]
    assert "gone" in partial["errorMessage"]
    for params, code in [
        ({"applicationName": "nope", "deploymentGroupNames": ["prod"]}, "ApplicationDoesNotExistException"),
        ({"applicationName": "web", "deploymentGroupNames": []}, "DeploymentGroupNameRequiredException"),
    ]:
        with pytest.raises(ClientError) as excinfo:
            client.batch_get_deployment_groups(**params)
        assert error_code(excinfo) == code
    assert_valid_response(
        sim,
        "BatchGetDeploymentGroups",
        {"applicationName": "web", "deploymentGroupNames": ["prod", "gone"]},
    )


def test_last_deployments_follow_the_deployments_the_simulator_moves(sim, client):
    def last():
        info = client.batch_get_deployment_groups(applicationName="web", deploymentGroupNames=["prod"])[
            "deploymentGroupsInfo"
        ][0]
        attempted, success = info.get("lastAttemptedDeployment"), info.get("lastSuccessfulDeployment")
        return (
            attempted and (attempted["deploymentId"], attempted["status"], "endTime" in attempted),
            success and (success["deploymentId"], success["status"]),
        )

    put_finished_deployment(sim, "d-OK0000001", "web", "prod", "Succeeded", NOW)
    assert last() == (("d-OK0000001", "Succeeded", True), ("d-OK0000001", "Succeeded"))
    sim.put_deployment(deployment_info("d-RUN000001", "web", "prod", "InProgress", NOW + 100))
    assert last() == (("d-RUN000001", "InProgress", False), ("d-OK0000001", "Succeeded"))
    sim.update_deployment("d-RUN000001", status="Failed", completeTime=NOW + 160)
    assert last() == (("d-RUN000001", "Failed", True), ("d-OK0000001", "Succeeded"))
    sim.remove_deployment("d-OK0000001")  # AWS keeps the group's memory of it
    assert last()[1] == ("d-OK0000001", "Succeeded")
    put_finished_deployment(sim, "d-OLD000001", "web", "prod", "Succeeded", NOW - 1000)
    assert last()[1] == ("d-OK0000001", "Succeeded")  # an older success changes nothing
    group = sim.deployment_group("web", "prod")
    assert group["lastAttemptedDeployment"]["createTime"] == NOW + 100
    assert group["lastAttemptedDeployment"]["endTime"] == NOW + 160
    assert_valid_response(
        sim,
        "BatchGetDeploymentGroups",
        {"applicationName": "web", "deploymentGroupNames": ["prod"]},
    )


def test_group_tags_are_listed_by_arn(sim, client):
    arn = sim.put_deployment_group("web", "prod", tags={"team": "payments", "env": "prod"})
    sim.put_deployment_group("web", "dev")
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "payments"},
        {"Key": "env", "Value": "prod"},
    ]
    sim.tag_deployment_group("web", "prod", {"env": "staging", "tier": "1"})
    sim.untag_deployment_group("web", "prod", ["team"])
    tags = client.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"env": "staging", "tier": "1"}
    assert client.list_tags_for_resource(ResourceArn=sim.deployment_group_arn("web", "dev"))["Tags"] == []
    other = arn.replace("123456789012", "999999999999")
    assert client.list_tags_for_resource(ResourceArn=other)["Tags"] == []
    sim.put_deployment_group("web", "prod")  # reconfiguring without tags keeps them
    assert len(client.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 2
    assert_valid_response(sim, "ListTagsForResource", {"ResourceArn": arn})


def test_tags_are_paged_with_their_own_token_name(sim, client):
    arn = sim.put_deployment_group("web", "prod", tags={f"k{n}": str(n) for n in range(7)})
    first = client.list_tags_for_resource(ResourceArn=arn)
    assert len(first["Tags"]) == 3 and "NextToken" in first
    keys = [t["Key"] for t in first["Tags"]]
    token = first["NextToken"]
    while token:
        page = client.list_tags_for_resource(ResourceArn=arn, NextToken=token)
        keys += [t["Key"] for t in page["Tags"]]
        token = page.get("NextToken")
    assert keys == [f"k{n}" for n in range(7)]


@pytest.mark.parametrize(
    "arn,code",
    [
        ("not-an-arn", "InvalidArnException"),
        ("arn:aws:s3:::bucket", "InvalidArnException"),
        ("arn:aws:codedeploy:us-east-1:123456789012:deployment:d-AAAAAAAAA", "ArnNotSupportedException"),
    ],
)
def test_bad_arns_are_rejected_with_the_model_s_errors(sim, client, arn, code):
    with pytest.raises(ClientError) as excinfo:
        client.list_tags_for_resource(ResourceArn=arn)
    assert error_code(excinfo) == code
    assert code in OPERATION_ERRORS["ListTagsForResource"]


# ---- ListDeployments, region-wide ------------------------------------------------------
def _three_groups(sim):
    put_finished_deployment(sim, "d-A00000001", "a", "prod", "Succeeded", NOW)
    put_failed_deployment(sim, "d-A00000002", "a", "prod", NOW + 10)
    put_finished_deployment(sim, "d-B00000001", "b", "prod", "Succeeded", NOW + 5)
    put_stopped_deployment(sim, "d-C00000001", "c", "canary", NOW + 20, alarms=["x"])
    sim.put_deployment(deployment_info("d-C00000002", "c", "canary", "InProgress", NOW + 30))
    sim.put_deployment(deployment_info("d-B00000002", "b", "prod", "Created", NOW + 40), started=False)


def listed(client, **kwargs) -> list[str]:
    pages = client.get_paginator("list_deployments").paginate(**kwargs)
    return [d for p in pages for d in p["deployments"]]


def test_region_wide_listing_returns_every_deployment_of_every_group(sim, client):
    _three_groups(sim)
    assert listed(client) == [
        "d-B00000002",
        "d-C00000002",
        "d-C00000001",
        "d-A00000002",
        "d-B00000001",
        "d-A00000001",
    ]
    assert listed(client, applicationName="b", deploymentGroupName="prod") == ["d-B00000002", "d-B00000001"]
    for kwargs, code in [
        ({"applicationName": "a"}, "DeploymentGroupNameRequiredException"),
        ({"deploymentGroupName": "prod"}, "ApplicationNameRequiredException"),
    ]:
        with pytest.raises(ClientError) as excinfo:
            client.list_deployments(**kwargs)
        assert error_code(excinfo) == code
    assert_valid_response(sim, "ListDeployments", {})


def test_region_wide_listing_filters_by_status_and_create_time(sim, client):
    _three_groups(sim)
    non_terminal = ["Created", "Queued", "InProgress", "Baking", "Ready"]
    assert listed(client, includeOnlyStatuses=non_terminal) == ["d-B00000002", "d-C00000002"]
    assert listed(client, includeOnlyStatuses=["Stopped", "Failed"]) == ["d-C00000001", "d-A00000002"]
    # Both bounds are inclusive; either may be left out.
    assert listed(client, createTimeRange={"start": NOW + 10}) == [
        "d-B00000002",
        "d-C00000002",
        "d-C00000001",
        "d-A00000002",
    ]
    assert listed(client, createTimeRange={"start": NOW + 5, "end": NOW + 20}) == [
        "d-C00000001",
        "d-A00000002",
        "d-B00000001",
    ]
    assert listed(client, createTimeRange={"end": NOW}) == ["d-A00000001"]
    assert listed(client, createTimeRange={"start": NOW + 15}, includeOnlyStatuses=["InProgress"]) == ["d-C00000002"]
    for kwargs, code in [
        ({"createTimeRange": {"start": NOW + 1, "end": NOW}}, "InvalidTimeRangeException"),
        ({"includeOnlyStatuses": ["Done"]}, "InvalidDeploymentStatusException"),
    ]:
        with pytest.raises(ClientError) as excinfo:
            client.list_deployments(**kwargs)
        assert error_code(excinfo) == code


def test_region_wide_listing_pages_by_page_size_newest_first(sim, client):
    _three_groups(sim)
    pages = list(client.get_paginator("list_deployments").paginate())
    assert [len(p["deployments"]) for p in pages] == [3, 3]
    assert "nextToken" in pages[0] and "nextToken" not in pages[1]
    assert sim.call_count("ListDeployments") == 2
    assert Simulator().page_size == 100


# ---- the account fleet -----------------------------------------------------------------
def test_account_builder_makes_tagged_groups_and_a_history_across_them():
    sim = Simulator()
    account = build_account(sim, applications=5, groups=12, deployments=60, now=NOW, spread_seconds=6000)
    assert len(account.applications) == 5 and len(account.groups) == 12
    assert len(set(account.deployments)) == 60
    status, listed_all = sim.handle("ListDeployments", {})
    assert listed_all["deployments"] == list(account.deployments)
    assert (
        len(
            {
                (sim.deployment(d)["applicationName"], sim.deployment(d)["deploymentGroupName"])
                for d in account.deployments
            }
        )
        == 12
    )
    statuses = [sim.deployment(d)["status"] for d in account.deployments]
    assert statuses.count("Failed") == 3 and statuses.count("Succeeded") == 57
    newest = sim.deployment(account.deployments[0])
    assert newest["createTime"] == NOW - 60
    assert sim.deployment(account.deployments[-1])["createTime"] == pytest.approx(NOW - 6000)
    application, group = account.groups[7]
    _, tags = sim.handle("ListTagsForResource", {"ResourceArn": sim.deployment_group_arn(application, group)})
    assert {t["Key"]: t["Value"] for t in tags["Tags"]} == account.tags[(application, group)]
    for application in account.applications:
        names = [g for a, g in account.groups if a == application]
        body = assert_valid_response(
            sim,
            "BatchGetDeploymentGroups",
            {"applicationName": application, "deploymentGroupNames": names},
        )
        assert all("lastSuccessfulDeployment" in g for g in body["deploymentGroupsInfo"])
    assert_valid_response(sim, "BatchGetDeployments", {"deploymentIds": list(account.deployments[:25])})


# ---- the demo's stop and rollback ------------------------------------------------------
def _cycle_infos(sim, application):
    return sorted(
        (e["info"] for e in sim.snapshot()["deployments"].values() if e["info"]["applicationName"] == application),
        key=lambda i: i["createTime"],
    )


def test_demo_api_fails_and_is_rolled_back_every_cycle():
    sim, scenarios, clock = demo(0.10)
    current = [i for i in _cycle_infos(sim, "demo-api") if i["createTime"] >= CYCLE_START]
    assert [(i["status"], i["creator"]) for i in current] == [("InProgress", "user")]
    clock.now = CYCLE_START + 0.20 * CYCLE
    scenarios.advance()
    failed, rollback = [i for i in _cycle_infos(sim, "demo-api") if i["createTime"] >= CYCLE_START]
    assert failed["status"] == "Failed" and failed["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    assert rollback["creator"] == "codeDeployRollback" and rollback["status"] == "InProgress"
    assert failed["rollbackInfo"]["rollbackDeploymentId"] == rollback["deploymentId"]
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == failed["deploymentId"]
    assert rollback["revision"]["s3Location"]["key"] != failed["revision"]["s3Location"]["key"]
    clock.now = CYCLE_START + 0.5 * CYCLE
    scenarios.advance()
    _, rollback = [i for i in _cycle_infos(sim, "demo-api") if i["createTime"] >= CYCLE_START]
    assert rollback["status"] == "Succeeded"
    group = sim.deployment_group("demo-api", "demo-api-prod")
    assert group["lastSuccessfulDeployment"]["deploymentId"] == rollback["deploymentId"]
    assert group["lastAttemptedDeployment"]["deploymentId"] == rollback["deploymentId"]
    assert group["autoRollbackConfiguration"]["enabled"] is True


def test_demo_canary_is_stopped_by_its_alarm_in_even_cycles_only():
    sim, scenarios, clock = demo(0.9)
    cycle = scenarios.cycle()
    by_cycle = {int(i["createTime"] // CYCLE): i for i in _cycle_infos(sim, "demo-canary")}
    assert set(by_cycle) == {cycle - 2, cycle - 1, cycle}
    for n, info in by_cycle.items():
        if n % 2 == 0:
            assert info["status"] == "Stopped"
            assert info["errorInformation"]["code"] == "ALARM_ACTIVE"
            assert DEMO_ALARM in info["errorInformation"]["message"]
            assert info["completeTime"] == n * CYCLE + 0.30 * CYCLE
            (target,) = sim.snapshot()["deployments"][info["deploymentId"]]["targets"].values()
            body = target_body(target)
            assert body["lambdaFunctionInfo"]["targetVersionWeight"] == 0.0
            assert [e["status"] for e in body["lifecycleEvents"]] == ["Succeeded", "Failed", "Skipped"]
        else:
            assert info["status"] == "Succeeded" and "errorInformation" not in info
    group = sim.deployment_group("demo-canary", "demo-canary-prod")
    assert group["alarmConfiguration"]["alarms"] == [{"name": DEMO_ALARM}]
    assert group["computePlatform"] == "Lambda"


def test_demo_ecs_termination_wait_starts_when_traffic_has_moved():
    sim, scenarios, clock = demo(0.5)
    info = [i for i in _cycle_infos(sim, "demo-ecs") if i["createTime"] >= CYCLE_START][0]
    assert info["instanceTerminationWaitTimeStarted"] is False
    clock.now = CYCLE_START + 0.8 * CYCLE
    scenarios.advance()
    info = [i for i in _cycle_infos(sim, "demo-ecs") if i["createTime"] >= CYCLE_START][0]
    assert info["status"] == "Succeeded" and info["instanceTerminationWaitTimeStarted"] is True


def test_demo_deployments_carry_revisions_of_every_type():
    sim, _, _ = demo(0.9)
    types = {i["revision"]["revisionType"] for e in sim.snapshot()["deployments"].values() for i in [e["info"]]}
    assert types == {"S3", "GitHub", "AppSpecContent", "String"}
    json.dumps(sim.snapshot())  # the state endpoint can serialize it


def test_facts_md_is_generated_from_the_table():
    from exporter.simulator.facts import facts_markdown

    checked_in = (REPO / "exporter/simulator/FACTS.md").read_text()
    assert checked_in == facts_markdown(), "run: python -m exporter.simulator.facts > exporter/simulator/FACTS.md"


def test_calls_record_the_region_the_client_signed_for(sim, server):
    make_client(server).list_applications()
    boto3.client(
        "codedeploy",
        endpoint_url=server.endpoint_url,
        region_name="eu-west-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
    ).list_applications()
    sts_client(server).get_caller_identity()
    assert [(c.operation, c.region) for c in sim.calls] == [
        ("ListApplications", "us-east-1"),
        ("ListApplications", "eu-west-1"),
        ("GetCallerIdentity", "us-east-1"),
    ]


def test_list_deployments_filters_by_external_id(sim, client):
    linked = deployment_info("d-EXT000001", "stack", "prod", "Succeeded", NOW, creator="CloudFormation")
    linked["externalId"] = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1"
    sim.put_deployment(linked)
    sim.put_deployment(deployment_info("d-EXT000002", "stack", "prod", "Succeeded", NOW + 1))
    assert listed(client, externalId=linked["externalId"]) == ["d-EXT000001"]
    assert listed(client) == ["d-EXT000002", "d-EXT000001"]


def test_application_and_group_listings_page_by_page_size(sim, client):
    sim.put_application("web", [f"g{n}" for n in range(7)])
    for n in range(4):
        sim.put_application(f"app{n}")
    pages = list(client.get_paginator("list_deployment_groups").paginate(applicationName="web"))
    assert [len(p["deploymentGroups"]) for p in pages] == [3, 3, 1]
    assert all(p["applicationName"] == "web" for p in pages)
    assert [g for p in pages for g in p["deploymentGroups"]] == [f"g{n}" for n in range(7)]
    apps = list(client.get_paginator("list_applications").paginate())
    assert [a for p in apps for a in p["applications"]] == ["app0", "app1", "app2", "app3", "web"]
    assert [len(p["applications"]) for p in apps] == [3, 2]
    body = assert_valid_response(sim, "ListDeploymentGroups", {"applicationName": "web"})
    with pytest.raises(ClientError) as excinfo:
        client.list_deployment_groups(applicationName="web", nextToken=apps[0]["nextToken"])
    assert error_code(excinfo) == "InvalidNextTokenException"  # another operation's token
    assert body["nextToken"]


def test_demo_groups_are_configured_like_their_deployments():
    sim, _, _ = demo(0.9)
    for application, group in DEMO_GROUPS:
        info = sim.deployment_group(application, group)
        deployments = [
            e["info"]
            for e in sim.snapshot()["deployments"].values()
            if e["info"]["deploymentGroupName"] == group and e["info"]["creator"] != "codeDeployRollback"
        ]
        assert deployments, group
        for deployment in deployments:
            for key in ("computePlatform", "deploymentConfigName", "deploymentStyle"):
                assert info[key] == deployment[key], (group, key)
        _, tags = sim.handle("ListTagsForResource", {"ResourceArn": sim.deployment_group_arn(application, group)})
        assert {t["Key"] for t in tags["Tags"]} == {"team", "env"}


def test_an_unconfigured_group_takes_its_platform_from_its_deployments(sim):
    sim.put_application("fn", ["live"])
    assert sim.deployment_group("fn", "live")["computePlatform"] == "Server"
    sim.put_deployment(
        deployment_info(
            "d-FN0000001",
            "fn",
            "live",
            "Succeeded",
            NOW,
            "Lambda",
            "CodeDeployDefault.LambdaAllAtOnce",
            deployment_type="BLUE_GREEN",
            deployment_option="WITH_TRAFFIC_CONTROL",
        )
    )
    info = sim.deployment_group("fn", "live")
    assert (info["computePlatform"], info["deploymentConfigName"]) == ("Lambda", "CodeDeployDefault.LambdaAllAtOnce")
    sim.put_deployment_group(
        "fn", "live", "Lambda", "CodeDeployDefault.LambdaCanary10Percent5Minutes", "BLUE_GREEN", "WITH_TRAFFIC_CONTROL"
    )
    sim.put_deployment(deployment_info("d-FN0000002", "fn", "live", "Succeeded", NOW + 1, "Lambda"))
    assert sim.deployment_group("fn", "live")["deploymentConfigName"] == (
        "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    )


def test_a_group_first_seen_through_a_rollback_is_complete(sim):
    sim.put_deployment(deployment_info("d-RB0000001", "web", "new", "Succeeded", NOW, creator="codeDeployRollback"))
    body = assert_valid_response(sim, "GetDeploymentGroup", {"applicationName": "web", "deploymentGroupName": "new"})
    assert body["deploymentGroupInfo"]["deploymentGroupName"] == "new"
    assert body["deploymentGroupInfo"]["lastSuccessfulDeployment"]["deploymentId"] == "d-RB0000001"


def test_a_blue_green_run_carries_its_configuration_and_waits_in_ready_then_baking(sim, client):
    run = BlueGreenRun(
        sim, "d-BLUEGRN01", "web", "prod", NOW, install=300.0, ready_wait_minutes=10, termination_wait_minutes=30
    )
    seen = {}
    # install 1..301, Ready 301..901, reroute 901..961, Baking 961..2761, Succeeded at 2761
    for offset in (0.5, 100.0, 400.0, 930.0, 1000.0, 2700.0, 2761.0, 5000.0):
        run.at(NOW + offset)
        info = client.get_deployment(deploymentId="d-BLUEGRN01")["deploymentInfo"]
        seen[offset] = (info["status"], info["instanceTerminationWaitTimeStarted"])
        assert_valid_response(sim, "GetDeployment", {"deploymentId": "d-BLUEGRN01"})
    assert seen == {
        0.5: ("Created", False),
        100.0: ("InProgress", False),
        400.0: ("Ready", False),
        930.0: ("InProgress", False),
        1000.0: ("Baking", True),
        2700.0: ("Baking", True),
        2761.0: ("Succeeded", True),
        5000.0: ("Succeeded", True),
    }
    assert info["blueGreenDeploymentConfiguration"] == {
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 30},
        "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 10},
    }
    assert info["deploymentStyle"] == {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    assert info["startTime"].timestamp() == NOW + 1 and info["completeTime"].timestamp() == NOW + 2761


def test_a_manual_reroute_that_never_comes_stops_the_deployment_when_the_wait_runs_out(sim, client):
    run = BlueGreenRun(
        sim, "d-BLUEGRN02", "web", "prod", NOW, install=60.0, ready_action="STOP_DEPLOYMENT", ready_wait_minutes=60
    )
    assert run.at(NOW + 61 + 3599) == "Ready"
    assert run.at(NOW + 61 + 3600) == "Stopped"
    info = client.get_deployment(deploymentId="d-BLUEGRN02")["deploymentInfo"]
    assert info["errorInformation"]["code"] == "TIMEOUT"
    assert info["instanceTerminationWaitTimeStarted"] is False
    assert info["completeTime"].timestamp() == NOW + 3661
    # Continued by a person after 20 minutes: rerouted, then the default 5-minute termination wait.
    rerouted = BlueGreenRun(
        sim, "d-BLUEGRN03", "web", "prod", NOW, install=60.0, ready_action="STOP_DEPLOYMENT",
        ready_wait_minutes=60, reroute_after=1200.0, platform="ECS",
    )  # fmt: skip
    assert [rerouted.at(NOW + t) for t in (100.0, 1262.0, 1400.0, 1621.0)] == [
        "Ready",
        "InProgress",
        "Baking",
        "Succeeded",
    ]
    assert_valid_response(sim, "BatchGetDeployments", {"deploymentIds": ["d-BLUEGRN02", "d-BLUEGRN03"]})
