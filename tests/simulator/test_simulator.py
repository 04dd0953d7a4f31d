"""The CodeDeploy simulator, exercised through real boto3 over loopback HTTP.

Every response the simulator produces is checked against botocore's CodeDeploy service
model (the authority on shapes and enums), so the exporter's tests cannot pass against
responses AWS would never send.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError
from support.expo import FakeClock
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
    DemoDriver,
    DemoScenarios,
    Simulator,
    SimulatorServer,
    build_fleet,
    cloudformation_target,
    deployment_info,
    diagnostics,
    ecs_target,
    instance_target,
    lambda_target,
    lifecycle_event,
    mutate_fraction,
    task_set,
)
from exporter.simulator.records import target_body

NOW = 1_700_000_000.0
EC2_ID, ECS_ID, LAMBDA_ID, CFN_ID, IDLE_ID = (
    "d-EC2000001",
    "d-ECS000001",
    "d-LAM000001",
    "d-CFN000001",
    "d-IDLE00001",
)


def test_validator_rejects_a_misspelled_key_a_bad_enum_and_a_string_timestamp():
    shape = MODEL.operation_model("GetDeploymentTarget").output_shape
    good = {
        "deploymentTarget": ecs_target(
            "d-ECS000001",
            "c:s",
            "InProgress",
            [],
            NOW,
            [task_set("ecs-svc/1", "Blue", "PRIMARY", 100.0, 1, 0, 1, "tg")],
        )
    }
    assert_matches_shape(shape, good)
    for corrupt in (
        lambda t: t["ecsTarget"]["taskSetsInfo"][0].update(identifier="x"),  # "fixed" spelling
        lambda t: t["ecsTarget"].update(status="Running"),
        lambda t: t["ecsTarget"].update(lastUpdatedAt="2024-01-01T00:00:00Z"),
        lambda t: t["ecsTarget"]["taskSetsInfo"][0].update(desiredCount=1.5),
    ):
        bad = json.loads(json.dumps(good))
        corrupt(bad["deploymentTarget"])
        with pytest.raises(AssertionError):
            assert_matches_shape(shape, bad)


# ---- fixtures ---------------------------------------------------------------------------
def _ec2_events(failed_hook: str | None = None) -> list[dict]:
    events = [lifecycle_event("DownloadBundle", "Succeeded", NOW - 30, NOW - 20, diagnostics())]
    if failed_hook:
        events.append(
            lifecycle_event(
                failed_hook,
                "Failed",
                NOW - 20,
                NOW - 10,
                diagnostics("ScriptFailed", "scripts/start.sh", "exit code 1", "[stderr]boom"),
            )
        )
    return events


def populate(sim: Simulator, ec2_targets: int = 5) -> None:
    sim.put_deployment(
        deployment_info(EC2_ID, "web", "prod", "InProgress", NOW - 60, start_time=NOW - 59),
        [
            instance_target(
                EC2_ID,
                f"i-{n:017x}",
                "InProgress" if n % 2 else "Failed",
                _ec2_events(None if n % 2 else "ApplicationStart"),
                NOW - n,
                instance_label="Blue" if n < 2 else None,
            )
            for n in range(ec2_targets)
        ],
    )
    sim.put_deployment(
        deployment_info(
            ECS_ID,
            "svc",
            "prod",
            "InProgress",
            NOW - 50,
            "ECS",
            "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
            deployment_type="BLUE_GREEN",
            deployment_option="WITH_TRAFFIC_CONTROL",
        ),
        [
            ecs_target(
                ECS_ID,
                "cluster:svc",
                "InProgress",
                [lifecycle_event("Install", "InProgress", NOW)],
                NOW,
                [
                    task_set("ecs-svc/1", "Blue", "PRIMARY", 90.0, 2, 0, 2, "tg-1"),
                    task_set("ecs-svc/2", "Green", "ACTIVE", 10.0, 2, 1, 1, "tg-2"),
                ],
            )
        ],
    )
    sim.put_deployment(
        deployment_info(
            LAMBDA_ID,
            "fn",
            "prod",
            "Succeeded",
            NOW - 40,
            "Lambda",
            "CodeDeployDefault.LambdaAllAtOnce",
            complete_time=NOW - 1,
        ),
        [
            lambda_target(
                LAMBDA_ID,
                "fn:live",
                "Succeeded",
                [lifecycle_event("AllowTraffic", "Succeeded", NOW - 5, NOW - 1)],
                NOW - 1,
                "fn",
                "live",
                "3",
                "4",
                1.0,
            )
        ],
    )
    sim.put_deployment(
        deployment_info(CFN_ID, "stack", "prod", "InProgress", NOW - 30, "ECS", creator="CloudFormation"),
        [cloudformation_target(CFN_ID, "Service", "InProgress", [], NOW, target_version_weight=0.5)],
    )
    sim.put_deployment(deployment_info(IDLE_ID, "web", "prod", "Created", NOW - 10), started=False)


@pytest.fixture
def sim() -> Simulator:
    simulator = Simulator(page_size=2)
    populate(simulator)
    return simulator


@pytest.fixture
def server(sim):
    with SimulatorServer(sim) as running:
        yield running


@pytest.fixture
def client(server):
    return make_client(server)


# ---- operations -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "deployment_id,target_id,kind",
    [
        (EC2_ID, f"i-{0:017x}", "instanceTarget"),
        (ECS_ID, "cluster:svc", "ecsTarget"),
        (LAMBDA_ID, "fn:live", "lambdaTarget"),
        (CFN_ID, "Service", "cloudFormationTarget"),
    ],
)
def test_each_target_type_reaches_boto3_intact_and_matches_the_model(sim, client, deployment_id, target_id, kind):
    params = {"deploymentId": deployment_id, "targetId": target_id}
    raw = assert_valid_response(sim, "GetDeploymentTarget", params)
    assert_valid_response(sim, "BatchGetDeploymentTargets", {"deploymentId": deployment_id, "targetIds": [target_id]})
    parsed = client.get_deployment_target(**params)["deploymentTarget"]
    assert parsed[kind]["targetId"] == target_id
    assert parsed[kind]["lastUpdatedAt"].timestamp() == raw["deploymentTarget"][kind]["lastUpdatedAt"]
    assert raw["deploymentTarget"] == sim.target(deployment_id, target_id)


def test_ecs_task_sets_use_the_api_spelling_identifer(client):
    target = client.get_deployment_target(deploymentId=ECS_ID, targetId="cluster:svc")
    sets = target["deploymentTarget"]["ecsTarget"]["taskSetsInfo"]
    assert [(s["identifer"], s["trafficWeight"]) for s in sets] == [
        ("ecs-svc/1", 90.0),
        ("ecs-svc/2", 10.0),
    ]


def test_batch_get_deployment_targets_returns_the_requested_targets(sim, client):
    ids = [f"i-{n:017x}" for n in (3, 0, 4)]
    result = client.batch_get_deployment_targets(deploymentId=EC2_ID, targetIds=ids)
    assert [t["instanceTarget"]["targetId"] for t in result["deploymentTargets"]] == ids
    failed = result["deploymentTargets"][1]["instanceTarget"]["lifecycleEvents"][1]
    assert failed["diagnostics"]["errorCode"] == "ScriptFailed"


def test_list_deployment_targets_pages_through_every_target(sim, client):
    pages = list(client.get_paginator("list_deployment_targets").paginate(deploymentId=EC2_ID))
    assert [len(p["targetIds"]) for p in pages] == [2, 2, 1]
    assert [t for p in pages for t in p["targetIds"]] == sim.target_ids(EC2_ID)
    assert sim.call_count("ListDeploymentTargets") == 3
    assert_valid_response(sim, "ListDeploymentTargets", {"deploymentId": EC2_ID})


def test_list_deployment_targets_honours_status_and_label_filters(sim, client):
    def ids(**filters):
        pages = client.get_paginator("list_deployment_targets").paginate(deploymentId=EC2_ID, targetFilters=filters)
        return sorted(t for p in pages for t in p["targetIds"])

    assert ids(TargetStatus=["Failed"]) == [f"i-{n:017x}" for n in (0, 2, 4)]
    assert ids(ServerInstanceLabel=["Blue"]) == [f"i-{n:017x}" for n in (0, 1)]
    assert ids(TargetStatus=["Failed"], ServerInstanceLabel=["Blue"]) == [f"i-{0:017x}"]


def test_list_deployments_is_newest_first_and_filters_by_status_and_create_time(sim, client):
    extra = [f"d-WEB00000{n}" for n in range(3)]
    for n, deployment_id in enumerate(extra):
        sim.put_deployment(deployment_info(deployment_id, "web", "prod", "Succeeded", NOW - 1000 + n))

    def listed(**kwargs):
        pages = client.get_paginator("list_deployments").paginate(
            applicationName="web", deploymentGroupName="prod", **kwargs
        )
        return [d for p in pages for d in p["deployments"]]

    assert listed() == [IDLE_ID, EC2_ID, *reversed(extra)]
    assert listed(includeOnlyStatuses=["Succeeded"]) == list(reversed(extra))
    assert listed(createTimeRange={"start": NOW - 999, "end": NOW - 30}) == [
        EC2_ID,
        extra[2],
        extra[1],
    ]
    assert_valid_response(sim, "ListDeployments", {"applicationName": "web", "deploymentGroupName": "prod"})


def test_batch_get_deployments_silently_omits_unknown_ids(sim, client):
    infos = client.batch_get_deployments(deploymentIds=[ECS_ID, "d-UNKNOWN99", EC2_ID])["deploymentsInfo"]
    assert [i["deploymentId"] for i in infos] == [ECS_ID, EC2_ID]
    assert infos[1]["deploymentOverview"] == {
        "Pending": 0,
        "InProgress": 2,
        "Succeeded": 0,
        "Failed": 3,
        "Skipped": 0,
        "Ready": 0,
    }
    assert_valid_response(sim, "BatchGetDeployments", {"deploymentIds": [EC2_ID, ECS_ID, LAMBDA_ID, CFN_ID]})


def test_explicit_deployment_overview_is_kept_and_derived_one_follows_targets(sim):
    sim.put_target(EC2_ID, instance_target(EC2_ID, "i-new", "Succeeded", [], NOW))
    assert sim.deployment(EC2_ID)["deploymentOverview"]["Succeeded"] == 1
    sim.update_deployment(CFN_ID, deploymentOverview={"Pending": 7})
    assert sim.deployment(CFN_ID)["deploymentOverview"] == {"Pending": 7}


def test_get_deployment_and_application_listings(sim, client):
    assert client.get_deployment(deploymentId=LAMBDA_ID)["deploymentInfo"]["computePlatform"] == "Lambda"
    apps = [a for p in client.get_paginator("list_applications").paginate() for a in p["applications"]]
    assert apps == ["fn", "stack", "svc", "web"]
    assert client.list_deployment_groups(applicationName="web")["deploymentGroups"] == ["prod"]
    for operation, params in [
        ("GetDeployment", {"deploymentId": EC2_ID}),
        ("ListApplications", {}),
        ("ListDeploymentGroups", {"applicationName": "web"}),
    ]:
        assert_valid_response(sim, operation, params)


def test_removed_deployment_is_gone(sim, client):
    sim.remove_deployment(CFN_ID)
    assert CFN_ID not in sim.deployment_ids()
    with pytest.raises(ClientError) as excinfo:
        client.get_deployment(deploymentId=CFN_ID)
    assert error_code(excinfo) == "DeploymentDoesNotExistException"


# ---- errors -----------------------------------------------------------------------------
many_ids = [f"i-{n:017x}" for n in range(26)]


@pytest.mark.parametrize(
    "method,params,code",
    [
        (
            "get_deployment_target",
            {"deploymentId": "d-NOPE00000", "targetId": "x"},
            "DeploymentDoesNotExistException",
        ),
        (
            "get_deployment_target",
            {"deploymentId": "deploy-1", "targetId": "x"},
            "InvalidDeploymentIdException",
        ),
        (
            "get_deployment_target",
            {"deploymentId": IDLE_ID, "targetId": "x"},
            "DeploymentNotStartedException",
        ),
        ("list_deployment_targets", {"deploymentId": IDLE_ID}, "DeploymentNotStartedException"),
        (
            "get_deployment_target",
            {"deploymentId": EC2_ID, "targetId": "i-missing"},
            "DeploymentTargetDoesNotExistException",
        ),
        (
            "batch_get_deployment_targets",
            {"deploymentId": EC2_ID, "targetIds": [f"i-{0:017x}", "i-missing"]},
            "DeploymentTargetDoesNotExistException",
        ),
        (
            "batch_get_deployment_targets",
            {"deploymentId": EC2_ID, "targetIds": many_ids},
            "DeploymentTargetListSizeExceededException",
        ),
        (
            "batch_get_deployment_targets",
            {"deploymentId": ECS_ID, "targetIds": ["cluster:svc", "cluster:svc"]},
            "DeploymentTargetListSizeExceededException",
        ),
        (
            "batch_get_deployment_targets",
            {"deploymentId": LAMBDA_ID, "targetIds": ["fn:live", "fn:live"]},
            "DeploymentTargetListSizeExceededException",
        ),
        (
            "batch_get_deployment_targets",
            {"deploymentId": EC2_ID, "targetIds": []},
            "DeploymentTargetIdRequiredException",
        ),
        (
            "batch_get_deployments",
            {"deploymentIds": [f"d-MANY{n:05d}" for n in range(26)]},
            "BatchLimitExceededException",
        ),
        ("batch_get_deployments", {"deploymentIds": ["bogus"]}, "InvalidDeploymentIdException"),
        (
            "list_deployments",
            {"applicationName": "nope", "deploymentGroupName": "prod"},
            "ApplicationDoesNotExistException",
        ),
        (
            "list_deployments",
            {"applicationName": "web", "deploymentGroupName": "nope"},
            "DeploymentGroupDoesNotExistException",
        ),
        (
            "list_deployment_targets",
            {"deploymentId": EC2_ID, "nextToken": "garbage"},
            "InvalidNextTokenException",
        ),
        (
            "list_deployment_targets",
            {"deploymentId": EC2_ID, "targetFilters": {"TargetStatus": ["Bogus"]}},
            "InvalidInstanceStatusException",
        ),
        ("list_deployment_groups", {"applicationName": "nope"}, "ApplicationDoesNotExistException"),
    ],
)
def test_aws_error_codes_reach_boto3(sim, client, method, params, code):
    with pytest.raises(ClientError) as excinfo:
        getattr(client, method)(**params)
    assert error_code(excinfo) == code
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert code in [s.name for s in MODEL.operation_model(sim.calls[-1].operation).error_shapes]


def test_unknown_operation_is_rejected(sim, server):
    assert sim.handle("DeleteEverything", {}) == (
        400,
        {"__type": "UnknownOperationException", "message": "Unknown operation DeleteEverything"},
    )
    status, body, _ = raw_post(server, "CodeDeploy_20141006.DeleteEverything", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, body, _ = raw_post(server, "Other_2000.ListApplications", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")


def test_malformed_json_is_a_serialization_error(server):
    status, body, _ = raw_post(server, "CodeDeploy_20141006.ListApplications", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")


def raw_post(server: SimulatorServer, target: str, payload: bytes):
    host, port = server.endpoint_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request(
            "POST",
            "/",
            payload,
            {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read()), response
    finally:
        conn.close()


def test_responses_carry_the_json_content_type_and_a_request_id(server):
    status, body, response = raw_post(server, "CodeDeploy_20141006.ListApplications", b"{}")
    assert status == 200 and body["applications"]
    assert response.getheader("Content-Type") == "application/x-amz-json-1.1"
    assert re.fullmatch(r"[0-9a-f-]{36}", response.getheader("x-amzn-RequestId"))


def test_state_endpoint_returns_the_snapshot(sim, server):
    with urllib.request.urlopen(server.endpoint_url + "/_simulator/state", timeout=5) as response:
        state = json.loads(response.read())
    assert state == json.loads(json.dumps(sim.snapshot()))
    assert (
        state["deployments"][ECS_ID]["targets"]["cluster:svc"]["ecsTarget"]["taskSetsInfo"][1]["identifer"]
        == "ecs-svc/2"
    )


# ---- faults and accounting --------------------------------------------------------------
def test_throttle_fails_exactly_the_next_calls_of_that_operation(sim, client):
    sim.throttle(2, operation="ListDeploymentTargets")
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            client.list_deployment_targets(deploymentId=EC2_ID)
        assert error_code(excinfo) == "ThrottlingException"
    client.get_deployment(deploymentId=EC2_ID)  # other operations are unaffected
    assert client.list_deployment_targets(deploymentId=EC2_ID)["targetIds"]


def test_boto3_retries_through_a_throttle(sim, server):
    sim.throttle(1)
    retrying = boto3.client(
        "codedeploy",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 2, "mode": "standard"}),
    )
    assert retrying.list_applications()["applications"]
    assert sim.call_count("ListApplications") == 2


@pytest.mark.parametrize(
    "code,status",
    [("InternalFailure", 500), ("ServiceUnavailable", 503), ("AccessDeniedException", 400)],
)
def test_injected_errors_carry_their_code_and_http_status(sim, client, code, status):
    sim.fail(1, code, status=status, message="injected")
    with pytest.raises(ClientError) as excinfo:
        client.list_applications()
    assert error_code(excinfo) == code
    assert excinfo.value.response["Error"]["Message"] == "injected"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert client.list_applications()["applications"]


def test_latency_delays_only_the_chosen_operation(sim, client):
    sim.set_latency(0.3, operation="GetDeployment")
    started = time.monotonic()
    client.list_applications()
    fast = time.monotonic() - started
    started = time.monotonic()
    client.get_deployment(deploymentId=EC2_ID)
    slow = time.monotonic() - started
    assert slow >= 0.3 > fast
    sim.clear_faults()
    started = time.monotonic()
    client.get_deployment(deploymentId=EC2_ID)
    assert time.monotonic() - started < 0.3


def test_hang_outlasts_the_client_read_timeout_once(sim, server):
    sim.hang(30, operation="ListApplications")
    impatient = make_client(server, read_timeout=0.3, connect_timeout=1)
    with pytest.raises(ReadTimeoutError):
        impatient.list_applications()
    assert impatient.list_applications()["applications"]


def test_stop_returns_promptly_during_a_hang(sim):
    server = SimulatorServer(sim).start()
    sim.hang(60)
    patient = make_client(server, read_timeout=120)
    finished = threading.Event()

    def call():
        try:
            patient.list_applications()
        except (BotoCoreError, ClientError):
            pass  # however the held call ends, only the stop's duration matters
        finished.set()

    threading.Thread(target=call, daemon=True).start()
    deadline = time.monotonic() + 5
    while sim.call_count() == 0 and time.monotonic() < deadline:
        finished.wait(0.01)  # the call must be in the simulator before we stop
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    assert finished.wait(5)


def test_calls_are_recorded_with_operation_params_and_access_key(sim, server):
    make_client(server, key="AKIAFIRST").get_deployment(deploymentId=EC2_ID)
    make_client(server, key="AKIASECOND").list_deployment_targets(
        deploymentId=EC2_ID, targetFilters={"TargetStatus": ["Failed"]}
    )
    assert [(c.operation, c.access_key_id) for c in sim.calls] == [
        ("GetDeployment", "AKIAFIRST"),
        ("ListDeploymentTargets", "AKIASECOND"),
    ]
    assert sim.calls[1].params == {
        "deploymentId": EC2_ID,
        "targetFilters": {"TargetStatus": ["Failed"]},
    }
    assert (
        sim.call_count(),
        sim.call_count("GetDeployment"),
        sim.call_count("ListApplications"),
    ) == (2, 1, 0)
    sim.reset_calls()
    assert sim.call_count() == 0


def test_call_log_is_bounded_keeping_the_newest_calls():
    sim = Simulator(max_calls=10)
    for n in range(25):
        sim.handle("ListApplications", {"nextToken": str(n)})
    assert sim.call_count() <= 10
    assert sim.calls[-1].params == {"nextToken": "24"}


# ---- demo scenarios ---------------------------------------------------------------------
def current(sim: Simulator, scenarios: DemoScenarios, application: str) -> tuple[dict, list[dict]]:
    """The current cycle's deployment of ``application`` and its targets."""
    cycle = scenarios.cycle()
    for entry in sim.snapshot()["deployments"].values():
        info = entry["info"]
        if info["applicationName"] == application and info["createTime"] == cycle * CYCLE:
            return info, [target_body(t) for t in entry["targets"].values()]
    raise AssertionError(f"no current deployment for {application}")


def at_fraction(sim, scenarios, clock, fraction, application):
    clock.now = CYCLE_START + fraction * CYCLE
    scenarios.advance()
    return current(sim, scenarios, application)


def test_every_demo_response_matches_the_model_through_a_whole_cycle():
    sim, scenarios, clock = demo()
    for step in range(201):
        clock.now = CYCLE_START + step * CYCLE / 200
        scenarios.advance()
        ids = sim.deployment_ids()
        infos = assert_valid_response(sim, "BatchGetDeployments", {"deploymentIds": ids})["deploymentsInfo"]
        assert len(infos) == len(ids)
        for info in infos:
            # Ready: demo-ecs waiting for its manual reroute.
            assert info["status"] in ("Created", "InProgress", "Ready", "Succeeded", "Failed", "Stopped")
            if info["status"] == "Created":
                continue
            listed = assert_valid_response(sim, "ListDeploymentTargets", {"deploymentId": info["deploymentId"]})
            for target_id in listed["targetIds"]:
                body = assert_valid_response(
                    sim,
                    "GetDeploymentTarget",
                    {"deploymentId": info["deploymentId"], "targetId": target_id},
                )
                assert target_body(body["deploymentTarget"])["lastUpdatedAt"] <= clock.now
            if info["computePlatform"] == "Server":
                assert_valid_response(
                    sim,
                    "BatchGetDeploymentTargets",
                    {"deploymentId": info["deploymentId"], "targetIds": listed["targetIds"]},
                )
        for application, group in DEMO_GROUPS:
            assert_valid_response(
                sim,
                "ListDeployments",
                {"applicationName": application, "deploymentGroupName": group},
            )
            assert_valid_response(
                sim,
                "BatchGetDeploymentGroups",
                {"applicationName": application, "deploymentGroupNames": [group]},
            )
            assert_valid_response(
                sim,
                "ListTagsForResource",
                {"ResourceArn": sim.deployment_group_arn(application, group)},
            )
        assert_valid_response(sim, "ListDeployments", {})  # region-wide


def test_demo_instance_3_fails_application_start_in_an_even_cycle_and_the_deployment_fails():
    sim, scenarios, clock = demo()
    failed_at = None
    for step in range(101):
        info, targets = at_fraction(sim, scenarios, clock, step / 400, "demo-web")
        if targets[2]["status"] == "Failed":
            failed_at = step / 400
            break
        assert info["status"] in ("Created", "InProgress")
    assert failed_at is not None and failed_at <= 0.25
    info, targets = at_fraction(sim, scenarios, clock, 0.99, "demo-web")
    assert info["status"] == "Failed" and info["completeTime"] <= CYCLE_START + 0.25 * CYCLE
    assert [t["status"] for t in targets] == ["Succeeded", "Succeeded", "Failed", "Skipped"]
    events = {e["lifecycleEventName"]: e for e in targets[2]["lifecycleEvents"]}
    failed = events["ApplicationStart"]
    assert failed["status"] == "Failed"
    assert failed["diagnostics"]["errorCode"] == "ScriptFailed"
    assert failed["diagnostics"]["scriptName"] == "scripts/start_server.sh"
    assert failed["diagnostics"]["logTail"] and failed["diagnostics"]["message"]
    assert events["ValidateService"]["status"] == "Skipped"
    assert len({t["targetId"] for t in targets}) == 4


def test_demo_web_succeeds_in_the_odd_cycle_after_its_failure():
    sim, scenarios, clock = demo()
    failed, _ = at_fraction(sim, scenarios, clock, 0.99, "demo-web")
    assert failed["status"] == "Failed"
    statuses = []
    for step in range(100):  # the odd cycle, up to (not into) the next even one
        info, targets = at_fraction(sim, scenarios, clock, 1 + step / 100, "demo-web")
        if not statuses or statuses[-1] != info["status"]:
            statuses.append(info["status"])
        assert all(t["status"] != "Failed" for t in targets)
    assert statuses == ["Created", "InProgress", "Succeeded"]
    assert info["createTime"] > failed["completeTime"]
    assert info["completeTime"] == CYCLE_START + CYCLE + 0.358 * CYCLE
    assert [t["status"] for t in targets] == ["Succeeded"] * 4
    assert all(e["status"] == "Succeeded" for t in targets for e in t["lifecycleEvents"])
    group = sim.deployment_group("demo-web", "demo-web-prod")
    assert group["lastSuccessfulDeployment"]["deploymentId"] == info["deploymentId"]


def test_demo_instances_move_through_hooks_one_after_another():
    sim, scenarios, clock = demo()
    seen_in_progress = set()
    for step in range(101):
        _, targets = at_fraction(sim, scenarios, clock, step / 400, "demo-web")
        running = [n for n, t in enumerate(targets) if t["status"] == "InProgress"]
        assert len(running) <= 1
        seen_in_progress.update(running)
        for target in running:
            hooks = [e["status"] for e in targets[target]["lifecycleEvents"]]
            assert hooks.count("InProgress") == 1
    assert seen_in_progress == {0, 1, 2}


def test_demo_ecs_green_task_set_takes_traffic_in_steps_and_succeeds():
    sim, scenarios, clock = demo()
    weights, running = [], []
    for step in range(100):
        _, (target,) = at_fraction(sim, scenarios, clock, step / 100, "demo-ecs")
        sets = {s["taskSetLabel"]: s for s in target["taskSetsInfo"]}
        if "Green" in sets:
            green = sets["Green"]
            if not weights or weights[-1] != green["trafficWeight"]:
                weights.append(green["trafficWeight"])
            if not running or running[-1] != green["runningCount"]:
                running.append(green["runningCount"])
            assert green["desiredCount"] == green["pendingCount"] + green["runningCount"]
            assert green["identifer"] != sets["Blue"]["identifer"]
            assert sets["Blue"]["trafficWeight"] + green["trafficWeight"] == 100.0
    assert weights == [0.0, 10.0, 50.0, 100.0]
    assert running == [0, 2, 4]
    info, (target,) = current(sim, scenarios, "demo-ecs")
    assert info["status"] == "Succeeded" and target["status"] == "Succeeded"
    assert {s["taskSetLabel"]: s["status"] for s in target["taskSetsInfo"]} == {
        "Blue": "DRAINING",
        "Green": "PRIMARY",
    }


def test_demo_ecs_waits_in_ready_for_a_manual_reroute_between_test_and_production_traffic():
    sim, scenarios, clock = demo()
    statuses = []
    for step in range(100):
        info, (target,) = at_fraction(sim, scenarios, clock, step / 100, "demo-ecs")
        if not statuses or statuses[-1] != info["status"]:
            statuses.append(info["status"])
        hooks = {e["lifecycleEventName"]: e["status"] for e in target["lifecycleEvents"]}
        if info["status"] == "Ready":
            # Installed and test traffic done; production traffic not yet moved.
            assert target["status"] == "Ready"
            assert hooks["AfterAllowTestTraffic"] == "Succeeded" and hooks["BeforeAllowTraffic"] == "Pending"
            assert {s["taskSetLabel"]: s["trafficWeight"] for s in target["taskSetsInfo"]} == {
                "Blue": 100.0,
                "Green": 0.0,
            }
    assert statuses == ["Created", "InProgress", "Ready", "InProgress", "Succeeded"]
    # A person reroutes (STOP_DEPLOYMENT): the record says how long it could have waited, not when it ended.
    assert info["blueGreenDeploymentConfiguration"]["deploymentReadyOption"] == {
        "actionOnTimeout": "STOP_DEPLOYMENT",
        "waitTimeInMinutes": 60,
    }
    ready = [
        step
        for step in range(100)
        if at_fraction(sim, scenarios, clock, step / 100, "demo-ecs")[0]["status"] == "Ready"
    ]
    assert (ready[0], ready[-1]) == (22, 29)


@pytest.mark.parametrize(
    "application,read_weight,expected",
    [
        ("demo-lambda", lambda t: t["lambdaFunctionInfo"]["targetVersionWeight"], [0.0, 0.1, 1.0]),
        ("demo-cfn", lambda t: t["targetVersionWeight"], [0.0, 0.5, 1.0]),
    ],
)
def test_demo_traffic_weights_shift_in_steps_and_the_deployment_succeeds(application, read_weight, expected):
    sim, scenarios, clock = demo()
    weights, statuses = [], []
    for step in range(100):
        info, (target,) = at_fraction(sim, scenarios, clock, step / 100, application)
        if not weights or weights[-1] != read_weight(target):
            weights.append(read_weight(target))
        if not statuses or statuses[-1] != info["status"]:
            statuses.append(info["status"])
    assert weights == expected
    assert statuses == ["Created", "InProgress", "Succeeded"]
    if application == "demo-cfn":
        assert target["resourceType"] == "AWS::ECS::Service"


def test_demo_target_operations_wait_until_the_deployment_starts():
    sim, scenarios, _ = demo(0.001)
    info, _ = current(sim, scenarios, "demo-web")
    assert info["status"] == "Created"
    assert (
        sim.handle("ListDeploymentTargets", {"deploymentId": info["deploymentId"]})[1]["__type"]
        == "DeploymentNotStartedException"
    )


def test_demo_keeps_history_and_creates_fresh_deterministic_ids_each_cycle():
    sim, scenarios, clock = demo(0.5)
    first_ids = set(sim.deployment_ids())
    # Six groups, the current and two previous cycles, plus each of those cycles' demo-api
    # rollback (created a sixth into the cycle).
    assert len(first_ids) == 6 * 3 + 3
    assert all(re.fullmatch(r"d-[A-Z0-9]{9}", d) for d in first_ids)
    assert set(demo(0.7)[0].deployment_ids()) == first_ids  # same cycle, same ids
    for application, group in DEMO_GROUPS:
        _, listed = sim.handle("ListDeployments", {"applicationName": application, "deploymentGroupName": group})
        infos = [sim.deployment(d) for d in listed["deployments"]]
        assert [i["createTime"] for i in infos] == sorted((i["createTime"] for i in infos), reverse=True)
        assert all(i["status"] in ("Succeeded", "Failed", "Stopped") for i in infos[1:])
    clock.now += CYCLE
    scenarios.advance()
    now_ids = set(sim.deployment_ids())
    assert len(now_ids) == 21 and len(now_ids - first_ids) == 7 and len(first_ids - now_ids) == 7


def test_demo_last_updated_never_goes_backwards():
    sim, scenarios, clock = demo()
    previous: dict[tuple[str, str], float] = {}
    for step in range(121):
        clock.now = CYCLE_START + step * CYCLE / 100
        scenarios.advance()
        for deployment_id, entry in sim.snapshot()["deployments"].items():
            for target_id, target in entry["targets"].items():
                updated = target_body(target)["lastUpdatedAt"]
                assert updated >= previous.get((deployment_id, target_id), 0.0)
                previous[(deployment_id, target_id)] = updated


def test_demo_driver_advances_on_start_and_stops():
    sim = Simulator()
    clock = FakeClock(CYCLE_START)
    driver = DemoDriver(sim, DemoScenarios(sim, clock=clock, cycle_seconds=CYCLE), tick=0.01).start()
    try:
        assert driver.running
        # At a cycle's start: six groups over three cycles, rollbacks in the two past ones.
        assert len(sim.deployment_ids()) == 6 * 3 + 2
    finally:
        driver.stop()
    assert not driver.running


def test_demo_is_served_over_http(server):
    sim = server.simulator
    scenarios = DemoScenarios(sim, clock=FakeClock(CYCLE_START + 0.4 * CYCLE), cycle_seconds=CYCLE)
    scenarios.advance()
    client = make_client(server)
    deployment_id = client.list_deployments(applicationName="demo-ecs", deploymentGroupName="demo-ecs-prod")[
        "deployments"
    ][0]
    target_id = client.list_deployment_targets(deploymentId=deployment_id)["targetIds"][0]
    target = client.get_deployment_target(deploymentId=deployment_id, targetId=target_id)["deploymentTarget"]
    assert target["deploymentTargetType"] == "ECSTarget"
    assert target["ecsTarget"]["taskSetsInfo"][1]["trafficWeight"] == 10.0


# ---- benchmark fleets -------------------------------------------------------------------
def test_build_fleet_makes_batches_of_25_with_the_requested_hooks():
    sim = Simulator()
    fleet = build_fleet(sim, 60, hooks=10, ecs=2, lambdas=1, cloudformation=1, now=NOW)
    assert [len(targets) for _, targets in fleet] == [25, 25, 10, 1, 1, 1, 1]
    assert len({t for _, targets in fleet for t in targets}) == 64
    for deployment_id, targets in fleet:
        assert sim.deployment(deployment_id)["status"] == "InProgress"
        assert_valid_response(
            sim,
            "BatchGetDeploymentTargets",
            {"deploymentId": deployment_id, "targetIds": targets[:25]},
        )
    ec2 = target_body(sim.target(*(fleet[0][0], fleet[0][1][0])))
    assert len(ec2["lifecycleEvents"]) == 10 and ec2["status"] == "InProgress"


def test_finished_fleet_is_all_terminal():
    sim = Simulator()
    fleet = build_fleet(sim, 30, ecs=1, lambdas=1, cloudformation=1, finished=True, now=NOW)
    for deployment_id, targets in fleet:
        assert sim.deployment(deployment_id)["status"] == "Succeeded"
        assert {target_body(sim.target(deployment_id, t))["status"] for t in targets} == {"Succeeded"}


def test_mutate_fraction_changes_exactly_that_share_of_targets():
    sim = Simulator()
    build_fleet(sim, 200, now=NOW)
    before = sim.snapshot()["deployments"]
    changed = mutate_fraction(sim, 0.05, random.Random(7))
    after = sim.snapshot()["deployments"]
    differing = {
        (d, t) for d in before for t in before[d]["targets"] if before[d]["targets"][t] != after[d]["targets"][t]
    }
    assert differing == set(changed) and len(changed) == 10
    d, t = changed[0]
    assert target_body(after[d]["targets"][t])["lastUpdatedAt"] > target_body(before[d]["targets"][t])["lastUpdatedAt"]
