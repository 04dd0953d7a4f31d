"""Exposition rendering: the family table, cardinality settings, aggregates, escaping, caching."""

import dataclasses
import json
import re

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from support.expo import samples
from support.paths import TESTS

from exporter.aws.parse import parse_deployment, parse_target
from exporter.events.metrics import EventMetrics
from exporter.exposition.body import Plain
from exporter.exposition.cache import ExpositionCache
from exporter.exposition.families.base import LEVEL_LABELS, OUTER, Level, identity_prefix, nested_prefix
from exporter.exposition.families.table import BY_NAME, FAMILIES
from exporter.exposition.selection import FULL, Selection
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.exposition.text import label_pairs
from exporter.exposition.views import GroupView, TargetView, deployment_view
from exporter.group_figures import DoraView, PhaseHistograms, RecoveryHistogram, WindowFigures
from exporter.model import (
    EMPTY_HISTOGRAM,
    EMPTY_LEAD_TIMES,
    GroupRecord,
    HookHistogram,
    LastDeployment,
    Target,
    observe_lead_time,
)

GROUP = GroupView(
    "123456789012",
    "us-east-1",
    "web",
    "prod",
    GroupRecord(
        "web", "prod", "Server", "CodeDeployDefault.OneAtATime", "IN_PLACE", "WITHOUT_TRAFFIC_CONTROL", None, None
    ),
    LastDeployment("d-GROUP0001", "Failed", 1000.0, 1100.0),
    900.0,
    1100.0,
    ((("Failed", "user"), 1),),
    (("Failed", EMPTY_HISTOGRAM.observe(100.0)),),
    tags=(("tag_team", "payments"), ("tag_env", "")),
    lead_times=observe_lead_time(EMPTY_LEAD_TIMES, 3600.0),
    hook_durations=(("Install", HookHistogram((0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1))),),
    dora=DoraView(
        1,
        (("redeploy", 0), ("rollback", 1)),
        RecoveryHistogram().observe(600.0),
        (WindowFigures("7d", (("Failed", 1), ("Stopped", 0), ("Succeeded", 0)), 1, 1),),
        PhaseHistograms(((0,) * 5 + (1,) * 7,) * 6),
    ),
)
FIXTURE = json.loads((TESTS / "fixtures/batch_get_deployment_targets.json").read_text())
INSTANCE, LAMBDA, ECS, CFN = (parse_target(t) for t in FIXTURE["deploymentTargets"])
DEPLOYMENTS = [
    parse_deployment(d)
    for d in json.loads((TESTS / "fixtures/batch_get_deployments.json").read_text())["deploymentsInfo"]
]
# The fixture targets' own deployment, so that its hooks are aggregated.
OWNER = parse_deployment(
    {"deploymentId": "d-ABCDEF123", "applicationName": "web", "deploymentGroupName": "prod", "status": "Failed"}
)
IDS = {"application": "web", "deployment_group": "prod", "account_id": "123456789012", "region": "eu-west-1"}


def view(target, success=True, frozen=False, finished=False):
    prefix = label_pairs(
        account_id="123456789012",
        region="eu-west-1",
        application="web",
        deployment_group="prod",
        deployment_id=target.deployment_id,
        target_id=target.target_id,
    )
    return TargetView((target.deployment_id, target.target_id), prefix, target, success, frozen, finished)


def render(*targets, selection=FULL, deployments=(), **flags):
    return samples(ExpositionCache(selection).render([view(t, **flags) for t in targets], deployments))


def named(out, name):
    return [(dict(ls), v) for (n, ls), v in out.items() if n == name]


def with_status(target: Target, status: str) -> Target:
    return dataclasses.replace(target, status=status)


# ---- the full setting: the original contract -------------------------------------------------


def test_target_status_is_a_status_set_with_one_series_per_known_value():
    statuses = {ls["status"]: v for ls, v in named(render(INSTANCE), "codedeploy_target_status")}
    assert statuses == {
        "Pending": 0,
        "InProgress": 0,
        "Succeeded": 0,
        "Failed": 1,
        "Skipped": 0,
        "Unknown": 0,
        "Ready": 0,
    }


def test_unknown_status_value_gets_an_extra_series_instead_of_a_crash():
    out = render(with_status(INSTANCE, "Paused"))
    key = (
        "codedeploy_target_status",
        frozenset(
            {**IDS, "deployment_id": "d-ABCDEF123", "target_id": "i-0123456789abcdef0", "status": "Paused"}.items()
        ),
    )
    assert out[key] == 1
    assert sum(v for ls, v in named(out, "codedeploy_target_status")) == 1


def test_failed_hook_is_reported_with_its_error_code_and_script():
    diag = named(render(INSTANCE), "codedeploy_lifecycle_event_diagnostics_info")
    # The successful hook's diagnostics (errorCode Success) are not exported.
    assert [(d["lifecycle_event"], d["error_code"], d["script_name"]) for d, _ in diag] == [
        ("ApplicationStart", "ScriptFailed", "scripts/start_server.sh")
    ]


def test_hook_durations_and_starts_only_when_the_api_gives_times():
    out = render(INSTANCE)
    durations = {ls["lifecycle_event"]: v for ls, v in named(out, "codedeploy_lifecycle_event_duration_seconds")}
    starts = {ls["lifecycle_event"] for ls, _ in named(out, "codedeploy_lifecycle_event_start_timestamp_seconds")}
    assert durations == {"ApplicationStop": 1.25, "ApplicationStart": 10.5}
    assert starts == {"ApplicationStop", "ApplicationStart"}


def test_info_metric_carries_type_arn_and_empty_label_when_absent():
    infos = {ls["target_id"]: ls for ls, _ in named(render(INSTANCE, LAMBDA), "codedeploy_target_info")}
    assert infos["i-0123456789abcdef0"]["instance_label"] == "Green"
    assert infos["checkout:live"]["instance_label"] == ""
    assert infos["checkout:live"]["target_type"] == "LambdaTarget"


def test_traffic_weights_and_task_counts_per_platform():
    out = render(LAMBDA, ECS, CFN)
    ((lam, weight),) = named(out, "codedeploy_lambda_target_version_weight_ratio")
    assert weight == 0.1 and lam["target_version"] == "8" and lam["current_version"] == "7"
    weights = {
        ls["task_set_label"]: (ls["target_group"], v)
        for ls, v in named(out, "codedeploy_ecs_task_set_traffic_weight_ratio")
    }
    assert weights == {"Blue": ("tg-blue", 0.9), "Green": ("tg-green", 0.1)}
    running = {ls["task_set_id"]: v for ls, v in named(out, "codedeploy_ecs_task_set_running_tasks")}
    assert running == {"ecs-svc/1111": 4, "ecs-svc/2222": 3}
    primary = [
        ls["task_set_id"]
        for ls, v in named(out, "codedeploy_ecs_task_set_status")
        if ls["status"] == "PRIMARY" and v == 1
    ]
    assert primary == ["ecs-svc/1111"]
    assert [
        (ls["resource_type"], v) for ls, v in named(out, "codedeploy_cloudformation_target_version_weight_ratio")
    ] == [("AWS::ECS::Service", 0.5)]


def test_label_values_from_the_api_are_escaped():
    raw = json.loads(json.dumps(FIXTURE["deploymentTargets"][0]))
    raw["instanceTarget"]["lifecycleEvents"][1]["diagnostics"]["scriptName"] = 'a "quoted"\\path\nnext'
    scripts = [
        ls["script_name"] for ls, _ in named(render(parse_target(raw)), "codedeploy_lifecycle_event_diagnostics_info")
    ]
    assert scripts == ['a "quoted"\\path\nnext']


def test_every_series_carries_account_and_region():
    out = render(
        INSTANCE, LAMBDA, ECS, CFN, deployments=[deployment_view(d, "123456789012", "eu-west-1") for d in DEPLOYMENTS]
    )
    for (name, labels), _ in out.items():
        assert {("account_id", "123456789012"), ("region", "eu-west-1")} <= labels, name


# ---- the default setting: the cardinality budget -----------------------------------------------


def test_sparse_status_keeps_only_the_current_values():
    out = render(INSTANCE, selection=Selection())
    assert [ls["status"] for ls, _ in named(out, "codedeploy_target_status")] == ["Failed"]
    hooks = sorted(
        (ls["lifecycle_event"], ls["status"], v) for ls, v in named(out, "codedeploy_lifecycle_event_status")
    )
    assert hooks == [
        ("ApplicationStart", "Failed", 1),
        ("ApplicationStop", "Succeeded", 1),
        ("ValidateService", "Skipped", 1),
    ]


def test_succeeded_target_of_a_finished_deployment_has_no_hook_series_by_default():
    done = with_status(INSTANCE, "Succeeded")
    out = render(done, selection=Selection(), finished=True, frozen=True)
    assert not [n for n, _ in out if n.startswith("codedeploy_lifecycle_event_")]
    assert {n for n, _ in out} == {
        "codedeploy_target_info",
        "codedeploy_target_status",
        "codedeploy_target_last_updated_timestamp_seconds",
    }
    # ... while its deployment runs, and with lifecycle_events: all, they are there.
    assert named(render(done, selection=Selection(), finished=False), "codedeploy_lifecycle_event_status")
    assert named(
        render(done, selection=Selection(lifecycle_events="all"), finished=True), "codedeploy_lifecycle_event_status"
    )


def test_failed_target_of_a_finished_deployment_keeps_only_the_hook_that_failed():
    out = render(INSTANCE, selection=Selection(), finished=True, frozen=True)
    hooks = {(n, dict(ls)["lifecycle_event"]) for n, ls in out if "lifecycle_event" in dict(ls)}
    assert hooks == {
        ("codedeploy_lifecycle_event_status", "ApplicationStart"),
        ("codedeploy_lifecycle_event_start_timestamp_seconds", "ApplicationStart"),
        ("codedeploy_lifecycle_event_duration_seconds", "ApplicationStart"),
        ("codedeploy_lifecycle_event_diagnostics_info", "ApplicationStart"),
    }
    assert len(out) == 7  # with its info, status and last update
    # Skipped in the same deployment: no hook at all.
    skipped = render(with_status(INSTANCE, "Skipped"), selection=Selection(), finished=True, frozen=True)
    assert {n for n, _ in skipped} == {
        "codedeploy_target_info",
        "codedeploy_target_status",
        "codedeploy_target_last_updated_timestamp_seconds",
    }


@pytest.mark.parametrize("target", [LAMBDA, ECS, CFN], ids=["lambda", "ecs", "cloudformation"])
def test_finished_target_keeps_no_traffic_weight_or_task_set_by_default(target):
    running = {n for n, _ in render(target, selection=Selection())}
    finished = {n for n, _ in render(target, selection=Selection(), finished=True, frozen=True)}
    shifted = {n for n in running if "weight" in n or "task_set" in n}
    assert shifted  # the target has some while its deployment runs ...
    assert not shifted & finished  # ... and none once it has finished
    assert shifted <= {n for n, _ in render(target, selection=Selection(lifecycle_events="all"), finished=True)}


def test_poll_success_only_for_targets_still_polled():
    assert named(render(INSTANCE, frozen=True), "codedeploy_exporter_target_poll_success") == []
    assert [v for _, v in named(render(INSTANCE, success=False), "codedeploy_exporter_target_poll_success")] == [0]


def test_deployment_status_set_stays_complete_when_sparse():
    out = render(selection=Selection(), deployments=DEPLOYMENTS[:1])
    statuses = {ls["status"]: v for ls, v in named(out, "codedeploy_deployment_status")}
    assert len(statuses) == 8 and statuses["Failed"] == 1 and sum(statuses.values()) == 1


def test_include_and_exclude_match_whole_family_names():
    out = render(INSTANCE, selection=Selection(include=("codedeploy_target_.*",), exclude=("codedeploy_target_info",)))
    assert {n for n, _ in out} == {"codedeploy_target_status", "codedeploy_target_last_updated_timestamp_seconds"}
    # "status" alone matches no family in full.
    assert render(INSTANCE, selection=Selection(include=("status",))) == {}


# ---- aggregates ------------------------------------------------------------------------------


def hooked(target_id, events):
    """An instance target of d-FAILED001 with (name, status, start, end) hooks."""
    raw = {
        "deploymentTargetType": "InstanceTarget",
        "instanceTarget": {
            "deploymentId": "d-FAILED001",
            "targetId": target_id,
            "status": "Succeeded",
            "lifecycleEvents": [
                {"lifecycleEventName": n, "status": s, "startTime": a, "endTime": b} for n, s, a, b in events
            ],
        },
    }
    return parse_target(raw)


def test_hook_aggregates_count_statuses_and_sum_and_max_durations():
    targets = [
        hooked("i-1", [("Install", "Succeeded", 100, 110), ("ValidateService", "Succeeded", 120, 121)]),
        hooked("i-2", [("Install", "Succeeded", 100, 130), ("ValidateService", "Failed", 140, 145)]),
        hooked("i-3", [("Install", "Failed", 100, None), ("ValidateService", "Skipped", None, None)]),
    ]
    for selection in (Selection(), FULL):
        out = render(*targets, selection=selection, deployments=DEPLOYMENTS[:1], finished=True)

        def agg(name, hook, out=out, **extra):
            return {v for ls, v in named(out, name) if ls["lifecycle_event"] == hook and extra.items() <= ls.items()}

        counts = {
            (ls["lifecycle_event"], ls["status"]): v
            for ls, v in named(out, "codedeploy_deployment_lifecycle_event_targets")
        }
        assert counts == {
            ("Install", "Succeeded"): 2,
            ("Install", "Failed"): 1,
            ("ValidateService", "Succeeded"): 1,
            ("ValidateService", "Failed"): 1,
            ("ValidateService", "Skipped"): 1,
        }
        assert agg("codedeploy_deployment_lifecycle_event_duration_seconds_sum", "Install") == {40}
        assert agg("codedeploy_deployment_lifecycle_event_duration_seconds_count", "Install") == {2}
        assert agg("codedeploy_deployment_lifecycle_event_max_duration_seconds", "Install") == {30}
        assert agg("codedeploy_deployment_lifecycle_event_duration_seconds_sum", "ValidateService") == {6}
        assert agg("codedeploy_deployment_lifecycle_event_max_duration_seconds", "ValidateService") == {5}


def test_aggregates_follow_a_changed_target_and_skip_work_otherwise():
    cache = ExpositionCache(Selection())
    first = [hooked("i-1", [("Install", "InProgress", 100, None)])]
    cache.render([view(t) for t in first], DEPLOYMENTS[:1])
    cache.render([view(t) for t in first], DEPLOYMENTS[:1])
    assert cache.rendered_last == 0
    done = [hooked("i-1", [("Install", "Succeeded", 100, 104)])]
    out = samples(cache.render([view(t) for t in done], DEPLOYMENTS[:1]))
    assert cache.rendered_last == 2  # the target and its deployment's aggregates
    assert [v for _, v in named(out, "codedeploy_deployment_lifecycle_event_max_duration_seconds")] == [4]


# ---- deployment facts ------------------------------------------------------------------------


def test_deployment_facts_error_rollback_revision_and_termination_wait():
    out = render(deployments=DEPLOYMENTS)
    by_id = {}
    for (name, labels), v in out.items():
        by_id.setdefault(dict(labels)["deployment_id"], {})[name] = (dict(labels), v)
    failed, rollback, inline = by_id["d-FAILED001"], by_id["d-ROLLBACK1"], by_id["d-LAMBDA001"]
    assert failed["codedeploy_deployment_error_info"][0]["error_code"] == "HEALTH_CONSTRAINTS"
    assert failed["codedeploy_deployment_start_timestamp_seconds"][1] == 1764149010.5
    assert failed["codedeploy_deployment_rollback_info"][0]["rollback_deployment_id"] == "d-ROLLBACK1"
    assert rollback["codedeploy_deployment_rollback_info"][0]["rollback_triggering_deployment_id"] == "d-FAILED001"
    s3 = failed["codedeploy_deployment_revision_info"][0]
    assert (s3["revision_type"], s3["s3_bucket"], s3["s3_key"], s3["github_repository"]) == (
        "S3",
        "artifacts",
        "web/app.zip",
        "",
    )
    assert rollback["codedeploy_deployment_revision_info"][0]["github_commit"] == "4f1c0d2e9b7a"
    assert len(inline["codedeploy_deployment_revision_info"][0]["content_sha256"]) == 64
    assert failed["codedeploy_deployment_instance_termination_wait_started"][1] == 0
    assert rollback["codedeploy_deployment_instance_termination_wait_started"][1] == 1
    assert "codedeploy_deployment_error_info" not in rollback
    assert "codedeploy_deployment_instance_termination_wait_started" not in inline
    # The error message is never a label.
    assert not any("overall deployment failed" in str(labels) for _, labels in out)


def test_deployment_series_cover_info_status_timestamps_and_overview():
    deployment = parse_deployment(
        {
            "deploymentId": "d-ABCDEF123",
            "applicationName": "web",
            "deploymentGroupName": "prod",
            "status": "InProgress",
            "computePlatform": "Server",
            "deploymentConfigName": "OneAtATime",
            "creator": "user",
            "deploymentStyle": {"deploymentType": "IN_PLACE"},
            "createTime": 100.0,
            "deploymentOverview": {"Succeeded": 2, "Failed": 1},
        }
    )
    out = render(deployments=[deployment_view(deployment, "123456789012", "eu-west-1")])
    base = {**IDS, "deployment_id": "d-ABCDEF123"}
    assert out[("codedeploy_deployment_create_timestamp_seconds", frozenset(base.items()))] == 100.0
    assert ("codedeploy_deployment_complete_timestamp_seconds", frozenset(base.items())) not in out
    assert out[("codedeploy_deployment_targets", frozenset({**base, "status": "Failed"}.items()))] == 1
    assert out[("codedeploy_deployment_status", frozenset({**base, "status": "InProgress"}.items()))] == 1
    ((info, _),) = named(out, "codedeploy_deployment_info")
    assert info["compute_platform"] == "Server" and info["deployment_type"] == "IN_PLACE"


# ---- the table is the contract ---------------------------------------------------------------


def test_nothing_undeclared_is_emitted_and_labels_match_the_table():
    views = [view(t, success=False) for t in (INSTANCE, LAMBDA, ECS, CFN)]
    deployments = [deployment_view(d) for d in (*DEPLOYMENTS, OWNER)]
    metrics = ExporterMetrics()
    metrics.scope_seen("111122223333", "us-east-1")
    metrics.count_request("111122223333", "us-east-1", "ListDeployments")
    metrics.set_scope_health({("111122223333", "us-east-1"): "AccessDenied"})
    metrics.set_accounts([("111122223333", "payments-prod", "Production")])
    metrics.api_duration.labels("ListDeployments").observe(0.2)
    EventMetrics(metrics.registry)  # the event consumer's families, present with `events` configured
    text = ExpositionCache(FULL).render(views, deployments, [GROUP]) + metrics.render()
    seen = set()
    for (name, labels), _ in samples(text).items():
        if name.startswith("process_"):
            continue
        family = BY_NAME.get(re.sub(r"_(sum|count|bucket)$", "", name)) or BY_NAME.get(name)
        assert family is not None, f"{name} is not in the family table"
        extra = {"le"} if name.endswith("_bucket") else set()
        named = {k for k, _ in labels if not (family.open_labels and k.startswith(family.open_labels))}
        assert named == set(family.label_names()) | extra, name
        seen.add(family.name)
    # Every declared family shows up with these fixtures (a stale declaration would not).
    assert seen == {f.name for f in FAMILIES}


def test_each_family_appears_once_with_help_and_type():
    text = ExpositionCache(FULL).render([view(INSTANCE), view(LAMBDA), view(ECS), view(CFN)], DEPLOYMENTS)
    types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert len(types) == len(set(types))
    assert "codedeploy_exporter_target_poll_success" in types


def test_units_are_declared_only_where_the_name_ends_in_them():
    for family in FAMILIES:
        if family.unit:
            assert family.name.removesuffix("_total").endswith("_" + family.unit), family.name
        assert family.level in LEVEL_LABELS


def test_identity_labels_are_named_and_ordered_by_the_level():
    assert identity_prefix(Level.DEPLOYMENT_GROUP, "1", "eu-west-1", "web", 'pr"od') == (
        'account_id="1",region="eu-west-1",application="web",deployment_group="pr\\"od"'
    )
    # A nested level's values are the labels it adds to its outer object's prefix.
    assert nested_prefix(Level.TASK_SET)('x="y"', "ecs-svc/1", "Blue") == (
        'x="y",task_set_id="ecs-svc/1",task_set_label="Blue"'
    )
    assert nested_prefix(Level.LIFECYCLE_EVENT)('x="y"', 'a"b') == 'x="y",lifecycle_event="a\\"b"'
    for level, outer in OUTER.items():
        assert LEVEL_LABELS[level][: len(LEVEL_LABELS[outer])] == LEVEL_LABELS[outer]
    with pytest.raises(ValueError):
        identity_prefix(Level.TARGET, "1", "eu-west-1")
    with pytest.raises(ValueError):
        nested_prefix(Level.TASK_SET)('x="y"', "ecs-svc/1")


def test_openmetrics_output_is_accepted_by_the_openmetrics_parser():
    cache = ExpositionCache(FULL)
    sections = cache.sections([view(t) for t in (INSTANCE, LAMBDA, ECS, CFN)], [*DEPLOYMENTS, OWNER], [GROUP])
    metrics = ExporterMetrics()
    for _ in range(3):
        metrics.count_request("111122223333", "us-east-1", "ListDeployments")
    text = b"".join(Plain(sections, metrics.render_openmetrics(), openmetrics=True)).decode()
    assert text.endswith("# EOF\n")
    assert "# UNIT codedeploy_lifecycle_event_duration_seconds seconds" in text
    assert "# UNIT codedeploy_lambda_target_version_weight_ratio ratio" in text
    families = {f.name: f for f in parse_openmetrics(text)}
    assert families["codedeploy_exporter_api_requests"].type == "counter"
    (requests,) = [
        s for s in families["codedeploy_exporter_api_requests"].samples if s.labels["operation"] == "ListDeployments"
    ]
    assert requests.name == "codedeploy_exporter_api_requests_total" and requests.value == 3
    assert families["codedeploy_deployment_lifecycle_event_duration_seconds"].type == "summary"
    assert families["codedeploy_deployments"].type == "counter"
    assert families["codedeploy_deployment_duration_seconds"].type == "histogram"
    buckets = {
        s.labels["le"]: s.value
        for s in families["codedeploy_deployment_duration_seconds"].samples
        if s.name.endswith("_bucket")
    }
    assert buckets["60"] == 0 and buckets["120"] == 1 and buckets["+Inf"] == 1
    assert families["codedeploy_target_status"].unit == ""
    assert families["codedeploy_target_last_updated_timestamp_seconds"].unit == "seconds"


# ---- the fragment cache ----------------------------------------------------------------------


def test_unchanged_targets_reuse_their_fragments_and_changed_ones_are_rerendered():
    cache = ExpositionCache(FULL)
    first = cache.render([view(INSTANCE), view(LAMBDA)], [])
    assert cache.rendered_last == 2
    again = cache.render([view(INSTANCE), view(LAMBDA)], [])
    assert cache.rendered_last == 0 and again == first
    cache.render([view(INSTANCE), view(LAMBDA, success=False)], [])
    assert cache.rendered_last == 1


def test_a_target_that_leaves_disappears_from_the_output():
    cache = ExpositionCache(FULL)
    cache.render([view(INSTANCE), view(LAMBDA)], [])
    out = samples(cache.render([view(LAMBDA)], []))
    assert not any(dict(ls).get("target_id") == "i-0123456789abcdef0" for _, ls in out)
