"""The benchmark's smoke tier (`python -m bench --tier smoke`) so the command never rots.

Asserts structure and correctness only (API call counts, equal output, what was re-rendered);
never a wall-clock time.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench import machine, report
from bench.run import ROOT, TIERS, run_tier

SMOKE = TIERS["smoke"]
# Smoke fleet: EC2 deployments of up to 25 targets, one deployment per ECS/Lambda/CFN target.
DEPLOYMENTS = math.ceil(SMOKE.instances / 25) + SMOKE.ecs + SMOKE.lambdas + SMOKE.cloudformation
TARGETS = SMOKE.instances + SMOKE.ecs + SMOKE.lambdas + SMOKE.cloudformation


@pytest.fixture(scope="module")
def smoke() -> dict:
    return run_tier(SMOKE, keep_body=True, log=lambda _message: None)


# Families and labels the reference (the original contract) lacks.
NEW_LABELS = ("account_id", "region")
NEW_FAMILIES = (
    "codedeploy_deployment_start_timestamp_seconds",
    "codedeploy_deployment_lifecycle_event_",
    "codedeploy_deployment_group_",
    "codedeploy_deployments",
    "codedeploy_deployment_duration",
)


def contract_samples(body: str) -> set[tuple]:
    """Every deployment and target sample of the CodeDeploy metric contract (the exporter's
    self-metrics and the group families left out)."""
    samples = set()
    for family in text_string_to_metric_families(body):
        if family.name.startswith("codedeploy_exporter_") and family.name != "codedeploy_exporter_target_poll_success":
            continue
        if family.name.startswith(NEW_FAMILIES) or family.name.startswith("process_"):
            continue
        for sample in family.samples:
            labels = {k: v for k, v in sample.labels.items() if k not in NEW_LABELS}
            # Microseconds: the reference's timestamps went through boto3's datetimes, which
            # round to them; the exporter keeps the API's epoch numbers as they are.
            samples.add((sample.name, tuple(sorted(labels.items())), round(sample.value, 6)))
    return samples


def test_first_poll_makes_exactly_the_theoretical_minimum_of_api_calls(smoke):
    # Contract change: the deployments' groups get group state, one
    # BatchGetDeploymentGroups for the fleet's one application.
    assert smoke["exporter"]["first_poll_calls"] == {
        "BatchGetDeployments": math.ceil(DEPLOYMENTS / 25),
        "BatchGetDeploymentTargets": DEPLOYMENTS,  # every deployment has at most 25 targets
        "BatchGetDeploymentGroups": 1,
    }
    assert smoke["minimum_calls"] == DEPLOYMENTS + math.ceil(DEPLOYMENTS / 25) + 1


def test_steady_state_of_a_finished_fleet_makes_no_api_calls(smoke):
    assert smoke["exporter"]["steady_calls"] == {}
    assert smoke["exporter"]["steady_target_calls"] == 0


def test_deployments_mode_adds_only_one_target_listing_per_deployment(smoke):
    mode = smoke["deployments_mode"]
    assert mode["first_poll_total"] == smoke["minimum_calls"] + DEPLOYMENTS
    assert mode["steady_total"] == 0


def test_reference_fetches_every_target_separately_on_every_poll(smoke):
    expected = {"GetDeployment": DEPLOYMENTS, "GetDeploymentTarget": TARGETS}
    assert smoke["reference"]["first_poll_calls"] == expected
    assert smoke["reference"]["steady_calls"] == expected


def test_full_setting_reproduces_every_series_of_the_reference(smoke):
    # The reference implements the original contract independently (GetDeploymentTarget per
    # pair, over real boto3); the exporter's full setting must match it series for series.
    exporter = contract_samples(smoke["exporter"]["body_full"])
    reference = contract_samples(smoke["reference"]["body"])
    assert len(exporter) > TARGETS * 10  # hooks, statuses: far more than one series per target
    assert exporter == reference


def test_default_setting_is_a_subset_of_the_full_one_with_fewer_series(smoke):
    e = smoke["exporter"]
    default = contract_samples(e["body"])
    assert default and default <= contract_samples(e["body_full"])
    assert e["series"] < e["series_full"]
    # At this size the exporter's ~100 own series weigh a lot; the 10x goal is the 10k tier's.
    assert e["finished_series"] * 5 <= e["finished_series_full"]


def test_after_a_small_change_only_changed_targets_and_their_deployments_are_rerendered(smoke):
    changed = smoke["exporter"]["changed_targets"]
    assert changed >= 1
    # A changed target also changes its deployment's overview counts.
    assert changed <= smoke["exporter"]["rerendered_after_change"] <= 2 * changed


def test_report_lists_every_goal_with_the_smoke_tier_meeting_the_api_call_goals(smoke):
    goals = {goal.text: goal for goal in report.goals([smoke])}
    assert goals["API calls on the first poll equal the theoretical minimum"].met
    assert goals["Zero target calls in steady state"].met
    document = report.markdown([smoke], machine.describe(), "python -m bench --tier smoke", "")
    assert "## Tier smoke" in document and "## Goals" in document
    assert "API calls, first poll" in report.text_table([smoke])


def test_cpu_model_is_read_from_proc_cpuinfo():
    text = "processor\t: 0\nvendor_id\t: X\nmodel name\t: Example CPU @ 2.0GHz\n"
    assert machine.cpu_model(text) == "Example CPU @ 2.0GHz"
    assert machine.cpu_model("processor\t: 0\n") == "unknown"


def test_command_runs_the_smoke_tier_and_writes_the_report(tmp_path):
    output = tmp_path / "benchmarks.md"
    command = [sys.executable, "-m", "bench", "--tier", "smoke", "--output", str(output)]
    done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "== goals ==" in done.stdout
    assert "| Peak RSS |" in output.read_text(encoding="utf-8")
