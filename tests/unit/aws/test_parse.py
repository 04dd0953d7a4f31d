"""API response -> typed record, without any network."""

import json
from datetime import datetime, timezone

from support.paths import TESTS

from exporter.aws.parse import parse_deployment, parse_lifecycle_event, parse_target

FIXTURE = json.loads((TESTS / "fixtures/batch_get_deployment_targets.json").read_text())
INSTANCE, LAMBDA, ECS, CFN = FIXTURE["deploymentTargets"]


def test_instance_target_keeps_status_label_and_failed_hook_diagnostics():
    target = parse_target(INSTANCE)
    assert (target.target_type, target.status, target.instance_label) == ("InstanceTarget", "Failed", "Green")
    assert target.last_updated == 1764150000.5
    failed = target.failed_event()
    assert failed.name == "ApplicationStart"
    assert failed.diagnostics.error_code == "ScriptFailed"
    assert failed.diagnostics.script_name == "scripts/start_server.sh"
    assert failed.end - failed.start == 10.5


def test_hook_without_times_has_no_start_or_end():
    skipped = parse_target(INSTANCE).lifecycle_events[2]
    assert (skipped.status, skipped.start, skipped.end, skipped.diagnostics) == ("Skipped", None, None, None)


def test_lambda_target_carries_function_versions_and_weight():
    fn = parse_target(LAMBDA).lambda_function
    assert (fn.function_name, fn.function_alias, fn.current_version, fn.target_version, fn.weight) == (
        "checkout",
        "live",
        "7",
        "8",
        0.1,
    )


def test_ecs_task_sets_are_read_from_the_misspelled_identifer_field():
    sets = parse_target(ECS).task_sets
    assert [s.id for s in sets] == ["ecs-svc/1111", "ecs-svc/2222"]
    green = sets[1]
    assert (green.label, green.status, green.target_group, green.traffic_weight) == (
        "Green",
        "ACTIVE",
        "tg-green",
        0.1,  # the wire's percent (10.0) on the 0-1 scale
    )
    assert (green.desired, green.pending, green.running) == (4, 1, 3)


def test_cloudformation_target_has_resource_type_and_weight_but_no_arn():
    target = parse_target(CFN)
    assert (target.cfn_resource_type, target.cfn_weight, target.target_arn) == ("AWS::ECS::Service", 0.5, "")
    assert target.lifecycle_events == ()


def test_boto3_datetimes_and_wire_numbers_give_the_same_timestamp():
    boto_style = json.loads(json.dumps(INSTANCE))
    boto_style["instanceTarget"]["lastUpdatedAt"] = datetime.fromtimestamp(1764150000.5, tz=timezone.utc)
    assert parse_target(boto_style).last_updated == parse_target(INSTANCE).last_updated


def test_missing_optional_fields_degrade_to_empty_values():
    target = parse_target(
        {"deploymentTargetType": "InstanceTarget", "instanceTarget": {"deploymentId": "d-ABCDEF123", "targetId": "i-1"}}
    )
    assert (target.status, target.target_arn, target.instance_label, target.last_updated) == ("", "", "", None)
    assert target.lifecycle_events == ()


def test_unknown_enum_values_are_kept_verbatim():
    raw = json.loads(json.dumps(INSTANCE))
    raw["instanceTarget"]["status"] = "Paused"
    raw["instanceTarget"]["lifecycleEvents"][0]["status"] = "Teleporting"
    target = parse_target(raw)
    assert target.status == "Paused" and target.lifecycle_events[0].status == "Teleporting"


def test_wrong_shapes_never_raise():
    for junk in (
        None,
        [],
        "x",
        {"deploymentTargetType": 7, "instanceTarget": []},
        {"instanceTarget": {"lifecycleEvents": "nope", "lastUpdatedAt": "soon"}},
        {"ecsTarget": {"taskSetsInfo": [None, {"desiredCount": "many"}]}},
    ):
        parse_target(junk)
        parse_deployment(junk)


def test_equal_short_diagnostics_share_one_record_and_odd_ones_are_read_as_text():
    def diagnostics(**fields):
        return parse_lifecycle_event({"lifecycleEventName": "Install", "diagnostics": fields}).diagnostics

    succeeded = {"errorCode": "Success", "scriptName": "", "message": "Succeeded", "logTail": ""}
    assert diagnostics(**succeeded) is diagnostics(**dict(succeeded))
    tail = "x" * 2048  # a log tail is not worth keeping for sharing
    assert diagnostics(logTail=tail) == diagnostics(logTail=tail) and diagnostics(logTail=tail).log_tail == tail
    odd = diagnostics(errorCode=["ScriptFailed"], message={"text": 1}, scriptName=7)
    assert (odd.error_code, odd.script_name, odd.message, odd.log_tail) == ("['ScriptFailed']", "7", "{'text': 1}", "")


def test_deployment_info_gives_labels_status_and_overview():
    deployment = parse_deployment(
        {
            "deploymentId": "d-ABCDEF123",
            "applicationName": "web",
            "deploymentGroupName": "prod",
            "status": "Succeeded",
            "computePlatform": "Server",
            "deploymentConfigName": "CodeDeployDefault.OneAtATime",
            "creator": "user",
            "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
            "createTime": 1764149000.0,
            "completeTime": 1764150100.0,
            "deploymentOverview": {
                "Pending": 0,
                "InProgress": 0,
                "Succeeded": 3,
                "Failed": 1,
                "Skipped": 0,
                "Ready": 0,
            },
        }
    )
    assert deployment.terminal
    assert (deployment.application, deployment.deployment_group, deployment.deployment_type) == (
        "web",
        "prod",
        "IN_PLACE",
    )
    assert dict(deployment.overview)["Failed"] == 1
    assert not deployment.single_target_batches


def test_ecs_and_lambda_deployments_take_single_target_batches():
    assert parse_deployment({"computePlatform": "ECS"}).single_target_batches
    assert parse_deployment({"computePlatform": "Lambda"}).single_target_batches
    assert not parse_deployment({"status": "InProgress"}).terminal


DEPLOYMENTS = json.loads((TESTS / "fixtures/batch_get_deployments.json").read_text())
FAILED, ROLLBACK, INLINE = DEPLOYMENTS["deploymentsInfo"]


def test_failed_deployment_keeps_its_error_code_message_start_and_rollback():
    d = parse_deployment(FAILED)
    assert (d.error_code, d.start_time) == ("HEALTH_CONSTRAINTS", 1764149010.5)
    assert d.error_message.startswith("The overall deployment failed")
    assert (d.rollback_deployment_id, d.rollback_triggering_deployment_id) == ("d-ROLLBACK1", "")
    assert d.termination_wait_started is False


def test_s3_and_github_revisions_keep_their_location():
    s3 = parse_deployment(FAILED).revision
    assert (s3.revision_type, s3.s3_bucket, s3.s3_key, s3.s3_version) == (
        "S3",
        "artifacts",
        "web/app.zip",
        "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
    )
    rollback = parse_deployment(ROLLBACK)
    assert rollback.rollback_triggering_deployment_id == "d-FAILED001"
    assert (rollback.revision.github_repository, rollback.revision.github_commit) == ("acme/web", "4f1c0d2e9b7a")
    assert rollback.termination_wait_started is True


def test_inline_appspec_is_summarised_by_its_sha256_not_copied():
    import hashlib

    revision = parse_deployment(INLINE).revision
    content = INLINE["revision"]["appSpecContent"]["content"]
    assert revision.content_sha256 == hashlib.sha256(content.encode()).hexdigest()
    assert revision.revision_type == "AppSpecContent"
    # The API's own digest wins when it sends one.
    given = {**INLINE, "revision": {"revisionType": "String", "string": {"content": "x", "sha256": "abc"}}}
    assert parse_deployment(given).revision.content_sha256 == "abc"


def test_deployment_without_the_optional_facts_has_empty_ones():
    d = parse_deployment({"deploymentId": "d-1", "errorInformation": "odd", "revision": []})
    assert (d.error_code, d.rollback_deployment_id, d.revision, d.termination_wait_started, d.start_time) == (
        "",
        "",
        None,
        None,
        None,
    )
