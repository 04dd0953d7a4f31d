"""Polling through real boto3 over HTTP against the simulator: batching, freezing, isolation."""

import logging

from support.expo import put_ec2, samples, value

from exporter.simulator import (
    build_fleet,
    deployment_info,
    ecs_target,
    instance_target,
    task_set,
)

NOW = 1_800_000_000.0


def batch_sizes(sim):
    return [len(c.params["targetIds"]) for c in sim.calls if c.operation == "BatchGetDeploymentTargets"]


def test_pairs_are_fetched_in_batches_of_at_most_25_without_get_deployment_target(sim, make_exporter):
    ids = put_ec2(sim, "d-AAAAAAAA1", 60)
    exporter = make_exporter(targets=[{"deployment_id": "d-AAAAAAAA1", "target_id": t} for t in ids])
    outcome = exporter.poll_once()
    assert outcome.failed_targets == 0
    assert sim.call_count("GetDeploymentTarget") == 0
    assert sorted(batch_sizes(sim)) == [10, 25, 25]
    assert sim.call_count("BatchGetDeployments") == 1
    assert value(exporter.snapshot.body, "codedeploy_target_status", target_id=ids[59], status="InProgress") == 1
    # Labels come from the deployment's info, fetched once.
    assert (
        value(
            exporter.snapshot.body,
            "codedeploy_target_info",
            target_id=ids[0],
            application="web",
            deployment_group="prod",
        )
        == 1
    )


def test_deployment_mode_lists_every_target_across_pages(sim, make_exporter):
    ids = put_ec2(sim, "d-AAAAAAAA2", 23)  # the simulator's page size is 10 in tests
    exporter = make_exporter(deployments=[{"deployment_id": "d-AAAAAAAA2"}])
    exporter.poll_once()
    assert sim.call_count("ListDeploymentTargets") == 3
    exported = {
        dict(ls)["target_id"] for (n, ls), _ in samples(exporter.snapshot.body).items() if n == "codedeploy_target_info"
    }
    assert exported == set(ids)
    assert batch_sizes(sim) == [23]


def test_ecs_deployments_are_fetched_one_target_per_call(sim, make_exporter):
    sets = [task_set("ecs-svc/1", "Blue", "PRIMARY", 50.0, 2, 0, 2, "tg-1")]
    for n in range(3):
        dep = f"d-ECSAAAAA{n}"
        sim.put_deployment(
            deployment_info(dep, "svc", "ecs", "InProgress", NOW, "ECS"),
            [ecs_target(dep, f"cluster:svc-{n}", "InProgress", [], NOW, sets)],
        )
    exporter = make_exporter(deployments=[{"deployment_id": f"d-ECSAAAAA{n}"} for n in range(3)])
    exporter.poll_once()
    assert batch_sizes(sim) == [1, 1, 1]
    assert (
        value(exporter.snapshot.body, "codedeploy_ecs_task_set_traffic_weight_ratio", deployment_id="d-ECSAAAAA2")
        == 0.5
    )


def test_finished_fleet_is_frozen_and_a_second_poll_makes_no_target_calls(sim, make_exporter):
    fleet = build_fleet(sim, 60, finished=True, ecs=1, lambdas=1, cloudformation=1)
    exporter = make_exporter(deployments=[{"deployment_id": d} for d, _ in fleet])
    exporter.poll_once()
    first = samples(exporter.snapshot.body)
    assert value(exporter.snapshot.body, "codedeploy_exporter_targets", state="frozen") == 63
    sim.reset_calls()
    exporter.poll_once()
    assert sim.call_count() == 0
    second = samples(exporter.snapshot.body)

    def strip(series):
        return {k: v for k, v in series.items() if not k[0].startswith(("codedeploy_exporter_", "process_"))}

    assert strip(second) == strip(first)


def test_targets_are_polled_once_more_after_their_deployment_finishes(sim, make_exporter):
    ids = put_ec2(sim, "d-AAAAAAAA3", 2)
    exporter = make_exporter(deployments=[{"deployment_id": "d-AAAAAAAA3"}])
    exporter.poll_once()
    put_ec2(sim, "d-AAAAAAAA3", 2, status="Succeeded", target_status="Succeeded", complete_time=NOW)
    exporter.poll_once()
    assert value(exporter.snapshot.body, "codedeploy_target_status", target_id=ids[0], status="Succeeded") == 1
    assert value(exporter.snapshot.body, "codedeploy_exporter_targets", state="frozen") == 2
    sim.reset_calls()
    exporter.poll_once()
    assert sim.call_count() == 0


def test_one_bad_target_id_does_not_blank_the_rest_of_its_batch(sim, make_exporter, caplog):
    ids = put_ec2(sim, "d-AAAAAAAA4", 24)
    pairs = [{"deployment_id": "d-AAAAAAAA4", "target_id": t} for t in ids[:12]]
    pairs.append({"deployment_id": "d-AAAAAAAA4", "target_id": "i-typo"})
    pairs += [{"deployment_id": "d-AAAAAAAA4", "target_id": t} for t in ids[12:]]
    exporter = make_exporter(targets=pairs)
    with caplog.at_level(logging.WARNING):
        outcome = exporter.poll_once()
    body = exporter.snapshot.body
    assert outcome.failed_targets == 1
    assert value(body, "codedeploy_exporter_target_poll_success", target_id="i-typo") == 0
    for target_id in ids:
        assert value(body, "codedeploy_exporter_target_poll_success", target_id=target_id) == 1
        assert value(body, "codedeploy_target_status", target_id=target_id, status="InProgress") == 1
    warnings = [r.getMessage() for r in caplog.records if "i-typo" in r.getMessage()]
    assert len(warnings) == 1 and "DeploymentTargetDoesNotExistException" in warnings[0]
    # A split never sends more than 25 IDs, and isolating one bad ID costs a few calls, not 25.
    assert max(batch_sizes(sim)) == 25 and len(batch_sizes(sim)) <= 12


def test_bad_id_is_retried_later_with_backoff_not_every_poll(sim, make_exporter, clock):
    ids = put_ec2(sim, "d-AAAAAAAA5", 1)
    exporter = make_exporter(
        targets=[
            {"deployment_id": "d-AAAAAAAA5", "target_id": ids[0]},
            {"deployment_id": "d-AAAAAAAA5", "target_id": "i-late"},
        ]
    )
    exporter.poll_once()

    def asked():
        return [c.params["targetIds"] for c in sim.calls if c.operation == "BatchGetDeploymentTargets"]

    sim.reset_calls()
    clock.advance(30)
    exporter.poll_once()  # first retry after one interval
    assert ["i-late"] in asked()
    sim.reset_calls()
    clock.advance(30)
    exporter.poll_once()  # second failure doubled the wait: not asked now
    assert all("i-late" not in ids_ for ids_ in asked())
    # The target appears (e.g. a late-registered instance): the next retry picks it up.
    sim.put_target("d-AAAAAAAA5", instance_target("d-AAAAAAAA5", "i-late", "Succeeded", [], NOW))
    clock.advance(30)
    exporter.poll_once()
    assert value(exporter.snapshot.body, "codedeploy_exporter_target_poll_success", target_id="i-late") == 1


def test_unknown_deployment_fails_its_targets_only(sim, make_exporter):
    ids = put_ec2(sim, "d-AAAAAAAA6", 2)
    exporter = make_exporter(
        targets=[
            {"deployment_id": "d-AAAAAAAA6", "target_id": ids[0]},
            {"deployment_id": "d-GONEGONE1", "target_id": "i-1"},
            {"deployment_id": "d-GONEGONE1", "target_id": "i-2"},
        ]
    )
    outcome = exporter.poll_once()
    body = exporter.snapshot.body
    assert outcome.failed_targets == 2
    assert value(body, "codedeploy_exporter_target_poll_success", target_id=ids[0]) == 1
    assert value(body, "codedeploy_exporter_target_poll_success", deployment_id="d-GONEGONE1", target_id="i-2") == 0
    # The deployment-wide error is not split into one call per target.
    assert [
        len(c.params["targetIds"])
        for c in sim.calls
        if c.operation == "BatchGetDeploymentTargets" and c.params["deploymentId"] == "d-GONEGONE1"
    ] == [2]


def test_throttled_poll_keeps_previous_values_and_counts_the_errors(sim, make_exporter, clock):
    ids = put_ec2(sim, "d-AAAAAAAA7", 3)
    exporter = make_exporter(deployments=[{"deployment_id": "d-AAAAAAAA7"}])
    exporter.poll_once()
    before = value(exporter.snapshot.body, "codedeploy_target_status", target_id=ids[1], status="InProgress")
    sim.throttle(2, operation="BatchGetDeploymentTargets")  # both of botocore's attempts
    clock.advance(30)
    outcome = exporter.poll_once()
    body = exporter.snapshot.body
    assert outcome.api_wide_errors
    assert before == 1
    assert value(body, "codedeploy_target_status", target_id=ids[1], status="InProgress") == 1
    assert value(body, "codedeploy_exporter_target_poll_success", target_id=ids[1]) == 0
    assert (
        value(
            body,
            "codedeploy_exporter_api_request_errors_total",
            operation="BatchGetDeploymentTargets",
            error_code="ThrottlingException",
        )
        == 2
    )
    sim.clear_faults()
    clock.advance(30)
    exporter.poll_once()
    assert value(exporter.snapshot.body, "codedeploy_exporter_target_poll_success", target_id=ids[1]) == 1


def test_group_mode_follows_the_newest_deployments_and_drops_them_after_retention(sim, make_exporter, clock):
    for n in range(4):
        put_ec2(
            sim,
            f"d-GRPAAAAA{n}",
            1,
            status="Succeeded",
            target_status="Succeeded",
            create_time=clock.now - 4000 + n * 100,
            complete_time=clock.now - 3900 + n * 100,
        )
    put_ec2(sim, "d-OTHERGRP1", 1, group="staging")
    exporter = make_exporter(
        deployment_groups=[{"application": "web", "deployment_group": "prod", "latest": 2}], poll={"retention": "2h"}
    )
    exporter.poll_once()
    followed = {
        dict(ls)["deployment_id"]
        for (n, ls), _ in samples(exporter.snapshot.body).items()
        if n == "codedeploy_deployment_info"
    }
    assert followed == {"d-GRPAAAAA2", "d-GRPAAAAA3"}
    # A new deployment arrives: the newest two are followed, the pushed-out one stays within retention.
    put_ec2(sim, "d-GRPAAAAA4", 1, create_time=clock.now)
    clock.advance(30)
    exporter.poll_once()
    followed = {
        dict(ls)["deployment_id"]
        for (n, ls), _ in samples(exporter.snapshot.body).items()
        if n == "codedeploy_deployment_info"
    }
    assert followed == {"d-GRPAAAAA2", "d-GRPAAAAA3", "d-GRPAAAAA4"}
    clock.advance(2 * 3600)
    exporter.poll_once()
    followed = {
        dict(ls)["deployment_id"]
        for (n, ls), _ in samples(exporter.snapshot.body).items()
        if n == "codedeploy_deployment_info"
    }
    assert followed == {"d-GRPAAAAA4"}
    assert value(exporter.snapshot.body, "codedeploy_target_info", deployment_id="d-GRPAAAAA2") is None


def test_targets_removed_from_the_config_disappear_on_reload_of_the_poller(sim, make_exporter):
    ids = put_ec2(sim, "d-AAAAAAAA8", 2)
    exporter = make_exporter(targets=[{"deployment_id": "d-AAAAAAAA8", "target_id": t} for t in ids])
    exporter.poll_once()
    smaller = make_exporter(targets=[{"deployment_id": "d-AAAAAAAA8", "target_id": ids[0]}]).config
    exporter.poller.config = smaller
    exporter.poll_once()
    assert value(exporter.snapshot.body, "codedeploy_target_info", target_id=ids[1]) is None
    assert value(exporter.snapshot.body, "codedeploy_target_info", target_id=ids[0]) == 1


def test_shards_split_deployments_by_group_without_overlap(sim, make_exporter):
    # Contract: a deployment belongs to the shard of its group key, not of its ID.
    deployments = []
    for n in range(24):
        put_ec2(sim, f"d-SHARD{n:04d}", 2, group=f"g{n}")
        deployments.append({"deployment_id": f"d-SHARD{n:04d}"})
    seen, groups = [], []
    for shard in range(3):
        exporter = make_exporter(deployments=deployments, shard=shard, total_shards=3)
        exporter.poll_once()
        exported = samples(exporter.snapshot.body)
        seen.append({dict(ls)["target_id"] for (n, ls), _ in exported.items() if n == "codedeploy_target_info"})
        groups.append(
            {dict(ls)["deployment_group"] for (n, ls), _ in exported.items() if n == "codedeploy_target_info"}
        )
        assert value(exporter.snapshot.body, "codedeploy_exporter_shard_ordinal") == shard
    assert sum(len(s) for s in seen) == len(set().union(*seen)) == 48
    assert all(seen)
    # Every group's targets come from one shard only.
    assert sum(len(g) for g in groups) == len(set().union(*groups)) == 24


def test_targets_of_a_deployment_that_has_not_started_wait_without_failing(sim, make_exporter, clock):
    ids = put_ec2(sim, "d-QUEUED001", 2, status="Queued")
    sim.update_deployment("d-QUEUED001", started=False)
    exporter = make_exporter(targets=[{"deployment_id": "d-QUEUED001", "target_id": t} for t in ids])
    outcome = exporter.poll_once()
    assert outcome.failed_targets == 0
    assert sim.call_count("BatchGetDeploymentTargets") == 0
    assert value(exporter.snapshot.body, "codedeploy_exporter_target_poll_success", target_id=ids[0]) is None
    assert value(exporter.snapshot.body, "codedeploy_deployment_status", status="Queued") == 1
    # It starts: the very next poll reads its targets (no backoff was accumulated).
    sim.update_deployment("d-QUEUED001", started=True, status="InProgress")
    clock.advance(30)
    exporter.poll_once()
    assert value(exporter.snapshot.body, "codedeploy_exporter_target_poll_success", target_id=ids[0]) == 1


def test_api_request_counter_counts_every_http_attempt_the_simulator_saw(sim, make_exporter):
    fleet = build_fleet(sim, 30, ecs=2)
    exporter = make_exporter(deployments=[{"deployment_id": d} for d, _ in fleet])
    sim.throttle(1, operation="BatchGetDeploymentTargets")  # absorbed by botocore's retry
    exporter.poll_once()
    body = exporter.snapshot.body
    for operation in ("BatchGetDeployments", "ListDeploymentTargets", "BatchGetDeploymentTargets"):
        assert value(body, "codedeploy_exporter_api_requests_total", operation=operation) == sim.call_count(
            operation
        ), operation
    assert (
        value(
            body,
            "codedeploy_exporter_api_request_errors_total",
            operation="BatchGetDeploymentTargets",
            error_code="ThrottlingException",
        )
        == 1
    )
    assert value(body, "codedeploy_exporter_target_poll_success", target_id="i-00000000000000000") == 1


def test_group_whose_deployments_all_expired_is_listed_incrementally_without_refetching(sim, make_exporter, clock):
    for n in range(6):
        put_ec2(
            sim,
            f"d-OLDAAAAA{n}",
            1,
            status="Succeeded",
            target_status="Succeeded",
            create_time=clock.now - 90_000 + n * 5000,
            complete_time=clock.now - 89_000 + n * 5000,
        )
    exporter = make_exporter(
        deployment_groups=[{"application": "web", "deployment_group": "prod", "latest": 2}], poll={"retention": "1h"}
    )
    exporter.poll_once()
    assert sim.call_count("BatchGetDeployments") == 1  # the whole history, once
    for _ in range(3):
        sim.reset_calls()
        clock.advance(30)
        exporter.poll_once()
        assert sim.call_count("ListDeployments") == 1
        assert sim.call_count("BatchGetDeployments") == 0
        listed = [c.params for c in sim.calls if c.operation == "ListDeployments"]
        assert "createTimeRange" in listed[0]  # only what is new since the newest seen
    assert value(exporter.snapshot.body, "codedeploy_deployment_info", application="web") is None
