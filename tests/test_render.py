"""Exposition rendering: the metric contract, status sets, escaping and the fragment cache."""

import json
from pathlib import Path

from expo import samples

from exporter.parse import parse_deployment, parse_target
from exporter.render import ExpositionCache, TargetView, label_pairs

FIXTURE = json.loads((Path(__file__).parent / "fixtures/batch_get_deployment_targets.json").read_text())
INSTANCE, LAMBDA, ECS, CFN = (parse_target(t) for t in FIXTURE["deploymentTargets"])
IDS = {"application": "web", "deployment_group": "prod"}


def view(target, success=True):
    prefix = label_pairs(application="web", deployment_group="prod",
                         deployment_id=target.deployment_id, target_id=target.target_id)
    return TargetView((target.deployment_id, target.target_id), prefix, target, success)


def render(*targets, sparse=False, deployments=()):
    return samples(ExpositionCache(sparse).render([view(t) for t in targets], deployments))


def test_target_status_is_a_status_set_with_one_series_per_known_value():
    out = render(INSTANCE)
    statuses = {dict(ls)["status"]: v for (n, ls), v in out.items() if n == "codedeploy_target_status"}
    assert statuses == {"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 1, "Skipped": 0,
                        "Unknown": 0, "Ready": 0}


def test_sparse_status_keeps_only_the_current_values():
    out = render(INSTANCE, sparse=True)
    statuses = [dict(ls)["status"] for (n, ls), v in out.items() if n == "codedeploy_target_status"]
    assert statuses == ["Failed"]
    hooks = [(dict(ls)["lifecycle_event"], dict(ls)["status"]) for (n, ls), _ in out.items()
             if n == "codedeploy_lifecycle_event_status"]
    assert sorted(hooks) == [("ApplicationStart", "Failed"), ("ApplicationStop", "Succeeded"),
                             ("ValidateService", "Skipped")]


def test_unknown_status_value_gets_an_extra_series_instead_of_a_crash():
    raw = json.loads(json.dumps(FIXTURE["deploymentTargets"][0]))
    raw["instanceTarget"]["status"] = "Paused"
    out = render(parse_target(raw))
    key = ("codedeploy_target_status", frozenset({**IDS, "deployment_id": "d-ABCDEF123",
                                                  "target_id": "i-0123456789abcdef0", "status": "Paused"}.items()))
    assert out[key] == 1
    assert sum(v for (n, _), v in out.items() if n == "codedeploy_target_status") == 1


def test_failed_hook_is_reported_with_its_error_code_and_script():
    out = render(INSTANCE)
    diag = [dict(ls) for (n, ls), v in out.items() if n == "codedeploy_lifecycle_event_diagnostics_info"]
    # The successful hook's diagnostics (errorCode Success) are not exported.
    assert len(diag) == 1
    assert (diag[0]["lifecycle_event"], diag[0]["error_code"], diag[0]["script_name"]) == (
        "ApplicationStart", "ScriptFailed", "scripts/start_server.sh")


def test_hook_durations_and_starts_only_when_the_api_gives_times():
    out = render(INSTANCE)
    durations = {dict(ls)["lifecycle_event"]: v for (n, ls), v in out.items()
                 if n == "codedeploy_lifecycle_event_duration_seconds"}
    starts = {dict(ls)["lifecycle_event"] for (n, ls), _ in out.items()
              if n == "codedeploy_lifecycle_event_start_timestamp_seconds"}
    assert durations == {"ApplicationStop": 1.25, "ApplicationStart": 10.5}
    assert starts == {"ApplicationStop", "ApplicationStart"}


def test_info_metric_carries_type_arn_and_empty_label_when_absent():
    out = render(INSTANCE, LAMBDA)
    infos = {dict(ls)["target_id"]: dict(ls) for (n, ls), _ in out.items() if n == "codedeploy_target_info"}
    assert infos["i-0123456789abcdef0"]["instance_label"] == "Green"
    assert infos["checkout:live"]["instance_label"] == ""
    assert infos["checkout:live"]["target_type"] == "LambdaTarget"


def test_traffic_weights_and_task_counts_per_platform():
    out = render(LAMBDA, ECS, CFN)
    lam = [(dict(ls), v) for (n, ls), v in out.items() if n == "codedeploy_lambda_target_version_weight"]
    assert lam[0][1] == 0.1 and lam[0][0]["target_version"] == "8" and lam[0][0]["current_version"] == "7"
    weights = {dict(ls)["task_set_label"]: (dict(ls)["target_group"], v) for (n, ls), v in out.items()
               if n == "codedeploy_ecs_task_set_traffic_weight"}
    assert weights == {"Blue": ("tg-blue", 90.0), "Green": ("tg-green", 10.0)}
    running = {dict(ls)["task_set_id"]: v for (n, ls), v in out.items() if n == "codedeploy_ecs_task_set_running_tasks"}
    assert running == {"ecs-svc/1111": 4, "ecs-svc/2222": 3}
    primary = [dict(ls)["task_set_id"] for (n, ls), v in out.items()
               if n == "codedeploy_ecs_task_set_status" and dict(ls)["status"] == "PRIMARY" and v == 1]
    assert primary == ["ecs-svc/1111"]
    cfn = [(dict(ls)["resource_type"], v) for (n, ls), v in out.items()
           if n == "codedeploy_cloudformation_target_version_weight"]
    assert cfn == [("AWS::ECS::Service", 0.5)]


def test_label_values_from_the_api_are_escaped():
    raw = json.loads(json.dumps(FIXTURE["deploymentTargets"][0]))
    raw["instanceTarget"]["lifecycleEvents"][1]["diagnostics"]["scriptName"] = 'a "quoted"\\path\nnext'
    out = render(parse_target(raw))
    scripts = [dict(ls)["script_name"] for (n, ls), _ in out.items()
               if n == "codedeploy_lifecycle_event_diagnostics_info"]
    assert scripts == ['a "quoted"\\path\nnext']


def test_deployment_series_cover_info_status_timestamps_and_overview():
    deployment = parse_deployment({
        "deploymentId": "d-ABCDEF123", "applicationName": "web", "deploymentGroupName": "prod",
        "status": "InProgress", "computePlatform": "Server", "deploymentConfigName": "OneAtATime",
        "creator": "user", "deploymentStyle": {"deploymentType": "IN_PLACE"}, "createTime": 100.0,
        "deploymentOverview": {"Succeeded": 2, "Failed": 1}})
    out = render(deployments=[deployment])
    base = {"application": "web", "deployment_group": "prod", "deployment_id": "d-ABCDEF123"}
    assert out[("codedeploy_deployment_create_timestamp_seconds", frozenset(base.items()))] == 100.0
    assert ("codedeploy_deployment_complete_timestamp_seconds", frozenset(base.items())) not in out
    assert out[("codedeploy_deployment_targets", frozenset({**base, "status": "Failed"}.items()))] == 1
    assert out[("codedeploy_deployment_status", frozenset({**base, "status": "InProgress"}.items()))] == 1
    info = [dict(ls) for (n, ls), _ in out.items() if n == "codedeploy_deployment_info"]
    assert info[0]["compute_platform"] == "Server" and info[0]["deployment_type"] == "IN_PLACE"


def test_unchanged_targets_reuse_their_fragments_and_changed_ones_are_rerendered():
    cache = ExpositionCache()
    first = cache.render([view(INSTANCE), view(LAMBDA)], [])
    assert cache.rendered_last == 2
    again = cache.render([view(INSTANCE), view(LAMBDA)], [])
    assert cache.rendered_last == 0 and again == first
    cache.render([view(INSTANCE), view(LAMBDA, success=False)], [])
    assert cache.rendered_last == 1


def test_a_target_that_leaves_disappears_from_the_output():
    cache = ExpositionCache()
    cache.render([view(INSTANCE), view(LAMBDA)], [])
    out = samples(cache.render([view(LAMBDA)], []))
    assert not any(dict(ls).get("target_id") == "i-0123456789abcdef0" for _, ls in out)


def test_each_family_appears_once_with_help_and_type():
    text = ExpositionCache().render([view(INSTANCE), view(LAMBDA), view(ECS), view(CFN)], [])
    types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert len(types) == len(set(types))
    assert "codedeploy_exporter_target_poll_success" in types
