"""Replaying a published BatchGetApplicationRevisions answer (metrics.lead_time): a group
whose deployment of each answered revision runs at the first poll and has Succeeded at the
second, so the answer's registerTime is what the lead time is measured from."""

from __future__ import annotations

import json
from typing import Any

import pytest

from exporter.simulator import deployment_info
from support.expo import samples
from support.replay import Answer, ReplayServer

LEAD_TIME = 5 * 3600.0  # registerTime -> completeTime of each replayed deployment


def replay_revisions(body: dict[str, Any]) -> tuple[bytes, set[str], str, str]:
    application = body["applicationName"]
    revisions = [(f"d-REPLAY{n:03d}", r) for n, r in enumerate(body["revisions"])]
    polls = {"n": 0}

    def deployments(request: dict[str, Any]) -> bytes:
        infos = []
        for deployment_id, revision in revisions:
            registered = revision["genericRevisionInfo"]["registerTime"]
            status, end = ("InProgress", None) if polls["n"] == 1 else ("Succeeded", registered + LEAD_TIME)
            info = deployment_info(
                deployment_id, application, "grp", status, registered + 60,
                complete_time=end, revision=revision["revisionLocation"],
            )  # fmt: skip
            infos.append(info)
        wanted = [i for i in infos if i["deploymentId"] in request["deploymentIds"]]
        return json.dumps({"deploymentsInfo": wanted}).encode()

    answers: dict[str, bytes | Answer] = {
        "ListDeployments": json.dumps({"deployments": [d for d, _ in revisions]}).encode(),
        "BatchGetDeployments": deployments,
        "BatchGetApplicationRevisions": json.dumps(body).encode(),
    }
    group = {"application": application, "deployment_group": "grp", "latest": len(revisions)}
    with ReplayServer(answers) as server:
        exporter = server.exporter(deployment_groups=[group], metrics={"lead_time": True})
        for _ in range(2):
            polls["n"] += 1
            assert exporter.poll_once().api_wide_errors == []
        assert server.calls.count("BatchGetApplicationRevisions") == 1
    exposition = exporter.snapshot.body
    found = {n: v for (n, _), v in samples(exposition).items() if n.startswith("codedeploy_deployment_lead_time")}
    assert found["codedeploy_deployment_lead_time_seconds_count"] == len(revisions)
    assert found["codedeploy_deployment_lead_time_seconds_sum"] == pytest.approx(LEAD_TIME * len(revisions))
    return exposition, {"grp"}, "codedeploy_deployment_lead_time_seconds_count", "deployment_group"
