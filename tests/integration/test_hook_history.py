"""The per-group lifecycle-event duration history, through real boto3 against the simulator:
what it counts, that a restart gives the same values, and its switch."""

from __future__ import annotations

from support.expo import samples

from exporter.model import HOOK_DURATION_BUCKETS
from exporter.simulator import deployment_info, instance_target, lifecycle_event

FAMILY = "codedeploy_deployment_group_lifecycle_event_duration_seconds"
GROUP = {"application": "web", "deployment_group": "prod"}
ON = {"lifecycle_event_history": True}  # off by default


def put(sim, deployment_id, status, create_time, durations, complete_time=None, group="prod", running=False):
    """One deployment whose targets' Install hooks took `durations` seconds (one target each)."""
    targets = []
    for n, seconds in enumerate(durations):
        start = create_time + 10
        events = [
            lifecycle_event("Install", "Succeeded", start, start + seconds),
            # A hook still running has no end time: it is no duration.
            lifecycle_event("ApplicationStart", "InProgress" if running else "Succeeded", start + seconds, None),
        ]
        target_id = f"i-{deployment_id[-4:].lower()}{n:02d}"
        targets.append(instance_target(deployment_id, target_id, "InProgress" if running else status, events, start))
    sim.put_deployment(
        deployment_info(deployment_id, "web", group, status, create_time, complete_time=complete_time), targets
    )


def history(body, **labels):
    """(le -> count, the count: the +Inf bucket) of one group's lifecycle event."""
    buckets = {}
    for (name, label_set), value in samples(body).items():
        assert name == FAMILY + "_bucket" or not name.startswith(FAMILY)  # buckets only
        got = dict(label_set)
        if name.startswith(FAMILY) and all(got.get(k) == v for k, v in labels.items()):
            buckets[got["le"]] = value
    return buckets, buckets.get("+Inf")


def test_hook_history_counts_each_finished_targets_hook_once_in_its_bucket(sim, make_exporter, clock):
    put(sim, "d-HOOKA0001", "Succeeded", clock.now - 3000, [3, 40], complete_time=clock.now - 2000)
    put(sim, "d-HOOKB0002", "Failed", clock.now - 1500, [700], complete_time=clock.now - 1000)
    put(sim, "d-HOOKC0003", "InProgress", clock.now - 100, [2], running=True)  # running: not counted yet
    exporter = make_exporter(deployment_groups=[{**GROUP, "latest": 5}], metrics_section=ON)
    exporter.poll_once()
    buckets, count = history(exporter.snapshot.body, deployment_group="prod", lifecycle_event="Install")
    assert count == 3
    assert buckets == {"1": 0, "5": 1, "15": 1, "30": 1, "60": 2, "120": 2, "300": 2, "600": 2, "1200": 3,
                       "3600": 3, "10800": 3, "+Inf": 3}  # fmt: skip
    assert len(buckets) == len(HOOK_DURATION_BUCKETS) + 1 <= 12
    # A hook without an end time is no duration: no history for it.
    assert history(exporter.snapshot.body, lifecycle_event="ApplicationStart")[1] is None


def test_hook_history_grows_when_a_running_deployment_finishes(sim, make_exporter, clock):
    put(sim, "d-HOOKD0004", "Succeeded", clock.now - 3000, [3], complete_time=clock.now - 2000)
    put(sim, "d-HOOKE0005", "InProgress", clock.now - 100, [20], running=True)
    exporter = make_exporter(deployment_groups=[{**GROUP, "latest": 5}], metrics_section=ON)
    exporter.poll_once()
    assert history(exporter.snapshot.body, lifecycle_event="Install")[1] == 1
    put(sim, "d-HOOKE0005", "Succeeded", clock.now - 100, [20], complete_time=clock.now)
    clock.advance(30)
    exporter.poll_once()
    exporter.poll_once()  # the targets' last read after the deployment was seen terminal
    buckets, count = history(exporter.snapshot.body, lifecycle_event="Install")
    assert (count, buckets["15"], buckets["30"]) == (2, 1, 2)


def test_a_restarted_exporter_exports_the_same_hook_history(sim, make_exporter, clock):
    """A second exporter over the same API history (what a restart is) gives the same values:
    nothing is lost and nothing counted twice, unlike a counter seeded at start."""
    for n, durations in enumerate(([2, 9], [31], [400, 3700], [12])):
        created = clock.now - 20000 + 4000 * n
        put(sim, f"d-HOOKR{n:04d}", "Succeeded", created, durations, complete_time=created + 3800)
    config = {"deployment_groups": [{**GROUP, "latest": 10}], "poll": {"retention": "24h"}, "metrics_section": ON}
    first = make_exporter(**config)
    first.poll_once()
    clock.advance(30)
    first.poll_once()
    before = history(first.snapshot.body, lifecycle_event="Install")
    assert before[1] == 6
    second = make_exporter(**config)  # a restart: nothing carried over but the API's history
    second.poll_once()
    assert history(second.snapshot.body, lifecycle_event="Install") == before


def test_hook_history_leaves_with_the_deployments_that_age_out_of_retention(sim, make_exporter, clock):
    put(sim, "d-HOOKOLD01", "Succeeded", clock.now - 5000, [3], complete_time=clock.now - 3500)
    put(sim, "d-HOOKNEW02", "Succeeded", clock.now - 1000, [50, 60], complete_time=clock.now - 900)
    exporter = make_exporter(deployment_groups=[{**GROUP, "latest": 1}], poll={"retention": "1h"}, metrics_section=ON)
    exporter.poll_once()
    assert history(exporter.snapshot.body, lifecycle_event="Install")[1] == 2  # d-HOOKOLD1 is not followed
    clock.advance(3000)  # d-HOOKNEW2 leaves retention too; the group stays, its history empties
    exporter.poll_once()
    assert history(exporter.snapshot.body, lifecycle_event="Install")[1] is None


def test_hook_history_is_off_unless_switched_on(sim, make_exporter, clock):
    put(sim, "d-HOOKOFF01", "Succeeded", clock.now - 3000, [3], complete_time=clock.now - 2000)
    exporter = make_exporter(deployment_groups=[GROUP])
    exporter.poll_once()
    assert not any(name.startswith(FAMILY) for name, _ in samples(exporter.snapshot.body))
    assert any(name == "codedeploy_deployment_group_info" for name, _ in samples(exporter.snapshot.body))
