"""The metric model end to end: the exporter polls the simulator through real boto3 over HTTP,
and the exposition it serves is checked in the default setting (sparse status sets, lifecycle
events of active targets only, aggregates), the full setting, and for account and region."""

import logging

import pytest
from support.expo import samples

from exporter.config import parse_config
from exporter.simulator import (
    deployment_info,
    diagnostics,
    ecs_target,
    instance_target,
    lambda_target,
    lifecycle_event,
    task_set,
)

NOW = 1_800_000_000.0
HOOKS = (
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "BeforeBlockTraffic",
    "BlockTraffic",
    "AfterBlockTraffic",
)
RUNNING, DONE, ECS, LAMBDA = "d-RUNNING01", "d-FINISHED1", "d-ECSDEPLY1", "d-LAMBDADP1"


def hooks(n_done: int, failed: bool = False, duration: float = 2.0) -> list[dict]:
    """Ten hooks: n_done Succeeded (start/end `duration` apart), then one InProgress or Failed."""
    out = []
    for i, name in enumerate(HOOKS):
        start = NOW - 600 + 10 * i
        if i < n_done:
            out.append(lifecycle_event(name, "Succeeded", start, start + duration + i, diagnostics()))
        elif i == n_done and failed:
            out.append(
                lifecycle_event(name, "Failed", start, start + 1, diagnostics("ScriptFailed", "scripts/x.sh", "exit 1"))
            )
        elif i == n_done:
            out.append(lifecycle_event(name, "InProgress", start))
        else:
            out.append(lifecycle_event(name, "Pending"))
    return out


@pytest.fixture
def fleet(sim):
    sim.put_deployment(
        deployment_info(RUNNING, "web", "prod", "InProgress", NOW - 900),
        [instance_target(RUNNING, f"i-run{n}", "InProgress", hooks(4), NOW) for n in range(3)],
    )
    sim.put_deployment(
        deployment_info(DONE, "web", "prod", "Failed", NOW - 900, complete_time=NOW - 60),
        [
            instance_target(DONE, "i-ok0", "Succeeded", hooks(10, duration=1.0), NOW),
            instance_target(DONE, "i-ok1", "Succeeded", hooks(10, duration=3.0), NOW),
            instance_target(DONE, "i-bad", "Failed", hooks(6, failed=True), NOW),
        ],
    )
    sets = [
        task_set("ecs-svc/1", "Blue", "PRIMARY", 50.0, 2, 0, 2, "tg-1"),
        task_set("ecs-svc/2", "Green", "ACTIVE", 50.0, 2, 1, 1, "tg-2"),
    ]
    sim.put_deployment(
        deployment_info(ECS, "api", "prod", "InProgress", NOW - 900, "ECS"),
        [
            ecs_target(
                ECS,
                "cluster:svc",
                "InProgress",
                [
                    lifecycle_event("Install", "Succeeded", NOW - 100, NOW - 90),
                    lifecycle_event("AllowTraffic", "InProgress", NOW - 80),
                ],
                NOW,
                sets,
            )
        ],
    )
    sim.put_deployment(
        deployment_info(LAMBDA, "fn", "live", "InProgress", NOW - 900, "Lambda"),
        [
            lambda_target(
                LAMBDA,
                "fn:live",
                "InProgress",
                [
                    lifecycle_event("BeforeAllowTraffic", "Succeeded", NOW - 50, NOW - 45),
                    lifecycle_event("AllowTraffic", "InProgress", NOW - 40),
                ],
                NOW,
                "fn",
                "live",
                "1",
                "2",
                0.1,
            )
        ],
    )
    return [{"deployment_id": d} for d in (RUNNING, DONE, ECS, LAMBDA)]


def series(body, name):
    return [(dict(labels), v) for (n, labels), v in samples(body).items() if n == name]


def test_default_setting_emits_one_status_series_per_target_running_hook_and_task_set(fleet, make_exporter):
    exporter = make_exporter(deployments=fleet)
    exporter.poll_once()
    exporter.poll_once()  # the finished deployment's targets are frozen now
    body = exporter.snapshot.body
    targets = series(body, "codedeploy_target_status")
    assert sorted((t["target_id"], t["status"], v) for t, v in targets) == [
        ("cluster:svc", "InProgress", 1),
        ("fn:live", "InProgress", 1),
        ("i-bad", "Failed", 1),
        ("i-ok0", "Succeeded", 1),
        ("i-ok1", "Succeeded", 1),
        ("i-run0", "InProgress", 1),
        ("i-run1", "InProgress", 1),
        ("i-run2", "InProgress", 1),
    ]
    events = series(body, "codedeploy_lifecycle_event_status")
    assert all(v == 1 for _, v in events)
    per_target: dict[str, list[str]] = {}
    for labels, _ in events:
        per_target.setdefault(labels["target_id"], []).append(labels["lifecycle_event"])
    # Every hook of a running deployment's target once; of the finished one's, only the hook
    # that failed (i-bad failed at its seventh).
    assert {t: sorted(h) for t, h in per_target.items()} == {
        **{f"i-run{n}": sorted(HOOKS) for n in range(3)},
        "i-bad": [HOOKS[6]],
        "cluster:svc": ["AllowTraffic", "Install"],
        "fn:live": ["AllowTraffic", "BeforeAllowTraffic"],
    }
    task_sets = series(body, "codedeploy_ecs_task_set_status")
    assert sorted((t["task_set_id"], t["status"], v) for t, v in task_sets) == [
        ("ecs-svc/1", "PRIMARY", 1),
        ("ecs-svc/2", "ACTIVE", 1),
    ]
    # Deployment status sets stay complete.
    assert len(series(body, "codedeploy_deployment_status")) == 4 * 8
    # Frozen targets have no poll_success series; polled ones do.
    polled = {t["target_id"] for t, _ in series(body, "codedeploy_exporter_target_poll_success")}
    assert polled == {"i-run0", "i-run1", "i-run2", "cluster:svc", "fn:live"}


def test_aggregates_count_every_target_and_sum_their_durations(fleet, make_exporter):
    exporter = make_exporter(deployments=fleet)
    exporter.poll_once()
    body = exporter.snapshot.body

    def of(name, hook, deployment=DONE):
        return {
            labels.get("status", ""): v
            for labels, v in series(body, name)
            if labels["deployment_id"] == deployment and labels["lifecycle_event"] == hook
        }

    # Install (index 3): all three targets succeeded, durations 1+3, 3+3, 2+3.
    assert of("codedeploy_deployment_lifecycle_event_targets", "Install") == {"Succeeded": 3}
    assert of("codedeploy_deployment_lifecycle_event_duration_seconds_sum", "Install") == {"": 4 + 6 + 5}
    assert of("codedeploy_deployment_lifecycle_event_duration_seconds_count", "Install") == {"": 3}
    assert of("codedeploy_deployment_lifecycle_event_max_duration_seconds", "Install") == {"": 6}
    # ValidateService (index 6): i-bad's failed after 1 s; BeforeBlockTraffic: i-bad's is Pending.
    assert of("codedeploy_deployment_lifecycle_event_targets", "ValidateService") == {"Succeeded": 2, "Failed": 1}
    assert of("codedeploy_deployment_lifecycle_event_duration_seconds_sum", "ValidateService") == {
        "": (1 + 6) + (3 + 6) + 1
    }
    assert of("codedeploy_deployment_lifecycle_event_targets", "BeforeBlockTraffic") == {"Succeeded": 2, "Pending": 1}
    assert of("codedeploy_deployment_lifecycle_event_duration_seconds_count", "BeforeBlockTraffic") == {"": 2}
    # A running deployment: the in-progress hook has no duration yet.
    assert of("codedeploy_deployment_lifecycle_event_targets", "AfterInstall", RUNNING) == {"InProgress": 3}
    assert of("codedeploy_deployment_lifecycle_event_duration_seconds_count", "AfterInstall", RUNNING) == {"": 0}
    assert of("codedeploy_deployment_lifecycle_event_max_duration_seconds", "AfterInstall", RUNNING) == {}


def test_full_setting_keeps_every_status_of_every_hook_of_every_target(fleet, make_exporter):
    exporter = make_exporter(deployments=fleet, metrics_section={"sparse_status": False, "lifecycle_events": "all"})
    exporter.poll_once()
    exporter.poll_once()
    body = exporter.snapshot.body
    assert len(series(body, "codedeploy_target_status")) == 8 * 7
    events = series(body, "codedeploy_lifecycle_event_status")
    assert len(events) == (6 * 10 + 2 + 2) * 6
    assert sum(v for _, v in events) == 6 * 10 + 2 + 2
    assert len(series(body, "codedeploy_ecs_task_set_status")) == 2 * 3


def test_deployment_facts_are_exported_and_the_error_message_is_logged_not_labelled(sim, make_exporter, caplog):
    failed = deployment_info(
        "d-FAILED001",
        "web",
        "prod",
        "Failed",
        NOW - 900,
        start_time=NOW - 890,
        complete_time=NOW - 60,
        error_information={"code": "HEALTH_CONSTRAINTS", "message": "too many instances failed"},
    )
    failed["rollbackInfo"] = {"rollbackDeploymentId": "d-ROLLBACK1"}
    failed["revision"] = {
        "revisionType": "S3",
        "s3Location": {"bucket": "artifacts", "key": "web.zip", "bundleType": "zip", "version": "v7"},
    }
    failed["instanceTerminationWaitTimeStarted"] = False
    sim.put_deployment(failed, [instance_target("d-FAILED001", "i-1", "Failed", hooks(2, True), NOW)])
    rollback = deployment_info("d-ROLLBACK1", "web", "prod", "Succeeded", NOW - 50, complete_time=NOW)
    rollback["rollbackInfo"] = {"rollbackTriggeringDeploymentId": "d-FAILED001"}
    rollback["revision"] = {
        "revisionType": "GitHub",
        "gitHubLocation": {"repository": "acme/web", "commitId": "4f1c0d2"},
    }
    sim.put_deployment(rollback, [])
    exporter = make_exporter(deployments=[{"deployment_id": "d-FAILED001"}, {"deployment_id": "d-ROLLBACK1"}])
    with caplog.at_level(logging.WARNING):
        exporter.poll_once()
        exporter.poll_once()
    body = exporter.snapshot.body
    ((error, _),) = series(body, "codedeploy_deployment_error_info")
    assert (error["deployment_id"], error["error_code"]) == ("d-FAILED001", "HEALTH_CONSTRAINTS")
    links = {labels["deployment_id"]: labels for labels, _ in series(body, "codedeploy_deployment_rollback_info")}
    assert links["d-FAILED001"]["rollback_deployment_id"] == "d-ROLLBACK1"
    assert links["d-ROLLBACK1"]["rollback_triggering_deployment_id"] == "d-FAILED001"
    revisions = {labels["deployment_id"]: labels for labels, _ in series(body, "codedeploy_deployment_revision_info")}
    assert (revisions["d-FAILED001"]["s3_key"], revisions["d-FAILED001"]["s3_version"]) == ("web.zip", "v7")
    assert revisions["d-ROLLBACK1"]["github_commit"] == "4f1c0d2"
    assert [v for _, v in series(body, "codedeploy_deployment_start_timestamp_seconds")] == [NOW - 890]
    assert [v for _, v in series(body, "codedeploy_deployment_instance_termination_wait_started")] == [0]
    assert b"too many instances failed" not in body
    logged = [r.getMessage() for r in caplog.records if "event=deployment_ended" in r.getMessage()]
    assert len(logged) == 1 and "too many instances failed" in logged[0]
    # The status page shows it, once, on the deployment's row; the rollback links both ways.
    status = exporter.snapshot.status
    (row,) = status.failed
    assert (row.deployment_id, row.error_code, row.error_message) == (
        "d-FAILED001",
        "HEALTH_CONSTRAINTS",
        "too many instances failed",
    )
    assert row.rollback_deployment_id == "d-ROLLBACK1"
    assert [(f.target_id, f.hook) for f in row.failed_targets] == [("i-1", "BeforeInstall")]


# ---- account and region ------------------------------------------------------------------------


@pytest.fixture
def moto_sts(moto_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_url)


def identities(body):
    """(account_id, region) pairs over every CodeDeploy series (self-metrics aside)."""
    found = set()
    for (name, labels), _ in samples(body).items():
        if name.startswith("codedeploy_") and (
            not name.startswith("codedeploy_exporter_") or name == "codedeploy_exporter_target_poll_success"
        ):
            found.add((dict(labels)["account_id"], dict(labels)["region"]))
    return found


def test_account_comes_from_get_caller_identity_once_per_credential_set(fleet, make_exporter, moto_sts):
    exporter = make_exporter(deployments=fleet)
    exporter.poll_once()
    exporter.poll_once()
    # moto's GetCallerIdentity answers its default account for any credentials.
    assert identities(exporter.snapshot.body) == {("123456789012", "us-east-1")}


def test_account_comes_from_the_config_without_asking_sts(fleet, make_exporter, caplog):
    # AWS_ENDPOINT_URL_STS points at a closed port here: any STS call would fail and warn.
    exporter = make_exporter(deployments=[{**fleet[0], "aws": {"account_id": "210987654321", "region": "us-east-1"}}])
    exporter.poll_once()
    assert identities(exporter.snapshot.body) == {("210987654321", "us-east-1")}
    assert not [r for r in caplog.records if "account_id_unknown" in r.getMessage()]


def test_account_comes_from_the_role_arn(fleet, make_exporter, moto_sts):
    role = "arn:aws:iam::111122223333:role/codedeploy-reader"
    exporter = make_exporter(deployments=[{**fleet[0], "aws": {"role_arn": role}}])
    exporter.poll_once()
    assert identities(exporter.snapshot.body) == {("111122223333", "us-east-1")}


def test_sts_failure_leaves_the_label_empty_warns_once_and_polling_goes_on(fleet, make_exporter, caplog):
    exporter = make_exporter(deployments=fleet)
    with caplog.at_level(logging.WARNING):
        exporter.poll_once()
        exporter.poll_once()
    assert identities(exporter.snapshot.body) == {("", "us-east-1")}
    warnings = [r for r in caplog.records if "event=account_id_unknown" in r.getMessage()]
    assert len(warnings) == 1
    assert len(series(exporter.snapshot.body, "codedeploy_target_status")) == 8


@pytest.mark.parametrize("settings", [{}, {"sparse_status": False, "lifecycle_events": "all"}])
def test_nothing_undeclared_is_served(fleet, make_exporter, settings):
    from exporter.exposition.families.table import BY_NAME

    exporter = make_exporter(deployments=fleet, metrics_section=settings)
    exporter.poll_once()
    for (name, labels), _ in samples(exporter.snapshot.body).items():
        if name.startswith("process_"):
            continue  # prometheus-client's process collector
        family = BY_NAME.get(name) or BY_NAME.get(name.rsplit("_", 1)[0])
        assert family is not None, name
        named = {k for k, _ in labels if not (family.open_labels and k.startswith(family.open_labels))}
        assert named - {"le"} == set(family.label_names()), name


# ---- settled targets (issue 28): a finished deployment keeps its aggregates, its targets
# only what their series need; changes that need the whole records read them again.
AGGREGATES = (
    "codedeploy_deployment_lifecycle_event_targets",
    "codedeploy_deployment_lifecycle_event_duration_seconds_sum",
    "codedeploy_deployment_lifecycle_event_duration_seconds_count",
    "codedeploy_deployment_lifecycle_event_max_duration_seconds",
)


def aggregates(body, deployment=DONE):
    return sorted(
        (name, tuple(sorted(labels.items())), v)
        for name in AGGREGATES
        for labels, v in series(body, name)
        if labels["deployment_id"] == deployment
    )


def test_settled_targets_keep_their_failed_hook_and_the_deployment_its_aggregates(fleet, make_exporter):
    active = make_exporter(deployments=fleet)
    full = make_exporter(deployments=fleet, metrics_section={"lifecycle_events": "all"})
    for exporter in (active, full):
        for _ in range(3):
            exporter.poll_once()
    records = {k[1]: t.record for k, t in active.poller.targets.items() if k[0] == DONE}
    assert {t: [e.name for e in r.lifecycle_events] for t, r in records.items()} == {
        "i-ok0": [],
        "i-ok1": [],
        "i-bad": [HOOKS[6]],  # the hook that failed
    }
    # The aggregates still count every hook of every target, as the whole records do.
    assert aggregates(active.snapshot.body) == aggregates(full.snapshot.body)
    counted = {dict(labels)["lifecycle_event"] for _, labels, _ in aggregates(full.snapshot.body)}
    assert counted == set(HOOKS)
    # With lifecycle_events: all the records stay whole.
    assert all(len(t.record.lifecycle_events) == 10 for k, t in full.poller.targets.items() if k[0] == DONE)


def test_switching_to_all_reads_settled_targets_again(fleet, make_exporter, sim):
    exporter = make_exporter(deployments=fleet)
    exporter.poll_once()
    exporter.poll_once()
    calls = len(sim.calls)
    hooks_of_ok0 = [
        ls
        for ls, _ in series(exporter.snapshot.body, "codedeploy_lifecycle_event_status")
        if ls["target_id"] == "i-ok0"
    ]
    assert hooks_of_ok0 == []
    exporter.apply_config(parse_config({**_data(exporter), "metrics": {"lifecycle_events": "all"}}))
    exporter.poll_once()
    shown = {
        ls["lifecycle_event"]
        for ls, _ in series(exporter.snapshot.body, "codedeploy_lifecycle_event_status")
        if ls["target_id"] == "i-ok0"
    }
    assert shown == set(HOOKS)
    assert [c.operation for c in list(sim.calls)[calls:]].count("BatchGetDeploymentTargets") >= 1


def _pairs(n: int) -> list[dict]:
    return [{"deployment_id": "d-PAIRS0001", "target_id": f"i-{i}"} for i in range(n)]


def test_a_target_added_to_a_settled_deployment_is_counted_with_the_others(sim, make_exporter):
    sim.put_deployment(
        deployment_info("d-PAIRS0001", "web", "prod", "Succeeded", NOW - 900, complete_time=NOW - 60),
        [instance_target("d-PAIRS0001", f"i-{n}", "Succeeded", hooks(10), NOW) for n in range(3)],
    )
    exporter = make_exporter(targets=_pairs(2))
    exporter.poll_once()
    exporter.poll_once()

    def install_count(body):
        return {
            v
            for ls, v in series(body, "codedeploy_deployment_lifecycle_event_targets")
            if ls["lifecycle_event"] == "Install"
        }

    assert install_count(exporter.snapshot.body) == {2}
    exporter.apply_config(
        parse_config(
            {**_data(exporter), "targets": [{"deployment_id": "d-PAIRS0001", "target_id": f"i-{n}"} for n in range(3)]}
        )
    )
    exporter.poll_once()
    assert install_count(exporter.snapshot.body) == {3}
    # ... and one dropped again
    exporter.apply_config(parse_config({**_data(exporter), "targets": _pairs(1)}))
    exporter.poll_once()
    assert install_count(exporter.snapshot.body) == {1}


def _data(exporter) -> dict:
    config = exporter.config
    return {
        "aws": {"region": "us-east-1", "endpoint_url": config.aws.endpoint_url},
        "poll": {"interval": "30s", "max_concurrency": 4, "max_requests_per_second": 1000},
        "deployments": [{"deployment_id": d.deployment_id} for d in config.deployments],
        "targets": [{"deployment_id": t.deployment_id, "target_id": t.target_id} for t in config.targets],
    }
