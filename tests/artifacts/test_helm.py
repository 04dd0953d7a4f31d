"""The Helm chart lints, renders valid manifests, and wires the exporter correctly.

Everything runs offline: Helm through the helm-python-sdk wheel (Helm's Go SDK),
Kubernetes schemas from kubernetes-validate, rules through promtool, and the
exporter's own --config.check for the rendered config. The Prometheus Operator
CRD schemas are not available offline, so ServiceMonitor and PrometheusRule are
checked structurally here.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.paths import REPO

from tools.generate import monitoring
from tools.generate.alerts import ALERTS

helm = pytest.importorskip("helm_python", reason="helm-python-sdk (test extra) is not installed")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

REPO = REPO
CHART = REPO / "helm" / "codedeploy-exporter"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
RELEASE, NAMESPACE = "cde", "observability"
FULLNAME = f"{RELEASE}-codedeploy-exporter"
# An older Kubernetes still in extended support and a recent one.
KUBE_VERSIONS = ("1.28.0", "1.34.0")
OPERATOR_API = "monitoring.coreos.com/v1"

helm.disable_logging()  # Helm's SDK logs chart loading at INFO


@pytest.fixture(scope="module")
def chart():
    with helm.Chart.load(CHART) as loaded:
        yield loaded


def load_values(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) or {}


def render(chart, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Render the chart and return its objects (NOTES.txt excluded)."""
    manifests = chart.render(values or {}, name=RELEASE, namespace=NAMESPACE)
    objects: list[dict[str, Any]] = []
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


def notes(chart, values: dict[str, Any] | None = None) -> str:
    manifests = chart.render(values or {}, name=RELEASE, namespace=NAMESPACE)
    return next(text for path, text in manifests.items() if path.endswith("NOTES.txt"))


def only(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, got {len(matches)}"
    return matches[0]


def workload(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
    return found


def exporter_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (container,) = workload(objects)["spec"]["template"]["spec"]["containers"]
    return container


def rendered_config(objects: list[dict[str, Any]]) -> str:
    return only(objects, "ConfigMap", FULLNAME)["data"]["config.yaml"]


def ci_id(path: Path) -> str:
    return path.name.removesuffix("-values.yaml")


def enabling(section: str) -> list[Path]:
    """The CI values files that switch `section` on."""
    return [p for p in CI_VALUES if (load_values(p).get(section) or {}).get("enabled")]


# --- helm lint / template / schema ------------------------------------------------


def test_chart_has_ci_values_for_default_everything_and_sharded_installs():
    assert {ci_id(p) for p in CI_VALUES} >= {"default", "all-enabled", "sharded"}
    assert enabling("prometheusRule") and enabling("serviceMonitor")


@pytest.mark.parametrize("values_file", CI_VALUES, ids=ci_id)
def test_chart_lints_clean_in_strict_mode(values_file):
    report = helm.lint(CHART, values=load_values(values_file), strict=True, kube_version=f"v{KUBE_VERSIONS[-1]}")
    assert report["errors"] == []
    # severity 1 is informational ("icon is recommended"); 2 and up are warnings/errors
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("values_file", CI_VALUES, ids=ci_id)
@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_every_standard_object_passes_strict_kubernetes_validation(chart, values_file, kube_version):
    objects = render(chart, load_values(values_file))
    standard = [o for o in objects if o["apiVersion"] != OPERATOR_API]
    assert standard
    for obj in standard:
        try:
            kubernetes_validate.validate(obj, kube_version, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {err.message}")


def test_schema_rejects_unknown_keys_and_invalid_choices(chart):
    for bad in (
        {"replicaCont": 2},
        {"logLevel": "verbose"},
        {"sharding": {"enabled": True, "replicas": 0}},
        {"config": {"polling": {"interval": "30s"}}},
        {"image": {"digest": "latest"}},
    ):
        with pytest.raises(helm.HelmValuesError):
            chart.validate_schema(bad)


def leaf_paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(node, dict) and node:
        return [p for key, value in node.items() for p in leaf_paths(value, (*prefix, key))]
    return [prefix]


def schema_node(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    node = schema
    for key in path:
        node = resolve(schema, node).get("properties", {}).get(key)
        if node is None:
            return None
    return node


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref` (JSON pointers into this document) and the non-null branch of `anyOf`:
    the generated `config` subtree uses both."""
    while "properties" not in node:
        if "$ref" in node:
            pointer, node = node["$ref"], schema
            for part in pointer.removeprefix("#/").split("/"):
                node = node[part]
        elif "anyOf" in node:
            node = next(branch for branch in node["anyOf"] if branch.get("type") != "null")
        else:
            break
    return node


def test_schema_describes_every_value_with_a_type_and_description(chart):
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    missing, untyped = [], []
    for path in leaf_paths(values):
        for depth in range(1, len(path) + 1):
            node = schema_node(schema, path[:depth])
            if node is None:
                missing.append(".".join(path[:depth]))
            elif "type" not in node or "description" not in node:
                untyped.append(".".join(path[:depth]))
    assert sorted(set(missing)) == []
    assert sorted(set(untyped)) == []
    chart.validate_schema(values)


def documented_keys(lines: list[str]) -> tuple[list[str], list[str]]:
    """Walk values.yaml as text: every mapping key must follow a `# --` comment block."""
    documented: list[str] = []
    undocumented: list[str] = []
    comment_block: list[str] = []
    stack: list[tuple[int, str]] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            comment_block.append(stripped)
            continue
        match = re.match(r"^(\s*)([A-Za-z_][\w.-]*):(\s|$)", line)
        if not match:
            comment_block = [] if stripped else comment_block
            continue  # list items and block scalars belong to the key above
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group(2)))
        key = ".".join(k for _, k in stack)
        has_doc = any(c.startswith("# --") for c in comment_block)
        (documented if has_doc else undocumented).append(key)
        comment_block = []
    return documented, undocumented


def test_every_value_carries_a_helm_docs_comment():
    lines = (CHART / "values.yaml").read_text().splitlines()
    top_level_objects = {
        "image",
        "serviceAccount",
        "service",
        "serviceMonitor",
        "prometheusRule",
        "grafanaDashboard",
        "podDisruptionBudget",
        "networkPolicy",
    }
    documented, undocumented = documented_keys(lines)
    # A parent that only groups documented children needs no comment of its own.
    assert [k for k in undocumented if k not in top_level_objects] == []
    values = yaml.safe_load("\n".join(lines))
    leaves = {".".join(p) for p in leaf_paths(values)}
    assert leaves <= set(documented)


# --- defaults: what a plain install gets ------------------------------------------------


def test_plain_install_renders_only_the_core_objects(chart):
    kinds = sorted(o["kind"] for o in render(chart))
    assert kinds == ["ConfigMap", "Deployment", "Pod", "Service", "ServiceAccount"]


def test_pods_run_hardened_by_default(chart):
    objects = render(chart)
    pod = workload(objects)["spec"]["template"]["spec"]
    container = exporter_container(objects)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    ctx = container["securityContext"]
    assert ctx["runAsNonRoot"] is True
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"] == {"drop": ["ALL"]}
    assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]


def test_probes_hit_healthz_and_readyz_on_the_exporters_port(chart):
    container = exporter_container(render(chart, {"containerPort": 9999}))
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert port_names == {"http": 9999}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert "--web.listen-address=:9999" in container["args"]


def test_container_reads_the_config_map_at_the_images_default_config_path(chart):
    objects = render(chart)
    container = exporter_container(objects)
    volumes = workload(objects)["spec"]["template"]["spec"]["volumes"]
    assert "--config.file=/etc/codedeploy-exporter/config.yaml" in container["args"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    assert mount["mountPath"] == "/etc/codedeploy-exporter"
    config_volume = next(v for v in volumes if v["name"] == "config")
    assert config_volume["configMap"]["name"] == FULLNAME


def test_config_values_render_verbatim_into_the_config_map(chart):
    groups = [{"application": "web", "deployment_group": "prod", "latest": 2}]
    objects = render(chart, {"config": {"deployment_groups": groups, "poll": {"interval": "1m"}}})
    config = yaml.safe_load(rendered_config(objects))
    assert config["deployment_groups"] == groups
    assert config["poll"] == {"interval": "1m"}
    assert config["aws"] == {}  # the chart injects no region: the user's config or AWS_REGION decides


def checksum(objects: list[dict[str, Any]]) -> str | None:
    annotations = workload(objects)["spec"]["template"]["metadata"].get("annotations", {})
    return annotations.get("checksum/config")


def test_a_config_change_rolls_the_pods_and_nothing_else_does(chart):
    base = checksum(render(chart))
    assert base and re.fullmatch(r"[0-9a-f]{64}", base)
    assert checksum(render(chart, {"logLevel": "debug"})) == base
    assert checksum(render(chart, {"config": {"poll": {"interval": "45s"}}})) != base


def test_existing_config_map_replaces_the_rendered_one(chart):
    objects = render(chart, {"existingConfigMap": "my-config"})
    assert [o for o in objects if o["kind"] == "ConfigMap"] == []
    volumes = workload(objects)["spec"]["template"]["spec"]["volumes"]
    assert next(v for v in volumes if v["name"] == "config")["configMap"]["name"] == "my-config"
    assert checksum(objects) is None


def test_irsa_role_annotation_lands_on_the_pods_service_account(chart):
    arn = "arn:aws:iam::123456789012:role/codedeploy-exporter"
    objects = render(chart, {"serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": arn}}})
    account = only(objects, "ServiceAccount")
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": arn}
    pod = workload(objects)["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert "eks.amazonaws.com/role-arn" not in notes(
        chart, {"serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": arn}}}
    )


def test_notes_warn_about_a_config_with_nothing_to_poll_and_missing_irsa(chart):
    text = notes(chart)
    assert "lists no targets, deployments or deployment_groups" in text
    assert "eks.amazonaws.com/role-arn" in text
    configured = notes(chart, load_values(CHART / "ci" / "default-values.yaml"))
    assert "lists no targets" not in configured


def test_extra_args_env_and_volumes_reach_the_exporter_container(chart):
    objects = render(
        chart,
        {
            "extraArgs": ["--web.telemetry-path=/m"],
            "extraEnv": [{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}],
            "extraVolumes": [{"name": "ca", "configMap": {"name": "ca-bundle"}}],
            "extraVolumeMounts": [{"name": "ca", "mountPath": "/etc/ssl/custom"}],
        },
    )
    container = exporter_container(objects)
    assert container["args"][-1] == "--web.telemetry-path=/m"
    assert {"name": "HTTPS_PROXY", "value": "http://proxy:3128"} in container["env"]
    assert {"name": "ca", "mountPath": "/etc/ssl/custom"} in container["volumeMounts"]
    volumes = workload(objects)["spec"]["template"]["spec"]["volumes"]
    assert {"name": "ca", "configMap": {"name": "ca-bundle"}} in volumes


def test_connection_test_fetches_metrics_through_the_service(chart):
    objects = render(chart)
    pod = only(objects, "Pod")
    service = only(objects, "Service", FULLNAME)
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (container,) = pod["spec"]["containers"]
    url = f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}/metrics"
    # The script takes the URL and the text the answer must contain.
    assert container["command"][-2:] == [url, "codedeploy_exporter_build_info"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def run_connection_test(container: dict[str, Any], url: str) -> subprocess.CompletedProcess:
    python, flag, script, _, expect = container["command"]
    assert (python, flag) == ("python", "-c")
    return subprocess.run(
        [sys.executable, "-c", script, url, expect], capture_output=True, text=True, timeout=60, check=False
    )


def test_connection_test_script_passes_against_a_running_exporter(chart, make_exporter):
    from exporter.http.server import serve

    container = only(render(chart), "Pod")["spec"]["containers"][0]
    server = serve("127.0.0.1:0", make_exporter())
    try:
        result = run_connection_test(container, server.url + "/metrics")
        assert result.returncode == 0, result.stderr
        assert run_connection_test(container, server.url + "/nope").returncode != 0
    finally:
        server.stop()


def test_with_a_tls_web_config_probes_and_helm_test_use_https_and_healthz(chart):
    objects = render(chart, load_values(CHART / "ci" / "secure-values.yaml"))
    container = exporter_container(objects)
    assert "--web.config.file=/etc/codedeploy-exporter-web/web.yml" in container["args"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "web-config"]
    assert mount == {"name": "web-config", "mountPath": "/etc/codedeploy-exporter-web", "readOnly": True}
    (volume,) = [v for v in workload(objects)["spec"]["template"]["spec"]["volumes"] if v["name"] == "web-config"]
    assert volume["secret"] == {"secretName": "codedeploy-exporter-web", "defaultMode": 0o440}
    assert container["livenessProbe"]["httpGet"]["scheme"] == "HTTPS"
    assert container["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
    test_pod = only(objects, "Pod")["spec"]["containers"][0]
    # /metrics may need a password the test pod does not have; /healthz never does.
    assert test_pod["command"][-2:] == [f"https://{FULLNAME}:10120/healthz", "OK"]


def test_without_a_web_config_nothing_is_mounted_and_probes_stay_http(chart):
    container = exporter_container(render(chart))
    assert not [a for a in container["args"] if a.startswith("--web.config.file")]
    assert [m["name"] for m in container["volumeMounts"]] == ["config"]
    assert "scheme" not in container["livenessProbe"]["httpGet"]


# --- the exporter accepts what the chart renders ----------------------------------------------


@pytest.mark.parametrize("values_file", CI_VALUES, ids=ci_id)
def test_rendered_config_passes_the_exporters_config_check(chart, values_file, tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text(rendered_config(render(chart, load_values(values_file))))
    result = subprocess.run(
        [sys.executable, "-m", "exporter", "--config.file", str(config_file), "--config.check"],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- monitoring objects: one source of truth ------------------------------------------------


def test_chart_has_no_symlinks_and_its_generated_files_are_current():
    links = [p for p in CHART.rglob("*") if p.is_symlink()]
    assert links == [], "the chart must package and check out without symlinks"
    stale = [p for p in monitoring.stale() if CHART in p.parents]
    assert stale == [], "run python -m tools.generate.monitoring"
    assert (CHART / "files" / "dashboard.json").read_text() == (
        REPO / "exporter" / "monitoring" / "dashboard.json"
    ).read_text()


def _canonical_groups() -> list[dict[str, Any]]:
    return yaml.safe_load((REPO / "exporter" / "monitoring" / "alerts.yaml").read_text())["groups"]


def _recording_groups() -> list[dict[str, Any]]:
    return yaml.safe_load((REPO / "exporter" / "monitoring" / "rules.yaml").read_text())["groups"]


def _shipped_groups() -> list[dict[str, Any]]:
    """The alert groups, then the DORA recording rule groups."""
    return _canonical_groups() + _recording_groups()


def _rules(rule: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}


def _promtool_check(rule: dict[str, Any], tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: install Debian's prometheus package")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rule["spec"]))
    result = subprocess.run(
        [promtool, "check", "rules", str(rules_file)], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_rule_carries_the_shipped_alerts_unchanged(chart):
    rule = only(render(chart, {"prometheusRule": {"enabled": True}}), "PrometheusRule")
    assert rule["spec"]["groups"] == _shipped_groups()


def test_prometheus_rule_alerts_can_be_disabled_and_tuned(chart, tmp_path):
    values = {
        "prometheusRule": {
            "enabled": True,
            "alerts": {
                "CodeDeployRollback": {"enabled": False},
                "CodeDeployDeploymentRunningTooLong": {"thresholdSeconds": 10800, "for": "10m", "severity": "critical"},
                "CodeDeployTargetsPendingTooLong": {"window": "45m"},
                "CodeDeployExporterDataStale": {"intervals": 5, "minSeconds": 600},
            },
        }
    }
    rule = only(render(chart, values), "PrometheusRule")
    rules = _rules(rule)
    canonical = {r["alert"]: r for g in _canonical_groups() for r in g["rules"]}
    assert set(rules) == set(canonical) - {"CodeDeployRollback"}
    running = rules["CodeDeployDeploymentRunningTooLong"]
    assert running["expr"].count("> 10800") == 2 and "7200" not in running["expr"]  # both branches of the join
    assert running["for"] == "10m" and running["labels"] == {"severity": "critical"}
    pending = rules["CodeDeployTargetsPendingTooLong"]
    assert "offset 45m" in pending["expr"] and "[45m]" in pending["expr"]
    assert "for 45m while" in pending["annotations"]["description"]
    # One threshold feeds both alerts that share it: stale data silences PollFailing.
    for name in ("CodeDeployExporterDataStale", "CodeDeployExporterPollFailing"):
        assert "5 * codedeploy_exporter_poll_interval_seconds" in rules[name]["expr"]
        assert re.search(r",\s*600\s*\)", rules[name]["expr"]), rules[name]["expr"]
    untouched = set(rules) - {
        "CodeDeployDeploymentRunningTooLong",
        "CodeDeployTargetsPendingTooLong",
        "CodeDeployExporterDataStale",
        "CodeDeployExporterPollFailing",
    }
    assert all(rules[name] == canonical[name] for name in untouched)
    _promtool_check(rule, tmp_path)


def _running_deployment_test(rule: dict[str, Any], tmp_path: Path, application: str, alerts: list[dict]) -> None:
    """promtool runs the rendered rules over a deployment of `application` created at 0 and
    InProgress since, evaluated every 10 minutes; `alerts` are its alert_rule_test entries."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: install Debian's prometheus package")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rule["spec"]))
    labels = (
        f'job="cde",instance="e:1",account_id="1",region="r",application="{application}",deployment_group="g",'
        'deployment_id="d-1"'
    )
    series = [
        {"series": f"codedeploy_deployment_create_timestamp_seconds{{{labels}}}", "values": "0x20"},
        {"series": f'codedeploy_deployment_status{{{labels},status="InProgress"}}', "values": "1x20"},
    ]
    test = {"interval": "10m", "input_series": series, "alert_rule_test": alerts}
    test_file = tmp_path / "test.yaml"
    test_file.write_text(
        yaml.safe_dump({"rule_files": [str(rules_file)], "evaluation_interval": "10m", "tests": [test]})
    )
    result = subprocess.run(
        [promtool, "test", "rules", str(test_file)], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _running_too_long(application: str, **annotations: str) -> dict:
    """CodeDeployDeploymentRunningTooLong at 190 minutes, as it fires for that deployment."""
    labels = {"account_id": "1", "region": "r", "application": application, "deployment_group": "g"}
    return {
        "eval_time": "190m",
        "alertname": "CodeDeployDeploymentRunningTooLong",
        "exp_alerts": [
            {
                "exp_labels": {"severity": "warning", **labels, "deployment_id": "d-1"},
                "exp_annotations": {
                    "summary": "A CodeDeploy deployment has been running for too long.",
                    "description": f"Deployment d-1 of {application}/g (account 1, r) was created 3h 10m 0s ago "
                    "and is still InProgress.",
                    "runbook_url": "https://github.com/codedeploy-exporter/codedeploy-exporter/blob/main/"
                    "docs/monitoring.md#codedeploydeploymentrunningtoolong",
                    **annotations,
                },
            }
        ],
    }


def test_an_overridden_threshold_changes_when_the_rendered_alert_fires(chart, tmp_path):
    """promtool runs the rendered rules: a 3h threshold keeps a 2h10m deployment quiet."""
    values = {
        "nameOverride": "cde",
        "prometheusRule": {
            "enabled": True,
            "alerts": {"CodeDeployDeploymentRunningTooLong": {"thresholdSeconds": 10800}},
        },
    }
    rule = only(render(chart, values), "PrometheusRule")
    quiet = {"eval_time": "130m", "alertname": "CodeDeployDeploymentRunningTooLong", "exp_alerts": []}
    _running_deployment_test(rule, tmp_path, "a", [quiet, _running_too_long("a")])


def test_prometheus_rule_job_selector_defaults_to_the_chart_name_and_can_be_set(chart, tmp_path):
    renamed = _rules(
        only(render(chart, {"nameOverride": "cde-exp", "prometheusRule": {"enabled": True}}), "PrometheusRule")
    )
    assert 'up{job="cde-exp"} == 0' == renamed["CodeDeployExporterDown"]["expr"]
    assert 'job="codedeploy-exporter"' not in renamed["CodeDeployGroupDeploymentFailed"]["expr"]
    rule = only(
        render(chart, {"prometheusRule": {"enabled": True, "jobSelector": 'job=~"cde|codedeploy"'}}), "PrometheusRule"
    )
    rules = _rules(rule)
    for alert in rules.values():
        assert 'job="codedeploy-exporter"' not in alert["expr"] + str(alert["annotations"])
        assert 'job=~"cde|codedeploy"' in alert["expr"], alert["alert"]
    assert rules["CodeDeployExporterAbsent"]["annotations"]["description"].startswith(
        'No target matches up{job=~"cde|codedeploy"}'
    )
    _promtool_check(rule, tmp_path)


def test_a_group_whose_alerts_are_all_disabled_is_left_out(chart):
    exporter_alerts = [
        r["alert"] for g in _canonical_groups() if g["name"] == "codedeploy-exporter" for r in g["rules"]
    ]
    rule = only(
        render(
            chart,
            {"prometheusRule": {"enabled": True, "alerts": {name: {"enabled": False} for name in exporter_alerts}}},
        ),
        "PrometheusRule",
    )
    assert [g["name"] for g in rule["spec"]["groups"]] == ["codedeploy"] + [g["name"] for g in _recording_groups()]


def test_schema_rejects_unknown_alerts_and_bad_thresholds(chart):
    for bad in (
        {"prometheusRule": {"alerts": {"CodeDeployTargetFailed": {"enabled": False}}}},
        {"prometheusRule": {"alerts": {"CodeDeployRollback": {"severity": "page"}}}},
        {"prometheusRule": {"alerts": {"CodeDeployRollback": {"for": "soon"}}}},
        {"prometheusRule": {"alerts": {"CodeDeployDeploymentRunningTooLong": {"thresholdSeconds": "2h"}}}},
        {"prometheusRule": {"alerts": {"CodeDeployRollback": {"threshold": 1}}}},
    ):
        with pytest.raises(helm.HelmValuesError):
            chart.validate_schema(bad)


def test_prometheus_rule_adds_extra_labels_and_groups_without_losing_shipped_ones(chart):
    shipped = yaml.safe_load((REPO / "exporter" / "monitoring" / "alerts.yaml").read_text())
    extra_group = {"name": "mine", "rules": [{"record": "x:y", "expr": "vector(1)"}]}
    rule = only(
        render(
            chart,
            {
                "prometheusRule": {
                    "enabled": True,
                    "additionalRuleLabels": {"team": "platform"},
                    "additionalGroups": [extra_group],
                }
            },
        ),
        "PrometheusRule",
    )
    groups = rule["spec"]["groups"]
    assert [g["name"] for g in groups] == [g["name"] for g in _shipped_groups()] + ["mine"]
    for got, want in zip(groups, shipped["groups"], strict=False):
        for got_rule, want_rule in zip(got["rules"], want["rules"], strict=True):
            expected = copy.deepcopy(want_rule)
            expected["labels"] = {"team": "platform", **want_rule.get("labels", {})}
            assert got_rule == expected
    assert groups[-1]["rules"] == [{"record": "x:y", "expr": "vector(1)", "labels": {"team": "platform"}}]


def test_recording_rules_can_be_switched_off_or_given_other_windows(chart, tmp_path):
    off = only(
        render(chart, {"prometheusRule": {"enabled": True, "recordingRules": {"enabled": False}}}), "PrometheusRule"
    )
    assert off["spec"]["groups"] == _canonical_groups()
    values = {"prometheusRule": {"enabled": True, "recordingRules": {"windows": ["14d"], "interval": "10m"}}}
    rule = only(render(chart, values), "PrometheusRule")
    dora, durations = rule["spec"]["groups"][len(_canonical_groups()) :]
    assert dora["name"] == "codedeploy-dora-14d" and dora["interval"] == "10m"
    # the expected-duration rules have no window: the same group whatever the DORA windows
    assert durations == next(g for g in _recording_groups() if g["name"] == "codedeploy-durations")
    shipped_7d = next(g for g in _recording_groups() if g["name"] == "codedeploy-dora-7d")
    assert [r["record"] for r in dora["rules"]] == [r["record"] for r in shipped_7d["rules"]]
    for got, want in zip(dora["rules"], shipped_7d["rules"], strict=True):
        assert got["labels"] == {"window": "14d"}
        # the 7d rule with 14 days: window selectors, ranges and the per-day divisor
        expected = want["expr"].replace('window="7d"', 'window="14d"').replace("[7d]", "[14d]").replace("/ 7", "/ 14")
        assert got["expr"] == expected
    assert any("/ 14" in r["expr"] for r in dora["rules"])
    _promtool_check(rule, tmp_path)


def test_schema_rejects_recording_windows_that_are_not_whole_days(chart):
    for bad in (
        {"prometheusRule": {"recordingRules": {"windows": ["12h"]}}},
        {"prometheusRule": {"recordingRules": {"windows": []}}},
        {"prometheusRule": {"groupTagLabels": ["team"]}},
    ):
        with pytest.raises(helm.HelmValuesError):
            chart.validate_schema(bad)


def test_group_alerts_carry_the_configured_tag_labels_or_none(chart, tmp_path):
    def rules(tags: list[str]) -> dict[str, dict[str, Any]]:
        return _rules(
            only(render(chart, {"prometheusRule": {"enabled": True, "groupTagLabels": tags}}), "PrometheusRule")
        )

    canonical = {r["alert"]: r for g in _canonical_groups() for r in g["rules"]}
    two = rules(["tag_team", "tag_env"])
    none = rules([])
    for name, shipped in canonical.items():
        if name.startswith("CodeDeployExporter"):
            assert two[name] == none[name] == shipped
            continue
        assert "group_left (tag_team)" in shipped["expr"]
        assert two[name]["expr"] == shipped["expr"].replace("group_left (tag_team)", "group_left (tag_team, tag_env)")
        # without tag labels: the declared expression, no join
        assert "codedeploy_deployment_group_tags" not in none[name]["expr"]
        assert none[name]["expr"] == monitoring.substitute(next(a for a in ALERTS if a.name == name).expr)


ALLOWED_RULE_KEYS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}


@pytest.mark.parametrize("values_file", enabling("prometheusRule"), ids=ci_id)
def test_prometheus_rule_is_well_formed_and_passes_promtool(chart, values_file, tmp_path):
    rule = only(render(chart, load_values(values_file)), "PrometheusRule")
    assert rule["apiVersion"] == OPERATOR_API
    assert set(rule["spec"]) == {"groups"}
    for group in rule["spec"]["groups"]:
        assert set(group) <= {"name", "interval", "rules", "limit", "partial_response_strategy"}
        for entry in group["rules"]:
            assert set(entry) <= ALLOWED_RULE_KEYS, set(entry) - ALLOWED_RULE_KEYS
            assert ("alert" in entry) != ("record" in entry)
            assert all(isinstance(v, str) for v in entry.get("labels", {}).values())
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: install Debian's prometheus package")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rule["spec"]))
    result = subprocess.run(
        [promtool, "check", "rules", str(rules_file)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


ALLOWED_ENDPOINT_KEYS = {
    "port",
    "path",
    "interval",
    "scrapeTimeout",
    "honorLabels",
    "relabelings",
    "metricRelabelings",
    "scheme",
    "tlsConfig",
    "basicAuth",
}


@pytest.mark.parametrize("values_file", enabling("serviceMonitor"), ids=ci_id)
def test_service_monitor_selects_exactly_the_metrics_service_and_its_port(chart, values_file):
    objects = render(chart, load_values(values_file))
    monitor = only(objects, "ServiceMonitor")
    assert monitor["apiVersion"] == OPERATOR_API
    spec = monitor["spec"]
    services = [o for o in objects if o["kind"] == "Service"]
    selected = [s for s in services if spec["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()]
    # Exactly one Service, or a sharded install's pods would be scraped twice.
    assert [s["metadata"]["name"] for s in selected] == [FULLNAME]
    assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    port_names = {p["name"] for p in selected[0]["spec"]["ports"]}
    for endpoint in spec["endpoints"]:
        assert set(endpoint) <= ALLOWED_ENDPOINT_KEYS, set(endpoint) - ALLOWED_ENDPOINT_KEYS
        assert endpoint["port"] in port_names
        assert endpoint["path"] == "/metrics"
        for relabel in endpoint.get("relabelings", []) + endpoint.get("metricRelabelings", []):
            assert isinstance(relabel, dict)


def test_dashboard_config_map_holds_the_canonical_dashboard_for_the_sidecar(chart):
    canonical = json.loads((REPO / "exporter" / "monitoring" / "dashboard.json").read_text())
    objects = render(chart, {"grafanaDashboard": {"enabled": True}})
    config_map = only(objects, "ConfigMap", f"{FULLNAME}-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    (payload,) = config_map["data"].values()
    assert json.loads(payload) == canonical


def test_network_policy_admits_scrapes_and_only_dns_and_https_egress(chart):
    objects = render(chart, {"networkPolicy": {"enabled": True}})
    policy = only(objects, "NetworkPolicy")["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= (
        workload(objects)["spec"]["template"]["metadata"]["labels"].items()
    )
    assert policy["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]
    egress_ports = sorted((p["port"], p["protocol"]) for rule in policy["egress"] for p in rule["ports"])
    assert egress_ports == [(53, "TCP"), (53, "UDP"), (443, "TCP")]


def test_pod_disruption_budget_prefers_min_available_when_set(chart):
    default = only(render(chart, {"podDisruptionBudget": {"enabled": True}}), "PodDisruptionBudget")
    assert default["spec"]["maxUnavailable"] == 1 and "minAvailable" not in default["spec"]
    pinned = only(
        render(chart, {"podDisruptionBudget": {"enabled": True, "minAvailable": "50%"}}),
        "PodDisruptionBudget",
    )
    assert pinned["spec"]["minAvailable"] == "50%" and "maxUnavailable" not in pinned["spec"]


# --- sharding --------------------------------------------------------------------------------


def test_sharded_install_runs_one_statefulset_pod_per_shard(chart):
    objects = render(chart, {"sharding": {"enabled": True, "replicas": 4}})
    assert [o for o in objects if o["kind"] == "Deployment"] == []
    statefulset = only(objects, "StatefulSet")
    assert statefulset["spec"]["replicas"] == 4
    container = exporter_container(objects)
    assert "--total-shards=4" in container["args"]
    assert "--shard=auto" in container["args"]
    # --shard=auto reads the StatefulSet ordinal from the trailing -N of $POD_NAME.
    pod_name = next(e for e in container["env"] if e["name"] == "POD_NAME")
    assert pod_name["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    headless = only(objects, "Service", statefulset["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["selector"].items() <= (statefulset["spec"]["template"]["metadata"]["labels"].items())


def test_shard_is_resolved_by_the_exporter_from_each_pods_name(chart):
    from exporter.cli import resolve_shard

    objects = render(
        chart,
        {
            "sharding": {"enabled": True, "replicas": 3},
            "extraEnv": [{"name": "OTHER", "value": "x"}],
        },
    )
    statefulset = only(objects, "StatefulSet")
    container = exporter_container(objects)
    shard_arg = next(a for a in container["args"] if a.startswith("--shard="))
    total = int(next(a for a in container["args"] if a.startswith("--total-shards=")).split("=")[1])
    assert {"name": "OTHER", "value": "x"} in container["env"]
    # StatefulSet pods are named <statefulset>-<ordinal>: each resolves to a distinct shard.
    shards = []
    for ordinal in range(statefulset["spec"]["replicas"]):
        pod_name = f"{statefulset['metadata']['name']}-{ordinal}"
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("POD_NAME", pod_name)
            shards.append(resolve_shard(shard_arg.split("=", 1)[1], total))
    assert shards == list(range(total))


def test_unsharded_install_passes_no_shard_flags(chart):
    container = exporter_container(render(chart))
    assert not [a for a in container["args"] if a.startswith(("--shard", "--total-shards"))]
    assert "env" not in container


def test_chart_copied_alone_packages_and_renders_its_monitoring_objects(tmp_path):
    """No file outside the chart directory is needed (no symlinks)."""
    alone = tmp_path / "alone" / "codedeploy-exporter"
    shutil.copytree(CHART, alone, symlinks=True)
    archive = helm.package(alone, destination=tmp_path)
    with helm.Chart.load(archive) as packaged:
        files = {f["name"] for f in packaged.files}
        assert "files/dashboard.json" in files
        assert not any(name.startswith("ci/") for name in files)
        objects = render(packaged, {"prometheusRule": {"enabled": True}, "grafanaDashboard": {"enabled": True}})
        rule = only(objects, "PrometheusRule")
        assert rule["spec"]["groups"] == _shipped_groups()
        dashboard = only(objects, "ConfigMap", f"{FULLNAME}-dashboard")
        (payload,) = dashboard["data"].values()
        assert json.loads(payload) == json.loads((REPO / "exporter" / "monitoring" / "dashboard.json").read_text())


# --- scrape settings, PodMonitor, flags -------------------------------------------


def test_service_monitor_carries_sample_limit_tls_and_basic_auth(chart):
    values = load_values(CHART / "ci" / "secure-values.yaml")
    monitor = only(render(chart, values), "ServiceMonitor")
    assert monitor["spec"]["sampleLimit"] == 500000
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["scheme"] == "https"  # follows webConfig.tls
    assert endpoint["scrapeTimeout"] == "20s"
    assert endpoint["tlsConfig"] == values["serviceMonitor"]["tlsConfig"]
    assert endpoint["basicAuth"] == values["serviceMonitor"]["basicAuth"]


def test_service_monitor_defaults_to_plain_http_without_limits_or_credentials(chart):
    monitor = only(render(chart, {"serviceMonitor": {"enabled": True}}), "ServiceMonitor")
    assert "sampleLimit" not in monitor["spec"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["scheme"] == "http"
    assert "tlsConfig" not in endpoint and "basicAuth" not in endpoint


@pytest.mark.parametrize("values_file", enabling("podMonitor"), ids=ci_id)
def test_pod_monitor_selects_the_exporter_pods_and_their_metrics_port(chart, values_file):
    values = load_values(values_file)
    objects = render(chart, values)
    monitor = only(objects, "PodMonitor")
    assert monitor["apiVersion"] == OPERATOR_API
    assert monitor["metadata"]["namespace"] == (values["podMonitor"].get("namespace") or NAMESPACE)
    spec = monitor["spec"]
    assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    pod_labels = workload(objects)["spec"]["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
    port_names = {p["name"] for p in exporter_container(objects)["ports"]}
    (endpoint,) = spec["podMetricsEndpoints"]
    assert set(endpoint) <= ALLOWED_ENDPOINT_KEYS
    assert endpoint["port"] in port_names and endpoint["path"] == "/metrics"
    # The same scrape settings as the ServiceMonitor's endpoint.
    if values.get("serviceMonitor", {}).get("enabled"):
        assert endpoint == only(objects, "ServiceMonitor")["spec"]["endpoints"][0]


def test_diagnostics_and_liveness_settings_become_exporter_flags(chart):
    args = exporter_container(render(chart))["args"]
    assert "--log.diagnostics=summary" in args
    assert "--web.healthz.max-poll-intervals=10" in args
    args = exporter_container(render(chart, {"logDiagnostics": "full", "healthzMaxPollIntervals": 4}))["args"]
    assert "--log.diagnostics=full" in args
    assert "--web.healthz.max-poll-intervals=4" in args
    for bad in (
        {"logDiagnostics": "everything"},
        {"healthzMaxPollIntervals": 0},
        {"webConfig": {"existingSecret": "s", "key": "../x"}},
        {"serviceMonitor": {"sampleLimit": -1}},
        {"podMonitor": {"enable": True}},
    ):
        with pytest.raises(helm.HelmValuesError):
            chart.validate_schema(bad)


def test_flags_the_chart_passes_are_accepted_by_the_exporter(chart):
    from exporter.cli import build_parser

    for values_file in CI_VALUES:
        args = exporter_container(render(chart, load_values(values_file)))["args"]
        build_parser().parse_args(args)  # exits (SystemExit) on an unknown or bad flag


def test_external_url_reaches_the_exporter_and_is_the_alerts_link_unless_another_is_set(chart):
    """`webExternalURL` is the exporter's `--web.external-url` and the default of
    `prometheusRule.statusPageURL`; an explicit statusPageURL wins; neither: no flag, no link."""
    from exporter.cli import build_parser

    url = "https://cde.example/ops"
    objects = render(chart, {"webExternalURL": url, "prometheusRule": {"enabled": True}})
    args = exporter_container(objects)["args"]
    assert f"--web.external-url={url}" in args
    assert build_parser().parse_args(args).external_url == url
    rules = _rules(only(objects, "PrometheusRule"))
    assert rules["CodeDeployExporterDown"]["annotations"]["status_page"] == url + "/?"
    assert rules["CodeDeployDeploymentSlowerThanUsual"]["annotations"]["status_page"].startswith(url + "/?account_id=")
    other = {"webExternalURL": url, "prometheusRule": {"enabled": True, "statusPageURL": "https://other.example"}}
    rules = _rules(only(render(chart, other), "PrometheusRule"))
    assert rules["CodeDeployExporterDown"]["annotations"]["status_page"] == "https://other.example/?"
    objects = render(chart, {"prometheusRule": {"enabled": True}})
    assert not any(a.startswith("--web.external-url") for a in exporter_container(objects)["args"])
    assert "status_page" not in str(_rules(only(objects, "PrometheusRule")))
    chart.validate_schema({"webExternalURL": "http://[::1]:9000"})
    for bad in ("cde.example", "ftp://cde.example", "https://cde.example/?x=1", "https://cde.example/#top", "https://"):
        with pytest.raises(helm.HelmValuesError):
            chart.validate_schema({"webExternalURL": bad})


def test_alerts_link_to_the_status_page_on_their_deployment_when_its_address_is_set(chart, tmp_path):
    """promtool expands the rendered annotation: label values are query-escaped; a deployment's
    alert opens the page on that deployment (issue 29), within its group's filters."""
    values = {"nameOverride": "cde", "prometheusRule": {"enabled": True, "statusPageURL": "https://status.example/"}}
    rule = only(render(chart, values), "PrometheusRule")
    rules = _rules(rule)
    assert rules["CodeDeployExporterDown"]["annotations"]["status_page"] == "https://status.example/?"
    assert "status_page" not in str(
        _rules(only(render(chart, {"prometheusRule": {"enabled": True}}), "PrometheusRule"))
    )
    link = "https://status.example/?account_id=1&region=r&application=a+b%26c&deployment_group=g&deployment_id=d-1"
    _running_deployment_test(rule, tmp_path, "a b&c", [_running_too_long("a b&c", status_page=link)])


def test_a_group_alert_links_to_the_groups_newest_failed_deployment(chart, tmp_path):
    """CodeDeployGroupDeploymentFailed has no deployment_id label: its link names the newest
    failed or stopped deployment of the group still exported, found by a query in the template."""
    values = {"nameOverride": "cde", "prometheusRule": {"enabled": True, "statusPageURL": "https://status.example"}}
    rule = only(render(chart, values), "PrometheusRule")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rule["spec"]))
    group = 'job="cde",instance="e:1",account_id="1",region="r",application="web",deployment_group="g"'
    series = [
        {"series": f'codedeploy_deployment_group_last_attempted_status{{{group},status="Failed"}}', "values": "1x3"},
        {
            "series": f'codedeploy_deployment_group_last_attempted_info{{{group},deployment_id="d-NEW"}}',
            "values": "1x3",
        },
    ]
    for deployment_id, status, complete in (
        ("d-OLD", "Failed", 100),
        ("d-NEW", "Failed", 900),
        ("d-OK", "Succeeded", 950),
    ):
        labels = f'{group},deployment_id="{deployment_id}"'
        series.append(
            {"series": f"codedeploy_deployment_complete_timestamp_seconds{{{labels}}}", "values": f"{complete}x3"}
        )
        series.append({"series": f'codedeploy_deployment_status{{{labels},status="{status}"}}', "values": "1x3"})
    link = "https://status.example/?account_id=1&region=r&application=web&deployment_group=g&deployment_id=d-NEW"
    alert = {
        "eval_time": "1m",
        "alertname": "CodeDeployGroupDeploymentFailed",
        "exp_alerts": [
            {
                "exp_labels": {"severity": "warning", "account_id": "1", "region": "r", "application": "web",
                               "deployment_group": "g"},
                "exp_annotations": {
                    "summary": "The latest deployment of a CodeDeploy deployment group failed.",
                    "description": "The latest finished deployment of web/g (account 1, r) failed and no later "
                    "deployment has succeeded (latest attempt: d-NEW).",
                    "runbook_url": "https://github.com/codedeploy-exporter/codedeploy-exporter/blob/main/"
                    "docs/monitoring.md#codedeploygroupdeploymentfailed",
                    "status_page": link,
                },
            }
        ],
    }  # fmt: skip
    test = {"interval": "1m", "input_series": series, "alert_rule_test": [alert]}
    test_file = tmp_path / "test.yaml"
    test_file.write_text(
        yaml.safe_dump({"rule_files": [str(rules_file)], "evaluation_interval": "1m", "tests": [test]})
    )
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: install Debian's prometheus package")
    result = subprocess.run(
        [promtool, "test", "rules", str(test_file)], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
