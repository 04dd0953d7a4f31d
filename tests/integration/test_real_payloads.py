"""What real payloads carry, and what one odd object may cost: that object, never the poll.

Responses go through real boto3, real HTTP and botocore's own parser (tests/support/replay.py or the
simulator); each test names the published shape or the API fact it relies on.
"""

from __future__ import annotations

import json
import logging
import threading

import pytest
from support.expo import NOW, samples, value
from support.replay import ReplayServer

from exporter.aws.parse import parse_deployment, parse_revision, parse_target
from exporter.cli import main
from exporter.events.parse import date, parse_message
from exporter.exposition import cache
from exporter.simulator import (
    deployment_info,
    ecs_target,
    instance_target,
    lambda_target,
    task_set,
)

# The published `aws deploy get-deployment-group` example (aws-cli, examples/deploy/
# get-deployment-group.rst) lists autoScalingGroups as names; botocore's output shape is a list
# of AutoScalingGroup structures, on which botocore's parser raises AttributeError.
CLI_GROUP = {
    "applicationName": "WordPress_App",
    "autoScalingGroups": ["CodeDeployDemo-ASG"],
    "deploymentConfigName": "CodeDeployDefault.OneAtATime",
    "ec2TagFilters": [{"Type": "KEY_AND_VALUE", "Value": "CodeDeployDemo", "Key": "Name"}],
    "deploymentGroupId": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE",
    "serviceRoleArn": "arn:aws:iam::123456789012:role/CodeDeployDemoRole",
    "deploymentGroupName": "WordPress_DG",
}
WELL_FORMED_GROUP = {
    "applicationName": "WordPress_App",
    "deploymentGroupName": "WordPress_Beta_DG",
    "autoScalingGroups": [{"name": "beta-asg", "hook": "CodeDeploy-managed-automatic-launch-deployment-hook"}],
    "lastAttemptedDeployment": {
        "deploymentId": "d-ABCDEFGHI",
        "status": "Failed",
        "createTime": NOW,
        "endTime": NOW + 60,
    },
}
GROUPS = [{"application": "WordPress_App", "deployment_group": g} for g in ("WordPress_DG", "WordPress_Beta_DG")]


def _json(data: object) -> bytes:
    return json.dumps(data).encode()


def errors(body: bytes) -> dict[tuple[str, str], float]:
    return {
        (dict(ls)["operation"], dict(ls)["reason"]): v
        for (n, ls), v in samples(body).items()
        if n == "codedeploy_exporter_parse_errors_total" and v
    }


def group_names(body: bytes) -> set[str]:
    return {
        dict(ls)["deployment_group"] for (n, ls), _ in samples(body).items() if n == "codedeploy_deployment_group_info"
    }


def poll_deployment(info: dict, targets: list[dict]):
    """An exporter after one poll of a `deployments:` entry whose deployment and targets the
    API answers with these raw objects."""
    ids = [next(v for v in t.values() if isinstance(v, dict))["targetId"] for t in targets]
    answers = {
        "BatchGetDeployments": _json({"deploymentsInfo": [info]}),
        "ListDeploymentTargets": _json({"targetIds": ids}),
        "BatchGetDeploymentTargets": _json({"deploymentTargets": targets}),
    }
    with ReplayServer(answers) as server:
        exporter = server.exporter(deployments=[{"deployment_id": info["deploymentId"]}])
        exporter.poll_once()
    return exporter


# ---- one odd object costs that object ------------------------------------------------------


def test_a_structure_sent_as_a_string_costs_that_value_and_the_rest_is_exported(caplog):
    answers = {"BatchGetDeploymentGroups": _json({"deploymentGroupsInfo": [CLI_GROUP, WELL_FORMED_GROUP]})}
    with caplog.at_level(logging.WARNING), ReplayServer(answers) as server:
        exporter = server.exporter(deployment_groups=GROUPS)
        outcome = exporter.poll_once()
    body = exporter.snapshot.body
    assert outcome.api_wide_errors == []
    assert group_names(body) == {"WordPress_DG", "WordPress_Beta_DG"}
    assert (
        value(
            body,
            "codedeploy_deployment_group_last_attempted_status",
            deployment_group="WordPress_Beta_DG",
            status="Failed",
        )
        == 1
    )
    assert errors(body) == {("BatchGetDeploymentGroups", "wrong_type"): 1}
    (line,) = [r.getMessage() for r in caplog.records if "event=parse_error" in r.getMessage()]
    assert 'object="deploymentGroupName=WordPress_DG"' in line
    assert 'field="deploymentGroupsInfo[0].autoScalingGroups[0]"' in line


def test_a_timestamp_that_is_no_date_drops_that_timestamp_only():
    good = instance_target("d-ABCDEFGHI", "i-good", "Succeeded", [], NOW)
    odd = instance_target("d-ABCDEFGHI", "i-odd", "Failed", [], NOW)
    odd["instanceTarget"]["lastUpdatedAt"] = "yesterday, roughly"  # botocore's timestamp parser raises
    exporter = poll_deployment(deployment_info("d-ABCDEFGHI", "a", "g", "InProgress", NOW), [odd, good])
    body = exporter.snapshot.body
    assert value(body, "codedeploy_target_status", target_id="i-odd", status="Failed") == 1
    assert value(body, "codedeploy_target_last_updated_timestamp_seconds", target_id="i-odd") is None
    assert value(body, "codedeploy_target_last_updated_timestamp_seconds", target_id="i-good") == NOW
    assert errors(body) == {("BatchGetDeploymentTargets", "bad_value"): 1}


def test_a_record_that_cannot_be_made_skips_that_deployment_alone(monkeypatch):
    # The record parser is forgiving by design; a fault of its own is injected for one ID.
    def flaky(raw):
        if raw.get("deploymentId") == "d-BROKEN001":
            raise KeyError("somethingNew")
        return parse_deployment(raw)

    monkeypatch.setattr("exporter.collect.deployments.parse_deployment", flaky)
    infos = [deployment_info(d, "a", "g", "Succeeded", NOW) for d in ("d-BROKEN001", "d-HEALTHY01")]
    with ReplayServer({"BatchGetDeployments": _json({"deploymentsInfo": infos})}) as server:
        exporter = server.exporter(deployments=[{"deployment_id": "d-BROKEN001"}, {"deployment_id": "d-HEALTHY01"}])
        exporter.poll_once()
    body = exporter.snapshot.body
    assert value(body, "codedeploy_deployment_status", deployment_id="d-HEALTHY01", status="Succeeded") == 1
    assert value(body, "codedeploy_deployment_status", deployment_id="d-BROKEN001", status="Succeeded") is None
    assert errors(body) == {("BatchGetDeployments", "record"): 1}


def test_a_target_whose_series_cannot_be_made_is_left_out_alone(monkeypatch):
    # The family table's sample functions are total on records; a fault is injected for one target.
    original = cache.render_target

    def flaky(view, plan):
        if view.target.target_id == "i-bad":
            raise ZeroDivisionError("a derivation that met a value it did not expect")
        return original(view, plan)

    monkeypatch.setattr(cache, "render_target", flaky)
    targets = [instance_target("d-ABCDEFGHI", t, "Succeeded", [], NOW) for t in ("i-bad", "i-fine")]
    exporter = poll_deployment(deployment_info("d-ABCDEFGHI", "a", "g", "InProgress", NOW), targets)
    body = exporter.snapshot.body
    assert value(body, "codedeploy_target_status", target_id="i-fine", status="Succeeded") == 1
    assert value(body, "codedeploy_target_status", target_id="i-bad", status="Succeeded") is None
    assert errors(body) == {("BatchGetDeploymentTargets", "render"): 1}


def test_a_poll_that_crashes_keeps_the_last_good_page(monkeypatch):
    answers = {"BatchGetDeploymentGroups": _json({"deploymentGroupsInfo": [WELL_FORMED_GROUP]})}
    with ReplayServer(answers) as server:
        exporter = server.exporter(deployment_groups=GROUPS[1:])
        exporter.poll_once()
        good = exporter.snapshot.body
        stop = threading.Event()

        def crash():
            stop.set()
            raise RuntimeError("a fault of the exporter's own")

        monkeypatch.setattr(exporter.poller, "poll", crash)
        exporter.run(stop)
    assert group_names(exporter.snapshot.body) == group_names(good) == {"WordPress_Beta_DG"}
    last = "codedeploy_exporter_last_poll_success_timestamp_seconds"
    assert value(exporter.snapshot.body, last) == value(good, last)


# ---- --once exit codes --------------------------------------------------------------------


def _config(tmp_path, endpoint: str, entries: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"aws:\n  region: us-east-1\n  endpoint_url: {endpoint}\n  account_id: '111122223333'\n{entries}")
    return str(path)


@pytest.fixture
def credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_once_exits_3_and_names_the_operation_and_scope_when_the_api_refuses(
    tmp_path, sim, sim_server, capsys, credentials
):
    sim.put_deployment(deployment_info("d-ABCDEFGHI", "a", "g", "InProgress", NOW), [])
    sim.faults.fail(100, "AccessDeniedException", 400, "ListDeploymentTargets", "not authorized")
    path = _config(tmp_path, sim_server.endpoint_url, "deployments:\n  - deployment_id: d-ABCDEFGHI\n")
    assert main(["--config.file", path, "--once"]) == 3
    captured = capsys.readouterr()
    (line,) = [x for x in captured.err.splitlines() if "API error" in x]
    for part in (
        "operation=ListDeploymentTargets",
        "error_code=AccessDeniedException",
        "account_id=111122223333",
        "region=us-east-1",
        'message="not authorized"',
    ):
        assert part in line
    assert "codedeploy_deployment_status" in captured.out  # what was read is still printed


def test_once_exits_4_without_a_traceback_when_the_poll_itself_fails(tmp_path, capsys, credentials, monkeypatch):
    monkeypatch.setattr("exporter.collect.poller.Poller.poll", lambda self: 1 / 0)
    with ReplayServer() as server:
        assert main(["--config.file", _config(tmp_path, server.endpoint_url, ""), "--once"]) == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip() == "codedeploy-exporter: --once: the poll failed: ZeroDivisionError: division by zero"


def test_once_reads_the_published_group_example_without_a_traceback(tmp_path, capsys, credentials):
    answers = {"BatchGetDeploymentGroups": _json({"deploymentGroupsInfo": [CLI_GROUP]})}
    with ReplayServer(answers) as server:
        entries = "deployment_groups:\n  - application: WordPress_App\n    deployment_group: WordPress_DG\n"
        assert main(["--config.file", _config(tmp_path, server.endpoint_url, entries), "--once"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert group_names(captured.out.encode()) == {"WordPress_DG"}


# ---- dates of real messages ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("Fri Oct 07 19:50:41 UTC 2016", 1475869841.0),  # real trigger messages (Java Date.toString)
        ("Fri Oct 07 19:50:41 GMT 2016", 1475869841.0),
        ("Fri Oct 7 19:50:41 +02:00 2016", 1475862641.0),
        ("1446744188.595", 1446744188.595),  # the user guide's trigger sample
        (1446744188.595, 1446744188.595),
        (1446744188, 1446744188.0),
        ("2016-10-07T19:50:42.170Z", 1475869842.17),  # SNS Timestamp, EventBridge time
        ("2016-10-07T21:50:42+02:00", 1475869842.0),
        ("2016-10-07T19:50:42", 1475869842.0),  # no offset: UTC
        ("Fri Oct 07 19:50:41 PDT 2016", None),  # an abbreviation of several zones: unread
        ("Fri Feb 30 19:50:41 UTC 2016", None),
        ("soon", None),
        (True, None),
        (float("nan"), None),
        ("-5", None),
    ],
)
def test_every_date_form_of_real_messages_is_read(raw, expected):
    assert date(raw) == (pytest.approx(expected) if expected is not None else None)


def _sns_trigger(**fields) -> str:
    trigger = {"eventTriggerName": "t", "deploymentId": "d-OJSFEI0CI", "applicationName": "Portal", "status": "CREATED"}
    return json.dumps(
        {
            "Type": "Notification",
            "TopicArn": "arn:aws:sns:us-east-1:111122223333:codedeploy",
            "Timestamp": "2016-10-07T19:50:42.170Z",
            "Message": json.dumps({**trigger, **fields}),
        }
    )


def test_a_trigger_with_a_java_date_keeps_its_own_time():
    parsed = parse_message(_sns_trigger(createTime="Fri Oct 07 19:50:41 UTC 2016", completeTime=None))
    assert parsed.change.time == 1475869841.0 and parsed.unreadable_date == ""


def test_an_unreadable_date_costs_the_date_not_the_event():
    parsed = parse_message(_sns_trigger(createTime="Fri Oct 07 19:50:41 PDT 2016"))
    assert parsed.change.deployment_id == "d-OJSFEI0CI"
    assert parsed.change.time == pytest.approx(1475869842.17)  # the SNS timestamp stands in
    assert parsed.unreadable_date == "createTime: 'Fri Oct 07 19:50:41 PDT 2016'"


# ---- revision labels by revisionType ------------------------------------------------------

S3 = {"bucket": "artifacts", "key": "web.zip", "version": "v7"}
GITHUB = {"repository": "org/web", "commitId": "0a1b2c"}


def test_revision_labels_come_only_from_the_block_its_type_names():
    s3 = parse_revision({"revisionType": "S3", "s3Location": S3, "gitHubLocation": GITHUB})
    assert (s3.s3_bucket, s3.s3_key, s3.s3_version, s3.github_repository, s3.github_commit) == (
        "artifacts",
        "web.zip",
        "v7",
        "",
        "",
    )
    github = parse_revision({"revisionType": "GitHub", "s3Location": S3, "gitHubLocation": GITHUB})
    assert (github.s3_bucket, github.github_repository, github.github_commit) == ("", "org/web", "0a1b2c")
    content = parse_revision(
        {
            "revisionType": "AppSpecContent",
            "appSpecContent": {"sha256": "ab12"},
            "string": {"sha256": "ff"},
            "s3Location": S3,
        }
    )
    assert (content.content_sha256, content.s3_bucket) == ("ab12", "")
    string = parse_revision(
        {"revisionType": "String", "appSpecContent": {"sha256": "ab12"}, "string": {"sha256": "ff"}}
    )
    assert string.content_sha256 == "ff"


def test_a_revision_without_a_type_reads_its_only_block_or_none():
    alone = parse_revision({"gitHubLocation": GITHUB})
    assert (alone.revision_type, alone.github_repository) == ("GitHub", "org/web")
    several = parse_revision({"s3Location": S3, "gitHubLocation": GITHUB})
    assert (several.revision_type, several.s3_bucket, several.github_repository) == ("", "", "")


# ---- one weight scale -----------------------------------------------------------------------


def _lambda(weight):
    return parse_target(lambda_target("d-ABCDEFGHI", "fn:live", "InProgress", [], NOW, "fn", "live", "1", "2", weight))


@pytest.mark.parametrize(
    "wire,ratio",
    [
        (10.0, 0.1),  # percent reading (the shape's ECS twin is documented in percent)
        (0.1, 0.1),  # fraction reading (Lambda's own alias weights are 0-1)
        (100.0, 1.0),
        (1.0, 1.0),  # both readings: read as fully shifted
        (0.0, 0.0),
        (150.0, None),
        (-1.0, None),
    ],
)
def test_lambda_and_cloudformation_weights_read_either_scale(wire, ratio):
    assert _lambda(wire).lambda_function.weight == ratio
    cfn = parse_target(
        {
            "deploymentTargetType": "CloudFormationTarget",
            "cloudFormationTarget": {"deploymentId": "d-ABCDEFGHI", "targetId": "stack", "targetVersionWeight": wire},
        }
    )
    assert cfn.cfn_weight == ratio


def test_ecs_weights_are_percent_on_the_wire():
    # The Amazon ECS Developer Guide's blue/green tutorial: task sets at 0.0 and 100.0.
    sets = [
        task_set("ecs-svc/1", "Blue", "PRIMARY", 100.0, 2, 0, 2, "tg-1"),
        task_set("ecs-svc/2", "Green", "ACTIVE", 0.5, 2, 0, 2, "tg-2"),
    ]
    target = parse_target(ecs_target("d-ABCDEFGHI", "c:s", "InProgress", [], NOW, sets))
    assert [s.traffic_weight for s in target.task_sets] == [1.0, 0.005]


# ---- fields people act on -----------------------------------------------------------------

RICH = deployment_info(
    "d-RICHDEP01", "a", "g", "Failed", NOW, error_information={"code": "ALARM_ACTIVE", "message": "stopped"}
)
RICH.update(
    {
        "deploymentStatusMessages": ["Original instances were not terminated", "x" * 1000],
        "additionalDeploymentStatusInfo": "Original instances were not terminated",
        "rollbackInfo": {
            "rollbackDeploymentId": "d-ROLLBACK2",
            "rollbackMessage": "Automatic rollback after the alarm",
        },
        "overrideAlarmConfiguration": {"enabled": False, "ignorePollAlarmFailure": True, "alarms": [{"name": "a"}]},
        "relatedDeployments": {
            "autoUpdateOutdatedInstancesRootDeploymentId": "d-ROOTDEP01",
            "autoUpdateOutdatedInstancesDeploymentIds": ["d-CHILD0001"],
        },
        # read and left alone
        "previousRevision": {"revisionType": "S3", "s3Location": S3},
        "targetInstances": {"autoScalingGroups": ["asg"], "tagFilters": [{"Key": "k", "Type": "KEY_ONLY"}]},
        "deploymentMode": "STANDARD",
        "externalId": "cfn-stack-1",
    }
)


def test_status_messages_rollback_message_and_alarm_override_reach_the_surfaces(caplog):
    record = parse_deployment(json.loads(json.dumps(RICH)))
    assert record.status_messages[0] == "Original instances were not terminated"
    assert len(record.status_messages) == 2 and len(record.status_messages[1]) == 256  # deduplicated, bounded
    assert record.rollback_message == "Automatic rollback after the alarm"
    with caplog.at_level(logging.WARNING):
        exporter = poll_deployment(RICH, [instance_target("d-RICHDEP01", "i-one", "Failed", [], NOW)])
    (row,) = exporter.snapshot.status.failed  # the status page's row of the deployment
    assert (row.error_code, row.error_message) == ("ALARM_ACTIVE", "stopped")
    assert row.notes == (
        "Original instances were not terminated",
        record.status_messages[1],  # bounded by the parser
        "rollback: Automatic rollback after the alarm",
        "CloudWatch alarms were off for this deployment",
    )
    body = exporter.snapshot.body
    override = value(
        body, "codedeploy_deployment_alarm_override", alarms_enabled="false", ignore_poll_alarm_failure="true"
    )
    assert override == 1
    assert value(body, "codedeploy_deployment_auto_update_info", auto_update_root_deployment_id="d-ROOTDEP01") == 1
    assert errors(body) == {}
    (line,) = [r.getMessage() for r in caplog.records if "event=deployment_ended" in r.getMessage()]
    assert 'rollback_message="Automatic rollback after the alarm"' in line
    assert "Original instances were not terminated" in line


def test_a_deployment_without_those_fields_has_no_such_series():
    plain = deployment_info("d-PLAINDEP1", "a", "g", "Succeeded", NOW)
    with ReplayServer({"BatchGetDeployments": _json({"deploymentsInfo": [plain]})}) as server:
        exporter = server.exporter(deployments=[{"deployment_id": "d-PLAINDEP1"}])
        exporter.poll_once()
    names = {n for n, _ in samples(exporter.snapshot.body)}
    assert "codedeploy_deployment_alarm_override" not in names
    assert "codedeploy_deployment_auto_update_info" not in names
