"""The shipped alert rules: generated from one source, promtool-valid, unit-tested, documented."""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from support.docsnippets import fenced_blocks
from support.paths import REPO
from support.tools import MONITORING_METRICS, metric_names, require_binary

from tools import duration_study
from tools.generate import monitoring
from tools.generate import rules as recording
from tools.generate.alerts import ALERTS

ROOT = REPO
RULES = ROOT / "exporter" / "monitoring" / "alerts.yaml"
RECORDING = ROOT / "exporter" / "monitoring" / "rules.yaml"
RULE_TESTS = sorted((ROOT / "tests" / "rules").glob("*.yaml"))
DOCS = ROOT / "docs" / "monitoring.md"
RUNBOOK_BASE = "https://github.com/codedeploy-exporter/codedeploy-exporter/blob/main/docs/monitoring.md#"
# The group alerts, one each.
REQUIRED_ALERTS = {
    "CodeDeployGroupDeploymentFailed",
    "CodeDeployGroupDeploymentStopped",
    "CodeDeployRollback",
    "CodeDeployDeploymentRunningTooLong",
    "CodeDeployTargetsPendingTooLong",
    "CodeDeployDeploymentTargetsFailed",
    "CodeDeployExporterDown",
    "CodeDeployExporterAbsent",
    "CodeDeployExporterDataStale",
    "CodeDeployExporterConfigReloadFailed",
    "CodeDeployExporterPollSlow",
    "CodeDeployExporterThrottled",
    "CodeDeployExporterPollFailing",
}
GROUP_LABELS = {"account_id", "region", "application", "deployment_group"}
LABELS = (
    'job="codedeploy-exporter",instance="e:1",account_id="111111111111",region="us-east-1",'
    'application="web",deployment_group="prod",deployment_id="d-BIG"'
)


def _alerts() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120, cwd=cwd)


def test_generated_rules_and_chart_files_are_up_to_date():
    assert monitoring.stale() == [], "run python -m tools.generate.monitoring"


def test_generator_check_mode_reports_a_stale_chart_copy(tmp_path, monkeypatch, capsys):
    stale_copy = tmp_path / "dashboard.json"
    stale_copy.write_text("{}\n")
    monkeypatch.setattr(monitoring, "CHART_DASHBOARD", stale_copy)
    monkeypatch.setattr(monitoring, "ROOT", tmp_path)
    assert monitoring.main(["--check"]) == 1
    assert "dashboard.json is out of date" in capsys.readouterr().err


def test_schema_staleness_only_looks_at_the_alerts_subtree(tmp_path, monkeypatch):
    """The `config` subtree of values.schema.json belongs to another generator and format."""
    schema = json.loads(monitoring.SCHEMA.read_text())
    copy = tmp_path / "values.schema.json"
    copy.write_text(json.dumps(schema, indent=4, sort_keys=True))
    monkeypatch.setattr(monitoring, "SCHEMA", copy)
    assert copy not in monitoring.stale()
    schema["properties"]["prometheusRule"]["properties"]["alerts"]["properties"].popitem()
    copy.write_text(json.dumps(schema, indent=2))
    assert copy in monitoring.stale()


def test_rules_file_passes_promtool_check_rules():
    promtool = require_binary("promtool")
    result = _run(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_alerts())} rules found" in result.stdout


def test_recording_rules_file_passes_promtool_check_rules():
    promtool = require_binary("promtool")
    result = _run(promtool, "check", "rules", str(RECORDING))
    assert result.returncode == 0, result.stdout + result.stderr
    expected = len(recording.rules()) * len(recording.DEFAULT_WINDOWS) + len(recording.DURATION_RULES)
    assert f"SUCCESS: {expected} rules found" in result.stdout


def _all_recorded() -> list[dict]:
    return [
        {**rule, "group": group["name"]}
        for group in yaml.safe_load(RECORDING.read_text())["groups"]
        for rule in group["rules"]
    ]


def _recorded() -> list[dict]:
    """The DORA figures (one group per window)."""
    return [rule for rule in _all_recorded() if rule["group"] != recording.DURATION_GROUP]


def _durations() -> list[dict]:
    return [rule for rule in _all_recorded() if rule["group"] == recording.DURATION_GROUP]


def test_duration_rules_are_named_level_metric_operations_and_dedupe_replicas():
    """Expected durations, progress and ETA (issue 29): one group without a window label, each
    name level:codedeploy_metric:operation, every exporter series taken by max per group or
    deployment first (replicas count once) and selected with the job matcher."""
    durations = _durations()
    assert [r["record"] for r in durations] == [d.record for d in recording.DURATION_RULES]
    for rule in durations:
        level, metric, operation = rule["record"].split(":")
        assert level in {"deployment_group", "deployment_id"} and metric.startswith("codedeploy_") and operation
        assert "labels" not in rule
        used = metric_names(rule["expr"])
        assert used and used <= MONITORING_METRICS, used - MONITORING_METRICS
        for name, matchers in re.findall(r"\b(codedeploy_\w+)\{([^}]*)\}", rule["expr"]):
            assert 'job="codedeploy-exporter"' in matchers, f"{name}{{{matchers}}}"
            assert re.search(
                r"max by \(account_id, region, application, deployment_group[^)]*\) \(\s*(max_over_time\()?" + name,
                rule["expr"],
            ), name
    # the quantiles exist only with enough history: the fallback alerts key on their absence
    for rule in durations:
        if rule["record"].endswith((":p50", ":p90")):
            assert f">= {recording.DEFAULT_MIN_DEPLOYMENTS}" in rule["expr"], rule["record"]


def test_every_duration_rule_has_a_promtool_test():
    tested = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("promql_expr_test", []):
                if check.get("exp_samples"):
                    tested |= set(re.findall(r"[a-z_]+:codedeploy_\w+:\w+", check["expr"]))
    assert {d.record for d in recording.DURATION_RULES} - tested == set()


def test_recording_rules_are_named_level_metric_operations_and_read_only_the_contract():
    recorded = _recorded()
    assert len({(r["record"], r["labels"]["window"]) for r in recorded}) == len(recorded)
    for rule in recorded:
        level, metric, operation = rule["record"].split(":")
        assert level in {"deployment_group", "account_id", ""} and metric.startswith("codedeploy_") and operation
        assert rule["group"] == f"codedeploy-dora-{rule['labels']['window']}"
        used = metric_names(rule["expr"])
        assert used and used <= MONITORING_METRICS, used - MONITORING_METRICS
        for name, matchers in re.findall(r"\b(codedeploy_\w+)\{([^}]*)\}", rule["expr"]):
            assert 'job="codedeploy-exporter"' in matchers, f"{name}{{{matchers}}}"
        # the level's labels are what the rule keeps: group labels, the account, or none
        kept = {"deployment_group": GROUP_LABELS, "account_id": {"account_id"}, "": set()}[level]
        outer = re.match(r"(?:histogram_quantile\(\s*0\.\d+,\s*)?sum(?: by \(([^)]*)\))? \(", rule["expr"])
        assert outer, rule["expr"]
        assert {x.strip() for x in (outer.group(1) or "").split(",") if x.strip()} - {"le"} == kept


def test_every_recording_rule_in_every_window_has_a_promtool_test():
    """Each recorded name and window is queried by some promql_expr_test with expected samples."""
    tested = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("promql_expr_test", []):
                if not check.get("exp_samples"):
                    continue
                for name, window in re.findall(r"([a-z_]*:codedeploy_\w+:\w+)\{window=\"(\w+)\"\}", check["expr"]):
                    tested.add((name, window))
    wanted = {(r["record"], r["labels"]["window"]) for r in _recorded()}
    assert wanted - tested == set(), sorted(wanted - tested)


def test_promtool_unit_tests_of_the_rules_pass():
    promtool = require_binary("promtool")
    assert RULE_TESTS, "no promtool rule tests under tests/rules"
    result = _run(promtool, "test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_failed_all_at_once_deployment_over_100_targets_pages_once(tmp_path):
    """100 failed targets of one deployment: one deployment alert with the count and the first
    five target ids, one alert for its group, nothing else."""
    promtool = require_binary("promtool")
    group = LABELS.rsplit(",", 1)[0]
    series = [
        {"series": f'codedeploy_deployment_targets{{{LABELS},status="Failed"}}', "values": "0 100x5"},
        {"series": f'codedeploy_deployment_status{{{LABELS},status="Failed"}}', "values": "0 1x5"},
        {"series": f"codedeploy_deployment_complete_timestamp_seconds{{{LABELS}}}", "values": "_ 60x5"},
        {"series": f'codedeploy_deployment_group_last_attempted_status{{{group},status="Failed"}}', "values": "0 1x5"},
        {"series": f"codedeploy_deployment_group_last_attempted_info{{{LABELS}}}", "values": "_ 1x5"},
        {"series": f"codedeploy_deployment_group_last_failure_timestamp_seconds{{{group}}}", "values": "_ 60x5"},
        {"series": f"codedeploy_deployment_group_last_success_timestamp_seconds{{{group}}}", "values": "10x6"},
    ]
    series += [
        {"series": f'codedeploy_target_status{{{LABELS},target_id="i-{n:03d}",status="Failed"}}', "values": "_ 1x5"}
        for n in range(100)
    ]
    series += [
        {
            "series": f'codedeploy_lifecycle_event_status{{{LABELS},target_id="i-{n:03d}",'
            f'lifecycle_event="ApplicationStart",status="Failed"}}',
            "values": "_ 1x5",
        }
        for n in range(100)
    ]
    expected = {
        "severity": "warning",
        "account_id": "111111111111",
        "region": "us-east-1",
        "application": "web",
        "deployment_group": "prod",
        "deployment_id": "d-BIG",
    }
    description = (
        "100 targets of deployment d-BIG of web/prod (account 111111111111, us-east-1) "
        "failed, among them: i-000, i-001, i-002, i-003, i-004."
    )
    paging = {"CodeDeployDeploymentTargetsFailed", "CodeDeployGroupDeploymentFailed"}
    checks = [
        {"eval_time": "3m", "alertname": rule["alert"], "exp_alerts": []}
        for rule in _alerts()
        if rule["alert"] not in paging
    ]
    group_labels = {k: v for k, v in expected.items() if k != "deployment_id"}
    checks.append(
        {
            "eval_time": "3m",
            "alertname": "CodeDeployGroupDeploymentFailed",
            "exp_alerts": [
                {
                    "exp_labels": group_labels,
                    "exp_annotations": {
                        "summary": "The latest deployment of a CodeDeploy deployment group failed.",
                        "description": "The latest finished deployment of web/prod (account "
                        "111111111111, us-east-1) failed and no later deployment "
                        "has succeeded (latest attempt: d-BIG).",
                        "runbook_url": RUNBOOK_BASE + "codedeploygroupdeploymentfailed",
                    },
                }
            ],
        }
    )
    checks.append(
        {
            "eval_time": "3m",
            "alertname": "CodeDeployDeploymentTargetsFailed",
            "exp_alerts": [
                {
                    "exp_labels": expected,
                    "exp_annotations": {
                        "summary": "Targets of a CodeDeploy deployment failed.",
                        "description": description,
                        "runbook_url": RUNBOOK_BASE + "codedeploydeploymenttargetsfailed",
                    },
                }
            ],
        }
    )
    test_file = tmp_path / "big_test.yaml"
    test_file.write_text(
        yaml.safe_dump(
            {
                "rule_files": [str(RULES)],
                "evaluation_interval": "1m",
                "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": checks}],
            }
        )
    )
    result = _run(promtool, "test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr


def test_all_required_alerts_are_shipped_and_named_like_a_mixin():
    names = [rule["alert"] for rule in _alerts()]
    assert set(names) >= REQUIRED_ALERTS
    assert len(names) == len(set(names))
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
def test_alert_only_uses_metrics_from_the_contract_and_the_job_selector(rule):
    used = metric_names(rule["expr"])
    if rule["alert"] not in {"CodeDeployExporterDown", "CodeDeployExporterAbsent"}:
        assert used, "an alert must select at least one exporter metric"
    assert used <= MONITORING_METRICS, used - MONITORING_METRICS
    # Every selector carries the job matcher, so the chart's jobSelector reaches all of them.
    selectors = re.findall(r"\b(codedeploy_\w+|up)\{([^}]*)\}", rule["expr"])
    assert selectors
    for name, matchers in selectors:
        assert 'job="codedeploy-exporter"' in matchers, f"{name}{{{matchers}}}"


def test_every_alert_about_deployments_carries_account_and_region():
    for rule in _alerts():
        if rule["alert"].startswith("CodeDeployExporter"):
            continue
        by = re.findall(r"\b(?:by|on) \(([^)]*)\)", rule["expr"])
        assert by, rule["alert"]
        for labels in by:
            assert GROUP_LABELS <= {x.strip() for x in labels.split(",")}, (rule["alert"], labels)


def test_sparse_status_sets_are_never_read_for_their_zeros():
    """Target, lifecycle and task-set status series exist only for the current status."""
    sparse = r"codedeploy_(?:target|lifecycle_event|ecs_task_set)_status\{[^}]*\}"
    for rule in _alerts():
        for match in re.finditer(sparse, rule["expr"]):
            following = rule["expr"][match.end() : match.end() + 6]
            assert following.strip().startswith("== 1"), (rule["alert"], match.group(0))


def test_every_runbook_url_points_at_a_section_of_the_monitoring_docs():
    headings = re.findall(r"^#+ +(\S.*?)\s*$", DOCS.read_text(), flags=re.MULTILINE)
    # GitHub anchors: lower case, punctuation dropped, spaces to dashes.
    anchors = {re.sub(r"[^a-z0-9 _-]", "", h.lower()).replace(" ", "-") for h in headings}
    for rule in _alerts():
        anchor = rule["annotations"]["runbook_url"].rsplit("#", 1)[1]
        assert anchor in anchors, f"{rule['alert']}: no heading for #{anchor} in {DOCS.name}"


def test_every_threshold_is_documented_with_its_default():
    rows = {
        tuple(cell.strip().strip("`") for cell in row.split("|")[1:4])
        for row in DOCS.read_text().splitlines()
        if row.startswith("| `CodeDeploy")
    }
    missing = []
    for alert in ALERTS:
        expected = [("for", alert.for_)] + [(k.name, str(k.default)) for k in alert.knobs]
        missing += [
            (alert.name, knob, default) for knob, default in expected if (alert.name, knob, default) not in rows
        ]
    assert not missing, f"thresholds not in the table of {DOCS.name}: {missing}"


def _cases() -> list[tuple[str, list[dict]]]:
    cases = []
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            cases.append((path.name, case.get("alert_rule_test", [])))
    return cases


def _minutes(duration: str) -> float:
    units = {"s": 1 / 60, "m": 1, "h": 60}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+)([smh])", duration))


def test_every_alert_has_unit_tests_that_fire_it_keep_it_silent_and_resolve_it():
    """Fired: some check expects it. Silent: some check expects none. Resolved: an alert (by
    its labels) expected at one time is no longer expected at a later time of the same case."""
    fired, silent, resolved = set(), set(), set()
    for _, checks in _cases():
        by_alert: dict[str, list[tuple[float, set]]] = {}
        for check in checks:
            expected = {frozenset(a.get("exp_labels", {}).items()) for a in check.get("exp_alerts") or []}
            (fired if expected else silent).add(check["alertname"])
            by_alert.setdefault(check["alertname"], []).append((_minutes(check["eval_time"]), expected))
        for name, timeline in by_alert.items():
            timeline.sort(key=lambda entry: entry[0])
            if any(earlier[1] - later[1] for i, earlier in enumerate(timeline) for later in timeline[i + 1 :]):
                resolved.add(name)
    names = {rule["alert"] for rule in _alerts()}
    assert names <= fired, names - fired
    assert names <= silent, names - silent
    assert names <= resolved, f"no test resolves: {sorted(names - resolved)}"


def _routing_example() -> str:
    (block,) = [
        b
        for b in fenced_blocks(str(DOCS), DOCS.read_text())
        if b.heading == "Routing pages to the owning team" and b.language == "yaml"
    ]
    return block.text


@pytest.mark.parametrize(
    "labels, receiver",
    [
        ({"alertname": "CodeDeployDeploymentTargetsFailed", "tag_team": "payments"}, "payments"),
        ({"alertname": "CodeDeployGroupDeploymentFailed", "tag_team": "search"}, "search"),
        # a group without tags, and the exporter's own alerts: the catch-all
        ({"alertname": "CodeDeployGroupDeploymentFailed"}, "platform"),
        ({"alertname": "CodeDeployExporterDown", "job": "codedeploy-exporter"}, "platform"),
        ({"alertname": "CodeDeployRollback", "tag_team": "billing"}, "platform"),
    ],
)
def test_docs_routing_example_sends_each_alert_to_its_team(tmp_path, labels, receiver):
    """`amtool config routes test` on the docs' Alertmanager example, with the labels the shipped
    alerts carry (group labels, severity and, through the owner join, tag_team)."""
    amtool = require_binary("amtool")
    config = tmp_path / "alertmanager.yml"
    config.write_text(_routing_example())
    group = {"account_id": "111111111111", "region": "us-east-1", "application": "web", "deployment_group": "prod"}
    alert = {"severity": "warning", **({} if labels["alertname"].startswith("CodeDeployExporter") else group), **labels}
    argv = [amtool, "config", "routes", "test", f"--config.file={config}", f"--verify.receivers={receiver}"]
    result = _run(*argv, *(f"{k}={v}" for k, v in alert.items()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_every_recorded_name_is_documented_with_its_meaning():
    rows = {
        cell[0].strip("` "): cell[2].strip()
        for row in DOCS.read_text().splitlines()
        if row.startswith("| `<level>:")
        for cell in [row.split("|")[1:4]]
    }
    for figure in recording.FIGURES:
        name = f"<level>:{figure.metric}:{figure.operation}"
        assert name in rows, f"{name} is not in the recording rules table of {DOCS.name}"
        assert rows[name].replace("`", "") == figure.meaning, name


def test_group_and_deployment_alerts_carry_the_team_and_exporter_alerts_do_not():
    for rule in _alerts():
        joined = "group_left (tag_team)" in rule["expr"]
        about_exporter = rule["alert"].startswith("CodeDeployExporter")
        assert joined != about_exporter, rule["alert"]
        if joined:
            # the fallback branch keeps alerts of groups without a tags series
            assert rule["expr"].count("codedeploy_deployment_group_tags{") == 2, rule["alert"]
            assert "unless on (account_id, region, application, deployment_group)" in rule["expr"]


def test_duration_rule_tests_are_the_seeded_histories_regenerated():
    """tests/rules/duration_*_test.yaml come from tools/duration_study.py (seeded): edit that."""
    for path, text in duration_study.outputs().items():
        assert path.read_text() == text, f"run python -m tools.duration_study write ({path.name})"


def test_prometheus_interpolation_reference_matches_known_values():
    """The expected quantiles of the duration tests come from this reimplementation; pin it on
    hand-computed cases (rank 5 of 10 halfway into the 60-120 bucket; +Inf answers 28800)."""
    bounds = duration_study.PHASE_BOUNDS
    counts = [0, 0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]
    assert duration_study.histogram_quantile(0.5, counts, bounds) == 90.0
    assert duration_study.histogram_quantile(0.9, [0] * 11 + [4], bounds) == 28800.0
    assert duration_study.humanize_duration(9000) == "2h 30m 0s"
    assert duration_study.humanize_duration(48.95) == "48.95s"


def test_duration_study_measures_the_shipped_threshold():
    """`measure` swaps the learned alert's threshold for a candidate's; the shipped one must be
    what alerts.yaml holds, so the docs' table measures the rule users get."""

    def flat(expr: str) -> str:
        return re.sub(r"\s*\)", ")", re.sub(r"\(\s*", "(", re.sub(r"\s+", " ", expr)))

    shipped = duration_study.shipped()
    (rule,) = [r for r in _alerts() if r["alert"] == "CodeDeployDeploymentSlowerThanUsual"]
    assert flat(rule["expr"]).count(shipped.promql) == 2  # with and without the owner join
    assert shipped.text in rule["annotations"]["description"]
    swapped = duration_study.candidate_rules(duration_study.candidate("p99", 1.815))
    assert "^ 1.815" in swapped and shipped.promql not in flat(swapped)


def test_lognormal_arithmetic_of_the_study():
    """P(Z > 2.326) is 1 %: the threshold median x e^(2.326 sigma) fires on 1 % of normal
    deployments; an endless history's buckets are the normal CDF at ln(le / median) / sigma."""
    assert abs(duration_study.normal_fired(180 * math.exp(2.326 * 0.4), 180, 0.4) - 0.01) < 1e-4
    counts = duration_study.expected_counts(7200, 0.5)
    assert counts[duration_study.PHASE_BOUNDS.index(7200)] == 0.5
    # 7200 s lies on a bound: its median is interpolated exactly, 180 s (in 120-300) is not
    assert duration_study.histogram_quantile(0.5, counts, duration_study.PHASE_BOUNDS) == 7200
    lam = duration_study.expected_counts(180, 0.3)
    assert duration_study.histogram_quantile(0.5, lam, duration_study.PHASE_BOUNDS) > 1.1 * 180


def test_hook_study_measures_the_shipped_hook_threshold():
    """`measure-hooks` swaps CodeDeployLifecycleEventSlowerThanUsual's threshold for a
    candidate's; the shipped one must be what alerts.yaml holds, and the fallback
    (CodeDeployLifecycleEventStuck) must step aside on the same learned quantile."""

    def flat(expr: str) -> str:
        return re.sub(r"\s*\)", ")", re.sub(r"\(\s*", "(", re.sub(r"\s+", " ", expr)))

    shipped = duration_study.hook_shipped()
    rules = {r["alert"]: r for r in _alerts()}
    learned, stuck = rules["CodeDeployLifecycleEventSlowerThanUsual"], rules["CodeDeployLifecycleEventStuck"]
    assert flat(learned["expr"]).count(shipped.promql) == 2  # with and without the owner join
    quantile = {"p50": duration_study.HOOK_P50_NAME, "p90": duration_study.HOOK_P90_NAME}[duration_study.HOOK_QUANTILE]
    assert quantile in shipped.promql
    assert (
        flat(stuck["expr"]).count(
            f"unless on (account_id, region, application, deployment_group, lifecycle_event) {quantile}"
        )
        == 2
    )
    assert (
        shipped.text.split(" x ")[0] + " x its group's " + duration_study.HOOK_QUANTILE
        in (learned["annotations"]["description"])
    )
    swapped = duration_study.candidate_rules(duration_study.hook_candidate("p90", 1.5), duration_study.HOOK_SLOWER)
    # the candidate's p90 is recorded for it, as the shipped p50 is
    assert "record: " + duration_study.HOOK_P90_NAME in swapped and "1.5 * " + duration_study.HOOK_P90_NAME in swapped
    assert shipped.promql not in flat(swapped)


def test_hook_study_replays_through_promtool_and_times_the_firing():
    """A short replay of the shipped hook rule: the 10-minute hook's runs at 3x the median all
    fire within one poll of crossing the threshold; the 20 s hook's never do (the 300 s floor
    is above its 3x, by design)."""
    import shutil

    promtool = shutil.which("promtool")
    assert promtool, "promtool is not on PATH"
    rule = duration_study.hook_shipped()
    short, _, long = duration_study.STUDIED_HOOKS
    out, threshold = duration_study.hook_study(long, 40, 5, 30, 1, promtool, rule)
    assert (out.slow, out.slow_fired) == (5, 5) and threshold < 3 * long.median - 30
    assert 0 < out.worst_delay <= 30
    out, threshold = duration_study.hook_study(short, 40, 5, 30, 1, promtool, rule)
    assert threshold == 300 and (out.slow_fired, out.normal_fired) == (0, 0)
