"""The whole pipeline with real binaries: demo exporter -> Prometheus -> rules -> Alertmanager.

Needs `prometheus`, `promtool` and `prometheus-alertmanager` (or `alertmanager`) on PATH; see
tests/support/tools.require_binary for what happens when they are missing.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import yaml
from support.tools import CONTRACT_METRICS, EVENT_METRICS, HISTOGRAMS, panel_queries

from exporter.demo import DEMO_NO_ROLE
from exporter.simulator import DEMO_GROUPS
from tools.generate import rules as recording

from .e2e_stack import (
    DASHBOARD,
    DEMO_CYCLE,
    DEMO_PERIOD,
    DEMO_POLL_INTERVAL,
    DEMO_TICK,
    EVALUATION_INTERVAL,
    GROUP_WAIT,
    JOB,
    RULES,
    SCRAPE_INTERVAL,
    wait_for,
)

ALERTS = [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"] if "alert" in rule]
PANEL_QUERIES = panel_queries(json.loads(DASHBOARD.read_text()))
NEEDS_HISTORY = (recording.ACTIVE_P50, recording.ACTIVE_P90, recording.ETA)
# The demo fails targets of demo-api and rolls it back every cycle; demo-web fails and
# demo-canary is stopped by its alarm in even cycles, and both succeed in odd ones.
FIRING_IN_DEMO = {
    "CodeDeployDeploymentTargetsFailed",
    "CodeDeployRollback",
    "CodeDeployGroupDeploymentFailed",
    "CodeDeployGroupDeploymentStopped",
}
# Broken for good in the demo, on one account only: its legacy-sandbox account has no role.
DOWN_IN_DEMO = {"CodeDeployExporterScopeDown": DEMO_NO_ROLE[0]}


TARGET_KEYS = {
    "InstanceTarget": "instanceTarget",
    "ECSTarget": "ecsTarget",
    "LambdaTarget": "lambdaTarget",
    "CloudFormationTarget": "cloudFormationTarget",
}
# Time the exporter, Prometheus and Alertmanager need beyond the configured intervals to do
# their work (a poll, a scrape, a rule evaluation, two HTTP pushes) on a slow CI machine.
PROCESSING_SLACK = 2.0
# Worst case from a change in the simulator to Alertmanager's view of an alert: the simulator
# publishes it one tick late, the exporter polls just before that, Prometheus scrapes just
# before the poll lands and evaluates just before the scrape. Prometheus sends an alert (or
# its resolution) right after the evaluation, and Alertmanager's API shows it at once:
# group_wait delays notifications, not the alert list.
PIPELINE_BOUND = DEMO_TICK + DEMO_POLL_INTERVAL + SCRAPE_INTERVAL + EVALUATION_INTERVAL + PROCESSING_SLACK


def _seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+)(ms|s|m|h)", duration))


def _for(alertname: str) -> float:
    return _seconds(next(rule for rule in ALERTS if rule["alert"] == alertname).get("for", "0s"))


def _detection_bound(alertname: str) -> float:
    """A failure to the alert in Alertmanager: the pipeline, `for:`, and the group wait."""
    return PIPELINE_BOUND + _for(alertname) + GROUP_WAIT


def _dashboard_expr(expr: str) -> str:
    """What Grafana sends with every variable at "All"."""
    for name in ("account_id", "region", "application", "deployment_group", "deployment_id"):
        expr = expr.replace(f"${name}", ".*")
    # the DORA row's window variable at the window a short demo has most data for
    return expr.replace("$__rate_interval", "30s").replace("$window", "1d")


# ---- scraping ---------------------------------------------------------------------------
def test_prometheus_scrapes_the_demo_exporter(prometheus):
    up = prometheus.query(f'up{{job="{JOB}"}}')
    assert [sample["value"][1] for sample in up] == ["1"]


def test_exporter_output_passes_promtool_check_metrics(exporter, promtool):
    result = subprocess.run(
        [promtool, "check", "metrics"],
        input=exporter.metrics(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _families(exposition: str) -> set[str]:
    names = set()
    for line in exposition.splitlines():
        if line and not line.startswith(("#", "process_")):  # process_*: prometheus-client's
            match = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
            assert match, line
            name = match.group(0)
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            names.add(base if base in HISTOGRAMS else name)
    return names


def test_demo_exposes_exactly_the_metric_contract(exporter):
    names = _families(exporter.metrics())
    assert names <= CONTRACT_METRICS, f"not in the contract: {sorted(names - CONTRACT_METRICS)}"
    # The demo's legacy-sandbox account has no role: its scope is down, with its last error,
    # and the other accounts carry their names (codedeploy_account_info): both must be here.
    # target_poll_success exists only for targets still polled: none between the
    # demo's deployments, when every target is frozen. The event consumer's families appear
    # only with `events` configured (tests/e2e/test_events_alert.py). The alarm-override and
    # auto-update facts exist only for deployments that carry overrideAlarmConfiguration or
    # relatedDeployments, which the demo's do not (tests/integration/test_real_payloads.py covers them).
    expected = (
        CONTRACT_METRICS
        - {"codedeploy_exporter_target_poll_success"}
        - {"codedeploy_deployment_alarm_override", "codedeploy_deployment_auto_update_info"}
        - EVENT_METRICS
    )
    # Families of deployments finished since the start (codedeploy_deployment_duration_seconds)
    # appear once the demo's first deployment ends, within a cycle of the start: scrape until
    # then, each scrape still held to the contract.
    seen = set(names)

    def everything_seen() -> bool:
        seen.update(_families(exporter.metrics()))
        return expected <= seen or not seen <= CONTRACT_METRICS

    try:
        wait_for(everything_seen, DEMO_CYCLE + 30.0, "every contract family", interval=1.0)
    except AssertionError:
        pass  # the assertions below name what is missing
    assert seen <= CONTRACT_METRICS, f"not in the contract: {sorted(seen - CONTRACT_METRICS)}"
    assert not expected - seen, f"contract metrics the demo never exposes: {sorted(expected - seen)}"


# ---- Prometheus sees what the simulator holds ------------------------------------------
def _by(samples: list[dict], *labels: str) -> dict:
    return {
        tuple(s["metric"].get(label, "") for label in labels)
        if len(labels) > 1
        else s["metric"].get(labels[0], ""): round(float(s["value"][1]), 3)
        for s in samples
    }


def _failed_first(item: tuple[str, dict]) -> bool:
    target = item[1]
    return target[TARGET_KEYS[target["deploymentTargetType"]]]["status"] != "Failed"


def _settled_target(exporter, prometheus, target_type: str):
    """A target of a finished deployment that Prometheus has: its values no longer move."""

    def find():
        # Newest first: older ones are about to leave the exporter's `latest` window.
        deployments = sorted(exporter.ground_truth().items(), key=lambda item: -item[1]["info"]["createTime"])
        settled_before = time.time() - (DEMO_TICK + DEMO_POLL_INTERVAL + SCRAPE_INTERVAL + PROCESSING_SLACK)
        for deployment_id, deployment in deployments:
            if deployment["info"]["status"] not in ("Succeeded", "Failed"):
                continue
            # Just finished: the last poll or scrape may still hold its previous values.
            if deployment["info"].get("completeTime", 0) > settled_before:
                continue
            # A failed target first: it also carries diagnostics worth comparing.
            for target_id, target in sorted(deployment["targets"].items(), key=_failed_first):
                selector = f'deployment_id="{deployment_id}", target_id="{target_id}"'
                if target["deploymentTargetType"] == target_type and prometheus.query(
                    f"codedeploy_target_info{{{selector}}}"
                ):
                    return deployment, target[TARGET_KEYS[target_type]], selector
        return None

    return wait_for(find, DEMO_CYCLE + 10, f"a finished {target_type} in Prometheus", interval=1)


def _finished(deployment: dict) -> bool:
    return deployment["info"]["status"] in ("Succeeded", "Failed", "Stopped")


def _exported_hooks(deployment: dict, body: dict) -> list[dict]:
    # metrics.lifecycle_events: active (the default): a target of a finished deployment keeps
    # only the hook that failed, when it failed; every hook lives on in the aggregates.
    if not _finished(deployment):
        return body["lifecycleEvents"]
    if body["status"] != "Failed":
        return []
    return [e for e in body["lifecycleEvents"] if e["status"] == "Failed"][:1]


def _expected(deployment: dict, body: dict, target_type: str) -> dict:
    events = _exported_hooks(deployment, body)
    expected = {
        "deployment status": deployment["info"]["status"],
        "status": body["status"],
        "type": target_type,
        "last updated": round(body["lastUpdatedAt"], 3),
        "hooks": {e["lifecycleEventName"]: e["status"] for e in events},
        "hook starts": {e["lifecycleEventName"]: round(e["startTime"], 3) for e in events if "startTime" in e},
        "hook durations": {
            e["lifecycleEventName"]: round(e["endTime"] - e["startTime"], 3)
            for e in events
            if "startTime" in e and "endTime" in e
        },
        "diagnostics": sorted(
            (e["lifecycleEventName"], e["diagnostics"]["errorCode"], e["diagnostics"].get("scriptName", ""))
            for e in events
            if e.get("diagnostics", {}).get("errorCode", "Success") != "Success"
        ),
    }
    if _finished(deployment):
        return expected  # traffic weights and task sets end with the deployment
    if target_type == "ECSTarget":
        expected["task sets"] = {
            ts["identifer"]: {
                "label": ts["taskSetLabel"],
                "status": ts["status"],
                "weight": ts["trafficWeight"] / 100,  # percent on the wire, a ratio exported
                "desired": ts["desiredCount"],
                "pending": ts["pendingCount"],
                "running": ts["runningCount"],
            }
            for ts in body["taskSetsInfo"]
        }
    if target_type == "LambdaTarget":
        info = body["lambdaFunctionInfo"]
        expected["weight"] = {
            # The simulator writes fractions (0-1), which the exporter keeps as they are.
            (info["functionName"], info["functionAlias"], info["currentVersion"], info["targetVersion"]): info[
                "targetVersionWeight"
            ]
        }
    if target_type == "CloudFormationTarget":
        expected["weight"] = {body["resourceType"]: body["targetVersionWeight"]}
    return expected


def _observed(prometheus, selector: str, deployment_id: str, target_type: str) -> dict:
    q = prometheus.query
    statuses = [s["metric"]["status"] for s in q(f"codedeploy_target_status{{{selector}}} == 1")]
    observed = {
        "deployment status": next(
            iter(_by(q(f'codedeploy_deployment_status{{deployment_id="{deployment_id}"}} == 1'), "status"))
        ),
        "status": statuses[0] if len(statuses) == 1 else statuses,
        "type": q(f"codedeploy_target_info{{{selector}}}")[0]["metric"]["target_type"],
        "last updated": next(
            iter(_by(q(f"codedeploy_target_last_updated_timestamp_seconds{{{selector}}}"), "target_id").values())
        ),
        "hooks": {
            s["metric"]["lifecycle_event"]: s["metric"]["status"]
            for s in q(f"codedeploy_lifecycle_event_status{{{selector}}} == 1")
        },
        "hook starts": _by(q(f"codedeploy_lifecycle_event_start_timestamp_seconds{{{selector}}}"), "lifecycle_event"),
        "hook durations": _by(q(f"codedeploy_lifecycle_event_duration_seconds{{{selector}}}"), "lifecycle_event"),
        "diagnostics": sorted(
            _by(
                q(f"codedeploy_lifecycle_event_diagnostics_info{{{selector}}}"),
                "lifecycle_event",
                "error_code",
                "script_name",
            )
        ),
    }
    if target_type == "ECSTarget":
        per_set = {
            name: _by(q(f"codedeploy_ecs_task_set_{name}{{{selector}}}"), "task_set_id")
            for name in ("traffic_weight_ratio", "desired_tasks", "pending_tasks", "running_tasks")
        }
        labels = {
            s["metric"]["task_set_id"]: s["metric"] for s in q(f"codedeploy_ecs_task_set_status{{{selector}}} == 1")
        }
        task_sets = {
            task_set: {
                "label": labels[task_set]["task_set_label"],
                "status": labels[task_set]["status"],
                "weight": per_set["traffic_weight_ratio"][task_set],
                "desired": per_set["desired_tasks"][task_set],
                "pending": per_set["pending_tasks"][task_set],
                "running": per_set["running_tasks"][task_set],
            }
            for task_set in labels
        }
        if task_sets:  # a finished deployment's target has none (checked by their absence)
            observed["task sets"] = task_sets
    weight: dict = {}
    if target_type == "LambdaTarget":
        weight = _by(
            q(f"codedeploy_lambda_target_version_weight_ratio{{{selector}}}"),
            "function_name",
            "function_alias",
            "current_version",
            "target_version",
        )
    if target_type == "CloudFormationTarget":
        weight = _by(q(f"codedeploy_cloudformation_target_version_weight_ratio{{{selector}}}"), "resource_type")
    if weight:
        observed["weight"] = weight
    return observed


@pytest.mark.parametrize("target_type", sorted(TARGET_KEYS))
def test_prometheus_values_equal_the_simulator_ground_truth(exporter, prometheus, target_type):
    deployment, body, selector = _settled_target(exporter, prometheus, target_type)
    expected = _expected(deployment, body, target_type)
    observed = _observed(prometheus, selector, deployment["info"]["deploymentId"], target_type)
    assert observed == expected
    # The per-deployment aggregates count this target's hooks whether or not they are shown.
    deployment_id = deployment["info"]["deploymentId"]
    counted = {
        (s["metric"]["lifecycle_event"], s["metric"]["status"]): float(s["value"][1])
        for s in prometheus.query(f'codedeploy_deployment_lifecycle_event_targets{{deployment_id="{deployment_id}"}}')
    }
    truth: dict = {}
    for target in deployment["targets"].values():
        for event in target[TARGET_KEYS[target["deploymentTargetType"]]]["lifecycleEvents"]:
            key = (event["lifecycleEventName"], event["status"])
            truth[key] = truth.get(key, 0) + 1
    assert counted == truth


# ---- every dashboard query runs against the demo ---------------------------------------
@pytest.mark.parametrize(
    "title, expr", PANEL_QUERIES, ids=[f"{title}:{i}" for i, (title, _) in enumerate(PANEL_QUERIES)]
)
def test_dashboard_query_returns_data_in_the_demo(prometheus, title, expr):
    expr = _dashboard_expr(expr)
    prometheus.query(expr)  # parses and evaluates (raises with Prometheus' error otherwise)
    if any(name in expr for name in NEEDS_HISTORY):
        # Expected durations exist once a group has minDeployments Succeeded deployments in its
        # window: more than a test run's demo completes. tests/rules/duration_*_test.yaml check
        # them over weeks of history.
        return
    start = time.time() - DEMO_PERIOD
    # Some panels show a phase of the demo (a hook running, a shift in progress, the even
    # cycles' failure and stop): within one period of it.
    wait_for(
        lambda: prometheus.query_range(expr, start, time.time()),
        DEMO_PERIOD + 10,
        f"data for panel {title!r}: {expr}",
        interval=1,
    )


def test_dashboard_variables_list_the_demo_deployments(prometheus):
    variables = {v["name"]: v for v in json.loads(DASHBOARD.read_text())["templating"]["list"]}
    values = {}
    for name in ("application", "deployment_group", "deployment_id"):
        query = variables[name]["query"]["query"]
        series, label = re.fullmatch(r"label_values\((.+), (\w+)\)", query).groups()
        values[name] = prometheus.api(f"label/{label}/values", **{"match[]": _dashboard_expr(series)})
    assert {app for app, _ in DEMO_GROUPS} <= set(values["application"])
    assert "demo-web-prod" in values["deployment_group"]
    assert all(re.fullmatch(r"d-[A-Z0-9]{9}", d) for d in values["deployment_id"])
    # The account options: the demo's member accounts by their names in the organization, its
    # management account (watched by plain entries) by its IAM alias.
    account = variables["account_id"]
    expr = re.fullmatch(r"query_result\((.+)\)", account["query"]["query"]).group(1)
    options = {s["metric"]["account_id"]: s["metric"].get("account_name") for s in prometheus.query(expr)}
    assert options["210987654321"] == "payments-prod" and options["345678901234"] == "search-prod"
    assert options["123456789012"] == "demo-management"


# ---- the failing instance reaches Alertmanager, once per deployment ---------------------
def _failed_targets(exporter) -> dict:
    return {
        (deployment_id, target_id): target[TARGET_KEYS[target["deploymentTargetType"]]]
        for deployment_id, deployment in exporter.ground_truth().items()
        for target_id, target in deployment["targets"].items()
        if target[TARGET_KEYS[target["deploymentTargetType"]]]["status"] == "Failed"
        # a Stopped deployment's failed targets (demo-canary) are not what these tests follow
        and deployment["info"]["status"] == "Failed"
    }


def _alerts_of(alertmanager, deployment_id: str) -> list[dict]:
    return [
        alert
        for alert in alertmanager.alerts("CodeDeployDeploymentTargetsFailed")
        if alert["labels"].get("deployment_id") == deployment_id
    ]


def test_target_failure_reaches_alertmanager_within_the_configured_intervals(
    exporter, prometheus, alertmanager, capsys
):
    already_failed = set(_failed_targets(exporter))
    # The demo fails targets of demo-api a sixth into every cycle, and instance 3 of demo-web
    # a quarter into even cycles: wait for the next failure, whichever group it is in.
    (deployment_id, target_id), body = wait_for(
        lambda: next(((k, v) for k, v in _failed_targets(exporter).items() if k not in already_failed), None),
        DEMO_CYCLE * 1.3 + 5,
        "the demo's next failing instance",
        interval=0.05,
    )
    failed_at = body["lastUpdatedAt"]
    info = exporter.ground_truth()[deployment_id]["info"]
    application, group = info["applicationName"], info["deploymentGroupName"]

    bound = _detection_bound("CodeDeployDeploymentTargetsFailed")

    alerts = wait_for(
        lambda: _alerts_of(alertmanager, deployment_id),
        bound + 30,
        "CodeDeployDeploymentTargetsFailed in Alertmanager",
        interval=0.05,
    )
    latency = time.time() - failed_at
    with capsys.disabled():
        print(
            f"\nCodeDeployDeploymentTargetsFailed detection latency: {latency:.2f}s "
            f"(failure of {target_id} in {deployment_id} -> Alertmanager; bound {bound:.1f}s)"
        )
    assert latency <= bound
    # One alert per deployment, not one per failed target.
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["labels"]["severity"] == "warning"
    assert alert["labels"]["application"] == application
    assert alert["labels"]["deployment_group"] == group
    assert "target_id" not in alert["labels"]
    for value in (target_id, deployment_id, application, group):
        assert value in alert["annotations"]["description"]
    assert alert["annotations"]["runbook_url"].endswith("#codedeploydeploymenttargetsfailed")
    # Forensics (issue 29): the failed hook, and the error code and script CodeDeploy reported.
    failed_hook = next(e for e in body["lifecycleEvents"] if e["status"] == "Failed")
    description = alert["annotations"]["description"]
    assert f"Failed hooks: {failed_hook['lifecycleEventName']} on " in description
    diagnostics = failed_hook.get("diagnostics") or {}
    for value in (diagnostics.get("errorCode"), diagnostics.get("scriptName")):
        assert not value or value in description.split("Diagnostics: ", 1)[1]


# ---- each failure alert of the demo reaches Alertmanager, then resolves -----------------
@dataclass(frozen=True)
class Watch:
    """A failure alert the demo triggers, the group it follows there, and when a deployment of
    that group starts an incident of it (None: it does not)."""

    alert: str
    application: str
    starts: Callable[[dict], float | None]
    per_deployment: bool  # the alert is labelled with the deployment, not only the group


def _failed_targets_at(deployment: dict) -> float | None:
    info = deployment["info"]
    failed = any(
        t[TARGET_KEYS[t["deploymentTargetType"]]]["status"] == "Failed" for t in deployment["targets"].values()
    )
    return info["completeTime"] if info["status"] == "Failed" and failed else None


def _ended(status: str) -> Callable[[dict], float | None]:
    return lambda d: d["info"]["completeTime"] if d["info"]["status"] == status else None


def _rollback_at(deployment: dict) -> float | None:
    info = deployment["info"]
    return info["createTime"] if info.get("creator") == "codeDeployRollback" else None


# Every failure alert resolves once a later deployment of its group succeeded: demo-web's
# (even-cycle) failure by its next, odd-cycle deployment, demo-canary's stop likewise, and
# demo-api's rollback by the next successful deployment, the next cycle's rollback.
WATCHES = [
    Watch("CodeDeployDeploymentTargetsFailed", "demo-web", _failed_targets_at, True),
    Watch("CodeDeployGroupDeploymentFailed", "demo-web", _ended("Failed"), False),
    Watch("CodeDeployGroupDeploymentStopped", "demo-canary", _ended("Stopped"), False),
    Watch("CodeDeployRollback", "demo-api", _rollback_at, True),
]


@dataclass
class Incident:
    watch: Watch
    info: dict  # the deployment that started it
    started: float
    adopted: bool  # already under way when the observation began
    first_seen: float | None = None  # when Alertmanager first showed the alert (at the latest)
    last_seen: float | None = None  # the last time it surely still showed it
    gaps: list[float] = field(default_factory=list)  # absent before the group's next success
    success: dict | None = None  # the group's next successful deployment
    resolved: float | None = None  # when it was gone after that success (at the latest)

    def matches(self, alert: dict) -> bool:
        labels = alert["labels"]
        if labels.get("alertname") != self.watch.alert:
            return False
        if self.watch.per_deployment:
            return labels.get("deployment_id") == self.info["deploymentId"]
        return (labels.get("application"), labels.get("deployment_group")) == (
            self.info["applicationName"],
            self.info["deploymentGroupName"],
        )


def _later_success(info: dict, truth: dict) -> dict | None:
    later = [
        d["info"]
        for d in truth.values()
        if (d["info"]["applicationName"], d["info"]["deploymentGroupName"])
        == (info["applicationName"], info["deploymentGroupName"])
        and d["info"]["createTime"] > info["createTime"]
        and d["info"]["status"] == "Succeeded"
    ]
    return min(later, key=lambda i: i["completeTime"], default=None)


def _open_incident(watch: Watch, truth: dict, began: float) -> Incident | None:
    """The oldest incident of ``watch`` whose group has not succeeded since (the quickest to
    resolve): one under way when the observation began is followed too, which keeps the
    observation within one period of the demo."""
    open_ = [
        (started, d["info"])
        for d in truth.values()
        if d["info"]["applicationName"] == watch.application
        and (started := watch.starts(d)) is not None
        and _later_success(d["info"], truth) is None
    ]
    if not open_:
        return None
    started, info = min(open_, key=lambda item: item[0])
    return Incident(watch, info, started, adopted=started < began)


@pytest.fixture(scope="module")
def demo_incidents(exporter, prometheus, alertmanager) -> dict[str, Incident]:
    """Follows one incident of every watched alert at once, from the failure to Alertmanager
    and from the group's next success to the alert's resolution."""
    began = time.time()
    # Worst case: a watch's group succeeded just before; its next success after an incident
    # comes one period of the demo later, and the resolution reaches Alertmanager within
    # PIPELINE_BOUND of it.
    deadline = began + DEMO_PERIOD + PIPELINE_BOUND
    incidents: dict[str, Incident] = {}
    while time.time() < deadline and not (
        len(incidents) == len(WATCHES) and all(i.resolved for i in incidents.values())
    ):
        truth = exporter.ground_truth()
        before = time.time()
        active = alertmanager.active_alerts()
        after = time.time()
        for watch in WATCHES:
            incident = incidents.get(watch.alert) or _open_incident(watch, truth, began)
            if incident is None or incident.resolved:
                continue
            incidents[watch.alert] = incident
            if incident.success is None:
                incident.success = _later_success(incident.info, truth)
            if any(incident.matches(alert) for alert in active):
                incident.first_seen = incident.first_seen or after
                incident.last_seen = before
            elif incident.first_seen is not None and incident.success is None:
                incident.gaps.append(before)
            elif incident.first_seen is not None:
                incident.resolved = after
        time.sleep(0.1)
    return incidents


@pytest.mark.parametrize("watch", WATCHES, ids=[f"{w.alert}:{w.application}" for w in WATCHES])
def test_failure_alert_reaches_alertmanager_and_resolves_when_the_groups_next_deployment_succeeds(
    demo_incidents, watch, capsys
):
    incident = demo_incidents.get(watch.alert)
    assert incident is not None, f"no {watch.alert} incident of {watch.application} in the demo"
    deployment_id = incident.info["deploymentId"]
    assert incident.first_seen is not None, f"{watch.alert} for {deployment_id} never reached Alertmanager"
    detection = incident.first_seen - incident.started
    if not incident.adopted:  # seen from its start: its detection latency is known
        assert detection <= _detection_bound(watch.alert)
    success = incident.success
    assert success is not None, f"no later successful deployment of {watch.application} after {deployment_id}"
    # Not when the next deployment merely starts: it was still active after a start would
    # have resolved it (the demo's successful deployments run longer than that).
    assert success["completeTime"] - success["startTime"] > PIPELINE_BOUND
    assert incident.last_seen >= success["startTime"] + PIPELINE_BOUND, incident
    assert incident.resolved is not None, (
        f"{watch.alert} for {deployment_id} still active after {success['deploymentId']} succeeded"
    )
    resolution = incident.resolved - success["completeTime"]
    with capsys.disabled():
        print(
            f"\n{watch.alert} ({watch.application}, {deployment_id}): detection "
            f"{'(under way before the test)' if incident.adopted else f'{detection:.2f}s'}, "
            f"resolution {resolution:.2f}s after {success['deploymentId']} succeeded "
            f"(bound {PIPELINE_BOUND:.1f}s); absent before the success at {incident.gaps}"
        )
    assert resolution <= PIPELINE_BOUND


def test_every_failure_alert_of_the_demo_is_watched_until_it_resolves():
    assert {watch.alert for watch in WATCHES} == FIRING_IN_DEMO


# ---- every alert expression, once the demo has run through a failure -----------------
@pytest.mark.parametrize("rule", ALERTS, ids=[rule["alert"] for rule in ALERTS])
def test_alert_expression_runs_and_fires_only_on_what_the_demo_breaks(prometheus, rule):
    prometheus.query(rule["expr"])  # parses and evaluates
    if rule["alert"] in DOWN_IN_DEMO:
        firing = wait_for(lambda: prometheus.query(rule["expr"]), DEMO_PERIOD, rule["alert"])
        assert {s["metric"]["account_id"] for s in firing} == {DOWN_IN_DEMO[rule["alert"]]}
    elif rule["alert"] in FIRING_IN_DEMO:
        # Within one period of the demo (demo-canary is stopped in even cycles only).
        wait_for(lambda: prometheus.query(rule["expr"]), DEMO_PERIOD, rule["alert"])
    else:
        # Over everything Prometheus has seen so far, not just this instant: from its first
        # scrape of the exporter (before it, absent(up) is 1 by definition).
        now = time.time()
        scraped = prometheus.query_range(f'up{{job="{JOB}"}}', now - 600, now)
        first_scrape = min(float(v[0]) for s in scraped for v in s["values"])
        seen = prometheus.query_range(rule["expr"], first_scrape, now)
        assert seen == [], f"{rule['alert']} would fire on the healthy parts of the demo"


def test_rules_evaluate_without_errors(prometheus):
    def evaluated():
        rules = [r for g in prometheus.api("rules")["groups"] for r in g["rules"]]
        # Never-evaluated rules report the zero time.
        return rules if not any(r["lastEvaluation"].startswith("0001") for r in rules) else None

    rules = wait_for(evaluated, 10 * EVALUATION_INTERVAL, "every rule to be evaluated")
    assert {r["name"] for r in rules if r["type"] == "alerting"} == {rule["alert"] for rule in ALERTS}
    # the recording rules are loaded too (DORA and expected durations), and evaluate as cleanly
    assert {r["name"] for r in rules if r["type"] == "recording"} == recording.recorded_names()
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
