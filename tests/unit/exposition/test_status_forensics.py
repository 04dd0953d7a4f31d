"""Forensics on the status page (issue 29): a page on one deployment (what alerts link to),
absolute links under --web.external-url, and a failed hook's log tail: bounded, escaped, in
its own box, kept by settled targets only as far as it is shown."""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import parse_qs

import pytest

from exporter import log as logsetup
from exporter.exposition.status import Filters, Header, Scope, Tracked, build, select
from exporter.exposition.status_page import html_sections, json_document
from exporter.model import LOG_TAIL_MAX, Deployment, Diagnostics, LifecycleEvent, Target

NOW = 1_800_000_000.0
HEADER = Header("0.1.0", "abc123", 0, 1, 30.0, NOW, "ok", (Scope("111111111111", "us-east-1", ""),), "summary")

TAIL = "line 1\n  indented <b>bold</b>\nERROR: exit 1"


def deployment(deployment_id: str, status: str, app: str = "web") -> Deployment:
    complete = NOW - 60 if status in ("Succeeded", "Failed", "Stopped") else None
    return Deployment(deployment_id, app, "prod", status, "Server", "", "", "user", NOW - 600, complete, ())


def target(deployment_id: str, target_id: str, status: str, events=()) -> Target:
    return Target(deployment_id, target_id, "InstanceTarget", "", status, NOW, "", tuple(events))


def tracked(record: Deployment, targets=()) -> Tracked:
    return Tracked("111111111111", "us-east-1", record, list(targets))


def status_of(*items: Tracked, full: bool = False):
    return build(HEADER, NOW, (), items, 100, full)


def hook(log_tail: str = TAIL, message: str = "exit code 1") -> LifecycleEvent:
    return LifecycleEvent(
        "ApplicationStart", "Failed", NOW - 70, NOW - 65, Diagnostics("ScriptFailed", "start.sh", message, log_tail)
    )


@pytest.fixture
def tail_chars():
    yield logsetup.set_log_tail_chars
    logsetup.set_log_tail_chars(LOG_TAIL_MAX)


def test_a_deployment_filter_keeps_its_row_and_its_groups_row_only():
    items = [
        tracked(deployment("d-ONE", "Failed", app="web")),
        tracked(deployment("d-TWO", "Failed", app="web")),
        tracked(deployment("d-RUN", "InProgress", app="api")),
    ]
    page = select(status_of(*items), Filters.of(parse_qs("deployment_id=d-TWO")))
    assert [d.deployment_id for d in page.failed.rows] == ["d-TWO"] and page.running.rows == ()
    assert [(g.application, g.deployment_group) for g in page.groups.rows] == [("web", "prod")]
    assert json_document(page)["filters"] == {"deployment_id": "d-TWO"}
    nothing = select(status_of(*items), Filters(deployment_id="d-GONE"))
    assert (nothing.groups.rows, nothing.failed.rows, nothing.running.rows) == ((), (), ())


def test_each_deployment_links_to_its_own_page_relative_or_under_the_external_url():
    status = status_of(tracked(deployment("d-ONE", "Failed")))
    page = select(status)
    assert 'href="/?deployment_id=d-ONE"' in html_sections(page)
    assert json_document(page)["failed_deployments"]["rows"][0]["status_page_url"] == "/?deployment_id=d-ONE"
    assert json_document(page)["exporter"]["external_url"] is None
    header = replace(HEADER, external_url="https://ops.example/codedeploy")
    page = select(build(header, NOW, (), [tracked(deployment("d-ONE", "Failed"))]))
    assert 'href="https://ops.example/codedeploy/?deployment_id=d-ONE"' in html_sections(page)
    row = json_document(page)["failed_deployments"]["rows"][0]
    assert row["status_page_url"] == "https://ops.example/codedeploy/?deployment_id=d-ONE"


def test_the_log_tail_is_shown_in_its_own_box_escaped_with_its_lines(tail_chars):
    status = status_of(tracked(deployment("d-F", "Failed"), [target("d-F", "i-1", "Failed", [hook()])]), full=True)
    html = html_sections(select(status))
    assert (
        '<pre class="tail" aria-label="log tail">line 1\n  indented &lt;b&gt;bold&lt;/b&gt;\nERROR: exit 1</pre>'
        in html
    )
    assert '<div class="msg">exit code 1</div>' in html
    (row,) = json_document(select(status))["failed_deployments"]["rows"]
    assert row["failed_targets"][0]["log_tail"] == TAIL


def test_the_log_tail_is_cut_to_its_last_characters_and_marked(tail_chars):
    tail_chars(10)
    status = status_of(tracked(deployment("d-F", "Failed"), [target("d-F", "i-1", "Failed", [hook()])]), full=True)
    (failed,) = status.failed[0].failed_targets
    assert failed.log_tail == "\u2026" + TAIL[-10:]
    tail_chars(0)
    status = status_of(tracked(deployment("d-F", "Failed"), [target("d-F", "i-1", "Failed", [hook()])]), full=True)
    assert status.failed[0].failed_targets[0].log_tail == ""
    with pytest.raises(ValueError, match="max-log-tail 4097: expected 0 to 4096"):
        tail_chars(LOG_TAIL_MAX + 1)


def test_summary_diagnostics_show_no_log_tail():
    status = status_of(tracked(deployment("d-F", "Failed"), [target("d-F", "i-1", "Failed", [hook()])]))
    assert "<pre" not in html_sections(select(status))
    assert "log_tail" not in json.dumps(json_document(select(status)))


def test_a_settled_target_keeps_only_the_log_tail_it_shows():
    record = target("d-F", "i-1", "Failed", [LifecycleEvent("Install", "Succeeded", 1.0, 2.0, None), hook("x" * 5000)])
    (kept,) = record.settled(True, 100).lifecycle_events
    assert kept.name == "ApplicationStart" and kept.diagnostics is not None
    # One character more than shown, so the page still marks it as cut.
    assert (kept.diagnostics.message, len(kept.diagnostics.log_tail)) == ("exit code 1", 101)
    assert logsetup.bounded_tail(kept.diagnostics.log_tail, 100) == "\u2026" + "x" * 100
    (summary,) = record.settled(False, 0).lifecycle_events  # nothing shows script output: none kept
    assert summary.diagnostics is not None
    assert (summary.diagnostics.error_code, summary.diagnostics.script_name) == ("ScriptFailed", "start.sh")
    assert (summary.diagnostics.message, summary.diagnostics.log_tail) == ("", "")
    # Targets that failed alike share one record of error code and script.
    other = target("d-F", "i-9", "Failed", [hook("another tail", "another message")])
    assert other.settled(False, 0).lifecycle_events[0].diagnostics is summary.diagnostics
    short = target("d-F", "i-2", "Failed", [hook("short")])
    assert short.settled(True, 100).lifecycle_events[0].diagnostics is short.lifecycle_events[0].diagnostics
