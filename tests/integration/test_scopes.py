"""Discovery scopes through real boto3 against the simulator: what they export and what it
costs."""

from __future__ import annotations

import math

from support.expo import samples, value

from exporter.simulator import build_account, deployment_info, instance_target

ACCOUNT = "123456789012"  # the simulator's account: tag ARNs are built with it


def put(sim, deployment_id, application, group, status, create_time, complete_time=None):
    target = instance_target(deployment_id, f"i-{deployment_id[-6:].lower()}", "Succeeded", [], create_time)
    sim.put_deployment(
        deployment_info(deployment_id, application, group, status, create_time, complete_time=complete_time), [target]
    )


def contract(body) -> dict:
    return {k: v for k, v in samples(body).items() if not k[0].startswith(("codedeploy_exporter_", "process_"))}


def groups_of(body, family="codedeploy_deployment_group_info") -> set[tuple[str, str]]:
    return {
        (dict(ls)["application"], dict(ls)["deployment_group"]) for (n, ls), _ in samples(body).items() if n == family
    }


def small_account(sim, now):
    """Groups that match the scope below, and groups that each miss it for one reason."""
    groups = {
        ("web-shop", "shop-prod"): {"team": "payments", "env": "prod"},  # match
        ("web-shop", "shop-staging"): {"team": "payments", "env": "staging"},  # name
        ("api", "api-prod"): {"team": "payments", "env": "prod"},  # match
        ("api", "api-blue-prod"): {"team": "search", "env": "prod"},  # tag value
        ("api", "api-old-prod"): {"env": "prod"},  # tag missing
        ("web-sandbox", "sb-prod"): {"team": "payments", "env": "prod"},  # excluded application
        ("batch", "batch-prod"): {"team": "payments", "env": "prod"},  # application not included
    }
    for n, ((application, group), tags) in enumerate(sorted(groups.items())):
        sim.put_deployment_group(application, group, tags=tags)
        put(sim, f"d-SCOPEA{n:03d}", application, group, "Succeeded", now - 9000, now - 8900)
        put(sim, f"d-SCOPEB{n:03d}", application, group, "Failed", now - 3600, now - 3500)
        put(sim, f"d-SCOPEC{n:03d}", application, group, "InProgress", now - 60)
    return {("web-shop", "shop-prod"), ("api", "api-prod")}


SCOPE = {
    "applications": {"include": "web-.*|api", "exclude": "web-sandbox"},
    "deployment_groups": {"include": ".*-prod"},
    "tags": {"team": "payments"},
    "latest": 2,
    "refresh": "10m",
}
AWS_POLL = {"retention": "1d", "group_refresh": "10m"}


def with_account(make_exporter, **sections):
    exporter = make_exporter(**sections)
    config = exporter.poller.config
    aws = config.aws.model_copy(update={"account_id": ACCOUNT})
    exporter.poller.config = config.model_copy(
        update={
            "aws": aws,
            "discovery": tuple(s.model_copy(update={"aws": s.aws.merged_over(aws)}) for s in config.discovery),
            "deployment_groups": tuple(
                g.model_copy(update={"aws": g.aws.merged_over(aws)}) for g in config.deployment_groups
            ),
        }
    )
    return exporter


def test_scope_exports_exactly_the_matching_groups_with_the_series_of_explicit_entries(sim, make_exporter, clock):
    expected = small_account(sim, clock.now)
    scoped = with_account(make_exporter, discovery=[SCOPE], poll=AWS_POLL)
    scoped.poll_once()
    body = scoped.snapshot.body
    assert groups_of(body) == expected
    assert groups_of(body, "codedeploy_deployment_info") == expected
    explicit = with_account(
        make_exporter,
        poll=AWS_POLL,
        deployment_groups=[{"application": a, "deployment_group": g, "latest": 2} for a, g in sorted(expected)],
    )
    explicit.poll_once()
    assert contract(body) == contract(explicit.snapshot.body)
    assert (
        value(
            body,
            "codedeploy_deployment_group_info",
            account_id=ACCOUNT,
            region="us-east-1",
            application="api",
            deployment_group="api-prod",
        )
        == 1
    )


def test_idle_scope_makes_exactly_one_call_per_poll(sim, make_exporter, clock):
    small_account(sim, clock.now)
    for n in range(7):  # nothing running, and one page (10 here) in the overlap window
        sim.remove_deployment(f"d-SCOPEC{n:03d}")
    exporter = with_account(
        make_exporter, discovery=[{**SCOPE, "refresh": "1h"}], poll={**AWS_POLL, "group_refresh": "1h"}
    )
    exporter.poll_once()
    for _ in range(20):
        sim.reset_calls()
        clock.advance(30)
        exporter.poll_once()
        calls = [c for c in sim.calls]
        assert [c.operation for c in calls] == ["ListDeployments"]
        assert "applicationName" not in calls[0].params and "createTimeRange" in calls[0].params


def test_first_poll_reads_only_the_retention_window_and_running_deployments(sim, make_exporter, clock):
    account = build_account(sim, applications=5, groups=30, deployments=600, spread_seconds=20 * 86400, now=clock.now)
    # Started three days ago, still running, in a group with nothing newer.
    sim.put_deployment_group(account.applications[0], "quiet-group")
    put(sim, "d-LONGRUN01", account.applications[0], "quiet-group", "InProgress", clock.now - 3 * 86400)
    window = [d for d in sim.deployment_ids() if sim.deployment(d)["createTime"] >= clock.now - 86400]
    scope = {"latest": 1, "refresh": "10m"}
    for restart in range(2):  # a restart pays the same bound: history is never re-read
        sim.reset_calls()
        # Without DORA windows nor the phase histogram (which reads metrics.duration_window
        # back): the listing's own cost (tests/integration/test_dora.py and
        # test_phase_durations.py have the history read, a separate, documented cost).
        no_history = {"windows": [], "exclude": ["codedeploy_deployment_group_phase_duration_seconds"]}
        exporter = with_account(make_exporter, discovery=[scope], poll=AWS_POLL, metrics_section=no_history)
        exporter.poll_once()
        listed = [c.params for c in sim.calls if c.operation == "ListDeployments"]
        read = [i for c in sim.calls if c.operation == "BatchGetDeployments" for i in c.params["deploymentIds"]]
        page = sim.page_size
        assert len(listed) <= math.ceil(len(window) / page) + 1 + 1  # window pages + non-terminal
        assert sum(1 for p in listed if p.get("includeOnlyStatuses")) == 1
        assert set(read) == set(window) | {"d-LONGRUN01"}, restart
        assert sim.call_count("BatchGetDeployments") == math.ceil((len(window) + 1) / 25)
        # The running deployment from before the window is followed, with its targets.
        assert (
            value(
                exporter.snapshot.body, "codedeploy_deployment_status", deployment_id="d-LONGRUN01", status="InProgress"
            )
            == 1
        )


def test_with_dora_windows_the_first_poll_adds_exactly_each_group_s_history_read(sim, make_exporter, clock):
    account = build_account(sim, applications=5, groups=30, deployments=600, spread_seconds=40 * 86400, now=clock.now)
    since = clock.now - 31 * 86400  # the longest default window, and a day
    deployments = [sim.deployment(d) for d in sim.deployment_ids()]
    window = {d["deploymentId"] for d in deployments if d["createTime"] >= clock.now - 86400}
    history = {
        d["deploymentId"]
        for d in deployments
        if d["createTime"] >= since and d["status"] in ("Succeeded", "Failed", "Stopped")
    }
    per_group: dict[tuple[str, str], int] = {}
    for d in deployments:
        if d["deploymentId"] in history:
            group = (d["applicationName"], d["deploymentGroupName"])
            per_group[group] = per_group.get(group, 0) + 1
    sim.reset_calls()
    exporter = with_account(make_exporter, discovery=[{"latest": 1, "refresh": "10m"}], poll=AWS_POLL)
    exporter.poll_once()
    listings = [c.params for c in sim.calls if c.operation == "ListDeployments" and c.params.get("applicationName")]
    read = [i for c in sim.calls if c.operation == "BatchGetDeployments" for i in c.params["deploymentIds"]]
    groups = set(account.groups)
    assert len(listings) == sum(max(1, math.ceil(per_group.get(g, 0) / sim.page_size)) for g in groups)
    assert sorted(read) == sorted(window | history)  # each record once, by the scope or the history
    assert sim.call_count("ListDeploymentTargets") <= len(groups)  # the followed latest only


def test_group_created_while_running_is_exported_within_one_refresh_and_one_poll(sim, make_exporter, clock):
    small_account(sim, clock.now)
    exporter = with_account(make_exporter, discovery=[{**SCOPE, "refresh": "5m"}], poll=AWS_POLL)
    exporter.poll_once()
    sim.put_deployment_group("api", "api-new-prod", tags={"team": "payments"})
    put(sim, "d-NEWGROUP1", "api", "api-new-prod", "InProgress", clock.now + 1)
    for _ in range(10):  # 5 minutes: one refresh
        clock.advance(30)
        exporter.poll_once()
    body = exporter.snapshot.body
    assert ("api", "api-new-prod") in groups_of(body)
    assert value(body, "codedeploy_deployment_status", deployment_id="d-NEWGROUP1", status="InProgress") == 1


def test_group_that_stops_matching_disappears_at_the_next_refresh(sim, make_exporter, clock):
    small_account(sim, clock.now)
    exporter = with_account(make_exporter, discovery=[{**SCOPE, "refresh": "5m"}], poll=AWS_POLL)
    exporter.poll_once()
    assert ("api", "api-prod") in groups_of(exporter.snapshot.body)
    sim.tag_deployment_group("api", "api-prod", {"team": "search"})
    clock.advance(30)
    exporter.poll_once()
    assert ("api", "api-prod") in groups_of(exporter.snapshot.body)  # cached until the refresh
    for _ in range(10):
        clock.advance(30)
        exporter.poll_once()
    body = exporter.snapshot.body
    assert ("api", "api-prod") not in groups_of(body)
    assert ("api", "api-prod") not in groups_of(body, "codedeploy_deployment_info")


def test_scope_counts_deployments_that_finish_after_the_first_poll(sim, make_exporter, clock):
    small_account(sim, clock.now)
    exporter = with_account(make_exporter, discovery=[SCOPE], poll=AWS_POLL)
    exporter.poll_once()
    put(sim, "d-AFTER0001", "api", "api-prod", "Failed", clock.now + 1, clock.now + 20)
    sim.update_deployment("d-SCOPEC002", status="Succeeded", completeTime=clock.now + 25)  # api-prod
    sim.update_deployment("d-SCOPEC000", status="Succeeded", completeTime=clock.now + 25)  # not matched
    clock.advance(30)
    exporter.poll_once()
    body = exporter.snapshot.body
    counted = {
        (dict(ls)["deployment_group"], dict(ls)["status"]): v
        for (n, ls), v in samples(body).items()
        if n == "codedeploy_deployments_total" and v
    }
    assert sim.deployment("d-SCOPEC002")["deploymentGroupName"] == "api-prod"
    assert counted == {("api-prod", "Failed"): 1, ("api-prod", "Succeeded"): 1}


def test_three_shards_split_a_scope_and_cost_at_most_three_calls_per_idle_poll(sim, make_exporter, clock):
    account = build_account(sim, applications=6, groups=30, deployments=300, spread_seconds=2 * 86400, now=clock.now)
    scope = {"latest": 1, "refresh": "1h"}
    unsharded = with_account(make_exporter, discovery=[scope], poll={**AWS_POLL, "group_refresh": "1h"})
    unsharded.poll_once()
    everything = contract(unsharded.snapshot.body)
    assert len(groups_of(unsharded.snapshot.body)) == len(account.groups)
    shards = [
        with_account(
            make_exporter, discovery=[scope], poll={**AWS_POLL, "group_refresh": "1h"}, shard=i, total_shards=3
        )
        for i in range(3)
    ]
    union: dict = {}
    for exporter in shards:
        exporter.poll_once()
        series = contract(exporter.snapshot.body)
        assert series, "every shard owns some groups"
        assert not union.keys() & series.keys()
        union.update(series)
    assert union == everything
    for _ in range(3):
        sim.reset_calls()
        clock.advance(30)
        for exporter in shards:
            exporter.poll_once()
        assert sim.call_count() <= 3


def test_refresh_is_spread_over_polls_within_half_an_interval_of_the_rate_limit(sim, make_exporter, clock):
    build_account(sim, applications=4, groups=24, deployments=48, spread_seconds=3600, now=clock.now)
    # Budget per poll: 20 requests/s x 1 s / 2 = 10 calls; the pass needs 1 + 4 + 24 = 29.
    exporter = with_account(
        make_exporter,
        discovery=[{"tags": {"env": ".*"}, "refresh": "1h"}],
        poll={**AWS_POLL, "interval": "1s", "max_requests_per_second": 20},
    )
    refresh_ops = ("ListApplications", "ListDeploymentGroups", "ListTagsForResource")
    per_poll = []
    for _ in range(4):
        sim.reset_calls()
        exporter.poll_once()
        per_poll.append(sum(sim.call_count(op) for op in refresh_ops))
        clock.advance(1)
    assert per_poll == [10, 10, 9, 0]
    assert len(groups_of(exporter.snapshot.body)) == 24  # matched once the pass completed


def test_a_failing_refresh_does_not_stop_the_listing_of_known_groups(sim, make_exporter, clock):
    small_account(sim, clock.now)
    exporter = with_account(make_exporter, discovery=[{**SCOPE, "refresh": "5m"}], poll=AWS_POLL)
    exporter.poll_once()
    sim.reset_calls()
    sim.fail(1000, "AccessDeniedException", operation="ListTagsForResource")
    for n in range(20):  # from the next refresh on, tags are denied
        put(sim, f"d-DENIED{n:03d}", "api", "api-prod", "InProgress", clock.now + 1)
        clock.advance(30)
        exporter.poll_once()
    # Due at poll 10 (5 m), then retried after 1, 2 and 4 intervals (polls 11, 13, 17), not every poll.
    assert sim.call_count("ListApplications") == 4
    assert sim.call_count("ListTagsForResource") >= 4
    assert (
        value(
            exporter.snapshot.body,
            "codedeploy_exporter_api_request_errors_total",
            operation="ListTagsForResource",
            error_code="AccessDeniedException",
        )
        >= 4
    )
    body = exporter.snapshot.body
    assert ("api", "api-prod") in groups_of(body)  # the last complete refresh still holds
    assert value(body, "codedeploy_deployment_status", deployment_id="d-DENIED019", status="InProgress") == 1


def test_while_deploying_a_scope_costs_no_more_than_explicit_entries_for_the_same_deployments(
    sim, make_exporter, clock
):
    expected = small_account(sim, clock.now)  # one running deployment in each group
    for n in range(7):  # one page (10 here) in the overlap window
        sim.remove_deployment(f"d-SCOPEB{n:03d}")
    explicit_entries = [{"application": a, "deployment_group": g, "latest": 2} for a, g in sorted(expected)]
    exporters = {
        "scope": with_account(make_exporter, discovery=[SCOPE], poll=AWS_POLL),
        "explicit": with_account(make_exporter, deployment_groups=explicit_entries, poll=AWS_POLL),
    }
    for exporter in exporters.values():
        exporter.poll_once()
    costs = {}
    for name, exporter in exporters.items():
        sim.reset_calls()
        clock.advance(30)
        exporter.poll_once()
        costs[name] = {
            op: sim.call_count(op)
            for op in ("ListDeployments", "BatchGetDeployments", "ListDeploymentTargets", "BatchGetDeploymentTargets")
        }
        clock.advance(-30)
    # The same reads of the running deployments and their targets; one listing instead of one per group.
    assert {k: v for k, v in costs["scope"].items() if k != "ListDeployments"} == {
        k: v for k, v in costs["explicit"].items() if k != "ListDeployments"
    }
    assert costs["scope"]["BatchGetDeployments"] >= 1
    assert costs["scope"]["ListDeployments"] == 1 and costs["explicit"]["ListDeployments"] == len(expected)
