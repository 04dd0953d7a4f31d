"""The shipped alert rules: promtool validity, promtool unit tests, conventions, docs links."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest_tools import CONTRACT_METRICS, metric_names, require_binary

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "exporter" / "monitoring" / "alerts.yaml"
RULE_TESTS = sorted((ROOT / "tests" / "rules").glob("*.yaml"))
DOCS = ROOT / "docs" / "monitoring.md"
RUNBOOK_BASE = ("https://github.com/codedeploy-exporter/codedeploy-exporter/blob/main/"
                "docs/monitoring.md#")
REQUIRED_ALERTS = {
    "CodeDeployTargetFailed", "CodeDeployDeploymentFailed", "CodeDeployLifecycleEventStuck",
    "CodeDeployTrafficShiftStalled", "CodeDeployExporterPollFailing",
    "CodeDeployExporterDataStale", "CodeDeployExporterThrottled",
}


def _alerts() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def test_rules_file_passes_promtool_check_rules():
    promtool = require_binary("promtool")
    result = _run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_alerts())} rules found" in result.stdout


def test_promtool_unit_tests_of_the_rules_pass():
    promtool = require_binary("promtool")
    assert RULE_TESTS, "no promtool rule tests under tests/rules"
    result = _run(promtool, "test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_all_documented_alerts_are_shipped_and_named_like_a_mixin():
    names = [rule["alert"] for rule in _alerts()]
    assert set(names) >= REQUIRED_ALERTS
    for name in names:
        assert re.fullmatch(r"CodeDeploy(?:[A-Z][a-z0-9]+)+", name), name


@pytest.mark.parametrize("rule", _alerts(), ids=lambda rule: rule["alert"])
def test_alert_has_severity_summary_description_and_runbook(rule):
    assert rule["labels"]["severity"] in {"info", "warning", "critical"}
    annotations = rule["annotations"]
    assert set(annotations) >= {"summary", "description", "runbook_url"}
    assert annotations["summary"].endswith(".")
    assert annotations["runbook_url"] == RUNBOOK_BASE + rule["alert"].lower()


@pytest.mark.parametrize("rule", _alerts(), ids=lambda rule: rule["alert"])
def test_alert_only_uses_metrics_from_the_contract(rule):
    used = metric_names(rule["expr"])
    assert used, "an alert must select at least one exporter metric"
    assert used <= CONTRACT_METRICS, used - CONTRACT_METRICS


def test_every_runbook_url_points_at_a_section_of_the_monitoring_docs():
    headings = re.findall(r"^#+ +(\S.*?)\s*$", DOCS.read_text(), flags=re.MULTILINE)
    # GitHub anchors: lower case, punctuation dropped, spaces to dashes.
    anchors = {re.sub(r"[^a-z0-9 _-]", "", h.lower()).replace(" ", "-") for h in headings}
    for rule in _alerts():
        anchor = rule["annotations"]["runbook_url"].rsplit("#", 1)[1]
        assert anchor in anchors, f"{rule['alert']}: no heading for #{anchor} in {DOCS.name}"


def test_every_tuning_knob_of_the_rules_is_documented():
    knobs = set(re.findall(r"# knob: ([a-z-]+)", RULES.read_text()))
    assert len(knobs) >= len(REQUIRED_ALERTS)
    docs = DOCS.read_text()
    missing = sorted(k for k in knobs if f"`{k}`" not in docs)
    assert not missing, f"knobs not described in {DOCS.name}: {missing}"


def test_every_alert_has_a_unit_test_that_fires_it_and_one_that_does_not():
    fired, silent = set(), set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {rule["alert"] for rule in _alerts()}
    assert names <= fired, names - fired
    assert names <= silent, names - silent
