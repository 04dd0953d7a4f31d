"""Group state and DORA counters, through real boto3 against the simulator."""

from __future__ import annotations

from support.expo import samples, value

from exporter.model import DEPLOYMENT_STATUSES
from exporter.simulator import deployment_info, instance_target

NOW = 1_800_000_000.0
GROUP = {"application": "web", "deployment_group": "prod"}


def put(sim, deployment_id, status, create_time, complete_time=None, group="prod", creator="user", application="web"):
    target = instance_target(deployment_id, f"i-{deployment_id[-6:].lower()}", "Succeeded", [], create_time)
    sim.put_deployment(
        deployment_info(
            deployment_id, application, group, status, create_time, creator=creator, complete_time=complete_time
        ),
        [target],
    )


def finish(sim, deployment_id, status, complete_time):
    sim.update_deployment(deployment_id, status=status, completeTime=complete_time)


def series(body, name):
    return {frozenset(ls): v for (n, ls), v in samples(body).items() if n == name}


def totals(body):
    return {
        (dict(ls)["status"], dict(ls)["creator"]): v
        for ls, v in series(body, "codedeploy_deployments_total").items()
        if v
    }


def test_group_state_equals_the_api_view_of_the_group(sim, make_exporter, clock):
    put(sim, "d-GRPSTATE1", "Succeeded", clock.now - 7200, clock.now - 7000)
    put(sim, "d-GRPSTATE2", "Failed", clock.now - 3600, clock.now - 3500)
    exporter = make_exporter(deployment_groups=[GROUP])
    exporter.poll_once()
    body = exporter.snapshot.body
    truth = sim.deployment_group("web", "prod")
    assert (
        value(
            body,
            "codedeploy_deployment_group_info",
            application="web",
            deployment_group="prod",
            compute_platform=truth["computePlatform"],
            deployment_config=truth["deploymentConfigName"],
            deployment_type=truth["deploymentStyle"]["deploymentType"],
            deployment_option=truth["deploymentStyle"]["deploymentOption"],
            region="us-east-1",
        )
        == 1
    )
    statuses = {
        dict(ls)["status"]: v for ls, v in series(body, "codedeploy_deployment_group_last_attempted_status").items()
    }
    assert statuses == {
        s: (1 if s == truth["lastAttemptedDeployment"]["status"] else 0) for s in DEPLOYMENT_STATUSES
    }  # dense: every known status
    assert (
        value(body, "codedeploy_deployment_group_last_attempted_timestamp_seconds")
        == truth["lastAttemptedDeployment"]["createTime"]
    )
    assert (
        value(
            body,
            "codedeploy_deployment_group_last_attempted_info",
            deployment_id=truth["lastAttemptedDeployment"]["deploymentId"],
        )
        == 1
    )
    assert (
        value(body, "codedeploy_deployment_group_last_success_timestamp_seconds")
        == truth["lastSuccessfulDeployment"]["endTime"]
    )
    assert value(body, "codedeploy_deployment_group_last_failure_timestamp_seconds") == clock.now - 3500


def test_last_success_is_known_after_a_restart_even_when_it_left_retention(sim, make_exporter, clock):
    put(sim, "d-OLDSUCC01", "Succeeded", clock.now - 10 * 86400, clock.now - 10 * 86400 + 60)
    put(sim, "d-NEWFAIL01", "Failed", clock.now - 600, clock.now - 500)
    exporter = make_exporter(deployment_groups=[GROUP], poll={"retention": "1h"})
    exporter.poll_once()
    body = exporter.snapshot.body
    assert value(body, "codedeploy_deployment_group_last_success_timestamp_seconds") == clock.now - 10 * 86400 + 60
    assert value(body, "codedeploy_deployment_group_last_attempted_status", status="Failed") == 1


def test_group_state_is_read_once_per_application_then_once_per_group_refresh(sim, make_exporter, clock):
    for n, group in enumerate(("prod", "staging", "canary")):
        put(sim, f"d-REFRESH0{n}", "Succeeded", clock.now - 900, clock.now - 800, group=group)
    put(sim, "d-REFRESH09", "Succeeded", clock.now - 900, clock.now - 800, application="api")
    exporter = make_exporter(
        deployment_groups=[{"application": "web", "deployment_group": g} for g in ("prod", "staging", "canary")]
        + [{"application": "api", "deployment_group": "prod"}],
        poll={"group_refresh": "10m"},
    )
    exporter.poll_once()
    calls = [c.params for c in sim.calls if c.operation == "BatchGetDeploymentGroups"]
    assert sorted((c["applicationName"], len(c["deploymentGroupNames"])) for c in calls) == [("api", 1), ("web", 3)]
    for _ in range(19):  # 9.5 minutes of idle polls
        sim.reset_calls()
        clock.advance(30)
        exporter.poll_once()
        assert sim.call_count("BatchGetDeploymentGroups") == 0
        # Today's cost of an idle group: one ListDeployments each, nothing else.
        assert sim.call_count() == sim.call_count("ListDeployments") == 4
    sim.reset_calls()
    clock.advance(30)
    exporter.poll_once()
    assert sim.call_count("BatchGetDeploymentGroups") == 2


def test_latest_outcome_follows_seen_deployments_between_group_refreshes(sim, make_exporter, clock):
    put(sim, "d-OUTCOME01", "Succeeded", clock.now - 900, clock.now - 800)
    exporter = make_exporter(deployment_groups=[GROUP], poll={"group_refresh": "1h"})
    exporter.poll_once()
    put(sim, "d-OUTCOME02", "InProgress", clock.now)
    clock.advance(30)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert value(body, "codedeploy_deployment_group_last_attempted_status", status="InProgress") == 1
    assert value(body, "codedeploy_deployment_group_last_attempted_info", deployment_id="d-OUTCOME02") == 1
    finish(sim, "d-OUTCOME02", "Failed", clock.now + 10)
    clock.advance(30)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert value(body, "codedeploy_deployment_group_last_attempted_status", status="Failed") == 1
    assert value(body, "codedeploy_deployment_group_last_failure_timestamp_seconds") == clock.now - 20
    put(sim, "d-OUTCOME03", "Succeeded", clock.now, clock.now + 5)
    clock.advance(30)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert value(body, "codedeploy_deployment_group_last_attempted_status", status="Succeeded") == 1
    assert value(body, "codedeploy_deployment_group_last_success_timestamp_seconds") == clock.now - 25
    assert sim.call_count("BatchGetDeploymentGroups") == 1  # all of it without re-reading the group


def test_deployments_total_counts_each_deployment_finishing_after_the_first_poll_once(sim, make_exporter, clock):
    # History: finished before the first poll, never counted.
    put(sim, "d-HISTORY01", "Succeeded", clock.now - 5000, clock.now - 4000)
    put(sim, "d-HISTORY02", "Failed", clock.now - 3000, clock.now - 2900)
    put(sim, "d-RUNNING01", "InProgress", clock.now - 100)  # running at the first poll: counted later
    exporter = make_exporter(deployment_groups=[{**GROUP, "latest": 1}])
    exporter.poll_once()
    assert totals(exporter.snapshot.body) == {}
    # Two at once (only the newest is `latest`), one created and finished between two polls,
    # and an automatic rollback.
    put(sim, "d-CONCUR001", "InProgress", clock.now + 1)
    put(sim, "d-CONCUR002", "InProgress", clock.now + 2)
    clock.advance(30)
    exporter.poll_once()
    finish(sim, "d-RUNNING01", "Succeeded", clock.now + 5)
    finish(sim, "d-CONCUR001", "Stopped", clock.now + 6)
    put(sim, "d-QUICK0001", "Failed", clock.now + 7, clock.now + 20)
    put(sim, "d-ROLLBACK1", "Succeeded", clock.now + 21, clock.now + 29, creator="codeDeployRollback")
    clock.advance(30)
    exporter.poll_once()
    finish(sim, "d-CONCUR002", "Succeeded", clock.now + 3)
    for _ in range(3):  # counted once, however often it is seen
        clock.advance(30)
        exporter.poll_once()
    body = exporter.snapshot.body
    assert totals(body) == {
        ("Succeeded", "user"): 2,
        ("Stopped", "user"): 1,
        ("Failed", "user"): 1,
        ("Succeeded", "codeDeployRollback"): 1,
    }
    # The common series exist from the first poll, at 0, so increase() sees the first one.
    assert value(body, "codedeploy_deployments_total", status="Failed", creator="user") == 1
    durations = {
        dict(ls)["status"]: v for ls, v in series(body, "codedeploy_deployment_duration_seconds_count").items()
    }
    assert durations == {"Succeeded": 3, "Stopped": 1, "Failed": 1}
    assert value(body, "codedeploy_deployment_duration_seconds_sum", status="Failed") == 13
    assert value(body, "codedeploy_deployment_duration_seconds_bucket", status="Failed", le="30") == 1
    # Succeeded: d-ROLLBACK1 ran 8 s, d-CONCUR002 61 s, d-RUNNING01 100 + 30 + 5 s.
    assert value(body, "codedeploy_deployment_duration_seconds_bucket", status="Succeeded", le="60") == 1
    assert value(body, "codedeploy_deployment_duration_seconds_bucket", status="Succeeded", le="120") == 2
    assert value(body, "codedeploy_deployment_duration_seconds_bucket", status="Succeeded", le="300") == 3


def test_groups_of_explicit_deployments_get_group_state_but_no_counters(sim, make_exporter, clock):
    put(sim, "d-EXPLICIT1", "Succeeded", clock.now - 900, clock.now - 800, group="blue")
    exporter = make_exporter(deployments=[{"deployment_id": "d-EXPLICIT1"}])
    exporter.poll_once()
    body = exporter.snapshot.body
    assert value(body, "codedeploy_deployment_group_info", deployment_group="blue") == 1
    assert value(body, "codedeploy_deployment_group_last_attempted_info", deployment_id="d-EXPLICIT1") == 1
    # Only a listing sees every deployment of a group: no counter that would undercount.
    assert series(body, "codedeploy_deployments_total") == {}


def test_read_now_reads_the_named_deployments_between_polls(sim, make_exporter, clock):
    put(sim, "d-EVENTED01", "InProgress", clock.now - 60)
    put(sim, "d-EVENTED02", "InProgress", clock.now - 50, group="other")
    exporter = make_exporter(deployments=[{"deployment_id": "d-EVENTED01"}, {"deployment_id": "d-EVENTED02"}])
    exporter.poll_once()
    assert exporter.between_polls(lambda poller: poller.read_now(["d-EVENTED01"])) is False  # nothing changed
    finish(sim, "d-EVENTED01", "Succeeded", clock.now)
    sim.reset_calls()
    assert exporter.between_polls(lambda poller: poller.read_now(["d-EVENTED01", "d-UNKNOWN01"])) is True
    body = exporter.snapshot.body
    assert value(body, "codedeploy_deployment_status", deployment_id="d-EVENTED01", status="Succeeded") == 1
    assert (
        value(body, "codedeploy_deployment_group_last_attempted_status", deployment_group="prod", status="Succeeded")
        == 1
    )
    # Only the named, followed deployment was read: no listing, no other deployment.
    assert [c.params.get("deploymentIds") for c in sim.calls if c.operation == "BatchGetDeployments"] == [
        ["d-EVENTED01"]
    ]
    assert {c.params["deploymentId"] for c in sim.calls if "deploymentId" in c.params} == {"d-EVENTED01"}


def test_group_metrics_equal_the_ground_truth_of_a_moving_demo(sim, make_exporter, clock):
    """The demo's six groups over four cycles (deployments that fail, stop, roll back), polled
    every 5 s: group state equals the simulator's DeploymentGroupInfo, and the counters equal
    the deployments that finished after the first poll, per group, status and creator."""
    from exporter.simulator import DEMO_GROUPS, DemoScenarios

    scenarios = DemoScenarios(sim, clock=clock, cycle_seconds=60.0)
    groups = list(DEMO_GROUPS)
    assert len(groups) == 6
    exporter = make_exporter(
        poll={"interval": "5s", "retention": "1h", "group_refresh": "10m"},
        deployment_groups=[{"application": a, "deployment_group": g, "latest": 2} for a, g in groups],
    )
    scenarios.advance()
    exporter.poll_once()
    first_poll = clock.now
    truth: dict[str, tuple] = {}
    for _ in range(4 * 12):
        clock.advance(5)
        scenarios.advance()
        for deployment_id, item in sim.snapshot()["deployments"].items():
            info = item["info"]
            if info["status"] in ("Succeeded", "Failed", "Stopped") and info.get("completeTime", 0) > first_poll:
                truth[deployment_id] = (info["deploymentGroupName"], info["status"], info["creator"])
        exporter.poll_once()
    body = exporter.snapshot.body
    counted = {
        (dict(ls)["deployment_group"], dict(ls)["status"], dict(ls)["creator"]): v
        for ls, v in series(body, "codedeploy_deployments_total").items()
        if v
    }
    expected: dict[tuple, int] = {}
    for key in truth.values():
        expected[key] = expected.get(key, 0) + 1
    assert counted == expected
    assert {s for _, s, _ in expected} == {"Succeeded", "Failed", "Stopped"}  # the demo has them all
    assert any(c == "codeDeployRollback" for _, _, c in expected)
    for application, group in groups:
        info = sim.deployment_group(application, group)
        last = info["lastAttemptedDeployment"]
        assert (
            value(
                body,
                "codedeploy_deployment_group_last_attempted_info",
                deployment_group=group,
                deployment_id=last["deploymentId"],
            )
            == 1
        ), group
        assert (
            value(
                body, "codedeploy_deployment_group_last_attempted_status", deployment_group=group, status=last["status"]
            )
            == 1
        ), group
        if "lastSuccessfulDeployment" in info:
            assert (
                value(body, "codedeploy_deployment_group_last_success_timestamp_seconds", deployment_group=group)
                == info["lastSuccessfulDeployment"]["endTime"]
            ), group
