"""The DORA figures (changes, change failures, recovery, restart-proof windows) through real boto3
against the simulator, checked against the ground truth each story states (tests/support/dora_history)."""

from __future__ import annotations

import math

import pytest
from support.dora_history import APPLICATION, GROUP, Churn, Story, churn, window_truth
from support.expo import samples, value

from exporter.exposition.families.dora import DORA_FAMILIES
from exporter.simulator import deployment_info, s3_revision
from exporter.simulator.builders import alarm_stop_error, error_information

DAY = 86400.0
GROUP_ENTRY = {"application": APPLICATION, "deployment_group": GROUP}


def series(body, name):
    return {frozenset(ls): v for (n, ls), v in samples(body).items() if n == name}


def figures(body):
    """{(family, window or cause or status...): value} of the DORA families, by their own labels."""
    out = {}
    out["changes"] = value(body, "codedeploy_deployment_changes_total")
    for cause in ("rollback", "redeploy"):
        out[cause] = value(body, "codedeploy_deployment_change_failures_total", cause=cause)
    return out


def window(body, label):
    out = {
        dict(ls)["status"]: v
        for ls, v in series(body, "codedeploy_deployment_group_window_deployments").items()
        if dict(ls)["window"] == label
    }
    out["changes"] = value(body, "codedeploy_deployment_group_window_changes", window=label)
    out["change_failures"] = value(body, "codedeploy_deployment_group_window_change_failures", window=label)
    return out


def recovery(body):
    count = value(body, "codedeploy_deployment_recovery_seconds_count")
    total = value(body, "codedeploy_deployment_recovery_seconds_sum")
    return count, total


@pytest.fixture
def story(sim):
    return Story(sim, "dora")


def started(make_exporter, story, clock, **metrics):
    """An exporter of the story's group after its first poll; the story's first change lies
    two days back, so there is a revision users ran before anything the test adds."""
    story.ok(clock.now - 2 * DAY)
    exporter = make_exporter(deployment_groups=[GROUP_ENTRY], metrics_section=metrics or None)
    exporter.poll_once()
    return exporter


def test_an_automatic_rollback_after_users_got_the_revision_is_a_change_failure(make_exporter, story, clock):
    exporter = started(make_exporter, story, clock)
    assert figures(exporter.snapshot.body) == {"changes": 0, "rollback": 0, "redeploy": 0}
    story.auto_rollback(clock.now + 60)
    clock.advance(3600)
    exporter.poll_once()
    body = exporter.snapshot.body
    # The Failed deployment reached users (one instance took it): a change, rolled back. The
    # rollback itself restores a revision: no change.
    assert figures(body) == {"changes": 1, "rollback": 1, "redeploy": 0}
    assert recovery(body) == (1, 300.0)  # Failed -> its rollback Succeeded 300 s later
    assert (
        window(body, "1d")
        == {
            "Succeeded": 1,
            "Failed": 1,
            "Stopped": 0,
            "changes": 1,
            "change_failures": 1,
        }
        == window_truth(story, clock.now - DAY, clock.now)
    )


def test_a_manual_redeploy_of_the_previous_revision_is_a_change_failure(make_exporter, story, clock):
    exporter = started(make_exporter, story, clock)
    story.manual_redeploy(clock.now + 60, after=1800.0)
    clock.advance(3 * 3600)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert figures(body) == {"changes": 2, "rollback": 0, "redeploy": 1}
    assert recovery(body) == (0, 0.0)  # nothing failed: nothing to recover from
    assert (
        window(body, "1d")
        == {
            "Succeeded": 2,
            "Failed": 0,
            "Stopped": 0,
            "changes": 2,
            "change_failures": 1,
        }
        == window_truth(story, clock.now - DAY, clock.now)
    )


def test_a_redeploy_after_the_change_failure_window_is_a_new_change(make_exporter, story, clock):
    exporter = started(make_exporter, story, clock, change_failure_window="1h")
    story.manual_redeploy(clock.now + 60, after=2 * 3600.0)
    clock.advance(4 * 3600)
    exporter.poll_once()
    assert figures(exporter.snapshot.body) == {"changes": 2, "rollback": 0, "redeploy": 0}


def test_a_failure_that_never_reached_users_is_no_change_but_is_recovered_from(make_exporter, story, clock):
    exporter = started(make_exporter, story, clock)
    story.failed_before_traffic(clock.now + 60)
    clock.advance(3600)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert figures(body) == {"changes": 0, "rollback": 0, "redeploy": 0}
    assert window(body, "1d") == {"Succeeded": 0, "Failed": 1, "Stopped": 0, "changes": 0, "change_failures": 0}
    failed_at = story.deployments[-1].complete
    story.ok(clock.now + 3600)
    clock.advance(2 * 3600)
    exporter.poll_once()
    body = exporter.snapshot.body
    assert figures(body) == {"changes": 1, "rollback": 0, "redeploy": 0}
    seconds = story.deployments[-1].complete - failed_at
    assert 3600 < seconds <= 7200
    assert recovery(body) == (1, seconds)
    assert value(body, "codedeploy_deployment_recovery_seconds_bucket", le="3600") == 0
    assert value(body, "codedeploy_deployment_recovery_seconds_bucket", le="7200") == 1


def test_a_restart_in_the_middle_of_churn_gives_the_window_figures_of_the_history(make_exporter, sim, clock):
    story = Story(sim, "churn")
    events = Churn(story, clock.now - 12 * DAY)
    events.until(clock.now - 6 * 3600)  # what the events add may complete up to ~4 h later
    before = make_exporter(deployment_groups=[GROUP_ENTRY])
    before.poll_once()
    seen_from = clock.now
    for _ in range(12):  # three days of churn, seen live, a poll every 6 hours
        events.until(clock.now)
        clock.advance(6 * 3600)
        before.poll_once()
    assert len(story.deployments) > 50
    after = make_exporter(deployment_groups=[GROUP_ENTRY])  # the restart
    after.poll_once()
    for label, length in (("1d", DAY), ("7d", 7 * DAY), ("30d", 30 * DAY)):
        truth = window_truth(story, clock.now - length, clock.now)
        assert window(after.snapshot.body, label) == truth, label
        assert window(before.snapshot.body, label) == truth, label
    seven = window_truth(story, clock.now - 7 * DAY, clock.now)
    assert seven["change_failures"] > 0 and seven["Failed"] > 0 and seven["Stopped"] > 0
    # Counters: the first exporter counted what finished after its first poll; the restarted
    # one starts at 0 (its history is not counted again).
    live = [t for t in story.deployments if t.complete >= seen_from - 30]
    assert figures(before.snapshot.body) == {
        "changes": sum(t.change for t in live),
        "rollback": sum(t.failure == "rollback" for t in live),
        "redeploy": sum(t.failure == "redeploy" for t in live),
    }
    assert figures(after.snapshot.body) == {"changes": 0, "rollback": 0, "redeploy": 0}


def history_calls(sim):
    listed = [
        c
        for c in sim.calls
        if c.operation == "ListDeployments" and "applicationName" in c.params and "includeOnlyStatuses" in c.params
    ]
    read = [i for c in sim.calls if c.operation == "BatchGetDeployments" for i in c.params["deploymentIds"]]
    return listed, read


def test_a_discovered_group_s_history_is_read_once_at_start_with_deployment_records_only(make_exporter, sim, clock):
    sim.page_size = 100  # what the README's cost figures assume (AWS documents no page size)
    story = churn(sim, clock.now - 40 * DAY, clock.now - 600)
    reach = clock.now - 31 * DAY  # the longest window and a day
    in_reach = [i for i in sim.deployment_ids() if sim.deployment(i)["createTime"] >= reach]
    exporter = make_exporter(
        discovery=[{"applications": {"include": APPLICATION}, "deployment_groups": {"include": GROUP}}],
        poll={"retention": "1h"},
    )
    sim.reset_calls()
    exporter.poll_once()
    exporter.poll_once()
    listed, read = history_calls(sim)
    assert sim.call_count("ListDeploymentTargets") == sim.call_count("BatchGetDeploymentTargets") == 0
    n = len(in_reach)
    assert n > 100
    # The group's listing of the window, page by page; every deployment record read once, by
    # the scope's own listing (created within poll.retention) or by the history.
    assert len(listed) == math.ceil(n / 100)
    assert sorted(read) == sorted(in_reach)
    assert window(exporter.snapshot.body, "30d") == window_truth(story, clock.now - 30 * DAY, clock.now)
    followed = {k[0] for k in exporter.poller.deployments}
    assert len(followed) <= 2  # history records are not followed (the scope follows its latest)
    sim.reset_calls()
    exporter.poll_once()
    assert history_calls(sim) == ([], [])  # read once


def test_a_configured_group_s_history_costs_only_the_listing(make_exporter, sim, clock):
    """A deployment_groups entry reads its whole history at its first poll already: the
    history adds the window's listing, no record read twice."""
    sim.page_size = 100
    churn(sim, clock.now - 40 * DAY, clock.now - 600)
    everything = sim.deployment_ids()
    in_reach = [i for i in everything if sim.deployment(i)["createTime"] >= clock.now - 31 * DAY]
    exporter = make_exporter(deployment_groups=[GROUP_ENTRY])
    sim.reset_calls()
    exporter.poll_once()
    listed, read = history_calls(sim)
    assert len(listed) == math.ceil(len(in_reach) / 100)
    assert sorted(read) == sorted(everything)  # the source's first listing; the history read none


def test_a_history_that_cannot_be_read_is_retried_and_its_windows_wait_for_it(make_exporter, sim, clock):
    sim.page_size = 100  # one ListDeployments for the source, one for the history
    story = churn(sim, clock.now - 10 * DAY, clock.now - 600)
    sim.fail(2, "AccessDeniedException", operation="ListDeployments")
    exporter = make_exporter(deployment_groups=[GROUP_ENTRY])
    exporter.poll_once()
    body = exporter.snapshot.body
    assert value(body, "codedeploy_deployment_group_window_changes", window="7d") is None  # not guessed
    assert figures(body) == {"changes": 0, "rollback": 0, "redeploy": 0}
    clock.advance(30)
    exporter.poll_once()
    truth = window_truth(story, clock.now - 7 * DAY, clock.now)
    assert window(exporter.snapshot.body, "7d") == truth
    assert figures(exporter.snapshot.body) == {"changes": 0, "rollback": 0, "redeploy": 0}  # history, not counted


def test_a_reload_that_lengthens_the_longest_window_reads_the_history_further_back(make_exporter, sim, clock):
    story = churn(sim, clock.now - 20 * DAY, clock.now - 600)
    exporter = make_exporter(
        discovery=[{"applications": {"include": APPLICATION}, "deployment_groups": {"include": GROUP}}],
        poll={"retention": "1h"},
        metrics_section={"windows": ["1d", "7d"]},
    )
    exporter.poll_once()
    exporter.poll_once()
    assert window(exporter.snapshot.body, "7d") == window_truth(story, clock.now - 7 * DAY, clock.now)
    config = exporter.poller.config
    exporter.poller.config = config.model_copy(
        update={"metrics": config.metrics.model_copy(update={"windows": ("1d", "7d", "19d")})}
    )
    sim.reset_calls()
    exporter.poll_once()
    # 19 days and a day reach past what metrics.duration_window (14 days and a day) had read.
    assert window(exporter.snapshot.body, "19d") == window_truth(story, clock.now - 19 * DAY, clock.now)
    listed, read = history_calls(sim)
    assert len(listed) >= 1 and read  # only what the shorter reach had not read


def test_a_listed_group_costs_32_dora_series_with_the_default_windows_and_5_per_extra_window(
    make_exporter, story, clock
):
    names = {f.name for f in DORA_FAMILIES}

    def dora_series(body):
        return [
            k
            for k in samples(body)
            if k[0].removesuffix("_bucket").removesuffix("_sum").removesuffix("_count") in names
        ]

    exporter = started(make_exporter, story, clock)
    assert len(dora_series(exporter.snapshot.body)) == 32
    four = make_exporter(deployment_groups=[GROUP_ENTRY], metrics_section={"windows": ["1h", "1d", "7d", "30d"]})
    four.poll_once()
    assert len(dora_series(four.snapshot.body)) == 37


def test_without_windows_nothing_is_read_at_start_and_the_counters_still_count(make_exporter, story, clock, sim):
    # Without windows (and without the phase histogram, which reads metrics.duration_window
    # back) the history holds change_failure_window plus a day: the earlier revision must be in
    # it to be recognised.
    story.ok(clock.now - DAY / 2)
    exporter = make_exporter(
        deployment_groups=[GROUP_ENTRY],
        metrics_section={"windows": [], "exclude": ["codedeploy_deployment_group_phase_duration_seconds"]},
    )
    sim.reset_calls()
    exporter.poll_once()
    assert history_calls(sim)[0] == []
    assert not [k for k in samples(exporter.snapshot.body) if k[0].startswith("codedeploy_deployment_group_window_")]
    story.manual_redeploy(clock.now + 60, after=1800.0)
    clock.advance(3 * 3600)
    exporter.poll_once()
    assert figures(exporter.snapshot.body) == {"changes": 2, "rollback": 0, "redeploy": 1}


def put_platform(
    sim, n, platform, status, at, wait=None, error=None, revision="v2", rollback_info=None, creator="user"
):
    info = deployment_info(
        f"d-PLATFORM{n}",
        APPLICATION,
        GROUP,
        status,
        at,
        compute_platform=platform,
        deployment_type="BLUE_GREEN",
        deployment_option="WITH_TRAFFIC_CONTROL",
        creator=creator,
        start_time=at + 1,
        complete_time=at + 300,
        error_information=error,
        revision=s3_revision("artifacts", f"fn/{revision}.zip"),
        rollback_info=rollback_info,
        instance_termination_wait_time_started=wait,
    )
    sim.put_deployment(info)


def test_ecs_and_lambda_reach_users_by_the_record_s_termination_wait_or_alarm(make_exporter, sim, clock):
    put_platform(sim, 0, "ECS", "Succeeded", clock.now - DAY, wait=True, revision="v1")
    exporter = make_exporter(deployment_groups=[GROUP_ENTRY])
    exporter.poll_once()
    hook = error_information("HEALTH_CONSTRAINTS")
    t = clock.now + 60
    # ECS failed in BeforeAllowTraffic: production traffic never moved (no termination wait).
    put_platform(sim, 1, "ECS", "Failed", t, wait=False, error=hook)
    # ECS stopped during the original task set's termination wait: users had the new one.
    put_platform(sim, 2, "ECS", "Stopped", t + 600, wait=True, error=error_information("MANUAL_STOP"))
    # Lambda canary stopped by its alarm, then rolled back by CodeDeploy.
    put_platform(
        sim,
        3,
        "Lambda",
        "Stopped",
        t + 1200,
        error=alarm_stop_error("p99"),
        rollback_info={"rollbackDeploymentId": "d-PLATFORM4"},
    )
    put_platform(
        sim,
        4,
        "Lambda",
        "Succeeded",
        t + 1500,
        revision="v1",
        creator="codeDeployRollback",
        rollback_info={"rollbackTriggeringDeploymentId": "d-PLATFORM3"},
    )
    clock.advance(3 * 3600)
    exporter.poll_once()
    assert figures(exporter.snapshot.body) == {"changes": 2, "rollback": 1, "redeploy": 0}
    assert window(exporter.snapshot.body, "1d") == {
        "Succeeded": 1,
        "Failed": 1,
        "Stopped": 2,
        "changes": 2,
        "change_failures": 1,
    }
