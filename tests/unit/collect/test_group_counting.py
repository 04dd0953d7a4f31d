"""GroupStates.observe: the counting rule of exporter.collect.groups and what else it keeps.

States are set up through GroupStates.sync, then fed the records a poll read, as the poller's
group-state phase does."""

from __future__ import annotations

from exporter.collect.groups import GroupState, GroupStates
from exporter.config import AwsSettings
from exporter.model import EMPTY_HISTOGRAM, Deployment

AWS = AwsSettings(region="us-east-1", account_id="123456789012")
REF = (AWS, "web", "prod")
INTERVAL = 30.0
FORGET_AFTER = 7200.0
T0 = 1_800_000_000.0  # the first poll


def identity(aws: AwsSettings) -> tuple[str, str]:
    return "123456789012", "us-east-1"


def deployment(
    deployment_id: str,
    status: str,
    create: float | None = T0 - 300,
    end: float | None = None,
    creator: str = "user",
    group: str = "prod",
) -> Deployment:
    return Deployment(deployment_id, "web", group, status, "Server", "c", "IN_PLACE", creator, create, end, ())


def poll(
    states: GroupStates, number: int, *records: Deployment, listed: bool = True, now: float | None = None
) -> GroupState:
    """One poll's group-state phase: sync the wanted group, then observe what was read."""
    now = T0 + (number - 1) * INTERVAL if now is None else now
    states.sync({REF: listed}, identity, number, now, INTERVAL)
    states.observe([(AWS, r) for r in records], number, now, FORGET_AFTER)
    return states.states[REF]


def test_what_finished_before_the_first_poll_is_not_counted_even_when_seen_again():
    states = GroupStates()
    old = deployment("d-FINISHED1", "Succeeded", T0 - 900, T0 - 600)
    state = poll(states, 1, old)
    assert state.totals == {} and state.durations == {}
    state = poll(states, 2, old)
    assert state.totals == {}


def test_what_ends_within_the_slack_before_the_first_poll_is_still_history_on_that_poll():
    # started_at is one interval before the first poll; on the first poll nothing counts.
    state = poll(GroupStates(), 1, deployment("d-FINISHED1", "Succeeded", T0 - 100, T0 - 1))
    assert state.totals == {}


def test_seen_running_then_terminal_is_counted_once():
    states = GroupStates()
    poll(states, 1, deployment("d-RUNNING01", "InProgress"))
    finished = deployment("d-RUNNING01", "Failed", end=T0 + 20)
    assert poll(states, 2, finished).totals == {("Failed", "user"): 1}
    assert poll(states, 3, finished).totals == {("Failed", "user"): 1}  # read again: not counted again


def test_running_at_the_first_poll_then_finished_is_counted():
    # Seen running on the first poll: it did not finish before the exporter started.
    states = GroupStates()
    poll(states, 1, deployment("d-RUNNING01", "InProgress", T0 - 7200))
    state = poll(states, 2, deployment("d-RUNNING01", "Succeeded", T0 - 7200, T0 + 10))
    assert state.totals == {("Succeeded", "user"): 1}


def test_first_seen_terminal_after_the_first_poll_is_counted():
    states = GroupStates()
    poll(states, 1)
    state = poll(states, 2, deployment("d-QUICK0001", "Stopped", T0, T0 + 25, creator="autoscaling"))
    assert state.totals == {("Stopped", "autoscaling"): 1}


def test_first_seen_after_the_first_poll_but_ended_before_it_is_not_counted():
    # E.g. an old deployment named later: it ended before the group's state started.
    states = GroupStates()
    started_at = poll(states, 1).started_at
    state = poll(states, 2, deployment("d-LATEOLD01", "Succeeded", T0 - 900, started_at - 1))
    assert state.totals == {}


def test_counts_are_by_status_and_creator():
    states = GroupStates()
    poll(states, 1)
    state = poll(
        states,
        2,
        deployment("d-COUNTED01", "Succeeded", end=T0 + 5),
        deployment("d-COUNTED02", "Succeeded", end=T0 + 6),
        deployment("d-COUNTED03", "Succeeded", end=T0 + 7, creator="codeDeployRollback"),
        deployment("d-COUNTED04", "Failed", end=T0 + 8),
    )
    assert state.totals == {("Succeeded", "user"): 2, ("Succeeded", "codeDeployRollback"): 1, ("Failed", "user"): 1}


def test_a_group_that_is_not_listed_counts_nothing():
    # Its deployments are only those named one by one: the counters would be partial.
    states = GroupStates()
    poll(states, 1, deployment("d-RUNNING01", "InProgress"), listed=False)
    state = poll(states, 2, deployment("d-RUNNING01", "Succeeded", end=T0 + 10), listed=False)
    assert state.totals == {} and state.durations == {}
    assert states.views()[0].totals is None


def test_a_group_that_becomes_listed_counts_from_then_on():
    states = GroupStates()
    poll(states, 1, deployment("d-RUNNING01", "InProgress"), listed=False)
    state = poll(states, 2, deployment("d-RUNNING01", "InProgress"))
    assert state.first_poll == 2
    assert poll(states, 3, deployment("d-RUNNING01", "Succeeded", end=T0 + 70)).totals == {("Succeeded", "user"): 1}


def test_records_of_groups_without_state_are_ignored():
    states = GroupStates()
    poll(states, 1, deployment("d-RUNNING01", "InProgress", group="other"))
    state = poll(states, 2, deployment("d-RUNNING01", "Succeeded", end=T0 + 10, group="other"))
    assert state.totals == {} and state.newest_seen is None


def test_a_counted_deployment_observes_its_duration_by_status():
    states = GroupStates()
    poll(states, 1, deployment("d-RUNNING01", "InProgress", create=T0 - 100))
    state = poll(states, 2, deployment("d-RUNNING01", "Succeeded", create=T0 - 100, end=T0 + 20))
    assert state.durations == {"Succeeded": EMPTY_HISTOGRAM.observe(120.0)}
    assert state.durations["Succeeded"].count == 1 and state.durations["Succeeded"].sum == 120.0


def test_no_duration_without_a_create_time_but_still_counted():
    states = GroupStates()
    poll(states, 1)
    state = poll(states, 2, deployment("d-NOCREATE1", "Failed", create=None, end=T0 + 20))
    assert state.totals == {("Failed", "user"): 1} and state.durations == {}


def test_newest_seen_ties_on_create_time_go_to_the_greater_id_in_any_order():
    low, high = deployment("d-AAAAAAAA1", "InProgress", T0), deployment("d-BBBBBBBB2", "InProgress", T0)
    for order in ((low, high), (high, low)):
        states = GroupStates()
        assert poll(states, 1, *order).newest_seen == high


def test_newest_seen_is_the_latest_create_time_and_follows_its_own_updates():
    states = GroupStates()
    newer = deployment("d-AAAAAAAA1", "InProgress", T0)
    poll(states, 1, newer, deployment("d-ZZZZZZZZ9", "Succeeded", T0 - 60, T0 - 30))
    assert states.states[REF].newest_seen == newer
    finished = deployment("d-AAAAAAAA1", "Succeeded", T0, T0 + 40)
    assert poll(states, 2, finished).newest_seen == finished


def test_done_is_forgotten_after_forget_after():
    states = GroupStates()
    poll(states, 1, deployment("d-RUNNING01", "InProgress"))
    state = poll(states, 2, deployment("d-RUNNING01", "Succeeded", end=T0 + 10))
    assert state.done == {"d-RUNNING01": T0 + 10}  # counted: remembered from its end
    assert poll(states, 3, now=T0 + 10 + FORGET_AFTER).done == {"d-RUNNING01": T0 + 10}
    assert poll(states, 4, now=T0 + 11 + FORGET_AFTER).done == {}


def test_history_is_remembered_from_the_group_start_and_forgotten_likewise():
    states = GroupStates()
    state = poll(states, 1, deployment("d-FINISHED1", "Succeeded", T0 - 900, T0 - 600))
    assert state.done == {"d-FINISHED1": state.started_at}
    assert poll(states, 2, now=state.started_at + FORGET_AFTER + 1).done == {}


def test_a_deployment_no_longer_read_while_running_is_forgotten_and_still_counted_if_seen_finished():
    # Seen running, then no read sees it (its group's `latest` moved on, an account down):
    # forgotten after FORGET_AFTER, as counted ones are, so the set cannot grow for the life of
    # the process; a later read of it finished still counts it once.
    states = GroupStates()
    state = poll(states, 1, deployment("d-RUNNING01", "InProgress"), deployment("d-RUNNING02", "InProgress"))
    assert set(state.running) == {"d-RUNNING01", "d-RUNNING02"}
    state = poll(states, 2, deployment("d-RUNNING02", "InProgress"), now=T0 + FORGET_AFTER)
    assert set(state.running) == {"d-RUNNING01", "d-RUNNING02"}  # not yet: exactly FORGET_AFTER
    state = poll(states, 3, deployment("d-RUNNING02", "InProgress"), now=T0 + FORGET_AFTER + INTERVAL)
    assert set(state.running) == {"d-RUNNING02"}
    finished = deployment("d-RUNNING01", "Failed", end=T0 + FORGET_AFTER + 2 * INTERVAL)
    state = poll(states, 4, finished, now=T0 + FORGET_AFTER + 3 * INTERVAL)
    assert state.totals == {("Failed", "user"): 1}
