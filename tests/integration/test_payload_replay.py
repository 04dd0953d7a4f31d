"""Published payloads (tests/payloads/, each with its source) replayed as raw HTTP response bytes
through real boto3 and botocore's own parser into a poll: every object they hold is exported,
and the only parse errors are the ones the published text really has."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.expo import NOW, samples
from support.paths import TESTS
from support.replay import ReplayServer
from support.revision_replay import replay_revisions

from exporter.events.parse import parse_message
from exporter.simulator import deployment_info, instance_target

PAYLOADS = TESTS / "payloads"
API = sorted((PAYLOADS / "api").glob("*/*.json"))
EVENTS = sorted((PAYLOADS / "events").glob("*.json"))

# Published text that disagrees with botocore's model, and what the exporter makes of it:
# the CLI's get-deployment-group example lists autoScalingGroups as names, where the output
# shape is a list of AutoScalingGroup structures.
EXPECTED_DROPS = {"cli_get_deployment_group.json": {("BatchGetDeploymentGroups", "wrong_type"): 1}}
# Published messages whose deployment ID was redacted to something that is no ID: malformed.
REDACTED = {"sns_trigger_aws_to_slack_pr32"}  # "d-DEPID"


def _load(path: Path) -> dict[str, Any]:
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["source"] and payload["changes"], f"{path.name}: every payload names its source and changes"
    return payload


def _exported(body: bytes, name: str, label: str) -> set[str]:
    return {dict(labels)[label] for (n, labels), _ in samples(body).items() if n == name}


def _parse_errors(body: bytes) -> dict[tuple[str, str], float]:
    return {
        (dict(ls)["operation"], dict(ls)["reason"]): v
        for (n, ls), v in samples(body).items()
        if n == "codedeploy_exporter_parse_errors_total" and v
    }


def _deployments(request: dict[str, Any], application: str = "app", group: str = "grp") -> bytes:
    """A BatchGetDeployments answer for the IDs asked for (when the payload under test is not it)."""
    infos = [deployment_info(d, application, group, "InProgress", NOW) for d in request["deploymentIds"]]
    return json.dumps({"deploymentsInfo": infos}).encode()


def _targets(request: dict[str, Any]) -> bytes:
    dep = request["deploymentId"]
    found = [instance_target(dep, t, "InProgress", [], NOW) for t in request["targetIds"]]
    return json.dumps({"deploymentTargets": found}).encode()


def _groups(request: dict[str, Any]) -> bytes:
    app = request["applicationName"]
    infos = [{"applicationName": app, "deploymentGroupName": g} for g in request["deploymentGroupNames"]]
    return json.dumps({"deploymentGroupsInfo": infos}).encode()


def replay(operation: str, body: dict[str, Any]) -> tuple[bytes, set[str], str, str]:
    """Poll once with `body` as the answer to `operation`; the exposition, the IDs the payload
    holds, and the family and label where each must show up."""
    if operation == "BatchGetApplicationRevisions":  # metrics.lead_time: two polls
        return replay_revisions(body)
    raw = json.dumps(body).encode()
    answers: dict[str, Any] = {
        "BatchGetDeploymentTargets": _targets,
        "BatchGetDeploymentGroups": _groups,
        operation: raw,
    }
    if operation == "BatchGetDeploymentTargets":
        targets = [
            next(v for k, v in t.items() if k.endswith("Target") and isinstance(v, dict))
            for t in body["deploymentTargets"]
        ]
        sections = {"targets": [{"deployment_id": t["deploymentId"], "target_id": t["targetId"]} for t in targets]}
        answers["BatchGetDeployments"] = _deployments
        wanted, family, label = {t["targetId"] for t in targets}, "codedeploy_target_info", "target_id"
    elif operation == "BatchGetDeployments":
        ids = sorted({d["deploymentId"] for d in body["deploymentsInfo"]})
        sections = {"deployments": [{"deployment_id": d} for d in ids]}
        wanted, family, label = set(ids), "codedeploy_deployment_info", "deployment_id"
    elif operation == "BatchGetDeploymentGroups":
        pairs = sorted({(g["applicationName"], g["deploymentGroupName"]) for g in body["deploymentGroupsInfo"]})
        sections = {"deployment_groups": [{"application": a, "deployment_group": g} for a, g in pairs]}
        wanted, family, label = {g for _, g in pairs}, "codedeploy_deployment_group_info", "deployment_group"
    elif operation == "ListDeployments":
        ids = body["deployments"]
        sections = {"deployment_groups": [{"application": "app", "deployment_group": "grp", "latest": len(ids)}]}
        answers["BatchGetDeployments"] = _deployments
        wanted, family, label = set(ids), "codedeploy_deployment_info", "deployment_id"
    elif operation == "ListDeploymentTargets":
        sections = {"deployments": [{"deployment_id": "d-ABCDEFGHI"}]}
        answers["BatchGetDeployments"] = _deployments
        wanted, family, label = set(body["targetIds"]), "codedeploy_target_info", "target_id"
    elif operation in ("ListApplications", "ListDeploymentGroups"):
        apps = body.get("applications") or [body["applicationName"]]
        groups = body.get("deploymentGroups") or ["grp"]
        answers.setdefault("ListApplications", json.dumps({"applications": apps}).encode())
        answers.setdefault("ListDeploymentGroups", json.dumps({"deploymentGroups": groups}).encode())
        sections = {"discovery": [{}]}
        wanted, family, label = set(groups), "codedeploy_deployment_group_info", "deployment_group"
    elif operation == "ListTagsForResource":
        tag = body["Tags"][0]
        answers["ListApplications"] = b'{"applications": ["app"]}'
        answers["ListDeploymentGroups"] = b'{"deploymentGroups": ["tagged"]}'
        sections = {"discovery": [{"tags": {tag["Key"]: tag["Value"]}}]}
        wanted, family, label = {"tagged"}, "codedeploy_deployment_group_info", "deployment_group"
    else:
        raise AssertionError(f"no replay for {operation}")
    with ReplayServer(answers) as server:
        exporter = server.exporter(**sections)
        outcome = exporter.poll_once()
        assert operation in server.calls, f"the poll never asked {operation}"
    assert outcome.api_wide_errors == []
    return exporter.snapshot.body, wanted, family, label


@pytest.mark.parametrize("path", API, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_published_api_payload_is_exported_whole(path):
    payload = _load(path)
    body, wanted, family, label = replay(payload["operation"], payload["body"])
    assert wanted and wanted <= _exported(body, family, label)
    assert _parse_errors(body) == EXPECTED_DROPS.get(path.name, {})


def test_the_corpus_covers_every_operation_the_exporter_reads():
    operations = {_load(p)["operation"] for p in API}
    assert operations == {
        "ListApplications",
        "ListDeploymentGroups",
        "BatchGetDeploymentGroups",
        "ListTagsForResource",
        "ListDeployments",
        "BatchGetDeployments",
        "ListDeploymentTargets",
        "BatchGetDeploymentTargets",
        "BatchGetApplicationRevisions",
    }


def _sns(message: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Type": "Notification",
            "TopicArn": "arn:aws:sns:us-east-1:111122223333:codedeploy",
            "Timestamp": "2016-10-07T19:50:42.170Z",
            "Message": json.dumps(message),
        }
    )


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_published_event_names_its_deployment_and_time(path):
    payload = _load(path)
    message = payload["message"]
    body = _sns(message) if payload["kind"] == "sns_trigger" else json.dumps(message)
    parsed = parse_message(body)
    if not isinstance(message, dict) or "deploymentId" not in json.dumps(message):
        assert parsed.change is None  # e.g. the plain-text note SNS sends when a trigger is set up
        return
    if path.stem in REDACTED:
        assert parsed.outcome == "malformed" and "deploymentId" in parsed.reason
        return
    assert parsed.change is not None, parsed.reason
    assert parsed.change.deployment_id in json.dumps(message)
    assert parsed.unreadable_date == ""
    # The message's own date wins over the SNS timestamp whenever it has one.
    own = [message.get(k) for k in ("time", "lastUpdatedAt", "completeTime", "createTime") if message.get(k)]
    sns_time = 1475869842.17
    if own:
        assert parsed.change.time is not None and parsed.change.time != sns_time
    else:
        assert parsed.change.time == (sns_time if payload["kind"] == "sns_trigger" else None)
