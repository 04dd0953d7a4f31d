"""metrics.lead_time: codedeploy_deployment_lead_time_seconds (revision registerTime ->
completeTime of Succeeded deployments), through real boto3 over HTTP against the simulator:
the histogram equals the simulated ground truth, and registerTime is read once per revision,
in batches of unseen revisions."""

from __future__ import annotations

from support.expo import samples

from exporter.model import LEAD_TIME_BUCKETS
from exporter.simulator import appspec_revision, deployment_info, github_revision, instance_target, s3_revision

GROUP = {"application": "web", "deployment_group": "prod"}
FAMILY = "codedeploy_deployment_lead_time_seconds"


def put(sim, deployment_id, status, create_time, revision, complete_time=None):
    target = instance_target(deployment_id, f"i-{deployment_id[-6:].lower()}", "Succeeded", [], create_time)
    sim.put_deployment(
        deployment_info(
            deployment_id, "web", "prod", status, create_time, complete_time=complete_time, revision=revision
        ),
        [target],
    )


def finish(sim, deployment_id, status, complete_time):
    sim.update_deployment(deployment_id, status=status, completeTime=complete_time)


def histogram(body) -> dict[str, float]:
    """The group's lead time series: {"le=<bound>": n, "sum": s, "count": c}."""
    out = {}
    for (name, pairs), value in samples(body).items():
        labels = dict(pairs)
        if name == f"{FAMILY}_bucket":
            out[f"le={labels['le']}"] = value
        elif name in (f"{FAMILY}_sum", f"{FAMILY}_count"):
            out[name.rsplit("_", 1)[1]] = value
    return out


def expected(lead_times: list[float]) -> dict[str, float]:
    out = {f"le={int(b)}": float(sum(1 for t in lead_times if t <= b)) for b in LEAD_TIME_BUCKETS}
    out["le=+Inf"] = out["count"] = float(len(lead_times))
    out["sum"] = float(sum(lead_times))
    return out


def revision_calls(sim) -> list[list[dict]]:
    return [c.params["revisions"] for c in sim.calls if c.operation == "BatchGetApplicationRevisions"]


def test_lead_time_is_register_to_complete_of_succeeded_deployments(sim, make_exporter, clock):
    t = clock.now
    bundle = s3_revision("artifacts", "web/41.zip", version="v41", etag="e41")
    commit = github_revision("acme/web", "c" * 40)
    deployed_only = s3_revision("artifacts", "web/42.zip")  # registered by its first deployment
    inline = appspec_revision("version: 0.0")
    sim.register_application_revision("web", bundle, register_time=t - 3 * 3600)
    sim.register_application_revision("web", commit, register_time=t - 2 * 86400)
    put(sim, "d-HISTORY01", "Succeeded", t - 5000, bundle, t - 4000)  # before the first poll: history
    exporter = make_exporter(deployment_groups=[GROUP], metrics_section={"lead_time": True})
    exporter.poll_once()
    # Present from the first poll, empty, so increase() sees the first observation.
    assert histogram(exporter.snapshot.body) == expected([])
    assert revision_calls(sim) == []
    for n, revision in enumerate((bundle, commit, bundle, inline, deployed_only, bundle)):
        put(sim, f"d-LEADTIME{n}", "InProgress", t + n, revision)
    clock.advance(30)
    exporter.poll_once()
    completes = {f"d-LEADTIME{n}": t + 60 + 10 * n for n in range(6)}
    for n in range(5):
        finish(sim, f"d-LEADTIME{n}", "Succeeded", completes[f"d-LEADTIME{n}"])
    finish(sim, "d-LEADTIME5", "Failed", completes["d-LEADTIME5"])  # not a change that shipped
    sim.reset_calls()
    clock.advance(30)
    exporter.poll_once()
    truth = [
        completes["d-LEADTIME0"] - (t - 3 * 3600),
        completes["d-LEADTIME1"] - (t - 2 * 86400),
        completes["d-LEADTIME2"] - (t - 3 * 3600),
        completes["d-LEADTIME4"] - (t + 4),  # registered when d-LEADTIME4 was created
    ]  # the inline revision cannot be named
    assert histogram(exporter.snapshot.body) == expected(truth)
    # One call for the three revisions not seen yet (the bundle once, the inline one not asked).
    (asked,) = revision_calls(sim)
    assert sorted(r["revisionType"] for r in asked) == ["GitHub", "S3", "S3"]
    assert bundle in asked and commit in asked and deployed_only in asked
    # A later deployment of a known revision: observed from the cache, no call.
    put(sim, "d-LEADTIME6", "Succeeded", t + 100, bundle, t + 400)
    put(sim, "d-LEADTIME7", "Succeeded", t + 101, deployed_only, t + 401)
    sim.reset_calls()
    for _ in range(3):  # observed once, however often seen
        clock.advance(30)
        exporter.poll_once()
    assert revision_calls(sim) == []
    assert histogram(exporter.snapshot.body) == expected([*truth, t + 400 - (t - 3 * 3600), t + 401 - (t + 4)])


def test_unseen_revisions_are_read_in_batches_of_25(sim, make_exporter, clock):
    t = clock.now
    revisions = [github_revision("acme/web", f"{n:040x}") for n in range(30)]
    for n, revision in enumerate(revisions):
        sim.register_application_revision("web", revision, register_time=t - 600 - n)
    put(sim, "d-BATCHSEED", "Succeeded", t - 5000, revisions[0], t - 4000)
    exporter = make_exporter(deployment_groups=[{**GROUP, "latest": 1}], metrics_section={"lead_time": True})
    exporter.poll_once()
    for n in range(30):
        put(sim, f"d-BATCH{n:04d}", "Succeeded", t + n, revisions[n], t + 100 + n)
    clock.advance(300)
    exporter.poll_once()
    assert sorted(len(call) for call in revision_calls(sim)) == [5, 25]
    assert histogram(exporter.snapshot.body) == expected([(t + 100 + n) - (t - 600 - n) for n in range(30)])


def test_a_failed_revision_read_is_retried_at_the_next_poll(sim, make_exporter, clock):
    t = clock.now
    commit = github_revision("acme/web", "d" * 40)
    sim.register_application_revision("web", commit, register_time=t - 900)
    put(sim, "d-RETRYSEED", "Succeeded", t - 5000, commit, t - 4000)
    exporter = make_exporter(deployment_groups=[GROUP], metrics_section={"lead_time": True})
    exporter.poll_once()
    put(sim, "d-RETRY0001", "Succeeded", t + 1, commit, t + 20)
    sim.fail(1, "InvalidRevisionException", operation="BatchGetApplicationRevisions")
    clock.advance(30)
    exporter.poll_once()
    assert histogram(exporter.snapshot.body)["count"] == 0
    clock.advance(30)
    exporter.poll_once()
    assert histogram(exporter.snapshot.body) == expected([t + 20 - (t - 900)])
    assert len(revision_calls(sim)) == 2


def test_without_lead_time_no_revision_is_read_and_the_family_is_absent(sim, make_exporter, clock):
    commit = github_revision("acme/web", "e" * 40)
    sim.register_application_revision("web", commit, register_time=clock.now - 900)
    put(sim, "d-OFFSEED01", "Succeeded", clock.now - 5000, commit, clock.now - 4000)
    exporter = make_exporter(deployment_groups=[GROUP])
    exporter.poll_once()
    put(sim, "d-OFF000001", "Succeeded", clock.now + 1, commit, clock.now + 20)
    clock.advance(30)
    exporter.poll_once()
    assert revision_calls(sim) == []
    assert FAMILY not in exporter.snapshot.body.decode()


def test_an_excluded_family_reads_nothing(sim, make_exporter, clock):
    commit = github_revision("acme/web", "f" * 40)
    sim.register_application_revision("web", commit, register_time=clock.now - 900)
    put(sim, "d-EXCLSEED1", "Succeeded", clock.now - 5000, commit, clock.now - 4000)
    exporter = make_exporter(
        deployment_groups=[GROUP],
        metrics_section={"lead_time": True, "exclude": [FAMILY]},
    )
    exporter.poll_once()
    put(sim, "d-EXCL00001", "Succeeded", clock.now + 1, commit, clock.now + 20)
    clock.advance(30)
    exporter.poll_once()
    assert revision_calls(sim) == []
