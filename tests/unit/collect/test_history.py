"""The group history (exporter.collect.history) without I/O: what it counts, what it keeps."""

from __future__ import annotations

from exporter.aws.parse import parse_deployment
from exporter.collect import history as history_module
from exporter.collect.history import History
from exporter.config import AwsSettings
from exporter.simulator import deployment_info, s3_revision

AWS = AwsSettings(region="us-east-1")
REF = (AWS, "web", "prod")
NOW = 1_800_000_000.0
DAY = 86400.0
WINDOWS = ("1d", "7d")
SOME = {"Succeeded": 1, "Failed": 1}


def record(n, status, create, revision=1, rollback_info=None, creator="user", took=600.0):
    return parse_deployment(
        deployment_info(
            f"d-HISTORY{n:02d}",
            "web",
            "prod",
            status,
            create,
            complete_time=None if status == "InProgress" else create + took,
            creator=creator,
            revision=s3_revision("b", f"v{revision}.zip"),
            overview=SOME,
            rollback_info=rollback_info,
        )
    )


def started(records, poll=1, now=NOW):
    history = History()
    history.sync([REF], poll, now, 30.0)
    history.observe([(AWS, r) for r in records], poll, NOW)
    history.groups[REF].reach = history_module.reach(WINDOWS)  # as if read
    history.update(now, WINDOWS, DAY)
    return history


def test_history_read_at_start_fills_the_windows_but_no_counter():
    history = started([record(1, "Succeeded", NOW - 3 * DAY, 1), record(2, "Failed", NOW - 3600, 2)])
    view = history.view(REF)
    assert view is not None and view.changes == 0 and dict(view.failures) == {"redeploy": 0, "rollback": 0}
    assert view.recovery.count == 0
    one_day, seven_days = view.windows or ()
    assert (one_day.window, dict(one_day.statuses), one_day.changes) == (
        "1d",
        {"Failed": 1, "Stopped": 0, "Succeeded": 0},
        1,
    )
    assert (seven_days.window, seven_days.changes) == ("7d", 2)


def test_a_deployment_seen_running_is_counted_when_it_finishes_even_if_it_ended_before_the_poll():
    history = started([record(1, "Succeeded", NOW - 3 * DAY, 1), record(2, "InProgress", NOW - 600, 2)])
    # It finished a minute before the next poll read it: still new, it was seen running.
    history.observe([(AWS, record(2, "Succeeded", NOW - 600, 2, took=540.0))], 2, NOW)
    history.update(NOW + 30, WINDOWS, DAY)
    assert history.view(REF).changes == 1


def test_a_rollback_link_that_appears_later_makes_the_change_a_failure_once():
    failed = record(2, "Failed", NOW - 300, 2)  # completes after the first poll: new
    history = started([record(1, "Succeeded", NOW - 3 * DAY, 1)])
    history.observe([(AWS, failed)], 2, NOW)
    history.update(NOW + 30, WINDOWS, DAY)
    assert dict(history.view(REF).failures)["rollback"] == 0
    linked = record(2, "Failed", NOW - 300, 2, rollback_info={"rollbackDeploymentId": "d-HISTORY03"})
    for poll in (3, 4):  # read twice: counted once
        history.observe([(AWS, linked)], poll, NOW)
        history.update(NOW + 600, WINDOWS, DAY)
    assert dict(history.view(REF).failures)["rollback"] == 1
    assert history.view(REF).windows[0].change_failures == 1


def test_the_history_forgets_what_is_out_of_reach_and_keeps_at_most_the_cap(monkeypatch):
    monkeypatch.setattr(history_module, "MAX_ENTRIES_PER_GROUP", 3)
    records = [record(n, "Succeeded", NOW - 10 * DAY + n * 3600, n) for n in range(6)]
    history = started(records)
    # 1d + 7d windows: the history reaches 8 days back; all six were created 10 days ago or so.
    assert history.groups[REF].entries == {}
    history = started([record(n, "Succeeded", NOW - DAY + n * 3600, n) for n in range(6)])
    assert sorted(history.groups[REF].entries) == ["d-HISTORY03", "d-HISTORY04", "d-HISTORY05"]


def test_a_group_no_longer_listed_drops_its_history():
    history = started([record(1, "Succeeded", NOW - 3600, 1)])
    history.sync([], 2, NOW + 30, 30.0)
    assert history.view(REF) is None


def test_a_deployment_no_longer_read_while_running_is_forgotten_once_out_of_reach():
    # 1d + 7d windows: the history reaches 8 days back. A watch no read has renewed for that
    # long goes (its deployment is no longer followed); one read since stays.
    history = started([record(1, "InProgress", NOW - 600, 1), record(2, "InProgress", NOW - 600, 2)])
    assert set(history.groups[REF].running) == {"d-HISTORY01", "d-HISTORY02"}
    history.observe([(AWS, record(2, "InProgress", NOW - 600, 2))], 2, NOW + 5 * DAY)
    history.update(NOW + 8 * DAY, WINDOWS, DAY)
    assert set(history.groups[REF].running) == {"d-HISTORY01", "d-HISTORY02"}  # exactly 8 days: kept
    history.update(NOW + 8 * DAY + 30, WINDOWS, DAY)
    assert set(history.groups[REF].running) == {"d-HISTORY02"}
    # Read finished after all: still a new change (it completed after the exporter started).
    history.observe([(AWS, record(1, "Succeeded", NOW + 8 * DAY, 1, took=60.0))], 3, NOW + 8 * DAY + 90)
    history.update(NOW + 8 * DAY + 90, WINDOWS, DAY)
    assert history.view(REF).changes == 1
