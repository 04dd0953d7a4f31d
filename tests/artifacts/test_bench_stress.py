"""The stress mix of the scale benchmark (issue 28): every deployment finished, about a third
of the targets Succeeded, the rest Failed or Skipped, all within one discovery scope's reach."""

from __future__ import annotations

from collections import Counter

from bench.stress import DEPLOYMENTS_PER_GROUP, HOOKS, build_stress_account, deployment_sizes
from exporter.simulator import Simulator
from exporter.simulator.records import target_body

NOW = 1_800_000_000.0


def test_stress_mix_is_finished_and_two_thirds_failed_or_skipped():
    sim = Simulator()
    account = build_stress_account(sim, 1000, now=NOW)
    assert account.targets == account.succeeded + account.failed + account.skipped == 1000
    assert len(account.deployments) == len(deployment_sizes(1000)) == 39  # 25.75 targets each
    for status in (account.succeeded, account.failed, account.skipped):
        assert 0.28 < status / 1000 < 0.4  # about a third each
    per_group: Counter[tuple[str, str]] = Counter()
    target_ids = set()
    for deployment_id in account.deployments:
        info = sim.deployment(deployment_id)
        per_group[(info["applicationName"], info["deploymentGroupName"])] += 1
        assert info["status"] in ("Succeeded", "Failed") and info["completeTime"] < NOW
        assert NOW - 24 * 3600 < info["createTime"]  # within a 24 h retention
        statuses = Counter()
        for target_id in sim.target_ids(deployment_id):
            body = target_body(sim.target(deployment_id, target_id))
            target_ids.add(target_id)
            statuses[body["status"]] += 1
            hooks = [(e["lifecycleEventName"], e["status"]) for e in body["lifecycleEvents"]]
            assert [name for name, _ in hooks] == list(HOOKS)
            if body["status"] == "Skipped":
                assert {s for _, s in hooks} == {"Skipped"}
            elif body["status"] == "Failed":
                failed = [e for e in body["lifecycleEvents"] if e["status"] == "Failed"]
                assert len(failed) == 1 and failed[0]["diagnostics"]["errorCode"] == "ScriptFailed"
                assert failed[0]["diagnostics"]["scriptName"] and failed[0]["diagnostics"]["logTail"]
                after = [s for _, s in hooks][[n for n, _ in hooks].index(failed[0]["lifecycleEventName"]) + 1 :]
                assert set(after) <= {"Skipped"}
            else:
                assert {s for _, s in hooks} == {"Succeeded"}
                assert all("startTime" in e and "endTime" in e for e in body["lifecycleEvents"])
        if info["status"] == "Succeeded":
            assert set(statuses) == {"Succeeded"}
        else:
            assert statuses["Failed"] >= 1 and statuses["Skipped"] >= 1
    assert len(target_ids) == 1000
    # One discovery scope with `latest: DEPLOYMENTS_PER_GROUP` follows every deployment.
    assert max(per_group.values()) <= DEPLOYMENTS_PER_GROUP
