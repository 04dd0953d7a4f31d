"""The monitoring mixin (monitoring/mixin/): renders with jsonnet, equals the shipped files, and
renders the same rules as the Helm chart for the same settings."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.paths import REPO
from support.tools import require_binary

from tools.generate import mixin, monitoring

_jsonnet = pytest.importorskip("_jsonnet", reason="the jsonnet binding (test extra) is not installed")

MONITORING = REPO / "exporter" / "monitoring"
ALERTS = MONITORING / "alerts.yaml"
RULES = MONITORING / "rules.yaml"
DASHBOARD = MONITORING / "dashboard.json"


def _shipped() -> dict[str, Any]:
    return {
        "alerts": yaml.safe_load(ALERTS.read_text()),
        "rules": yaml.safe_load(RULES.read_text()),
        "dashboards": {"codedeploy-exporter.json": json.loads(DASHBOARD.read_text())},
    }


def _promtool_check(groups: dict[str, Any], tmp_path: Path, name: str) -> str:
    promtool = require_binary("promtool")
    path = tmp_path / name
    path.write_text(yaml.safe_dump(groups))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_rendered_mixin_equals_the_shipped_alerts_recording_rules_and_dashboard():
    assert mixin.render() == _shipped()
    assert mixin.drift(ALERTS, RULES, DASHBOARD) == []


def test_drift_is_reported_for_each_shipped_file_that_differs(tmp_path):
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text(ALERTS.read_text().replace("> 7200", "> 7300"))
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.read_text().replace("/ 7\n", "/ 8\n"))
    dashboard = tmp_path / "dashboard.json"
    dashboard.write_text(DASHBOARD.read_text().replace('"codedeploy-exporter"', '"other"', 1))
    assert mixin.drift(alerts, RULES, DASHBOARD) == ["the mixin's prometheusAlerts differ from alerts.yaml"]
    assert mixin.drift(ALERTS, rules, DASHBOARD) == ["the mixin's prometheusRules differ from rules.yaml"]
    assert mixin.drift(ALERTS, RULES, dashboard) == ["the mixin's grafanaDashboards differ from dashboard.json"]


def test_check_mode_fails_when_the_mixin_rendering_drifts(tmp_path, monkeypatch, capsys):
    """The generated files are current, but the hand-written renderer disagrees with them."""
    copy = tmp_path / "mixin"
    shutil.copytree(mixin.MIXIN, copy)
    render = copy / "lib" / "render.libsonnet"
    render.write_text(render.read_text().replace("labels: { severity: settings.severity }", "labels: {}"))
    original = mixin.render
    monkeypatch.setattr(mixin, "render", lambda config=None: original(config, mixin_dir=copy))
    assert monitoring.main(["--check"]) == 1
    assert "prometheusAlerts differ from alerts.yaml" in capsys.readouterr().err


def test_mixin_vendored_with_jsonnet_bundler_renders_with_jsonnet_j_vendor(tmp_path):
    """`jb install` puts the folder under vendor/; `jsonnet -J vendor` then renders it, and the
    YAML entry points give the shipped files."""
    vendor = tmp_path / "vendor"
    shutil.copytree(mixin.MIXIN, vendor / "codedeploy-exporter-mixin")
    main = tmp_path / "main.jsonnet"
    main.write_text(
        "local m = import 'codedeploy-exporter-mixin/mixin.libsonnet';\n"
        "{ alerts: m.prometheusAlerts, rules: m.prometheusRules, dashboards: m.grafanaDashboards }\n"
    )
    rendered = json.loads(_jsonnet.evaluate_file(str(main), jpathdir=[str(vendor)]))
    assert rendered == _shipped()
    entry = vendor / "codedeploy-exporter-mixin" / "lib"
    for name, shipped in (("alerts.jsonnet", ALERTS), ("rules.jsonnet", RULES)):
        text = json.loads(_jsonnet.evaluate_file(str(entry / name), jpathdir=[str(vendor)]))
        assert isinstance(text, str)  # a YAML document, as `jsonnet -S` writes it
        assert yaml.safe_load(text) == yaml.safe_load(shipped.read_text())


SETTINGS: dict[str, Any] = {
    "jobSelector": 'job=~"cde|codedeploy"',
    "groupTagLabels": ["tag_team", "tag_env"],
    "statusPageURL": "https://status.example/",
    "doraWindows": ["14d"],
    "doraInterval": "10m",
    "durationMinDeployments": 20,
    "durationInterval": "2m",
    "alerts": {
        "CodeDeployRollback": {"enabled": False},
        "CodeDeployDeploymentRunningTooLong": {"thresholdSeconds": 10800, "for": "10m", "severity": "critical"},
        "CodeDeployExporterPollSlow": {"ratio": 0.65},
        "CodeDeployTargetsPendingTooLong": {"window": "45m"},
    },
}


def test_config_overrides_render_the_same_rules_as_the_helm_chart_with_those_values(tmp_path):
    helm = pytest.importorskip("helm_python", reason="helm-python-sdk (test extra) is not installed")
    helm.disable_logging()
    rendered = mixin.render(SETTINGS)
    values = {
        "prometheusRule": {
            "enabled": True,
            "jobSelector": SETTINGS["jobSelector"],
            "groupTagLabels": SETTINGS["groupTagLabels"],
            "statusPageURL": SETTINGS["statusPageURL"],
            "recordingRules": {
                "windows": SETTINGS["doraWindows"],
                "interval": SETTINGS["doraInterval"],
                "minDeployments": SETTINGS["durationMinDeployments"],
                "durationInterval": SETTINGS["durationInterval"],
            },
            "alerts": SETTINGS["alerts"],
        }
    }
    with helm.Chart.load(REPO / "helm" / "codedeploy-exporter") as chart:
        manifests = chart.render(values, name="cde", namespace="observability")
    (rule,) = [
        doc
        for path, text in manifests.items()
        if not path.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc and doc.get("kind") == "PrometheusRule"
    ]
    assert rule["spec"]["groups"] == rendered["alerts"]["groups"] + rendered["rules"]["groups"]
    alerts = {r["alert"]: r for g in rendered["alerts"]["groups"] for r in g["rules"]}
    # the settings took effect (so the equality above is not two untouched defaults)
    assert "CodeDeployRollback" not in alerts
    running = alerts["CodeDeployDeploymentRunningTooLong"]
    assert "> 10800" in running["expr"] and running["labels"] == {"severity": "critical"}
    assert "group_left (tag_team, tag_env)" in running["expr"] and 'job=~"cde|codedeploy"' in running["expr"]
    assert "0.65 * codedeploy_exporter_poll_interval_seconds" in alerts["CodeDeployExporterPollSlow"]["expr"]
    assert running["annotations"]["status_page"].startswith("https://status.example/?account_id=")
    (durations,) = [g for g in rendered["rules"]["groups"] if g["name"] == "codedeploy-durations"]
    assert durations["interval"] == "2m"
    assert all(">= 20" in r["expr"] for r in durations["rules"] if r["record"].endswith(":p90"))
    assert [g["name"] for g in rendered["rules"]["groups"]] == ["codedeploy-dora-14d", "codedeploy-durations"]
    assert all("/ 14" in r["expr"] for r in rendered["rules"]["groups"][0]["rules"] if "per_day" in r["record"])
    _promtool_check(rendered["alerts"], tmp_path, "alerts.yaml")
    _promtool_check(rendered["rules"], tmp_path, "rules.yaml")


def test_without_tag_labels_the_mixin_renders_the_plain_expressions():
    rendered = mixin.render({"groupTagLabels": []})
    for group in rendered["alerts"]["groups"]:
        for rule in group["rules"]:
            assert "codedeploy_deployment_group_tags" not in rule["expr"], rule["alert"]


def test_rendered_default_rules_pass_promtool_check_rules(tmp_path):
    rendered = mixin.render()
    alerts = sum(len(g["rules"]) for g in rendered["alerts"]["groups"])
    recorded = sum(len(g["rules"]) for g in rendered["rules"]["groups"])
    assert f"SUCCESS: {alerts} rules found" in _promtool_check(rendered["alerts"], tmp_path, "alerts.yaml")
    assert f"SUCCESS: {recorded} rules found" in _promtool_check(rendered["rules"], tmp_path, "rules.yaml")


def test_the_docs_example_renders_its_overrides_from_a_vendor_folder(tmp_path):
    """docs/monitoring.md's `codedeploy.jsonnet`, with the mixin where `jb install` puts it."""
    from support.docsnippets import fenced_blocks

    docs = REPO / "docs" / "monitoring.md"
    (example,) = [
        b.text for b in fenced_blocks(str(docs), docs.read_text()) if b.text.startswith("// codedeploy.jsonnet")
    ]
    shutil.copytree(mixin.MIXIN, tmp_path / "vendor" / "mixin")
    main = tmp_path / "codedeploy.jsonnet"
    main.write_text(example)
    files = json.loads(_jsonnet.evaluate_file(str(main), jpathdir=[str(tmp_path / "vendor")]))
    assert set(files) == {"codedeploy-alerts.yaml", "codedeploy-rules.yaml", "codedeploy-exporter.json"}
    expected = mixin.render(
        {
            "jobSelector": 'job="cde-exporter"',
            "groupTagLabels": ["tag_team", "tag_env"],
            "alerts": {"CodeDeployGroupDeploymentFailed": {"severity": "critical"}},
        }
    )
    alerts = yaml.safe_load(files["codedeploy-alerts.yaml"])
    assert alerts == expected["alerts"] and alerts != _shipped()["alerts"]
    assert yaml.safe_load(files["codedeploy-rules.yaml"]) == expected["rules"]
    assert json.loads(files["codedeploy-exporter.json"]) == _shipped()["dashboards"]["codedeploy-exporter.json"]
    _promtool_check(alerts, tmp_path, "alerts.yaml")
