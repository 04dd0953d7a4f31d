"""Work and waiting of one finished deployment (exporter.collect.phases), per platform and source."""

from __future__ import annotations

import pytest

from exporter.aws.parse import parse_deployment
from exporter.collect.phases import Phases, observed, phases_of, watch
from exporter.simulator import blue_green_configuration, deployment_info

T0 = 1_700_000_000.0


def record(status="Succeeded", platform="Server", kind="IN_PLACE", took=1000.0, started=None, config=None, **kw):
    info = deployment_info(
        "d-PHASES001", "app", "grp", status, T0, compute_platform=platform, deployment_type=kind,
        start_time=T0 + 10, complete_time=T0 + 10 + took, instance_termination_wait_time_started=started,
        blue_green_configuration=config,
    )  # fmt: skip
    info.update(kw)
    return parse_deployment(info)


def test_in_place_and_lambda_deployments_never_wait():
    # No waiting phase at all (None), not a wait of 0 seconds.
    assert phases_of(record(), None) == Phases(1000.0, None)
    assert phases_of(record(platform="Lambda", kind="BLUE_GREEN", took=90.0), None) == Phases(90.0, None)


def test_active_starts_at_start_time_else_at_create_time():
    info = deployment_info("d-PHASES001", "app", "grp", "Succeeded", T0, complete_time=T0 + 500)
    assert phases_of(parse_deployment(info), None) == Phases(500.0, None)


def test_a_succeeded_blue_green_record_waits_its_configured_ready_and_termination_waits():
    config = blue_green_configuration(termination_wait_minutes=30, ready_wait_minutes=10)
    got = phases_of(record(kind="BLUE_GREEN", took=3000.0, started=True, config=config), None)
    assert got == Phases(3000.0 - 2400.0, 2400.0)
    ecs = phases_of(record(platform="ECS", kind="BLUE_GREEN", took=3000.0, started=True, config=config), None)
    assert ecs == got


def test_keep_alive_has_no_termination_wait():
    config = blue_green_configuration(termination_action="KEEP_ALIVE")
    assert phases_of(record(kind="BLUE_GREEN", started=False, config=config), None) == Phases(1000.0, None)


def test_zero_minute_waits_in_the_record_are_no_wait():
    config = blue_green_configuration(termination_wait_minutes=0, ready_wait_minutes=0)
    assert phases_of(record(kind="BLUE_GREEN", started=True, config=config), None) == Phases(1000.0, None)
    config = blue_green_configuration(termination_wait_minutes=0, ready_wait_minutes=5)
    assert phases_of(record(kind="BLUE_GREEN", started=True, config=config), None) == Phases(700.0, 300.0)


@pytest.mark.parametrize(
    ("status", "started", "config"),
    [
        # A person rerouted at some point: the record does not say when.
        ("Succeeded", True, blue_green_configuration(ready_action="STOP_DEPLOYMENT", ready_wait_minutes=60)),
        # Stopped during its termination wait: how much of it ran is unknown.
        ("Stopped", True, blue_green_configuration()),
        # Failed before or during a 10-minute Ready wait: unknown which.
        ("Failed", False, blue_green_configuration(ready_wait_minutes=10)),
        # No configuration in the record at all.
        ("Succeeded", True, None),
    ],
)
def test_waits_the_record_cannot_tell_are_unknown(status, started, config):
    assert phases_of(record(status, kind="BLUE_GREEN", started=started, config=config), None) is None


def test_a_blue_green_failure_before_traffic_without_a_ready_wait_is_all_active():
    got = phases_of(record("Failed", kind="BLUE_GREEN", started=False, config=blue_green_configuration()), None)
    assert got == Phases(1000.0, None)


def test_odd_wait_values_are_not_believed():
    config = blue_green_configuration(termination_wait_minutes=30)
    for odd in (-1, 2881, 1.5, "x", None):
        config["terminateBlueInstancesOnDeploymentSuccess"]["terminationWaitTimeInMinutes"] = odd
        assert phases_of(record(kind="BLUE_GREEN", started=True, config=config), None) is None, odd


def test_live_reads_split_the_deployment_at_the_first_wait_seen_and_sum_the_waits():
    seen = watch("InProgress")
    start = T0 + 10
    for at, status in ((start + 60, "InProgress"), (start + 300, "Ready"), (start + 900, "InProgress"),
                       (start + 960, "Baking"), (start + 2000, "Baking")):  # fmt: skip
        seen.see(status, at)
    kept = observed(seen)
    assert kept == (start + 300, start + 900, start + 960)
    # Completed at start + 2800 while Baking: the wait ends at completeTime.
    got = phases_of(record(kind="BLUE_GREEN", took=2800.0, started=True), kept)
    assert got == Phases(300.0, 600.0 + 1840.0)


def test_a_deployment_seen_waiting_has_a_waiting_phase_however_short():
    seen = watch("InProgress")
    seen.see("Ready", T0 + 400)
    # Seen Ready at the last read before it completed at that same instant: it waited, 0 s long.
    got = phases_of(record(kind="BLUE_GREEN", took=390.0, started=True), observed(seen))
    assert got == Phases(390.0, 0.0)


def test_a_deployment_first_seen_already_waiting_falls_back_to_its_record():
    seen = watch("Ready")
    seen.see("Ready", T0 + 100)
    assert observed(seen) is None
    assert phases_of(record(kind="BLUE_GREEN", started=True, config=blue_green_configuration()), None) == Phases(
        1000.0 - 300.0, 300.0
    )


def test_a_deployment_followed_and_never_seen_waiting_asks_its_record_then_is_all_active():
    quiet = watch("InProgress")
    quiet.see("InProgress", T0 + 100)
    assert observed(quiet) == ()
    known = blue_green_configuration(termination_wait_minutes=10)
    assert phases_of(record(kind="BLUE_GREEN", started=True, config=known), ()) == Phases(400.0, 600.0)
    manual = blue_green_configuration(ready_action="STOP_DEPLOYMENT", ready_wait_minutes=60)
    assert phases_of(record("Failed", kind="BLUE_GREEN", started=False, config=manual), ()) == Phases(1000.0, None)
    assert phases_of(record("Failed", kind="BLUE_GREEN", started=False, config=manual), None) is None
