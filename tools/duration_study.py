"""Synthetic deployment-duration histories for the expected-duration rules (issue 29).

Seeded, deterministic: log-normal active durations per group (a 3-minute Lambda group, a 2-hour
EC2 fleet), turned into the exporter's gauge-histogram buckets
(codedeploy_deployment_group_phase_duration_seconds, le bounds of /work/notes/contract-29.md)
and written as promtool series notation. Two uses:

- ``python -m tools.duration_study write``: (re)writes tests/rules/duration_*_test.yaml, the
  promtool unit tests (tests/artifacts/test_rules.py checks they are current);
- ``python -m tools.duration_study measure``: replays normal and injected slow deployments
  through ``promtool test rules`` with the shipped recording rules and the learned alert (its
  shipped threshold, or a candidate: ``--rule p50|p90|p99 --factor F``) and counts the firings
  of CodeDeployDeploymentSlowerThanUsual (docs/monitoring.md, "Measured, not assumed");
- ``python -m tools.duration_study spread``: the same candidates without promtool, over an
  endless history and over medians across the buckets: histogram_quantile's interpolation error;
- ``measure-hooks`` and ``spread-hooks``: the same for CodeDeployLifecycleEventSlowerThanUsual,
  one target's runs of three hooks (20 s, 2 min, 10 min medians) against the hook buckets
  (codedeploy_deployment_group_lifecycle_event_duration_seconds), ``--floor`` included.

The expected quantiles are computed here the way Prometheus' histogram_quantile does (linear
interpolation inside the bucket the rank falls into; the +Inf bucket answers the highest finite
bound), so the tests check the rules against the definition, not against themselves.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULE_TESTS = ROOT / "tests" / "rules"
PHASE_BOUNDS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800)
HOOK_BOUNDS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600, 10800)
JOB = 'job="codedeploy-exporter"'
ACCOUNT = 'account_id="111111111111",region="us-east-1"'
ACTIVE_P50_NAME = "deployment_group:codedeploy_deployment_active_seconds:p50"
ACTIVE_P90_NAME = "deployment_group:codedeploy_deployment_active_seconds:p90"
HOOK_P50_NAME = "deployment_group:codedeploy_lifecycle_event_seconds:p50"
HOOK_P90_NAME = "deployment_group:codedeploy_lifecycle_event_seconds:p90"
RUNBOOK = "https://github.com/codedeploy-exporter/codedeploy-exporter/blob/main/docs/monitoring.md#"


@dataclass(frozen=True)
class Group:
    application: str
    median: float  # seconds
    sigma: float  # of ln(duration)
    history: int  # Succeeded deployments in the 14-day window

    @property
    def labels(self) -> str:
        return f'{JOB},{ACCOUNT},application="{self.application}",deployment_group="prod"'


LAMBDA = Group("lambda-api", 180.0, 0.3, 280)  # 20 a day
FLEET = Group("ec2-fleet", 7200.0, 0.3, 56)  # 4 a day
FRESH = Group("new-service", 600.0, 0.3, 3)  # too little history


def lognormal(rng: random.Random, group: Group, n: int) -> list[float]:
    return [group.median * math.exp(group.sigma * rng.gauss(0.0, 1.0)) for _ in range(n)]


def cumulative(values: Iterable[float], bounds: Sequence[float]) -> list[int]:
    """Counts per le bound, +Inf last (the gauge histogram's _bucket values)."""
    values = list(values)
    return [sum(1 for v in values if v <= le) for le in bounds] + [len(values)]


def histogram_quantile(q: float, counts: Sequence[float], bounds: Sequence[float]) -> float:
    """Prometheus' histogram_quantile over cumulative counts (bounds finite, +Inf last)."""
    total = counts[-1]
    rank = q * total
    for i, count in enumerate(counts):
        if count >= rank:
            if i == len(bounds):
                return float(bounds[-1])
            lower, below = (0.0, 0.0) if i == 0 else (float(bounds[i - 1]), float(counts[i - 1]))
            return lower + (bounds[i] - lower) * (rank - below) / (count - below)
    return float(bounds[-1])


def humanize_duration(v: float) -> str:
    """Prometheus' humanizeDuration template function."""
    if v == 0 or abs(v) < 1:
        return f"{v:.4g}s"
    seconds = int(v)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h {minutes}m {seconds}s"
    if hours:
        return f"{hours}h {minutes}m {seconds}s"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{v:.4g}s"


def notation(values: Sequence[float]) -> str:
    """promtool series notation, run-length encoded ('5x3' = four samples of 5; '_' = none)."""
    out: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        v = values[i]
        text = "_" if v is None else (f"{int(v)}" if float(v).is_integer() else repr(v))
        out.append(text if j == i else f"{text}x{j - i}")
        i = j + 1
    return " ".join(out)


def _fmt(q: float) -> str:
    return repr(round(q, 6))


# ---- the unit tests ------------------------------------------------------------------------


def bucket_series(group: Group, phase: str, counts: Sequence[int], steps: int, instance: str = "e:1") -> list[str]:
    rows = []
    les = [*map(str, PHASE_BOUNDS), "+Inf"]
    for le, count in zip(les, counts, strict=True):
        name = "codedeploy_deployment_group_phase_duration_seconds_bucket"
        labels = f'{group.labels},instance="{instance}",phase="{phase}",status="Succeeded",le="{le}"'
        rows.append(_series(f"{name}{{{labels}}}", f"{count}x{steps}"))
    return rows


def _series(series: str, values: str) -> str:
    return f"      - series: '{series}'\n        values: '{values}'\n"


def _deployment(group: Group, deployment: str, statuses: dict[str, str], start: int, steps: int) -> str:
    labels = f'{group.labels},instance="e:1",deployment_id="{deployment}"'
    rows = [
        _series(f"codedeploy_deployment_create_timestamp_seconds{{{labels}}}", f"{start}x{steps}"),
        _series(f"codedeploy_deployment_start_timestamp_seconds{{{labels}}}", f"{start}x{steps}"),
    ]
    for status, values in statuses.items():
        rows.append(_series(f'codedeploy_deployment_status{{{labels},status="{status}"}}', values))
    return "".join(rows)


def _exp(group: Group, deployment: str, description: str, alert: str, summary: str) -> str:
    return (
        f'          - exp_labels: {{severity: warning, account_id: "111111111111", region: us-east-1, '
        f"application: {group.application}, deployment_group: prod, deployment_id: {deployment}}}\n"
        "            exp_annotations:\n"
        f"              summary: {summary}\n"
        f"              description: {json.dumps(description)}\n"
        f"              runbook_url: {RUNBOOK}{alert.lower()}\n"
    )


def _check(time: str, alert: str, expected: str = "") -> str:
    head = f"      - eval_time: {time}\n        alertname: {alert}\n"
    return head + ("        exp_alerts:\n" + expected if expected else "        exp_alerts: []\n")


SLOWER = "CodeDeployDeploymentSlowerThanUsual"
SLOWER_SUMMARY = "A CodeDeploy deployment is taking longer than its group's deployments usually do."
TOO_LONG = "CodeDeployDeploymentRunningTooLong"
TOO_LONG_SUMMARY = "A CodeDeploy deployment has been running for too long."


def _slower_text(group: Group, deployment: str, elapsed: float, counts: Sequence[int]) -> str:
    p50 = histogram_quantile(0.5, counts, PHASE_BOUNDS)
    p90 = histogram_quantile(0.9, counts, PHASE_BOUNDS)
    return (
        f"Deployment {deployment} of {group.application}/prod (account 111111111111, us-east-1) has been "
        f"active (InProgress, not waiting) for {humanize_duration(elapsed)}; its group's Succeeded "
        f"deployments usually take {humanize_duration(p50)} (p90 {humanize_duration(p90)}, over "
        f"{counts[-1]} deployments), and the threshold is {shipped().text}."
    )


def alerts_test(seed: int = 29) -> str:
    """One day at 1m steps, the groups' 14-day histories constant (the exporter's window gauge
    as a restarted exporter serves it), running deployments of each kind."""
    rng = random.Random(seed)
    steps = 600  # minutes: 0 .. 600
    histories = {g: cumulative(lognormal(rng, g, g.history), PHASE_BOUNDS) for g in (LAMBDA, FLEET, FRESH)}
    rows = []
    for group, counts in histories.items():
        rows += bucket_series(group, "active", counts, steps)
    # a second replica serves the fleet group: the rules count it once
    rows += bucket_series(FLEET, "active", histories[FLEET], steps, instance="e:2")
    # waiting is history too, but never what a deployment is compared with: huge waits here
    rows += bucket_series(FLEET, "waiting", cumulative([86400.0] * 50, PHASE_BOUNDS), steps)
    lam, fleet = histories[LAMBDA], histories[FLEET]
    lam_threshold = shipped().threshold(lam)
    fleet_threshold = shipped().threshold(fleet)
    # Lambda: d-LNORMAL runs 4 minutes (quiet); d-LSLOW (3x the median) runs 9 minutes from 60m,
    # then succeeds at 70m (resolves).
    rows.append(
        _deployment(LAMBDA, "d-LNORMAL", {"InProgress": "0x59 1x4 0x536", "Succeeded": "0x63 1x536"}, 3600, steps)
    )
    rows.append(
        _deployment(LAMBDA, "d-LSLOW", {"InProgress": "0x59 1x10 0x530", "Succeeded": "0x69 1x530"}, 3600, steps)
    )
    # Fleet: d-FSLOW InProgress from 0 for 9h (3x the 2h median, past 2.4 x its p50); d-FREADY was
    # active 1h, then parked in Ready for a manual reroute from 60m to 540m, then InProgress
    # (rerouting) to the end: never compared, and no fixed 2h alert in a group with history.
    rows.append(_deployment(FLEET, "d-FSLOW", {"InProgress": "1x540 0x60", "Succeeded": "0x540 1x60"}, 0, steps))
    rows.append(_deployment(FLEET, "d-FREADY", {"InProgress": "1x59 0x480 1x60", "Ready": "0x59 1x480 0x60"}, 0, steps))
    # Too little history: d-NEW InProgress from 0 to 300m: the fixed 2h rule fires, the learned one not.
    rows.append(_deployment(FRESH, "d-NEW", {"InProgress": "1x300 0x300", "Succeeded": "0x300 1x300"}, 0, steps))
    lam_cross = 3600 + lam_threshold  # seconds since 0
    lam_fire = math.ceil(lam_cross / 60)
    fleet_fire = math.ceil(fleet_threshold / 60)
    checks = [
        _check(f"{lam_fire - 1}m", SLOWER),
        _check(
            f"{lam_fire}m",
            SLOWER,
            _exp(LAMBDA, "d-LSLOW", _slower_text(LAMBDA, "d-LSLOW", lam_fire * 60 - 3600, lam), SLOWER, SLOWER_SUMMARY),
        ),
        _check("75m", SLOWER),
        _check(f"{fleet_fire - 1}m", SLOWER),
        _check(
            f"{fleet_fire}m",
            SLOWER,
            _exp(FLEET, "d-FSLOW", _slower_text(FLEET, "d-FSLOW", fleet_fire * 60, fleet), SLOWER, SLOWER_SUMMARY),
        ),
        _check("560m", SLOWER),  # d-FSLOW succeeded; d-FREADY InProgress again after waiting
        _check("150m", TOO_LONG, _too_long("d-NEW", 9000)),
        _check("420m", TOO_LONG),  # only d-FREADY/d-FSLOW run long: their group has history
        _check("330m", TOO_LONG),
    ]
    # The dashboard's "Slower than usual" marker (Grafana variables matching everything): at the
    # first evaluation past the crossing, d-LSLOW is marked at start + threshold (milliseconds).
    from tools.generate.dashboard.rows_deployments import slower_than_usual_marker

    marker = re.sub(r'=~"\$\w+"', '=~".*"', slower_than_usual_marker()).replace("\n", " ")
    marked = _group_labels(LAMBDA, "", ',deployment_id="d-LSLOW"')
    expr_checks = _expr(f"{lam_fire}m", f"round({marker}, 1)", [_sample(marked, math.floor(1000 * lam_cross + 0.5))])
    expr_checks += _expr(f"{lam_fire - 1}m", f"round({marker}, 1)", [])
    header = (
        "# promtool unit tests of CodeDeployDeploymentSlowerThanUsual and its fallback\n"
        "# CodeDeployDeploymentRunningTooLong (issue 29). Generated by tools/duration_study.py\n"
        f"# (python -m tools.duration_study write; seed {seed}): log-normal 14-day histories (median,\n"
        f"# sigma of ln): {LAMBDA.application} {LAMBDA.median:.0f}s {LAMBDA.sigma} x{LAMBDA.history}, "
        f"{FLEET.application} {FLEET.median:.0f}s {FLEET.sigma} x{FLEET.history},\n"
        f"# {FRESH.application} x{FRESH.history} (too little). Learned thresholds: {LAMBDA.application} "
        f"{lam_threshold:.1f}s, {FLEET.application} {fleet_threshold:.1f}s.\n"
        "rule_files:\n  - ../../exporter/monitoring/alerts.yaml\n  - ../../exporter/monitoring/rules.yaml\n\n"
        "evaluation_interval: 1m\n\ntests:\n  - interval: 1m\n    input_series:\n"
    )
    body = header + "".join(rows) + "    alert_rule_test:\n" + "".join(checks)
    return body + "    promql_expr_test:\n" + expr_checks + hooks_case(rng)


# ---- hooks: learned against the group's hook history, Stuck as the fallback ---------------
HOOK = "BeforeAllowTraffic"
HOOK_MEDIAN = 20.0
LONG_HOOK = "AfterInstall"  # a hook long enough that the factor decides, not the floor
LONG_HOOK_MEDIAN = 600.0
HOOK_SLOWER = "CodeDeployLifecycleEventSlowerThanUsual"
HOOK_SLOWER_SUMMARY = "A CodeDeploy lifecycle event is taking longer than it usually does in its group."
STUCK = "CodeDeployLifecycleEventStuck"
STUCK_SUMMARY = "A CodeDeploy lifecycle event has been in progress for too long."


def hook_buckets(group: Group, counts: Sequence[int], steps: int, event: str = HOOK) -> list[str]:
    rows = []
    for le, count in zip([*map(str, HOOK_BOUNDS), "+Inf"], counts, strict=True):
        labels = f'{group.labels},instance="e:1",lifecycle_event="{event}",le="{le}"'
        rows.append(
            _series(
                f"codedeploy_deployment_group_lifecycle_event_duration_seconds_bucket{{{labels}}}", f"{count}x{steps}"
            )
        )
    return rows


def _hook_run(
    group: Group, deployment: str, target: str, start: int, status_values: str, steps: int, event: str = HOOK
) -> str:
    run = f'deployment_id="{deployment}",target_id="{target}",lifecycle_event="{event}"'
    labels = f'{group.labels},instance="e:1",{run}'
    return _series(f"codedeploy_lifecycle_event_start_timestamp_seconds{{{labels}}}", f"{start}x{steps}") + _series(
        f'codedeploy_lifecycle_event_status{{{labels},status="InProgress"}}', status_values
    )


def _hook_exp(group: Group, deployment: str, alert: str, summary: str, tail: str, event: str = HOOK) -> str:
    description = (
        f"Lifecycle event {event} of 1 target in deployment {deployment} of {group.application}/prod "
        f"(account 111111111111, us-east-1) has been InProgress for {tail}"
    )
    return (
        f'          - exp_labels: {{severity: warning, account_id: "111111111111", region: us-east-1, '
        f"application: {group.application}, deployment_group: prod, deployment_id: {deployment}, "
        f"lifecycle_event: {event}}}\n"
        "            exp_annotations:\n"
        f"              summary: {summary}\n"
        f"              description: {json.dumps(description)}\n"
        f"              runbook_url: {RUNBOOK}{alert.lower()}\n"
    )


def hooks_case(rng: random.Random) -> str:
    """One target's hook of the Lambda group (history of 280 runs, median 20s) runs from 0 to
    80m: the learned alert fires past the shipped max(factor x p50, floor), here the floor, Stuck
    never (the hook has history). A second hook of the group (median 10 min, so the factor
    decides) runs as long in another deployment: it fires past factor x its p50. The fresh
    group's hook (2 runs of history) runs as long: Stuck fires, the learned one not."""
    steps = 90
    rule = hook_shipped()
    history = cumulative(lognormal(rng, Group("h", HOOK_MEDIAN, 0.5, 0), 280), HOOK_BOUNDS)
    rows = hook_buckets(LAMBDA, history, steps) + hook_buckets(FRESH, cumulative([15.0, 25.0], HOOK_BOUNDS), steps)
    rows.append(_hook_run(LAMBDA, "d-LHOOK", "t-1", 0, "1x80 _x9", steps))
    rows.append(_hook_run(FRESH, "d-NHOOK", "t-1", 0, "1x80 _x9", steps))
    long_history = cumulative(lognormal(rng, Group("h", LONG_HOOK_MEDIAN, 0.3, 0), 280), HOOK_BOUNDS)
    long_threshold = rule.threshold(long_history)
    # all runs under 1 s: the floor is the threshold; the long hook must be above it
    assert long_threshold > rule.threshold([1] * len(long_history)), "the factor must decide, not the floor"
    rows += hook_buckets(LAMBDA, long_history, steps, LONG_HOOK)
    rows.append(_hook_run(LAMBDA, "d-LLONG", "t-1", 0, "1x80 _x9", steps, LONG_HOOK))

    def learned_exp(deployment: str, counts: Sequence[int], event: str) -> str:
        p50 = humanize_duration(histogram_quantile(0.5, counts, HOOK_BOUNDS))
        tail = "longer than " + rule.text.replace(" x p50", f" x its group's p50 of {p50}") + "."
        return _hook_exp(LAMBDA, deployment, HOOK_SLOWER, HOOK_SLOWER_SUMMARY, tail, event)

    fire = math.floor(rule.threshold(history) / 60) + 1
    long_fire = math.floor(long_threshold / 60) + 1
    learned = learned_exp("d-LHOOK", history, HOOK)
    stuck = _hook_exp(FRESH, "d-NHOOK", STUCK, STUCK_SUMMARY, "more than 3600 seconds.")
    checks = [
        _check(f"{fire - 1}m", HOOK_SLOWER),
        _check(f"{fire}m", HOOK_SLOWER, learned),
        _check(f"{long_fire - 1}m", HOOK_SLOWER, learned),
        _check(f"{long_fire}m", HOOK_SLOWER, learned + learned_exp("d-LLONG", long_history, LONG_HOOK)),
        _check("89m", HOOK_SLOWER),
        _check("60m", STUCK),
        # InProgress past 3600s from 61m, then `for: 5m`
        _check("66m", STUCK, stuck),
        _check("89m", STUCK),
    ]
    return "  - interval: 1m\n    input_series:\n" + "".join(rows) + "    alert_rule_test:\n" + "".join(checks)


def _too_long(deployment: str, age: int) -> str:
    description = (
        f"Deployment {deployment} of {FRESH.application}/prod (account 111111111111, us-east-1) was created "
        f"{humanize_duration(age)} ago and is still InProgress."
    )
    return _exp(FRESH, deployment, description, TOO_LONG, TOO_LONG_SUMMARY)


# ---- the recorded series over weeks --------------------------------------------------------
HOURS = 15 * 24  # the test spans 15 days at 1h steps: 14 to fill the window, one to slide it


def windowed(completions: Sequence[tuple[float, float]], hour: int, bounds: Sequence[float]) -> list[int]:
    """The gauge histogram at ``hour``: deployments completed in the last 14 days."""
    now = hour * 3600
    return cumulative((d for t, d in completions if now - 14 * 86400 < t <= now), bounds)


def _history(rng: random.Random, group: Group, days: int = 15) -> list[tuple[float, float]]:
    n = group.history * days // 14
    durations = lognormal(rng, group, n)
    return sorted((rng.uniform(0, days * 86400), d) for d in durations)


def _evolving(group: Group, completions: Sequence[tuple[float, float]], instance: str = "e:1") -> list[str]:
    per_hour = [windowed(completions, h, PHASE_BOUNDS) for h in range(HOURS + 1)]
    rows = []
    for i, le in enumerate([*map(str, PHASE_BOUNDS), "+Inf"]):
        labels = f'{group.labels},instance="{instance}",phase="active",status="Succeeded",le="{le}"'
        values = notation([counts[i] for counts in per_hour])
        rows.append(_series(f"codedeploy_deployment_group_phase_duration_seconds_bucket{{{labels}}}", values))
    return rows


def _sample(labels: str, value: float, rounded: bool = False) -> str:
    if rounded:  # round(v, 0.001) as Prometheus computes it; round() drops the name
        labels = labels[labels.index("{") :]
        value = math.floor(value * 1000 + 0.5) / 1000
    return f"          - labels: '{labels}'\n            value: {_fmt(value)}\n"


def _expr(time: str, expr: str, samples: Sequence[str]) -> str:
    body = "".join(samples)
    return f"      - eval_time: {time}\n        expr: {expr}\n" + (
        "        exp_samples:\n" + body if samples else "        exp_samples: []\n"
    )


def _group_labels(group: Group, name: str, extra: str = "") -> str:
    own = f'account_id="111111111111",application="{group.application}",deployment_group="prod",region="us-east-1"'
    return f"{name}{{{own}{extra}}}"


def history_test(seed: int = 14) -> str:
    rng = random.Random(seed)
    lam, fleet = _history(rng, LAMBDA), _history(rng, FLEET)
    fresh = [(5 * 86400.0, 500.0), (6 * 86400.0, 700.0), (7 * 86400.0, 650.0)]
    rows = _evolving(LAMBDA, lam) + _evolving(FLEET, fleet) + _evolving(FLEET, fleet, "e:2") + _evolving(FRESH, fresh)
    last = HOURS
    end = 14 * 86400 + 86400  # seconds at the last step
    # Running now (the last 2 hours): d-FRUN InProgress since 1h before the end, 10 targets; its
    # overview served by two replicas. d-FWAIT was active, is Ready (waiting) now. d-LDONE is over.
    run = f'{FLEET.labels},deployment_id="d-FRUN"'
    wait = f'{FLEET.labels},deployment_id="d-FWAIT"'
    done = f'{LAMBDA.labels},deployment_id="d-LDONE"'
    before = HOURS - 2
    pad = f"_x{before} "  # promtool: '_xN' is N missing samples (not N+1 as 'vxN')
    for instance in ("e:1", "e:2"):
        for status, count in (
            ("Pending", 4),
            ("InProgress", 1),
            ("Succeeded", 3),
            ("Failed", 1),
            ("Skipped", 1),
            ("Ready", 0),
        ):
            rows.append(
                _series(
                    f'codedeploy_deployment_targets{{{run},instance="{instance}",status="{status}"}}', f"{pad}{count}x2"
                )
            )
    start = end - 3600
    rows.append(_series(f'codedeploy_deployment_start_timestamp_seconds{{{run},instance="e:1"}}', f"{pad}{start}x2"))
    rows.append(_series(f'codedeploy_deployment_status{{{run},instance="e:1",status="InProgress"}}', f"{pad}1x2"))
    rows.append(
        _series(f'codedeploy_deployment_start_timestamp_seconds{{{wait},instance="e:1"}}', f"{pad}{end - 7200}x2")
    )
    rows.append(_series(f'codedeploy_deployment_status{{{wait},instance="e:1",status="InProgress"}}', f"{pad}1 0 0"))
    rows.append(_series(f'codedeploy_deployment_status{{{wait},instance="e:1",status="Ready"}}', f"{pad}0 1 1"))
    rows.append(_series(f'codedeploy_deployment_targets{{{wait},instance="e:1",status="Ready"}}', f"{pad}2x2"))
    rows.append(_series(f'codedeploy_deployment_targets{{{wait},instance="e:1",status="InProgress"}}', f"{pad}0x2"))
    rows.append(
        _series(f'codedeploy_deployment_start_timestamp_seconds{{{done},instance="e:1"}}', f"{pad}{end - 600}x2")
    )
    rows.append(_series(f'codedeploy_deployment_status{{{done},instance="e:1",status="Succeeded"}}', f"{pad}1x2"))
    rows.append(_series(f'codedeploy_deployment_targets{{{done},instance="e:1",status="Succeeded"}}', f"{pad}1x2"))
    # hook history: the Lambda group's grows with its deployments, the fresh one's has 2 runs
    hooks = cumulative(lognormal(rng, Group("h", HOOK_MEDIAN, 0.5, 0), 40), HOOK_BOUNDS)
    rows += [r.replace(f"x{90}'", f"x{HOURS}'") for r in hook_buckets(LAMBDA, hooks, HOURS)]
    rows += hook_buckets(FRESH, cumulative([15.0, 25.0], HOOK_BOUNDS), HOURS)

    from tools.generate import rules as recording

    checks = []
    # Hour 3: too few deployments yet: counted, no quantile; the fallback alerts watch the group.
    early = windowed(lam, 3, PHASE_BOUNDS)
    assert early[-1] < recording.DEFAULT_MIN_DEPLOYMENTS, early
    checks.append(
        _expr(
            "3h",
            recording.ACTIVE_COUNT,
            [
                _sample(_group_labels(group, recording.ACTIVE_COUNT), windowed(c, 3, PHASE_BOUNDS)[-1])
                for group, c in ((FLEET, fleet), (FRESH, fresh), (LAMBDA, lam))
            ],
        )
    )
    checks.append(_expr("3h", recording.ACTIVE_P50, []))
    # Day 7, the last hour (the window slid past the first day's deployments): per group.
    for time, hour in (("168h", 168), (f"{last}h", last)):
        p50s, p90s, counts = [], [], []
        for group, completions in ((FLEET, fleet), (FRESH, fresh), (LAMBDA, lam)):
            histogram = windowed(completions, hour, PHASE_BOUNDS)
            counts.append(_sample(_group_labels(group, recording.ACTIVE_COUNT), histogram[-1]))
            if histogram[-1] >= recording.DEFAULT_MIN_DEPLOYMENTS:
                p50s.append(
                    _sample(
                        _group_labels(group, recording.ACTIVE_P50),
                        histogram_quantile(0.5, histogram, PHASE_BOUNDS),
                        True,
                    )
                )
                p90s.append(
                    _sample(
                        _group_labels(group, recording.ACTIVE_P90),
                        histogram_quantile(0.9, histogram, PHASE_BOUNDS),
                        True,
                    )
                )
        checks += [
            _expr(time, recording.ACTIVE_COUNT, counts),
            _expr(time, f"round({recording.ACTIVE_P50}, 0.001)", p50s),
            _expr(time, f"round({recording.ACTIVE_P90}, 0.001)", p90s),
        ]
    # the window slides: the last hour's count is not the sum of everything ever completed
    assert windowed(lam, last, PHASE_BOUNDS)[-1] < len(lam)
    fleet_now = windowed(fleet, last, PHASE_BOUNDS)
    p50 = histogram_quantile(0.5, fleet_now, PHASE_BOUNDS)
    deployment = ',deployment_id="d-FRUN"'
    checks += [
        _expr(f"{last}h", recording.ELAPSED, [_sample(_group_labels(FLEET, recording.ELAPSED, deployment), 3600)]),
        _expr(
            f"{last}h",
            f"round({recording.ETA}, 0.001)",
            [_sample(_group_labels(FLEET, recording.ETA, deployment), max(0.0, p50 - 3600), True)],
        ),
        # (Succeeded 3 + Failed 1 + Skipped 1) / 10; d-FWAIT: 2 Ready / 2; d-LDONE is over
        _expr(
            f"{last}h",
            recording.PROGRESS,
            [
                _sample(_group_labels(FLEET, recording.PROGRESS, deployment), 0.5),
                _sample(_group_labels(FLEET, recording.PROGRESS, ',deployment_id="d-FWAIT"'), 1),
            ],
        ),
        # hook history: enough runs in the Lambda group, too few in the fresh one
        _expr(
            f"{last}h",
            recording.HOOK_COUNT,
            [
                _sample(_group_labels(FRESH, recording.HOOK_COUNT, f',lifecycle_event="{HOOK}"'), 2),
                _sample(_group_labels(LAMBDA, recording.HOOK_COUNT, f',lifecycle_event="{HOOK}"'), 40),
            ],
        ),
        _expr(
            f"{last}h",
            f"round({recording.HOOK_P50}, 0.001)",
            [
                _sample(
                    _group_labels(LAMBDA, recording.HOOK_P50, f',lifecycle_event="{HOOK}"'),
                    histogram_quantile(0.5, hooks, HOOK_BOUNDS),
                    True,
                )
            ],
        ),
    ]
    header = (
        "# promtool unit tests of the expected-duration recording rules (issue 29) over 15 days at 1h\n"
        "# steps. Generated by tools/duration_study.py (python -m tools.duration_study write; seed\n"
        f"# {seed}): deployments complete at seeded random times with log-normal active durations,\n"
        "# the gauge histogram holds those of the last 14 days (it fills, then slides). ec2-fleet is\n"
        "# served by two replicas (counted once). Expected quantiles: Prometheus' interpolation,\n"
        "# computed in tools/duration_study.py; compared to the millisecond (round()).\n"
        "rule_files:\n  - ../../exporter/monitoring/rules.yaml\n\n"
        "evaluation_interval: 1h\n\ntests:\n  - interval: 1h\n    input_series:\n"
    )
    return header + "".join(rows) + "    promql_expr_test:\n" + "".join(checks)


# ---- the measurement -----------------------------------------------------------------------
_GO_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def go_duration(text: str) -> float:
    return sum(float(n) * _GO_UNITS[u] for n, u in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", text))


@dataclass
class Outcome:
    normal: int = 0
    normal_fired: int = 0
    slow: int = 0
    slow_fired: int = 0
    waiting: int = 0
    waiting_fired: int = 0
    worst_delay: float = 0.0  # seconds from crossing the threshold to the first firing

    @classmethod
    def of(cls, kinds: Sequence[tuple[str, float]], first: dict[str, float], threshold: float) -> Outcome:
        """Tally runs d-<kind><i> ("n" normal, "w" waiting, else slow) by whether the alert
        fired for them (`first`: when it first did)."""
        out = cls()
        for i, (kind, _) in enumerate(kinds):
            fired = f"d-{kind}{i}" in first
            if kind == "n":
                out.normal, out.normal_fired = out.normal + 1, out.normal_fired + fired
            elif kind == "w":
                out.waiting, out.waiting_fired = out.waiting + 1, out.waiting_fired + fired
            else:
                out.slow, out.slow_fired = out.slow + 1, out.slow_fired + fired
                if fired:
                    out.worst_delay = max(out.worst_delay, first[f"d-{kind}{i}"] - threshold)
        return out


@dataclass(frozen=True)
class Rule:
    """A candidate threshold of CodeDeployDeploymentSlowerThanUsual: as PromQL over the recorded
    p50/p90 (replacing the shipped alert's threshold, the ``clamp_min(...)`` after ``group_left``)
    and as the same arithmetic here (for the delay after crossing)."""

    name: str
    text: str
    promql: str
    threshold: Callable[[Sequence[float]], float]


def _q(q: float, counts: Sequence[float]) -> float:
    return histogram_quantile(q, counts, PHASE_BOUNDS)


def candidate(
    name: str,
    factor: float,
    floor: float = 300,
    recorded: tuple[str, str] = (ACTIVE_P50_NAME, ACTIVE_P90_NAME),
    bounds: Sequence[float] = PHASE_BOUNDS,
) -> Rule:
    """The rules compared in docs/monitoring.md ("Measured, not assumed"). ``p99``: the group's
    99th percentile as log-normal durations have it, p50 x (p90/p50)^k with k = 2.326/1.2816.
    ``recorded`` and ``bounds``: the recorded p50/p90 and the buckets they come from (the
    deployments' by default, the hooks' for :func:`hook_candidate`)."""
    p50, p90 = recorded

    def q(x: float, c: Sequence[float]) -> float:
        return histogram_quantile(x, c, bounds)

    if name == "p90":
        return Rule(
            name,
            f"max({factor:g} x p90, {floor:g}s)",
            f"clamp_min({factor} * {p90}, {floor:g})",
            lambda c: max(factor * q(0.9, c), floor),
        )
    if name == "p50":
        return Rule(
            name,
            f"max({factor:g} x p50, {floor:g}s)",
            f"clamp_min({factor} * {p50}, {floor:g})",
            lambda c: max(factor * q(0.5, c), floor),
        )
    if name == "p99":
        return Rule(
            name,
            f"max(p50 x (p90/p50)^{factor:g}, {floor:g}s)",
            f"clamp_min({p50} * ({p90} / {p50}) ^ {factor}, {floor:g})",
            lambda c: max(q(0.5, c) * (q(0.9, c) / q(0.5, c)) ** factor, floor),
        )
    raise ValueError(f"unknown rule {name!r} (p50, p90, p99)")


def hook_candidate(name: str, factor: float, floor: float = 300) -> Rule:
    """A candidate threshold of CodeDeployLifecycleEventSlowerThanUsual (the hooks' buckets)."""
    return candidate(name, factor, floor, (HOOK_P50_NAME, HOOK_P90_NAME), HOOK_BOUNDS)


def shipped() -> Rule:
    """The shipped rule at its default knobs (tools/generate/alerts.py)."""
    from tools.generate.alerts import ALERTS

    (alert,) = [a for a in ALERTS if a.name == SLOWER]
    knobs = {k.name: float(k.default) for k in alert.knobs}
    return candidate("p50", knobs["factor"], knobs["floorSeconds"])


def candidate_rules(rule: Rule, alert: str = SLOWER) -> str:
    """alerts.yaml with the learned ``alert`` alone, its threshold replaced by ``rule``'s."""
    import yaml

    groups = yaml.safe_load((ROOT / "exporter/monitoring/alerts.yaml").read_text())["groups"]
    (shipped,) = [r for g in groups for r in g["rules"] if r.get("alert") == alert]
    expr, n = re.subn(r"clamp_min\((?:[^()]|\([^()]*\))*\)", rule.promql, shipped["expr"])
    if not n:
        raise SystemExit(f"no clamp_min(...) threshold in the shipped {alert}")
    records = yaml.safe_load((ROOT / "exporter/monitoring/rules.yaml").read_text())["groups"]
    recorded = {r["record"]: r["expr"] for g in records for r in g["rules"] if "record" in r}
    study: list[dict[str, object]] = []
    if HOOK_P90_NAME in rule.promql and HOOK_P90_NAME not in recorded:
        # the hook p90 is not shipped (nothing reads it): the candidate gets it, as the p50 is made
        p90 = recorded[HOOK_P50_NAME].replace("histogram_quantile(0.5,", "histogram_quantile(0.9,")
        study.append({"record": HOOK_P90_NAME, "expr": p90})
    return yaml.safe_dump({"groups": [{"name": "study", "rules": [*study, {**shipped, "expr": expr}]}]}, width=10_000)


def study(
    group: Group, normal: int, slow: int, waiting: int, poll: int, seed: int, promtool: str, rule: Rule
) -> tuple[Outcome, float]:
    """Replays deployments of one group through promtool with the shipped recording rules and
    the learned alert with ``rule``'s threshold: ``normal`` drawn from the group's distribution,
    ``slow`` ones 3x its median, ``waiting`` ones active for the median and then parked in Ready
    10x the median. All start at 0; the exporter polls every ``poll`` seconds (series step, and
    the rules' evaluation interval)."""
    rng = random.Random(seed)
    history = cumulative(lognormal(rng, group, group.history), PHASE_BOUNDS)
    threshold = rule.threshold(history)
    kinds = (
        [("n", d) for d in lognormal(rng, group, normal)]
        + [("s", 3 * group.median)] * slow
        # active for the median, so any firing would come from the waiting
        + [("w", group.median)] * waiting
    )
    horizon = max(max(d for _, d in kinds), 3 * group.median, threshold) + 10 * poll
    steps = math.ceil(horizon / poll)
    rows = bucket_series(group, "active", history, steps)
    for i, (kind, active) in enumerate(kinds):
        ends = math.ceil(active / poll)  # the first poll that sees it done (or Ready)
        labels = f'{group.labels},instance="e:1",deployment_id="d-{kind}{i}"'
        rows.append(_series(f"codedeploy_deployment_start_timestamp_seconds{{{labels}}}", f"0x{steps}"))
        if kind == "w":
            parked = min(ends + math.ceil(10 * group.median / poll), steps)
            rows.append(
                _series(
                    f'codedeploy_deployment_status{{{labels},status="InProgress"}}',
                    notation([1] * ends + [0] * (steps + 1 - ends)),
                )
            )
            ready = [0] * ends + [1] * (parked - ends) + [0] * (steps + 1 - parked)
            rows.append(_series(f'codedeploy_deployment_status{{{labels},status="Ready"}}', notation(ready)))
        else:
            rows.append(
                _series(
                    f'codedeploy_deployment_status{{{labels},status="InProgress"}}',
                    notation([1] * ends + [0] * (steps + 1 - ends)),
                )
            )
    first = _replay(rows, SLOWER, rule, poll, steps, promtool)
    return Outcome.of(kinds, first, threshold), threshold


def _replay(rows: Sequence[str], alert: str, rule: Rule, poll: int, steps: int, promtool: str) -> dict[str, float]:
    """Runs ``rows`` through promtool with the shipped recording rules and ``alert`` alone (its
    threshold ``rule``'s), expecting silence at every evaluation: each firing is reported as a
    failure, which names the deployment. Returns each deployment's first firing, seconds."""
    checks = "".join(_check(f"{k * poll}s", alert) for k in range(1, steps + 1))
    alerts = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    with alerts:
        alerts.write(candidate_rules(rule, alert))
    text = (
        "rule_files:\n  - "
        + alerts.name
        + "\n  - "
        + str(ROOT / "exporter/monitoring/rules.yaml")
        + f"\n\nevaluation_interval: {poll}s\n\ntests:\n"
        + f"  - interval: {poll}s\n    input_series:\n"
        + "".join(rows)
        + "    alert_rule_test:\n"
        + checks
    )
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(text)
    result = subprocess.run([promtool, "test", "rules", handle.name], capture_output=True, text=True, check=False)
    Path(handle.name).unlink()
    Path(alerts.name).unlink()
    first: dict[str, float] = {}
    at = 0.0
    for line in (result.stdout + result.stderr).splitlines():
        if m := re.search(r"alertname: \w+, time: (\S+),", line):
            at = go_duration(m.group(1))
        for deployment in re.findall(r'deployment_id="(d-\w+)"', line):
            first.setdefault(deployment, at)
    if result.returncode and not first:
        raise SystemExit(result.stdout + result.stderr)
    return first


def measure(args: argparse.Namespace) -> int:
    import shutil

    promtool = shutil.which("promtool")
    if not promtool:
        raise SystemExit("promtool is not on PATH")
    rule = shipped() if args.rule == "shipped" else candidate(args.rule, args.factor, args.floor)
    print(f"poll interval {args.poll}s, threshold {rule.text}, seed {args.seed}")
    print("group | median | sigma | threshold | normal fired | slow (3x median) fired | worst delay | waiting fired")
    for base in (LAMBDA, FLEET):
        group = Group(base.application, base.median, args.sigma, base.history)
        out, threshold = study(group, args.normal, args.slow, args.waiting, args.poll, args.seed, promtool, rule)
        print(
            f"{group.application} | {group.median:.0f}s | {group.sigma} | {threshold:.0f}s | "
            f"{out.normal_fired}/{out.normal} ({100 * out.normal_fired / out.normal:.1f} %) | "
            f"{out.slow_fired}/{out.slow} | {out.worst_delay:.0f}s | {out.waiting_fired}/{out.waiting}"
        )
    return 0


# ---- the hooks' measurement ----------------------------------------------------------------
@dataclass(frozen=True)
class Hook:
    """One lifecycle event of one group: log-normal durations of its runs (one per target)."""

    event: str
    median: float  # seconds
    sigma: float  # of ln(duration)
    history: int  # finished runs in the hook history (e.g. 28 deployments x 10 targets)


STUDIED_HOOKS = (
    Hook("ApplicationStart", 20.0, 0.3, 280),
    Hook("ValidateService", 120.0, 0.4, 280),
    Hook("AfterInstall", 600.0, 0.5, 280),
)
HOOK_QUANTILE = "p50"  # the recorded quantile the shipped hook alert compares with


def hook_shipped() -> Rule:
    """The shipped hook rule at its default knobs (tools/generate/alerts.py)."""
    from tools.generate.alerts import ALERTS

    (alert,) = [a for a in ALERTS if a.name == HOOK_SLOWER]
    knobs = {k.name: float(k.default) for k in alert.knobs}
    return hook_candidate(HOOK_QUANTILE, knobs["factor"], knobs["floorSeconds"])


def hook_study(
    hook: Hook, normal: int, slow: int, poll: int, seed: int, promtool: str, rule: Rule
) -> tuple[Outcome, float]:
    """Replays one target's runs of ``hook`` through promtool with the shipped recording rules and
    CodeDeployLifecycleEventSlowerThanUsual with ``rule``'s threshold: ``normal`` runs drawn from
    the hook's distribution, ``slow`` ones 3x its median, each in a deployment of its own (the
    alert is per deployment and hook). All start at 0; polls and evaluations every ``poll`` s."""
    rng = random.Random(seed)
    group = Group("hooks", hook.median, hook.sigma, hook.history)
    history = cumulative(lognormal(rng, group, hook.history), HOOK_BOUNDS)
    threshold = rule.threshold(history)
    kinds = [("n", d) for d in lognormal(rng, group, normal)] + [("s", 3 * hook.median)] * slow
    horizon = max(max(d for _, d in kinds), 3 * hook.median, threshold) + 10 * poll
    steps = math.ceil(horizon / poll)
    rows = hook_buckets(group, history, steps, hook.event)
    for i, (kind, duration) in enumerate(kinds):
        ends = math.ceil(duration / poll)  # the first poll that sees it done
        labels = (
            f'{group.labels},instance="e:1",deployment_id="d-{kind}{i}",target_id="t-1",lifecycle_event="{hook.event}"'
        )
        rows.append(_series(f"codedeploy_lifecycle_event_start_timestamp_seconds{{{labels}}}", f"0x{steps}"))
        rows.append(
            _series(
                f'codedeploy_lifecycle_event_status{{{labels},status="InProgress"}}',
                notation([1] * ends + [0] * (steps + 1 - ends)),
            )
        )
    first = _replay(rows, HOOK_SLOWER, rule, poll, steps, promtool)
    return Outcome.of(kinds, first, threshold), threshold


def measure_hooks(args: argparse.Namespace) -> int:
    import shutil

    promtool = shutil.which("promtool")
    if not promtool:
        raise SystemExit("promtool is not on PATH")
    rule = hook_shipped() if args.rule == "shipped" else hook_candidate(args.rule, args.factor, args.floor)
    print(f"poll interval {args.poll}s, threshold {rule.text}, seed {args.seed}")
    print("hook | median | sigma | threshold | normal fired | slow (3x median) fired | worst delay")
    for hook in STUDIED_HOOKS:
        out, threshold = hook_study(hook, args.normal, args.slow, args.poll, args.seed, promtool, rule)
        print(
            f"{hook.event} | {hook.median:.0f}s | {hook.sigma} | {threshold:.0f}s | "
            f"{out.normal_fired}/{out.normal} ({100 * out.normal_fired / out.normal:.1f} %) | "
            f"{out.slow_fired}/{out.slow} | {out.worst_delay:.0f}s"
        )
    return 0


def expected_counts(median: float, sigma: float, bounds: Sequence[float] = PHASE_BOUNDS) -> list[float]:
    """The cumulative bucket fractions of log-normal durations (an endless history)."""
    from statistics import NormalDist

    unit = NormalDist()
    return [unit.cdf(math.log(le / median) / sigma) for le in bounds] + [1.0]


def normal_fired(threshold: float, median: float, sigma: float) -> float:
    """Share of log-normal deployments active longer than ``threshold``: P(Z > ln(T/median)/sigma)."""
    from statistics import NormalDist

    return 1.0 - NormalDist().cdf(math.log(threshold / median) / sigma)


SPREAD_RULES = (("p90", 1.5), ("p50", 2.4), ("p50", 2.5), ("p99", 1.815))


def spread(args: argparse.Namespace) -> int:
    """Without promtool: how far histogram_quantile's interpolation in the exporter's buckets
    moves p50 and p90, and what that does to each candidate threshold, (1) for the two study
    groups with an endless history, (2) over medians from 110 s to 4 h (eighth-octave steps)
    with sampled histories of 280 and 56 deployments. "3x caught" means the threshold lies at
    or below 3x the median minus one poll interval, the last poll a 3x deployment is seen at."""
    rules = [candidate(name, factor) for name, factor in SPREAD_RULES]
    sigmas = (0.3, 0.35, 0.4, 0.47, 0.5)
    print("(1) endless history: interpolated p50, p90 against the true ones; T / median, normal fired")
    for median in (LAMBDA.median, FLEET.median):
        for sigma in sigmas:
            counts = expected_counts(median, sigma)
            p50, p90 = _q(0.5, counts), _q(0.9, counts)
            cells = []
            for rule in rules:
                threshold = rule.threshold(counts)
                fired = 100 * normal_fired(threshold, median, sigma)
                missed = "" if threshold <= 3 * median - args.poll else " MISSES 3x"
                cells.append(f"{rule.text}: {threshold / median:.2f}x {fired:.2f} %{missed}")
            print(
                f"median {median:.0f}s sigma {sigma}: p50 {p50 / median - 1:+.0%}, "
                f"p90 {p90 / (median * math.exp(1.2816 * sigma)) - 1:+.0%} | " + " | ".join(cells)
            )
    rng = random.Random(args.seed)
    medians = [m for m in (110 * 2 ** (k / 8) for k in range(80)) if m <= 4 * 3600]
    print(
        f"(2) {len(medians)} medians 110s-4h, 5 sampled histories each: mean normal fired, histories > 1 %, 3x caught"
    )
    _scan(rng, medians, rules, sigmas, PHASE_BOUNDS, args.poll)
    return 0


HOOK_SPREAD_RULES = (("p90", 1.5), ("p50", 2.4), ("p50", 2.2), ("p50", 2.0), ("p99", 1.815))


def spread_hooks(args: argparse.Namespace) -> int:
    """``spread`` for the hooks' buckets (1 s to 3 h, neighbours 2x to 5x apart), at ``--floor``
    (0 shows the rule itself; the shipped 300 s floor decides for every short hook): (1) the
    studied hooks with an endless history, (2) the range of the interpolation error of p50, p90
    and the extrapolated p99 over medians from 2 s to 20 min (eighth-octave steps; a hook's 3x
    stays within the 1 h appspec timeout; ``--scan-from`` starts later, e.g. where the floor stops
    deciding), (3) sampled histories of 280 and 56 runs per median."""
    rules = [hook_candidate(name, factor, args.floor) for name, factor in HOOK_SPREAD_RULES]
    sigmas = (0.3, 0.4, 0.47, 0.5)
    medians = [m for m in (2 * 2 ** (k / 8) for k in range(80)) if args.scan_from <= m <= 1200]
    print(f"floor {args.floor:g}s, poll {args.poll}s")
    print("(1) endless history: interpolated p50, p90 against the true ones; T / median, normal fired")
    for hook in STUDIED_HOOKS:
        for sigma in sigmas:
            counts = expected_counts(hook.median, sigma, HOOK_BOUNDS)
            p50, p90 = histogram_quantile(0.5, counts, HOOK_BOUNDS), histogram_quantile(0.9, counts, HOOK_BOUNDS)
            cells = []
            for rule in rules:
                threshold = rule.threshold(counts)
                fired = 100 * normal_fired(threshold, hook.median, sigma)
                missed = "" if threshold <= 3 * hook.median - args.poll else " MISSES 3x"
                cells.append(f"{rule.text}: {threshold / hook.median:.2f}x {fired:.2f} %{missed}")
            print(
                f"{hook.event} {hook.median:.0f}s sigma {sigma}: p50 {p50 / hook.median - 1:+.0%}, "
                f"p90 {p90 / (hook.median * math.exp(1.2816 * sigma)) - 1:+.0%} | " + " | ".join(cells)
            )
    print(f"(2) {len(medians)} medians {medians[0]:.0f}s-20min, endless history: interpolated vs true (min to max)")
    for sigma in sigmas:
        errors: dict[str, list[float]] = {"p50": [], "p90": [], "p99": []}
        for median in medians:
            counts = expected_counts(median, sigma, HOOK_BOUNDS)
            p50, p90 = histogram_quantile(0.5, counts, HOOK_BOUNDS), histogram_quantile(0.9, counts, HOOK_BOUNDS)
            errors["p50"].append(p50 / median - 1)
            errors["p90"].append(p90 / (median * math.exp(1.2816 * sigma)) - 1)
            errors["p99"].append(p50 * (p90 / p50) ** 1.815 / (median * math.exp(2.326 * sigma)) - 1)
        print(f"sigma {sigma}: " + ", ".join(f"{q} {min(e):+.0%} to {max(e):+.0%}" for q, e in errors.items()))
    rng = random.Random(args.seed)
    print(f"(3) {len(medians)} medians, 5 sampled histories each: mean normal fired, histories > 1 %, 3x caught")
    _scan(rng, medians, rules, sigmas, HOOK_BOUNDS, args.poll)
    return 0


def _scan(
    rng: random.Random,
    medians: Sequence[float],
    rules: Sequence[Rule],
    sigmas: Sequence[float],
    bounds: Sequence[float],
    poll: float,
) -> None:
    """Per rule and spread, over 5 sampled histories (280 and 56 runs) of each median in the
    buckets `bounds`: the mean share of normal runs fired on, the share of histories firing on
    more than 1 %, and the share whose threshold catches a 3x run one poll before it ends."""
    for history in (280, 56):
        for rule in rules:
            cells = []
            for sigma in sigmas:
                shares: list[float] = []
                over, caught = 0, 0
                for median in medians:
                    for _ in range(5):
                        group = Group("scan", median, sigma, history)
                        threshold = rule.threshold(cumulative(lognormal(rng, group, history), bounds))
                        share = normal_fired(threshold, median, sigma)
                        shares.append(share)
                        over += share > 0.01
                        caught += threshold <= 3 * median - poll
                n = len(shares)
                cells.append(
                    f"s {sigma}: {100 * sum(shares) / n:.2f} %, {100 * over / n:.0f} %, {100 * caught / n:.0f} %"
                )
            print(f"history {history} {rule.text}: " + " | ".join(cells))


def outputs() -> dict[Path, str]:
    return {
        RULE_TESTS / "duration_alerts_test.yaml": alerts_test(),
        RULE_TESTS / "duration_rules_test.yaml": history_test(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("write", "measure", "spread", "measure-hooks", "spread-hooks"))
    parser.add_argument("--normal", type=int, default=300, help="normal deployments per group (measure)")
    parser.add_argument("--slow", type=int, default=30, help="injected slow deployments per group (measure)")
    parser.add_argument("--waiting", type=int, default=30, help="deployments parked in Ready per group (measure)")
    parser.add_argument("--sigma", type=float, default=0.3, help="spread (sigma of ln) of the durations (measure)")
    parser.add_argument("--poll", type=int, default=30, help="poll and evaluation interval, seconds (measure)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rule", choices=("shipped", "p50", "p90", "p99"), default="shipped", help="threshold rule (measure)"
    )
    parser.add_argument("--factor", type=float, default=1.5, help="the rule's factor, or p99's exponent (measure)")
    parser.add_argument("--floor", type=float, default=300, help="the rule's floor, seconds (measure)")
    parser.add_argument("--scan-from", type=float, default=2, help="least hook median scanned, s (spread-hooks)")
    args = parser.parse_args(argv)
    if args.command == "write":
        for path, text in outputs().items():
            path.write_text(text)
        return 0
    commands = {"spread": spread, "measure": measure, "measure-hooks": measure_hooks, "spread-hooks": spread_hooks}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
