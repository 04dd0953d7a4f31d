"""DeploymentStore: which deployments are read with BatchGetDeployments, when, and what is kept.

Through real boto3 against the simulator; `sim.calls` shows what was asked."""

from __future__ import annotations

import pytest
from support.expo import NOW

from exporter.aws.clients import ClientFactory
from exporter.collect.deployments import DeploymentStore
from exporter.collect.outages import Outages
from exporter.config import AwsSettings
from exporter.exposition.self_metrics import ExporterMetrics
from exporter.simulator import deployment_info

INTERVAL = 30.0


def serial(fn, items):
    # The poll hands read_due a pool's map; running in order keeps call counts exact.
    return [fn(item) for item in items]


@pytest.fixture
def aws(sim_server) -> AwsSettings:
    return AwsSettings(region="us-east-1", endpoint_url=sim_server.endpoint_url)


@pytest.fixture
def api(aws):
    clients = ClientFactory(
        ExporterMetrics(), static_credentials=("testing", "testing"), read_timeout=2, connect_timeout=1, max_attempts=2
    )
    return clients.api(aws)


@pytest.fixture
def store() -> DeploymentStore:
    return DeploymentStore()


def put(sim, deployment_id: str, status: str = "InProgress") -> None:
    complete = NOW - 10 if status in ("Succeeded", "Failed", "Stopped") else None
    sim.put_deployment(deployment_info(deployment_id, "web", "prod", status, NOW - 600, complete_time=complete))


def read_ids(sim) -> list[str]:
    """The IDs asked for in BatchGetDeployments calls so far, in order; then forget the calls."""
    ids = [i for c in sim.calls if c.operation == "BatchGetDeployments" for i in c.params["deploymentIds"]]
    sim.reset_calls()
    return ids


def read_due(store, api, outages=None, now=NOW, only=None, poll=None):
    """A poll's read of the deployments: begin poll `poll` (the next by default), read what is due."""
    store.begin_poll(store.poll_number + 1 if poll is None else poll)
    store.read_due(serial, lambda aws: api, outages or Outages(), now, INTERVAL, only=only)


def test_sync_adds_new_keys_and_drops_unwanted_ones_keeping_the_rest(sim, api, aws, store):
    put(sim, "d-KEPT00001")
    store.sync({("d-KEPT00001", aws), ("d-DROPPED01", aws)})
    store.fetch(api, ["d-KEPT00001"], aws)
    kept = store.tracked[("d-KEPT00001", aws)]

    store.sync({("d-KEPT00001", aws), ("d-ADDED0001", aws)})

    assert set(store.tracked) == {("d-KEPT00001", aws), ("d-ADDED0001", aws)}
    assert store.tracked[("d-KEPT00001", aws)] is kept and kept.record is not None
    assert store.tracked[("d-ADDED0001", aws)].record is None


def test_fetch_keeps_records_and_collects_them_in_fetched(sim, api, aws, store):
    put(sim, "d-FETCHED01")
    put(sim, "d-FETCHED02", "Succeeded")
    store.begin_poll(1)

    records = store.fetch(api, ["d-FETCHED01", "d-FETCHED02", "d-UNKNOWN01"], aws)

    assert [r.deployment_id for r in records] == ["d-FETCHED01", "d-FETCHED02"]
    assert store.fetched == [(aws, r) for r in records]
    assert store.record(("d-FETCHED02", aws)) == records[1] and records[1].status == "Succeeded"
    assert store.tracked[("d-FETCHED01", aws)].fetched_in_poll == 1
    assert ("d-UNKNOWN01", aws) not in store.tracked  # fetch tracks what it got, nothing more
    store.begin_poll(2)
    assert store.fetched == []  # a new poll collects afresh


def test_fetch_asks_for_25_ids_a_call(sim, api, aws, store):
    ids = [f"d-BATCH{n:04d}" for n in range(30)]
    for deployment_id in ids:
        put(sim, deployment_id)
    sim.reset_calls()
    assert len(store.fetch(api, ids, aws)) == 30
    sizes = [len(c.params["deploymentIds"]) for c in sim.calls if c.operation == "BatchGetDeployments"]
    assert sizes == [25, 5]


def test_an_unchanged_record_is_kept_as_the_same_object(sim, api, aws, store):
    # The renderer skips records by identity: an equal read must not replace the object.
    put(sim, "d-SAMEREC01")
    first = store.fetch(api, ["d-SAMEREC01"], aws)[0]
    store.fetch(api, ["d-SAMEREC01"], aws)
    assert store.record(("d-SAMEREC01", aws)) is first
    sim.update_deployment("d-SAMEREC01", status="Succeeded", completeTime=NOW)
    store.fetch(api, ["d-SAMEREC01"], aws)
    assert store.record(("d-SAMEREC01", aws)) is not first


def test_never_read_deployments_are_due_even_when_not_owned(sim, api, aws, store):
    # Their group is not known yet: every replica reads them once to learn it.
    put(sim, "d-NEVERREAD")
    store.sync({("d-NEVERREAD", aws)})
    store.tracked[("d-NEVERREAD", aws)].owned = False
    read_due(store, api)
    assert read_ids(sim) == ["d-NEVERREAD"]
    assert store.record(("d-NEVERREAD", aws)) is not None


def test_owned_running_ones_are_read_every_poll_terminal_and_unowned_ones_are_not(sim, api, aws, store):
    put(sim, "d-RUNNING01")
    put(sim, "d-FINISHED1", "Failed")
    put(sim, "d-NOTMINE01")
    store.sync({("d-RUNNING01", aws), ("d-FINISHED1", aws), ("d-NOTMINE01", aws)})
    read_due(store, api)
    assert sorted(read_ids(sim)) == ["d-FINISHED1", "d-NOTMINE01", "d-RUNNING01"]
    store.tracked[("d-NOTMINE01", aws)].owned = False

    read_due(store, api)

    assert read_ids(sim) == ["d-RUNNING01"]


def test_a_deployment_is_due_again_only_once_retry_at_has_passed(sim, api, aws, store):
    put(sim, "d-RETRYAT01")
    store.sync({("d-RETRYAT01", aws)})
    store.tracked[("d-RETRYAT01", aws)].retry_at = NOW + 60
    read_due(store, api, now=NOW + 59)
    assert read_ids(sim) == []
    read_due(store, api, now=NOW + 60)
    assert read_ids(sim) == ["d-RETRYAT01"]


def test_what_a_source_fetched_this_poll_is_not_read_again_until_the_next_poll(sim, api, aws, store):
    put(sim, "d-LISTED001")
    store.sync({("d-LISTED001", aws)})
    store.begin_poll(1)
    store.fetch(api, ["d-LISTED001"], aws)  # as a source does for IDs it has just listed
    sim.reset_calls()
    store.read_due(serial, lambda aws: api, Outages(), NOW, INTERVAL)
    assert read_ids(sim) == []
    read_due(store, api, poll=2)
    assert read_ids(sim) == ["d-LISTED001"]
    assert [r.deployment_id for _, r in store.fetched] == ["d-LISTED001"]


def test_only_restricts_the_read_to_the_given_keys(sim, api, aws, store):
    put(sim, "d-ASKEDFOR1")
    put(sim, "d-NOTASKED1")
    store.sync({("d-ASKEDFOR1", aws), ("d-NOTASKED1", aws)})
    read_due(store, api, only={("d-ASKEDFOR1", aws)})
    assert read_ids(sim) == ["d-ASKEDFOR1"]
    assert [r.deployment_id for _, r in store.fetched] == ["d-ASKEDFOR1"]


def test_an_id_the_api_does_not_know_backs_off_and_recovers_once_found(sim, api, aws, store):
    store.sync({("d-UNKNOWN01", aws)})
    tracked = store.tracked[("d-UNKNOWN01", aws)]
    read_due(store, api, now=NOW)
    assert (tracked.failures, tracked.error) == (1, "DeploymentDoesNotExistException")
    assert tracked.retry_at == pytest.approx(NOW + INTERVAL)  # one interval, then doubling
    read_ids(sim)

    read_due(store, api, now=NOW + INTERVAL / 2)
    assert read_ids(sim) == []
    read_due(store, api, now=NOW + INTERVAL)
    assert read_ids(sim) == ["d-UNKNOWN01"]
    assert tracked.failures == 2 and tracked.retry_at == pytest.approx(NOW + 3 * INTERVAL)

    put(sim, "d-UNKNOWN01")
    read_due(store, api, now=NOW + 3 * INTERVAL)
    assert (tracked.failures, tracked.error) == (0, "")
    assert tracked.record is not None


def test_the_back_off_doubles_up_to_16_intervals(api, aws, store):
    store.sync({("d-UNKNOWN01", aws)})
    tracked = store.tracked[("d-UNKNOWN01", aws)]
    now, waits = NOW, []
    for _ in range(7):
        read_due(store, api, now=now)
        waits.append(round((tracked.retry_at - now) / INTERVAL, 3))
        now = tracked.retry_at
    assert waits == [1, 2, 4, 8, 16, 16, 16]
    assert tracked.failures == 7


def test_a_deployment_that_disappears_keeps_its_last_record(sim, api, aws, store):
    put(sim, "d-VANISHED1")
    store.sync({("d-VANISHED1", aws)})
    read_due(store, api)
    before = store.record(("d-VANISHED1", aws))
    sim.remove_deployment("d-VANISHED1")
    read_due(store, api, now=NOW + INTERVAL)
    assert store.record(("d-VANISHED1", aws)) is before
    assert store.tracked[("d-VANISHED1", aws)].error == "DeploymentDoesNotExistException"


def test_a_failed_read_keeps_the_records_notes_the_outage_and_does_not_back_off(sim, api, aws, store):
    put(sim, "d-OUTAGE001")
    store.sync({("d-OUTAGE001", aws)})
    read_due(store, api)
    before = store.record(("d-OUTAGE001", aws))
    sim.fail(1, "AccessDeniedException", operation="BatchGetDeployments")
    outages = Outages()

    read_due(store, api, outages, now=NOW + INTERVAL)

    assert store.record(("d-OUTAGE001", aws)) is before
    assert outages.current == ["AccessDeniedException"]
    tracked = store.tracked[("d-OUTAGE001", aws)]
    assert (tracked.failures, tracked.retry_at) == (0, 0.0)  # the API failed, not this ID: read next poll
    assert store.fetched == []
