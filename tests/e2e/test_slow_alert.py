"""A deployment slower than its group's history pages with its slow hook and a link to it:
simulator groups whose finished deployments the exporter reads back at start (the group history
store) -> a real Prometheus with the CHART-RENDERED PrometheusRule (Helm SDK, `webExternalURL`
set, the recording rules' group intervals stripped) -> a real Alertmanager.

Three groups, each with one deployment InProgress:
- shop: 11 Succeeded deployments of 65-115 s active time (p50 90 s, so the threshold is
  2.4 x 90 = 216 s with the floor lowered to 30 s); d-SLOWHOOK1 has been active 600 s, its
  targets in ApplicationStart (2) and ValidateService (1): CodeDeployDeploymentSlowerThanUsual.
- cart: the same history; d-NORMALRUN has been active 40 s: above the floor, below 2.4 x p50.
- fresh: 3 deployments of history (fewer than minDeployments, 10); d-FRESHRUN1 has been active
  600 s: no learned threshold, only the fixed CodeDeployDeploymentRunningTooLong (lowered to
  300 s here) applies, and that one must not apply to shop's deployment.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import helm_python as helm
import pytest
import yaml

from exporter.simulator import SimulatorServer, deployment_info, instance_target, lifecycle_event
from exporter.simulator.builders import EC2_IN_PLACE_HOOKS, deployment_id_for
from exporter.simulator.history import put_finished_deployment

from .e2e_stack import (
    ROOT,
    Alertmanager,
    Prometheus,
    free_port,
    http_get,
    scraped_exporter,
    wait_for,
)

JOB = "codedeploy-exporter"  # the chart's default job selector: job="<chart name>"
CHART = ROOT / "helm" / "codedeploy-exporter"
SLOWER = "CodeDeployDeploymentSlowerThanUsual"
TOO_LONG = "CodeDeployDeploymentRunningTooLong"
SLOW, NORMAL, FRESH = "d-SLOWHOOK1", "d-NORMALRUN", "d-FRESHRUN1"
# Active seconds of the history (put_finished_deployment's start is create + 1): all in the
# 60-120 s bucket, so p50 = 60 + 60 x 0.5 = 90 s.
HISTORY = tuple(range(65, 116, 5))
P50 = 90.0
FLOOR = 30  # below 2.4 x p50, so the learned part decides
TOO_LONG_SECONDS = 300
DAY = 86400.0
# The hooks of d-SLOWHOOK1's four targets now: None is a target that finished.
SLOW_TARGETS = ("ApplicationStart", "ApplicationStart", "ValidateService", None)
HOOKS_TEXT = "Hooks InProgress: ApplicationStart on 2 targets, ValidateService on 1 target."


def _running_target(deployment_id: str, n: int, hook: str | None, now: float) -> dict:
    """An EC2 target whose hooks before `hook` succeeded and `hook` is InProgress (all of them
    succeeded with None)."""
    events, t = [], now - 500
    for name in EC2_IN_PLACE_HOOKS[3:10]:  # ApplicationStop .. ValidateService
        if name == hook:
            events.append(lifecycle_event(name, "InProgress", t))
            break
        events.append(lifecycle_event(name, "Succeeded", t, t + 10))
        t += 10
    status = "InProgress" if hook else "Succeeded"
    return instance_target(deployment_id, f"i-0e2e{n:013x}", status, events, now)


def _running(server: SimulatorServer, application: str, deployment_id: str, active: float, hooks, now: float) -> None:
    server.simulator.put_deployment(
        deployment_info(deployment_id, application, "prod", "InProgress", now - active - 1, start_time=now - active),
        [_running_target(deployment_id, n, hook, now) for n, hook in enumerate(hooks)],
    )


def _history(server: SimulatorServer, application: str, actives, now: float) -> None:
    for n, active in enumerate(actives):
        put_finished_deployment(
            server.simulator,
            deployment_id_for(f"slow-alert:{application}:{n}"),
            application,
            "prod",
            "Succeeded",
            now - (n + 1) * DAY,
            duration=active + 1,
        )


def _chart(external_url: str) -> tuple[list[str], dict]:
    """The chart's exporter flags and PrometheusRule spec, rendered with the Helm SDK."""
    values = {
        "webExternalURL": external_url,
        "prometheusRule": {
            "enabled": True,
            "alerts": {SLOWER: {"floorSeconds": FLOOR}, TOO_LONG: {"thresholdSeconds": TOO_LONG_SECONDS}},
        },
    }
    helm.disable_logging()
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(values, name="cde", namespace="observability")
    objects = [
        doc
        for path, text in manifests.items()
        if not path.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc
    ]
    (workload,) = [o for o in objects if o["kind"] == "Deployment"]
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    (rule,) = [o for o in objects if o["kind"] == "PrometheusRule"]
    return container["args"], rule["spec"]


def _rules_file(workdir: Path, spec: dict) -> Path:
    """The rendered rule groups, unchanged but for the recording groups' intervals (1m, 3m):
    the test's Prometheus evaluates everything at its 1 s interval."""
    path = workdir / "chart-rules.yaml"
    groups = [{k: v for k, v in g.items() if k != "interval"} for g in spec["groups"]]
    path.write_text(yaml.safe_dump({"groups": groups}))
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory, alertmanager: Alertmanager) -> Iterator[tuple[SimulatorServer, Prometheus, str]]:
    workdir = tmp_path_factory.mktemp("slow-alert")
    now = time.time()
    server = SimulatorServer().start()
    for application in ("shop", "cart", "fresh"):
        server.simulator.put_deployment_group(application, "prod")
    _history(server, "shop", HISTORY, now)
    _history(server, "cart", HISTORY, now)
    _history(server, "fresh", HISTORY[:3], now)
    _running(server, "shop", SLOW, 600, SLOW_TARGETS, now)
    _running(server, "cart", NORMAL, 40, ("ApplicationStart",), now)
    _running(server, "fresh", FRESH, 600, ("ApplicationStart",), now)
    port = free_port()
    external_url = f"http://127.0.0.1:{port}"  # where people reach it: here, the exporter itself
    args, spec = _chart(external_url)
    # The exporter runs with the chart's external-URL flag; the rest of the chart's flags are
    # for a pod (config path, listen address).
    flags = tuple(a for a in args if a.startswith("--web.external-url="))
    assert flags == (f"--web.external-url={external_url}",), args
    config = {
        "aws": {"region": "us-east-1", "endpoint_url": server.endpoint_url, "account_id": server.simulator.account_id},
        "poll": {"interval": "2s"},
        "deployment_groups": [{"application": a, "deployment_group": "prod"} for a in ("shop", "cart", "fresh")],
    }
    try:
        rules = (_rules_file(workdir, spec),)
        with scraped_exporter(workdir, config, port, JOB, rules, alertmanager, flags) as prometheus:
            yield server, prometheus, external_url
    finally:
        server.stop()


def test_a_deployment_slower_than_its_groups_history_pages_with_its_hooks_and_a_link_to_it(stack, alertmanager):
    server, prometheus, external_url = stack
    account = server.simulator.account_id

    def arrived(alertname: str, deployment_id: str) -> list[dict]:
        return [a for a in alertmanager.alerts(alertname) if a["labels"].get("deployment_id") == deployment_id]

    started = time.monotonic()
    [alert] = wait_for(lambda: arrived(SLOWER, SLOW), 60, f"{SLOWER} for {SLOW} in Alertmanager")
    [fallback] = wait_for(lambda: arrived(TOO_LONG, FRESH), 30, f"{TOO_LONG} for {FRESH} in Alertmanager")
    elapsed = time.monotonic() - started

    # The learned figures came from the history the exporter read back at start.
    p50 = {r["metric"]["application"]: float(r["value"][1]) for r in prometheus.query(
        "deployment_group:codedeploy_deployment_active_seconds:p50")}  # fmt: skip
    assert p50 == pytest.approx({"shop": P50, "cart": P50}), p50

    labels = alert["labels"]
    assert (labels["application"], labels["deployment_group"], labels["account_id"]) == ("shop", "prod", account)
    description = alert["annotations"]["description"]
    assert description.startswith(f"Deployment {SLOW} of shop/prod"), description
    assert description.endswith(HOOKS_TEXT), description
    assert "over 11 deployments" in description, description
    query = urllib.parse.urlencode(
        {"account_id": account, "region": "us-east-1", "application": "shop", "deployment_group": "prod",
         "deployment_id": SLOW}
    )  # fmt: skip
    link = alert["annotations"]["status_page"]
    assert link == f"{external_url}/?{query}", link
    assert fallback["annotations"]["status_page"].endswith(f"&deployment_id={FRESH}")

    # Another evaluation or two: the alerts that did not come are not just late.
    time.sleep(3)
    assert {a["labels"]["deployment_id"] for a in alertmanager.alerts(SLOWER)} & {SLOW, NORMAL, FRESH} == {SLOW}
    assert {a["labels"]["deployment_id"] for a in alertmanager.alerts(TOO_LONG)} & {SLOW, NORMAL, FRESH} == {FRESH}

    # Clicking the link opens the exporter's status page on that deployment.
    status, body = http_get(link)
    page = body.decode()
    assert status == 200, page[:500]
    assert SLOW in page and NORMAL not in page and FRESH not in page
    # The page's own link to the deployment is absolute under the external URL, as the alert's.
    assert f"{external_url}/?deployment_id={SLOW}" in page, page[:2000]
    print(f"\n{SLOWER} and the fallback reached Alertmanager {elapsed:.1f} s after the stack was up")
    print(f"{description}\n{link}")
