"""The DORA rules over a group's finished deployments (exporter.collect.dora_rules), on records
parsed from DeploymentInfo dicts as the simulator's builders write them."""

from __future__ import annotations

import pytest

from exporter.aws.parse import parse_deployment
from exporter.collect.dora_rules import change_failures, entry_of, reached_users, recoveries
from exporter.simulator import deployment_info, s3_revision
from exporter.simulator.builders import alarm_stop_error, error_information

HOUR = 3600.0


def record(status, platform="Server", deployment_type="IN_PLACE", overview=None, wait=None, error=None, **kw):
    info = deployment_info(
        "d-RULES0001",
        "web",
        "prod",
        status,
        1000.0,
        compute_platform=platform,
        deployment_type=deployment_type,
        complete_time=2000.0,
        overview=overview,
        instance_termination_wait_time_started=wait,
        error_information=error,
        **kw,
    )
    return parse_deployment(info)


SOME = {"Pending": 0, "InProgress": 0, "Succeeded": 1, "Failed": 1, "Skipped": 0, "Ready": 0}
NONE = {**SOME, "Succeeded": 0}
STOP = error_information("MANUAL_STOP")
HOOK = error_information("HEALTH_CONSTRAINTS")
BARE = {"deploymentId": "d-RULES0009", "applicationName": "web", "deploymentGroupName": "prod"}


@pytest.mark.parametrize(
    ("deployment", "reached"),
    [
        (record("Succeeded"), True),
        (record("Failed", overview=SOME), True),  # in place: one instance took the revision
        (record("Failed", overview=NONE), False),
        (record("Stopped", overview=NONE, error=STOP), False),
        (record("Failed", deployment_type="BLUE_GREEN", overview=SOME, wait=False), False),  # not rerouted
        (record("Stopped", deployment_type="BLUE_GREEN", wait=True, error=STOP), True),
        (record("Failed", platform="ECS", deployment_type="BLUE_GREEN", wait=False, error=HOOK), False),
        (record("Stopped", platform="ECS", deployment_type="BLUE_GREEN", wait=True, error=STOP), True),
        (record("Stopped", platform="Lambda", deployment_type="BLUE_GREEN", error=alarm_stop_error("p99")), True),
        (record("Failed", platform="Lambda", deployment_type="BLUE_GREEN", error=HOOK), False),
        (record("Stopped", platform="Server", overview=NONE, error=alarm_stop_error("p99")), False),
        (record("InProgress"), False),
        (parse_deployment({**BARE, "status": "Failed", "deploymentOverview": SOME}), True),  # no platform: in place
    ],
)
def test_reached_users_follows_the_platform_s_rule(deployment, reached):
    assert reached_users(deployment) is reached


def entry(n, status, create, revision, *, reached=True, rolled_back_by="", rolls_back="", creator="user", took=600.0):
    info = deployment_info(
        f"d-RULES{n:04d}",
        "web",
        "prod",
        status,
        create,
        complete_time=create + took,
        creator=creator,
        revision=s3_revision("b", f"v{revision}.zip") if revision is not None else None,
        overview=SOME if reached else NONE,
        rollback_info=(
            {"rollbackDeploymentId": rolled_back_by}
            if rolled_back_by
            else {"rollbackTriggeringDeploymentId": rolls_back}
            if rolls_back
            else None
        ),
    )
    return entry_of(parse_deployment(info), new=True)


def test_a_change_rolled_back_by_codedeploy_failed_whichever_side_names_the_link():
    linked_on_the_change = [
        entry(1, "Succeeded", 0, 1),
        entry(2, "Failed", HOUR, 2, rolled_back_by="d-RULES0003"),
        entry(3, "Succeeded", 2 * HOUR, 1, creator="codeDeployRollback"),  # its own link not read yet
    ]
    linked_on_the_rollback = [
        entry(1, "Succeeded", 0, 1),
        entry(2, "Failed", HOUR, 2),  # read before CodeDeploy linked it
        entry(3, "Succeeded", 2 * HOUR, 1, creator="codeDeployRollback", rolls_back="d-RULES0002"),
    ]
    for entries in (linked_on_the_change, linked_on_the_rollback):
        failures = change_failures(entries, 86400)
        assert {i: f.cause for i, f in failures.items()} == {"d-RULES0002": "rollback"}
        assert [e.is_change for e in entries] == [True, True, False]


def test_a_rolled_back_failure_that_never_reached_users_is_no_change_failure():
    entries = [
        entry(1, "Succeeded", 0, 1),
        entry(2, "Failed", HOUR, 2, reached=False, rolled_back_by="d-RULES0003"),
        entry(3, "Succeeded", 2 * HOUR, 1, creator="codeDeployRollback", rolls_back="d-RULES0002"),
    ]
    assert change_failures(entries, 86400) == {}


def test_the_next_change_deploying_an_earlier_revision_within_the_window_is_a_redeploy():
    entries = [entry(1, "Succeeded", 0, 1), entry(2, "Succeeded", HOUR, 2), entry(3, "Succeeded", 3 * HOUR, 1)]
    assert {i: (f.cause, f.remediation) for i, f in change_failures(entries, 86400).items()} == {
        "d-RULES0002": ("redeploy", "d-RULES0003")
    }
    # Created more than the window after the change completed: a change like any other.
    assert change_failures(entries, HOUR) == {}


def test_redeploying_the_same_revision_or_a_new_one_remediates_nothing():
    same = [entry(1, "Succeeded", 0, 1), entry(2, "Succeeded", HOUR, 2), entry(3, "Succeeded", 2 * HOUR, 2)]
    new = [entry(1, "Succeeded", 0, 1), entry(2, "Succeeded", HOUR, 2), entry(3, "Succeeded", 2 * HOUR, 3)]
    assert change_failures(same, 86400) == change_failures(new, 86400) == {}


def test_only_the_next_change_counts_and_failures_that_never_reached_users_are_skipped():
    entries = [
        entry(1, "Succeeded", 0, 1),
        entry(2, "Succeeded", HOUR, 2),
        entry(3, "Failed", 2 * HOUR, 3, reached=False),  # not a change: skipped
        entry(4, "Succeeded", 3 * HOUR, 1),  # the next change after 2: remediates it
        entry(5, "Succeeded", 4 * HOUR, 4),
        entry(6, "Succeeded", 5 * HOUR, 2),  # revision 2 was delivered before 5: remediates 5
    ]
    failures = change_failures(entries, 86400)
    remediated = {i: f.remediation for i, f in failures.items()}
    assert remediated == {"d-RULES0002": "d-RULES0004", "d-RULES0005": "d-RULES0006"}


def test_recovery_runs_from_the_first_failure_of_a_streak_to_the_next_success():
    entries = [
        entry(1, "Succeeded", 0, 1),
        entry(2, "Failed", HOUR, 2),
        entry(3, "Stopped", 2 * HOUR, 3),
        entry(4, "Succeeded", 3 * HOUR, 4),
        entry(5, "Succeeded", 4 * HOUR, 5),
        entry(6, "Failed", 5 * HOUR, 6),
    ]
    assert recoveries(entries) == {"d-RULES0004": 2 * HOUR}
