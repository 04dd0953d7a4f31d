"""metrics.group_tags: deployment group tags as labels (codedeploy_deployment_group_tags), through
real boto3 over HTTP against the simulator: what is exported, when tags are read (and not),
what a failing read leaves, and the config errors."""

from __future__ import annotations

import pytest
from support.expo import samples

from exporter.cli import main

GROUPS = [{"application": "web", "deployment_group": g} for g in ("prod", "staging")]
KEYS = ["team", "env", "aws:cloudformation:stack-name"]
FAMILY = "codedeploy_deployment_group_tags"


@pytest.fixture(autouse=True)
def _sts_on_the_simulator(_sts_on_loopback, monkeypatch, sim_server):
    """Tag ARNs need the account: STS GetCallerIdentity answers the simulator's."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sim_server.endpoint_url)


def tag_series(body) -> dict[str, dict[str, str]]:
    """deployment group -> its tag_* labels, for every series of the family (value 1 each)."""
    out = {}
    for (name, pairs), value in samples(body).items():
        if name == FAMILY:
            assert value == 1
            labels = dict(pairs)
            assert labels["deployment_group"] not in out, "one series per group"
            out[labels["deployment_group"]] = {k: v for k, v in labels.items() if k.startswith("tag_")}
    return out


def tag_reads(sim) -> list[str]:
    return [c.params["ResourceArn"] for c in sim.calls if c.operation == "ListTagsForResource"]


def test_allowlisted_tags_are_labels_one_series_per_group_missing_ones_empty(sim, make_exporter):
    sim.put_deployment_group(
        "web", "prod", tags={"team": "payments", "env": "prod", "aws:cloudformation:stack-name": "web-prod", "x": "y"}
    )
    sim.put_deployment_group("web", "staging", tags={"team": "payments"})
    exporter = make_exporter(deployment_groups=GROUPS, metrics_section={"group_tags": KEYS})
    exporter.poll_once()
    assert tag_series(exporter.snapshot.body) == {
        "prod": {"tag_team": "payments", "tag_env": "prod", "tag_aws_cloudformation_stack_name": "web-prod"},
        "staging": {"tag_team": "payments", "tag_env": "", "tag_aws_cloudformation_stack_name": ""},
    }
    assert sorted(tag_reads(sim)) == sorted(sim.deployment_group_arn("web", g) for g in ("prod", "staging"))


def test_without_group_tags_the_family_is_absent_and_no_tag_is_read(sim, make_exporter):
    sim.put_deployment_group("web", "prod", tags={"team": "payments"})
    exporter = make_exporter(deployment_groups=GROUPS[:1])
    for _ in range(3):
        exporter.poll_once()
    assert tag_series(exporter.snapshot.body) == {}
    assert FAMILY not in exporter.snapshot.body.decode()
    assert tag_reads(sim) == []


def test_an_excluded_family_reads_no_tag(sim, make_exporter):
    sim.put_deployment_group("web", "prod", tags={"team": "payments"})
    excluded = make_exporter(
        deployment_groups=GROUPS[:1], metrics_section={"group_tags": ["team"], "exclude": [FAMILY]}
    )
    excluded.poll_once()
    assert tag_reads(sim) == [] and FAMILY not in excluded.snapshot.body.decode()
    included = make_exporter(deployment_groups=GROUPS[:1], metrics_section={"group_tags": ["team"]})
    included.poll_once()
    assert len(tag_reads(sim)) == 1


def test_tags_are_read_again_after_group_refresh_and_not_before(sim, make_exporter, clock):
    sim.put_deployment_group("web", "prod", tags={"team": "payments"})
    sim.put_deployment_group("web", "staging", tags={"team": "search"})
    exporter = make_exporter(
        deployment_groups=GROUPS, poll={"group_refresh": "10m"}, metrics_section={"group_tags": ["team"]}
    )
    exporter.poll_once()
    assert len(tag_reads(sim)) == 2
    sim.tag_deployment_group("web", "prod", {"team": "checkout"})
    for _ in range(19):  # 9.5 minutes of polls: the old tags, and no read
        sim.reset_calls()
        clock.advance(30)
        exporter.poll_once()
        assert tag_reads(sim) == []
        assert tag_series(exporter.snapshot.body)["prod"] == {"tag_team": "payments"}
    sim.reset_calls()
    clock.advance(30)
    exporter.poll_once()
    assert len(tag_reads(sim)) == 2  # once per group per group_refresh
    assert tag_series(exporter.snapshot.body) == {"prod": {"tag_team": "checkout"}, "staging": {"tag_team": "search"}}


def test_reads_of_many_groups_are_spread_over_polls(sim, make_exporter, clock):
    names = [f"g{n}" for n in range(5)]
    for name in names:
        sim.put_deployment_group("web", name, tags={"team": name})
    # 1 request/s and 4 s polls: at most 2 tag reads per poll.
    exporter = make_exporter(
        deployment_groups=[{"application": "web", "deployment_group": n} for n in names],
        poll={"interval": "4s", "max_requests_per_second": 1, "group_refresh": "1h"},
        metrics_section={"group_tags": ["team"]},
    )
    per_poll = []
    for _ in range(4):
        sim.reset_calls()
        exporter.poll_once()
        per_poll.append(len(tag_reads(sim)))
        clock.advance(4)
    assert per_poll == [2, 2, 1, 0]
    assert {g: t["tag_team"] for g, t in tag_series(exporter.snapshot.body).items()} == {n: n for n in names}


def test_a_failing_read_keeps_the_group_s_last_tags_and_hides_no_other_group(sim, make_exporter, clock):
    sim.put_deployment_group("web", "prod", tags={"team": "payments"})
    sim.put_deployment_group("web", "staging", tags={"team": "search"})
    exporter = make_exporter(
        deployment_groups=GROUPS, poll={"group_refresh": "10m"}, metrics_section={"group_tags": ["team"]}
    )
    exporter.poll_once()
    sim.tag_deployment_group("web", "prod", {"team": "checkout"})
    sim.tag_deployment_group("web", "staging", {"team": "ranking"})
    clock.advance(600)
    sim.fail(1, "InvalidArnException", operation="ListTagsForResource")  # one of the two reads fails
    exporter.poll_once()
    now = {g: t["tag_team"] for g, t in tag_series(exporter.snapshot.body).items()}
    old = {"prod": "payments", "staging": "search"}
    new = {"prod": "checkout", "staging": "ranking"}
    # Exactly one read failed: that group keeps its last tags, the other has its new ones.
    kept = {g for g in now if now[g] == old[g]}
    renewed = {g for g in now if now[g] == new[g]}
    assert len(kept) == 1 and renewed == {"prod", "staging"} - kept
    errors = [
        v
        for (n, ls), v in samples(exporter.snapshot.body).items()
        if n == "codedeploy_exporter_api_request_errors_total" and dict(ls)["operation"] == "ListTagsForResource"
    ]
    assert errors == [1]
    sim.reset_calls()
    clock.advance(30)  # retried after one interval, not after group_refresh
    exporter.poll_once()
    assert len(tag_reads(sim)) == 1
    assert {g: t["tag_team"] for g, t in tag_series(exporter.snapshot.body).items()} == new


def test_discovery_scans_and_group_tags_share_one_read_per_group(sim, make_exporter):
    sim.put_deployment_group("web", "prod", tags={"team": "payments", "env": "prod"})
    sim.put_deployment_group("web", "dev", tags={"team": "payments", "env": "dev"})
    exporter = make_exporter(
        discovery=[{"tags": {"env": "prod"}}],
        metrics_section={"group_tags": ["team", "env"]},
    )
    exporter.poll_once()
    exporter.poll_once()
    # The scan read both groups' tags; the matching group's labels come from that read.
    assert sorted(tag_reads(sim)) == sorted(sim.deployment_group_arn("web", g) for g in ("prod", "dev"))
    assert tag_series(exporter.snapshot.body) == {"prod": {"tag_team": "payments", "tag_env": "prod"}}


def test_keys_that_become_one_label_are_a_config_error_naming_both(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text("metrics:\n  group_tags: [team, 'cost-center', 'cost.center']\n")
    assert main(["--config.file", str(path), "--config.check"]) == 2
    err = capsys.readouterr().err
    clash = "tag keys 'cost-center' and 'cost.center' both become label tag_cost_center"
    assert f"{path}:2: metrics.group_tags: {clash}" in err
    assert "Traceback" not in err
