"""Work and waiting (codedeploy_deployment_group_phase_duration_seconds) through real boto3 and
HTTP against the simulator. Each story states its deployments' active and waiting seconds itself
(from the phases it gives the simulator), and the expected buckets are counted here from those,
with the contract's bounds (docs/monitoring.md), not by the exporter's code."""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter

import jsonschema
from support.expo import samples
from support.paths import REPO

from exporter.http.server import serve
from exporter.simulator import BlueGreenRun
from exporter.simulator.builders import deployment_id_for
from exporter.simulator.history import put_finished_deployment

APPLICATION, GROUP = "shop", "prod"
GROUP_ENTRY = {"application": APPLICATION, "deployment_group": GROUP}
FAMILY = "codedeploy_deployment_group_phase_duration_seconds_bucket"
# The contract's bounds (seconds), as docs/monitoring.md states them.
BOUNDS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800)
DAY = 86400.0
SCHEMA = json.loads((REPO / "docs" / "status.schema.json").read_text(encoding="utf-8"))


def buckets(body) -> dict[tuple[str, str, str], float]:
    """{(phase, status, le): count} of the family."""
    out = {}
    for (name, labels), count in samples(body).items():
        if name == FAMILY:
            d = dict(labels)
            out[(d["phase"], d["status"], d["le"])] = count
    return out


Truth = tuple[str, float, float | None]  # (status, active, waiting; None: it never waited)


def expected(truth: list[Truth]) -> dict[tuple[str, str, str], float]:
    """The cumulative buckets of (status, active, waiting) triples, as the contract has them: a
    (phase, status) pair only when a deployment counts in it (waiting: only those that waited),
    but active/Succeeded always."""
    out: dict[tuple[str, str, str], float] = {}
    for phase in ("active", "waiting"):
        for status in ("Failed", "Stopped", "Succeeded"):
            every = [(a if phase == "active" else w) for s, a, w in truth if s == status]
            seconds = [v for v in every if v is not None]
            if not seconds and (phase, status) != ("active", "Succeeded"):
                continue
            for bound in BOUNDS:
                out[(phase, status, str(bound))] = sum(v <= bound for v in seconds)
            out[(phase, status, "+Inf")] = len(seconds)
    return out


def in_place(sim, n: int, at: float, status: str = "Succeeded", duration: float = 600.0) -> Truth:
    """An EC2 in-place deployment: it never waits, all of it is active (startTime = createTime + 1)."""
    put_finished_deployment(sim, deployment_id_for(f"phases:{n}"), APPLICATION, GROUP, status, at, duration=duration)
    return (status, duration - 1, None)


def live(exporter, run: BlueGreenRun, clock, every: float = 60.0) -> None:
    """Poll every `every` seconds while the run goes on, and once after it completed."""
    while True:
        status = run.at(clock.now)
        exporter.poll_once()
        if status in ("Succeeded", "Failed", "Stopped"):
            return
        clock.advance(every)


def test_a_blue_green_deployment_parked_in_ready_then_baking_counts_its_wait_as_waiting(make_exporter, sim, clock):
    truth = [in_place(sim, 0, clock.now - DAY)]
    exporter = make_exporter(deployment_groups=[GROUP_ENTRY])
    exporter.poll_once()
    # Installed in 400 s, parked in Ready 3000 s until a person reroutes, 60 s of rerouting,
    # then Baking through a 30-minute termination wait.
    run = BlueGreenRun(
        sim, "d-PARKED001", APPLICATION, GROUP, clock.now, install=400.0, ready_action="STOP_DEPLOYMENT",
        ready_wait_minutes=120, reroute_after=3000.0, termination_wait_minutes=30,
    )  # fmt: skip
    live(exporter, run, clock)
    truth.append(("Succeeded", 400.0, 3000.0 + 1800.0))
    got = buckets(exporter.snapshot.body)
    assert got == expected(truth)
    # Without the split, the same deployment's 5260 s would read as an 88-minute deployment.
    assert got[("active", "Succeeded", "600")] == 2
    # Only the deployment that waited counts in waiting: the in-place one is no 0 s wait.
    assert got[("waiting", "Succeeded", "3600")] == 0 and got[("waiting", "Succeeded", "+Inf")] == 1


def test_an_in_place_deployment_is_all_active(make_exporter, sim, clock):
    exporter = make_exporter(deployment_groups=[GROUP_ENTRY])
    exporter.poll_once()
    truth = [in_place(sim, 1, clock.now + 60, duration=1000.0), in_place(sim, 2, clock.now + 2000, "Failed", 200.0)]
    clock.advance(3600)
    exporter.poll_once()
    got = buckets(exporter.snapshot.body)
    assert got == expected(truth)
    assert got[("active", "Succeeded", "900")] == 0 and got[("active", "Succeeded", "1800")] == 1
    assert got[("active", "Failed", "300")] == 1


def test_a_group_of_in_place_deployments_has_no_waiting_series_and_no_status_it_never_had(make_exporter, sim, clock):
    truth = [in_place(sim, 30 + n, clock.now - (n + 1) * DAY, "Failed" if n == 2 else "Succeeded") for n in range(5)]
    exporter = make_exporter(deployment_groups=[GROUP_ENTRY])
    exporter.poll_once()
    got = buckets(exporter.snapshot.body)
    assert got == expected(truth)
    # 12 series of active/Succeeded and 12 of active/Failed: no waiting, nothing Stopped.
    assert {(phase, status) for phase, status, _ in got} == {("active", "Succeeded"), ("active", "Failed")}
    assert len(got) == 24


def story_with_waits(sim, clock) -> list[Truth]:
    """Two weeks of deployments whose waits the record tells: in place, ECS blue/green waiting
    10 minutes in Ready (CONTINUE_DEPLOYMENT) and 30 in Baking, an EC2 one keeping its original
    fleet (KEEP_ALIVE), one that failed installing."""
    truth = []
    for day in range(13, 0, -1):
        at = clock.now - day * DAY
        truth.append(in_place(sim, 100 + day, at, "Failed" if day % 5 == 0 else "Succeeded", 300.0 + 100 * day))
        run = BlueGreenRun(
            sim, deployment_id_for(f"bg:{day}"), APPLICATION, GROUP, at + 7200, install=200.0 + 50 * day,
            platform="ECS", ready_wait_minutes=10, termination_wait_minutes=30,
        )  # fmt: skip
        run.at(clock.now)
        # From the record, active is start -> complete less the waits: the rerouting (60 s) is in it.
        truth.append(("Succeeded", 200.0 + 50 * day + 60.0, 600.0 + 1800.0))
    keep = BlueGreenRun(
        sim, "d-KEEPALIV1", APPLICATION, GROUP, clock.now - 3 * 3600, install=500.0, termination_action="KEEP_ALIVE"
    )
    keep.at(clock.now)
    truth.append(("Succeeded", 560.0, None))  # no Ready wait, no termination wait: it never waited
    broken = BlueGreenRun(
        sim, "d-BROKENBG1", APPLICATION, GROUP, clock.now - 2 * 3600, install=700.0, fail_install=True
    )
    broken.at(clock.now)
    truth.append(("Failed", 700.0, None))
    return truth


def test_a_restarted_exporter_exports_the_same_buckets_and_counts_each_deployment_once(make_exporter, sim, clock):
    truth = story_with_waits(sim, clock)
    before = make_exporter(deployment_groups=[GROUP_ENTRY])
    before.poll_once()
    # One more, followed live by the first exporter: Ready 10 minutes, Baking 30. Live, active
    # ends at the first poll that sees Ready (150 to 210 s); read back, it is start -> complete
    # less the waits, the 60 s of rerouting included (210 s): the same bucket, as docs say
    # they may not be when the rerouting crosses a bound.
    run = BlueGreenRun(
        sim, "d-LIVEBG001", APPLICATION, GROUP, clock.now, install=150.0, ready_wait_minutes=10,
        termination_wait_minutes=30,
    )  # fmt: skip
    live(before, run, clock)
    truth.append(("Succeeded", 150.0, 2400.0))
    before.poll_once()  # polled twice more after it finished: counted once
    after = make_exporter(deployment_groups=[GROUP_ENTRY])  # the restart
    after.poll_once()
    assert buckets(before.snapshot.body) == buckets(after.snapshot.body) == expected(truth)
    assert buckets(after.snapshot.body)[("active", "Succeeded", "+Inf")] == sum(s == "Succeeded" for s, _, _ in truth)


def test_a_manual_reroute_read_back_at_start_is_left_out_rather_than_guessed(make_exporter, sim, clock):
    truth = [in_place(sim, 3, clock.now - DAY)]
    BlueGreenRun(
        sim, "d-MANUAL001", APPLICATION, GROUP, clock.now - 6 * 3600, install=300.0, ready_action="STOP_DEPLOYMENT",
        ready_wait_minutes=240, reroute_after=7000.0,
    ).at(clock.now)  # fmt: skip
    exporter = make_exporter(deployment_groups=[GROUP_ENTRY])
    exporter.poll_once()
    # The record says only that a person rerouted at some point within 4 hours: not counted,
    # and the status API says how many were left out.
    assert buckets(exporter.snapshot.body) == expected(truth)
    document, page = status_of(exporter)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    (group,) = document["deployment_groups"]["rows"]
    assert group["phase_durations_left_out"] == 1
    # The status page's group row says it too.
    (row,) = re.findall(r"<tr class=\"g-[a-z]+\">.*?</tr>", page)
    assert f">{GROUP}</a>" in row and "1 left out of phase durations" in row


def status_of(exporter) -> tuple[dict, str]:
    """The status JSON and the status page, served."""
    server = serve("127.0.0.1:0", exporter)
    try:
        with urllib.request.urlopen(server.url + "/api/v1/status", timeout=5) as response:
            document = json.loads(response.read())
        with urllib.request.urlopen(server.url + "/", timeout=5) as response:
            page = response.read().decode()
    finally:
        server.stop()
    return document, page


def test_only_deployments_completed_within_the_duration_window_count(make_exporter, sim, clock):
    truth = [in_place(sim, 10 + n, clock.now - days * DAY) for n, days in enumerate((20, 9, 4, 1))]
    exporter = make_exporter(deployment_groups=[GROUP_ENTRY], metrics_section={"duration_window": "7d"})
    exporter.poll_once()
    assert buckets(exporter.snapshot.body) == expected(truth[2:])
    clock.advance(4 * DAY)  # the 4-day-old one ages out of the window
    exporter.poll_once()
    assert buckets(exporter.snapshot.body) == expected(truth[3:])


def test_with_no_dora_windows_the_history_is_still_read_back_for_the_duration_window(make_exporter, sim, clock):
    truth = [in_place(sim, 20 + n, clock.now - days * DAY) for n, days in enumerate((30, 10, 2))]
    exporter = make_exporter(
        discovery=[{"applications": {"include": APPLICATION}, "deployment_groups": {"include": GROUP}}],
        poll={"retention": "1h"},
        metrics_section={"windows": []},
    )
    exporter.poll_once()
    assert buckets(exporter.snapshot.body) == expected(truth[1:])
    # Read back over the duration window and a day: the 30-day-old deployment is not read at all.
    read = Counter(i for c in sim.calls if c.operation == "BatchGetDeployments" for i in c.params["deploymentIds"])
    assert deployment_id_for("phases:20") not in read and read[deployment_id_for("phases:21")] == 1


def test_a_status_appears_with_its_first_deployment_in_the_window_and_leaves_with_the_last(make_exporter, sim, clock):
    window = {"duration_window": "7d"}
    truth = [in_place(sim, 40, clock.now - DAY)]
    exporter = make_exporter(deployment_groups=[GROUP_ENTRY], metrics_section=window)
    exporter.poll_once()
    assert buckets(exporter.snapshot.body) == expected(truth)
    assert not any(status == "Failed" for _, status, _ in buckets(exporter.snapshot.body))
    # The group's first failure in the window: its active/Failed histogram appears when it
    # completes (a blue/green deployment failing its install after 300 s, before any wait).
    run = BlueGreenRun(sim, "d-FAILSOON1", APPLICATION, GROUP, clock.now + 60, install=300.0, fail_install=True)
    clock.advance(120)
    assert run.at(clock.now) == "InProgress"
    exporter.poll_once()
    assert not any(status == "Failed" for _, status, _ in buckets(exporter.snapshot.body))
    clock.advance(600)
    assert run.at(clock.now) == "Failed"
    truth.append(("Failed", 300.0, None))
    exporter.poll_once()
    got = buckets(exporter.snapshot.body)
    assert got == expected(truth) and got[("active", "Failed", "+Inf")] == 1
    # Seven days on, both have left the window: Failed goes with its last deployment, and
    # active/Succeeded stays, at 0 (the count the rules read: 0, not absent).
    clock.advance(7 * DAY)
    exporter.poll_once()
    got = buckets(exporter.snapshot.body)
    assert got == expected([]) and {(p, s) for p, s, _ in got} == {("active", "Succeeded")}
    assert got[("active", "Succeeded", "+Inf")] == 0


def test_the_demos_ecs_deployments_wait_in_ready_and_an_in_place_group_never_waits(make_exporter, sim, clock):
    """The demo's timeline (exporter/simulator/scenarios): demo-ecs parks each deployment in
    Ready from 0.22 to 0.30 of its 60 s cycle for a manual reroute (STOP_DEPLOYMENT); demo-web
    deploys in place. Polled every 2 s from the start of a cycle, as `--demo` does."""
    from exporter.simulator import DemoScenarios

    clock.advance(60 - clock.now % 60 + 1)  # 1 s into a cycle: its deployment not started yet
    scenarios = DemoScenarios(sim, clock=clock, cycle_seconds=60.0, applications={"demo-ecs", "demo-web"})
    entries = [{"application": a, "deployment_group": f"{a}-prod", "latest": 2} for a in ("demo-ecs", "demo-web")]
    exporter = make_exporter(poll={"interval": "2s", "retention": "1h"}, deployment_groups=entries)
    scenarios.advance()
    exporter.poll_once()
    for _ in range(60):  # two whole cycles, followed from before their waits
        clock.advance(2)
        scenarios.advance()
        exporter.poll_once()
    per_group: dict[str, dict[tuple[str, str, str], float]] = {}
    for (name, labels), count in samples(exporter.snapshot.body).items():
        if name == FAMILY:
            d = dict(labels)
            per_group.setdefault(d["deployment_group"], {})[(d["phase"], d["status"], d["le"])] = count
    # Two demo-ecs deployments followed live: active from start (0.02) to the first poll that
    # saw Ready (12 to 14 s), waiting the 4.8 s in Ready less up to a poll: both under 30 s.
    ecs = per_group["demo-ecs-prod"]
    assert {(p, s) for p, s, _ in ecs} == {("active", "Succeeded"), ("waiting", "Succeeded")}
    assert all(ecs[("active", "Succeeded", le)] == 2 for le in ("30", "+Inf"))
    assert all(ecs[("waiting", "Succeeded", le)] == 2 for le in ("30", "+Inf"))
    # demo-web (EC2 in place, failing in even cycles) never waits: no waiting series.
    assert not any(p == "waiting" for p, _, _ in per_group["demo-web-prod"])
    assert per_group["demo-web-prod"][("active", "Failed", "+Inf")] >= 1
    # The two demo-ecs deployments read back at start: a person rerouted, the record does not
    # say when: left out, and the JSON and the page say so.
    document, page = status_of(exporter)
    left_out = {g["deployment_group"]: g["phase_durations_left_out"] for g in document["deployment_groups"]["rows"]}
    assert left_out == {"demo-ecs-prod": 2, "demo-web-prod": 0}
    assert page.count("left out of phase durations") == 1 and "2 left out of phase durations" in page
