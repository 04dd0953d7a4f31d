"""Sharded exporters together export exactly what one unsharded exporter does.

Like the chart's StatefulSet, M exporter processes run side by side against one
CodeDeploy simulator, each with `--once --shard i --total-shards M`. Their
expositions, minus the exporter's own metrics, must partition the unsharded
exposition: same series and values, no series exported twice, every series of a
group (its deployments, targets and group state) on the shard of its group key
(account, region, application, group), and the per-target API work done exactly
once overall.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from support.paths import REPO

from exporter.collect.sharding import group_key, shard_of
from exporter.simulator import (
    Simulator,
    SimulatorServer,
    build_fleet,
    deployment_info,
    instance_target,
    lifecycle_event,
)

REPO = REPO
TOTAL_SHARDS = 3
# Per-target work: these calls must not be repeated by the replicas.
TARGET_OPERATIONS = ("BatchGetDeploymentTargets", "ListDeploymentTargets")
SELF_METRIC_PREFIX = ("codedeploy_exporter_", "process_")  # own metrics and the process collector

Series = dict[tuple[str, frozenset], float]


def parse_series(exposition: str) -> Series:
    """CodeDeploy series of an exposition, without the exporter's self-metrics."""
    out: Series = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name.startswith(SELF_METRIC_PREFIX):
                continue
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in out, f"series exported twice by one exporter: {key}"
            out[key] = sample.value
    return out


def deployment_of(key: tuple[str, frozenset]) -> str:
    return dict(key[1])["deployment_id"]


def group_of(key: tuple[str, frozenset]) -> tuple[str, str]:
    labels = dict(key[1])
    return labels["application"], labels["deployment_group"]


def group_shard(application: str, group: str) -> int:
    # The configs name the account (aws.account_id), so no replica asks STS.
    return shard_of(group_key("123456789012", "us-east-1", application, group), TOTAL_SHARDS)


@pytest.fixture(scope="module")
def fleet():
    """A mixed fleet over a dozen groups, frozen in time, so every run sees the same state."""
    now = 1_800_000_000.0
    sim = Simulator()
    deployments = build_fleet(sim, instance_targets=0, ecs=3, lambdas=3, cloudformation=2, now=now)
    for n in range(9):
        deployment_id = f"d-SHARDEC2{n}"
        targets = [
            instance_target(
                deployment_id,
                f"i-{n:03d}{t:014d}",
                "InProgress",
                [lifecycle_event("Install", "Succeeded", now - 60, now - 50)],
                now - 10,
            )
            for t in range(10)
        ]
        sim.put_deployment(
            deployment_info(deployment_id, f"app-{n % 3}", f"group-{n}", "InProgress", now - 600), targets
        )
        deployments.append((deployment_id, [t["instanceTarget"]["targetId"] for t in targets]))
    groups: dict[str, set[str]] = {}
    for deployment_id, _ in deployments:
        info = sim.deployment(deployment_id)
        groups.setdefault(info["applicationName"], set()).add(info["deploymentGroupName"])
    for application, names in groups.items():
        sim.put_application(application, sorted(names))
    with SimulatorServer(sim) as server:
        yield sim, server, [d for d, _ in deployments], groups


def write_config(tmp_path: Path, server, entries: dict) -> Path:
    config = {
        "aws": {"region": "us-east-1", "endpoint_url": server.endpoint_url, "account_id": "123456789012"},
        "poll": {"max_requests_per_second": 1000, "max_concurrency": 4},
        **entries,
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def exporter_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDSHARDINGTEST",
        AWS_SECRET_ACCESS_KEY="sharding-test-secret",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def run_once(config: Path, *shard_args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "exporter", "--config.file", str(config), "--once", *shard_args],
        cwd=REPO,
        env=exporter_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> str:
    try:
        stdout, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("exporter --once did not finish")
    assert process.returncode == 0, stderr[-3000:]
    assert stdout.strip(), f"exporter --once printed no exposition; stderr:\n{stderr[-3000:]}"
    return stdout


def target_calls(sim: Simulator) -> dict[str, int]:
    return {op: sim.call_count(op) for op in TARGET_OPERATIONS}


def entries_for(mode: str, deployment_ids: list[str], groups: dict[str, set[str]]) -> dict:
    if mode == "deployments":
        return {"deployments": [{"deployment_id": d} for d in deployment_ids]}
    return {
        "deployment_groups": [
            {"application": app, "deployment_group": group, "latest": 50}
            for app, names in sorted(groups.items())
            for group in sorted(names)
        ]
    }


@pytest.mark.parametrize("mode", ["deployments", "deployment_groups"])
def test_shards_partition_the_unsharded_series_and_target_api_work(fleet, tmp_path, mode):
    sim, server, deployment_ids, groups = fleet
    config = write_config(tmp_path, server, entries_for(mode, deployment_ids, groups))
    # Guard against a vacuous pass: every shard must own some of this fleet's groups.
    assert {group_shard(a, g) for a, names in groups.items() for g in names} == set(range(TOTAL_SHARDS))

    sim.reset_calls()
    unsharded = parse_series(finish(run_once(config)))
    unsharded_calls = target_calls(sim)
    assert {deployment_of(k) for k in unsharded if "deployment_id" in dict(k[1])} == set(deployment_ids)
    assert unsharded_calls["BatchGetDeploymentTargets"] > 0

    sim.reset_calls()
    # Start all replicas before reading any, as a StatefulSet would.
    processes = [run_once(config, "--shard", str(i), "--total-shards", str(TOTAL_SHARDS)) for i in range(TOTAL_SHARDS)]
    shards = [parse_series(finish(p)) for p in processes]
    sharded_calls = target_calls(sim)

    for ordinal, series in enumerate(shards):
        owned = {group_of(k) for k in series}
        assert owned, f"shard {ordinal} exported nothing"
        # A deployment, its targets and its group's series live on the shard of its group key.
        assert {group_shard(*g) for g in owned} == {ordinal}
    for i in range(TOTAL_SHARDS):
        for j in range(i + 1, TOTAL_SHARDS):
            overlap = shards[i].keys() & shards[j].keys()
            assert not overlap, f"shards {i} and {j} both export {sorted(overlap)[:3]}"
    union: Series = {}
    for series in shards:
        union.update(series)
    assert union == unsharded
    assert sharded_calls == unsharded_calls


def test_each_shard_reports_its_ordinal_and_the_shard_count(fleet, tmp_path):
    _, server, deployment_ids, groups = fleet
    config = write_config(tmp_path, server, entries_for("deployments", deployment_ids[:3], groups))
    for ordinal in range(TOTAL_SHARDS):
        output = finish(run_once(config, "--shard", str(ordinal), "--total-shards", str(TOTAL_SHARDS)))
        values = {
            sample.name: sample.value for family in text_string_to_metric_families(output) for sample in family.samples
        }
        assert values["codedeploy_exporter_shard_ordinal"] == ordinal
        assert values["codedeploy_exporter_total_shards"] == TOTAL_SHARDS


def test_shard_auto_takes_the_ordinal_from_the_statefulset_pod_name(fleet, tmp_path, monkeypatch):
    _, server, deployment_ids, groups = fleet
    config = write_config(tmp_path, server, entries_for("deployments", deployment_ids, groups))
    explicit = parse_series(finish(run_once(config, "--shard", "2", "--total-shards", "3")))
    monkeypatch.setenv("POD_NAME", "cde-codedeploy-exporter-2")
    auto = parse_series(finish(run_once(config, "--shard", "auto", "--total-shards", "3")))
    assert auto == explicit and auto


def test_shard_outside_the_shard_count_is_refused(fleet, tmp_path):
    _, server, deployment_ids, groups = fleet
    config = write_config(tmp_path, server, entries_for("deployments", deployment_ids[:1], groups))
    process = run_once(config, "--shard", "3", "--total-shards", "3")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "--shard" in stderr
