"""The status page's model (exporter.exposition.status) and its HTML and JSON forms: order,
limits, filters, the deployment's message once, script output only with full diagnostics,
and every value escaped."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

from exporter.exposition.status import (
    Filters,
    Header,
    Scope,
    Tracked,
    build,
    select,
)
from exporter.exposition.status_page import html_head, html_sections, json_document
from exporter.exposition.views import GroupView
from exporter.model import (
    Deployment,
    Diagnostics,
    GroupRecord,
    LambdaFunction,
    LastDeployment,
    LifecycleEvent,
    Target,
    TaskSet,
)

NOW = 1_800_000_000.0
HEADER = Header("0.1.0", "abc123", 0, 1, 30.0, NOW, "ok", (Scope("111111111111", "us-east-1", ""),), "summary")
EVIL = "<script>alert(\"x\")</script>' onload='alert(1)"


def deployment(deployment_id: str, status: str, app: str = "web", group: str = "prod", **fields) -> Deployment:
    defaults = dict(
        compute_platform="Server",
        deployment_config="CodeDeployDefault.OneAtATime",
        deployment_type="IN_PLACE",
        creator="user",
        create_time=NOW - 600,
        complete_time=None if status not in ("Succeeded", "Failed", "Stopped") else NOW - 60,
        overview=(),
    )
    defaults.update(fields)
    return Deployment(deployment_id, app, group, status, **defaults)  # type: ignore[arg-type]


def target(deployment_id: str, target_id: str, status: str, events=(), **fields) -> Target:
    return Target(deployment_id, target_id, "InstanceTarget", "", status, NOW, "", tuple(events), **fields)


def failed_hook(message: str = "exit code 1", script: str = "scripts/start.sh") -> LifecycleEvent:
    return LifecycleEvent(
        "ApplicationStart", "Failed", NOW - 70, NOW - 65, Diagnostics("ScriptFailed", script, message, "tail")
    )


def tracked(record: Deployment, targets=(), account: str = "111111111111", region: str = "us-east-1") -> Tracked:
    return Tracked(account, region, record, list(targets))


def status_of(*items: Tracked, groups=(), limit: int = 100, full: bool = False):
    return build(HEADER, NOW, groups, items, limit, full)


def test_sections_hold_running_and_failed_deployments_and_groups_put_failing_then_running_first():
    done = tracked(deployment("d-OK", "Succeeded", app="api"))
    running = tracked(deployment("d-RUN", "InProgress", app="queue", create_time=NOW - 30))
    failed = tracked(deployment("d-BAD", "Failed", app="web", create_time=NOW - 900))
    status = status_of(done, running, failed)
    assert [d.deployment_id for d in status.running] == ["d-RUN"]
    assert [d.deployment_id for d in status.failed] == ["d-BAD"]
    # Failing first even though its deployment is the oldest, then running, then the rest.
    assert [(g.application, g.state) for g in status.groups] == [
        ("web", "failing"),
        ("queue", "running"),
        ("api", "ok"),
    ]


def test_group_state_views_give_the_latest_attempt_and_last_success_and_failure():
    record = GroupRecord("web", "prod", "Server", "", "", "", None, None)
    view = GroupView(
        "111111111111", "us-east-1", "web", "prod", record,
        LastDeployment("d-LATEST", "Stopped", NOW - 100, NOW - 50), NOW - 3600, NOW - 50, None, None,
    )  # fmt: skip
    (row,) = status_of(groups=[view]).groups
    assert (row.latest_deployment_id, row.latest_status, row.state) == ("d-LATEST", "Stopped", "failing")
    assert (row.last_success, row.last_failure, row.platform) == (NOW - 3600, NOW - 50, "Server")


def test_a_deployments_error_message_appears_once_not_per_target():
    message = "The overall deployment failed because too many individual instances failed deployment"
    record = deployment(
        "d-FAILED", "Failed", error_code="HEALTH_CONSTRAINTS", error_message=message,
        overview=(("Succeeded", 2), ("Failed", 1)),
    )  # fmt: skip
    targets = [target("d-FAILED", "i-1", "Failed", [failed_hook()])]  # settled: succeeded ones are not handed over
    page = select(status_of(tracked(record, targets)))
    html = html_sections(page)
    assert html.count("too many individual instances") == 1
    assert json.dumps(json_document(page)).count("too many individual instances") == 1
    (row,) = page.failed.rows
    assert row.targets == (("Succeeded", 2), ("Failed", 1))
    (failed,) = row.failed_targets
    assert (failed.target_id, failed.hook, failed.error_code, failed.script_name) == (
        "i-1", "ApplicationStart", "ScriptFailed", "scripts/start.sh",
    )  # fmt: skip
    assert failed.message == "" and failed.log_tail == ""  # summary: a script's output may hold secrets


def test_full_diagnostics_add_the_scripts_message_and_log_tail():
    record = deployment("d-FAILED", "Failed")
    status = status_of(tracked(record, [target("d-FAILED", "i-1", "Failed", [failed_hook("boom")])]), full=True)
    (failed,) = status.failed[0].failed_targets
    assert (failed.message, failed.log_tail) == ("boom", "tail")


def test_traffic_and_the_current_hook_of_a_deployment_in_progress():
    record = deployment("d-ECS", "InProgress", compute_platform="ECS", overview=(("InProgress", 1),))
    sets = (
        TaskSet("ts-1", "Blue", "tg", "PRIMARY", 1, 0, 1, 0.25),
        TaskSet("ts-2", "Green", "tg", "ACTIVE", 1, 0, 1, 0.75),
    )
    ecs = target(
        "d-ECS",
        "cluster:svc",
        "InProgress",
        [LifecycleEvent("AllowTraffic", "InProgress", NOW, None, None)],
        task_sets=sets,
    )
    fn = LambdaFunction("fn", "live", "1", "2", 0.1)
    lam = target("d-ECS", "fn:live", "InProgress", lambda_function=fn)
    (row,) = status_of(tracked(record, [ecs, lam])).running
    assert [(s.target_id, s.name, s.weight) for s in row.traffic] == [
        ("cluster:svc", "Blue PRIMARY", 0.25),
        ("cluster:svc", "Green ACTIVE", 0.75),
        ("fn:live", "fn:live version 2", 0.1),
    ]
    assert row.current_hooks == ("AllowTraffic",)
    html = html_sections(select(status_of(tracked(record, [ecs]))))
    assert 'data-weight="75.0"' in html and 'style="width:75.0%"' in html


def test_running_deployments_with_failed_targets_come_first():
    calm = tracked(deployment("d-CALM", "InProgress", create_time=NOW - 10))
    hurt = tracked(deployment("d-HURT", "InProgress", create_time=NOW - 900, overview=(("Failed", 1),)))
    assert [d.deployment_id for d in status_of(calm, hurt).running] == ["d-HURT", "d-CALM"]


def test_each_section_is_cut_at_the_limit_and_counts_the_rest():
    items = [
        tracked(deployment(f"d-{i:03d}", "Failed", app=f"app{i:03d}", complete_time=NOW - 1 - i)) for i in range(7)
    ]
    targets = [target("d-BIG", f"i-{i}", "Failed", [failed_hook()]) for i in range(5)]
    items.append(tracked(deployment("d-BIG", "Failed", app="big", complete_time=NOW), targets))
    page = select(status_of(*items, limit=3))
    assert [d.deployment_id for d in page.failed.rows] == ["d-BIG", "d-000", "d-001"]  # newest first
    assert page.failed.not_shown == 5 and page.groups.not_shown == 5
    big = page.failed.rows[0]
    assert len(big.failed_targets) == 3 and big.failed_targets_not_shown == 2
    html = html_sections(page)
    assert "5 more deployments not shown" in html and "5 more groups not shown" in html
    assert "2 more failed targets not shown" in html


def test_filters_pick_rows_before_the_limit():
    items = [
        tracked(deployment("d-A", "Failed", app="a")),
        tracked(deployment("d-B", "InProgress", app="b")),
        tracked(deployment("d-C", "Failed", app="c"), account="222222222222"),
    ]
    status = status_of(*items, limit=1)
    page = select(status, Filters.of(parse_qs("application=c&unknown=x")))
    assert [d.deployment_id for d in page.failed.rows] == ["d-C"] and page.failed.not_shown == 0
    assert [g.application for g in page.groups.rows] == ["c"] and page.running.rows == ()
    page = select(status, Filters.of(parse_qs("status=inprogress")))
    assert [d.deployment_id for d in page.running.rows] == ["d-B"] and page.failed.rows == ()
    assert [g.application for g in page.groups.rows] == ["b"]
    page = select(status, Filters(account_id="111111111111", region="us-east-1"))
    assert [d.deployment_id for d in page.failed.rows] == ["d-A"] and page.failed.not_shown == 0
    assert json_document(page)["filters"] == {"account_id": "111111111111", "region": "us-east-1"}
    page = select(status, Filters(region="us-east-1"))
    assert len(page.failed.rows) == 1 and page.failed.not_shown == 1  # both kept, one cut


def test_every_value_is_escaped_in_the_html():
    record = deployment(
        "d-EVIL", "Failed", app=EVIL, group=EVIL, creator=EVIL, error_code=EVIL, error_message=EVIL,
        status_messages=(EVIL,), rollback_message=EVIL, rollback_deployment_id=EVIL,
    )  # fmt: skip
    targets = [target("d-EVIL", EVIL, "Failed", [failed_hook(EVIL, EVIL)])]
    status = build(
        Header(EVIL, EVIL, 0, 1, 30.0, NOW, EVIL, (Scope(EVIL, EVIL, EVIL),), "full"),
        NOW,
        (),
        [tracked(record, targets, account=EVIL, region=EVIL)],
        100,
        True,
    )
    page = select(status, Filters(application=EVIL))
    html = html_head(page, EVIL, NOW + 5) + html_sections(page)
    document = json_document(page)
    assert document["filters"]["application"] == document["failed_deployments"]["rows"][0]["application"] == EVIL
    assert "<script" not in html.lower() and "'" not in _values(html) and "onload='" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#x27; onload=&#x27;alert(1)" in html


def _values(html: str) -> str:
    # The page's own markup quotes attributes with "; any ' comes from a value left unescaped.
    return re.sub(r"<style>.*?</style>", "", html, flags=re.S)


def test_rollback_links_point_at_rows_the_page_has():
    failed = tracked(deployment("d-FAILED", "Failed", rollback_deployment_id="d-ROLLBACK"))
    rolling = tracked(deployment("d-ROLLBACK", "InProgress", rollback_triggering_deployment_id="d-FAILED"))
    html = html_sections(select(status_of(failed, rolling)))
    assert 'Rolled back by <a href="#d-ROLLBACK">' in html and 'Rollback of <a href="#d-FAILED">' in html
    assert 'id="d-ROLLBACK"' in html and 'id="d-FAILED"' in html
    # A rollback that already succeeded has no row here: its ID is shown, not linked.
    html = html_sections(select(status_of(failed)))
    assert "Rolled back by <code>d-ROLLBACK</code>" in html and 'href="#d-ROLLBACK"' not in html
