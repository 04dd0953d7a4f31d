"""The exporter's recording rules (the DORA figures), declared once as data.

tools/generate/monitoring.py renders them into exporter/monitoring/rules.yaml, the Helm chart's
PrometheusRule and the monitoring mixin. Each figure is recorded at three levels (per deployment
group, per account, over everything) for each window (1d, 7d and 30d by default), one rule group
per window; every recorded series carries the label ``window``.

Names follow Prometheus' ``level:metric:operations`` convention: the level names the labels the
series keep (``deployment_group`` stands for the four group labels ``account_id, region,
application, deployment_group``; an empty level means one series for everything, as in
node-mixin's ``:node_memory_MemAvailable_bytes:sum``).

Expressions use the placeholders ``<<job>>`` (the job matcher), ``<<window>>`` (``7d``) and
``<<days>>`` (``7``). Counts come from the exporter's restart-proof window gauges
(``codedeploy_deployment_group_window_*``, computed from the group's listed history); the
quantiles from the recovery and lead-time histograms over the window, so they need that much
Prometheus retention. Every figure first takes ``max by`` the group labels, so several exporter
replicas scraping the same groups count once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

GROUP_LABELS = ("account_id", "region", "application", "deployment_group")
# The windows of the exporter's window gauges (metrics.windows defaults) and of the rules.
DEFAULT_WINDOWS = ("1d", "7d", "30d")
# How often the rules are evaluated: the 30d histogram increases read a month of samples; below
# Prometheus' 5m lookback, so a query between two evaluations always finds the last sample.
DEFAULT_INTERVAL = "3m"
WINDOW_PATTERN = "^[1-9][0-9]*d$"


@dataclass(frozen=True)
class Level:
    """An aggregation level: the prefix of the recorded names and the labels it keeps."""

    prefix: str
    labels: tuple[str, ...]
    meaning: str


LEVELS = (
    Level("deployment_group", GROUP_LABELS, "per deployment group"),
    Level("account_id", ("account_id",), "per AWS account"),
    Level("", (), "over all groups"),
)


def _by(labels: tuple[str, ...], *extra: str) -> str:
    return ", ".join((*labels, *extra))


def _group_max(selector: str, *extra: str) -> str:
    return f"max by ({_by(GROUP_LABELS, *extra)}) ({selector})"


def _sum(level: Level, inner: str, *extra: str) -> str:
    by = _by(level.labels, *extra)
    return f"sum{f' by ({by})' if by else ''} (\n  {inner}\n)"


def _window(*matchers: str) -> str:
    return "{" + ", ".join(("<<job>>", 'window="<<window>>"', *matchers)) + "}"


def _deployments(status: str) -> str:
    selector = "codedeploy_deployment_group_window_deployments" + _window(f'status=~"{status}"')
    # max per status first: the statuses are summed afterwards
    return _group_max(selector, "status")


def _frequency(level: Level) -> str:
    return _sum(level, _deployments("Succeeded")) + "\n/ <<days>>"


def _deployment_failure_rate(level: Level) -> str:
    return _sum(level, _deployments("Failed|Stopped")) + "\n/\n" + _sum(level, _deployments("Succeeded|Failed|Stopped"))


def _change_failure_rate(level: Level) -> str:
    failures = _group_max("codedeploy_deployment_group_window_change_failures" + _window())
    changes = _group_max("codedeploy_deployment_group_window_changes" + _window())
    return _sum(level, failures) + "\n/\n" + _sum(level, changes)


def _quantile(family: str, q: float) -> Callable[[Level], str]:
    def expr(level: Level) -> str:
        increase = f"increase({family}_bucket{{<<job>>}}[<<window>>])"
        inner = _sum(level, _group_max(increase, "le"), "le").replace("\n", "\n  ")
        return f"histogram_quantile(\n  {q},\n  {inner}\n)"

    return expr


@dataclass(frozen=True)
class Figure:
    """One DORA figure: ``metric:operation`` of the recorded name, its expression per level."""

    metric: str
    operation: str
    title: str
    meaning: str
    expr: Callable[[Level], str]
    unit: str  # the dashboard's unit

    def record(self, level: Level) -> str:
        return f"{level.prefix}:{self.metric}:{self.operation}"


FIGURES: tuple[Figure, ...] = (
    Figure(
        "codedeploy_deployments_succeeded",
        "per_day",
        "Deployment frequency",
        "Successful deployments per day, averaged over the window.",
        _frequency,
        "short",
    ),
    Figure(
        "codedeploy_deployments_failed",
        "ratio",
        "Deployment failure rate",
        "Failed or Stopped deployments / all finished deployments (Succeeded, Failed, Stopped) in the window.",
        _deployment_failure_rate,
        "percentunit",
    ),
    Figure(
        "codedeploy_deployment_change_failures",
        "ratio",
        "Change failure rate",
        "Changes (deployments that reached users) that had to be remediated by a rollback or a "
        "redeploy of an earlier revision / changes, in the window.",
        _change_failure_rate,
        "percentunit",
    ),
    Figure(
        "codedeploy_deployment_recovery_seconds",
        "p50",
        "Time to restore (median)",
        "Median time from the first Failed/Stopped deployment of a streak to the next success, "
        "over the recoveries that ended in the window.",
        _quantile("codedeploy_deployment_recovery_seconds", 0.5),
        "s",
    ),
    Figure(
        "codedeploy_deployment_recovery_seconds",
        "p90",
        "Time to restore (p90)",
        "90th percentile of the same recoveries.",
        _quantile("codedeploy_deployment_recovery_seconds", 0.9),
        "s",
    ),
    Figure(
        "codedeploy_deployment_lead_time_seconds",
        "p50",
        "Lead time (median)",
        "Median time from a revision's registration to the end of its successful deployment, over "
        "the deployments that succeeded in the window (only with metrics.lead_time: true).",
        _quantile("codedeploy_deployment_lead_time_seconds", 0.5),
        "s",
    ),
    Figure(
        "codedeploy_deployment_lead_time_seconds",
        "p90",
        "Lead time (p90)",
        "90th percentile of the same lead times.",
        _quantile("codedeploy_deployment_lead_time_seconds", 0.9),
        "s",
    ),
)


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str  # with <<job>>, <<window>> and <<days>>


def rules() -> list[RecordingRule]:
    """The rules of one window, in evaluation order (each figure at every level)."""
    return [RecordingRule(figure.record(level), figure.expr(level)) for figure in FIGURES for level in LEVELS]


def recorded_names() -> frozenset[str]:
    """Every recorded name: the DORA figures and the expected durations."""
    return frozenset(rule.record for rule in rules()) | frozenset(r.record for r in DURATION_RULES)


def group_name(window: str) -> str:
    return f"codedeploy-dora-{window}"


def days(window: str) -> int:
    return int(window.removesuffix("d"))


# ---- expected durations (issue 29) --------------------------------------------------------
# One rule group, evaluated more often than the DORA groups: the ETA of a running deployment
# moves every minute. The figures read the exporter's gauge histograms as they are (they already
# cover the exporter's metrics.duration_window, 14d by default, and the hook history its
# poll.retention), so no range and no Prometheus retention is needed. ``<<minDeployments>>`` is
# the history a group needs before its quantiles exist (chart: recordingRules.minDeployments,
# mixin: _config.durationMinDeployments); the learned alerts read "quantile exists" as "enough
# history", and the fixed alerts read its absence as "fall back".

DEPLOYMENT_LABELS = (*GROUP_LABELS, "deployment_id")
DURATION_GROUP = "codedeploy-durations"
DURATION_INTERVAL = "1m"
DEFAULT_MIN_DEPLOYMENTS = 10
PHASES = "codedeploy_deployment_group_phase_duration_seconds_bucket"
HOOKS = "codedeploy_deployment_group_lifecycle_event_duration_seconds_bucket"
# deploymentOverview keys whose targets are done with their work: Ready targets of a blue/green
# deployment wait for the reroute, which is waiting, not work (the active phase ends there too).
FINISHED_TARGETS = "Succeeded|Failed|Skipped|Ready"
# A deployment seen Ready or Baking within this range has started waiting: its later InProgress
# (rerouting after a manual continue) is not active time, so it gets no elapsed time and no ETA.
# Blue/green waits last up to 2 days (CodeDeploy's maximum wait time); the range reads only the
# deployments' two status series.
WAITED_RANGE = "2d"
RUNNING = "Created|Queued|InProgress|Baking|Ready"


@dataclass(frozen=True)
class DurationRule:
    record: str
    expr: str  # with <<job>> and <<minDeployments>>
    meaning: str
    unit: str


def _deployment_max(selector: str) -> str:
    return f"max by ({_by(DEPLOYMENT_LABELS)}) ({selector})"


def _enough(count: str, *extra: str) -> str:
    return f"and on ({_by(GROUP_LABELS, *extra)})\n  {count} >= <<minDeployments>>"


def _active_quantile(q: float) -> str:
    buckets = _group_max(PHASES + '{<<job>>, phase="active", status="Succeeded"}', "le")
    return f"histogram_quantile({q}, {buckets})\n" + _enough(ACTIVE_COUNT)


def _hook_quantile(q: float) -> str:
    buckets = _group_max(HOOKS + "{<<job>>}", "lifecycle_event", "le")
    return f"histogram_quantile({q}, {buckets})\n" + _enough(HOOK_COUNT, "lifecycle_event")


ACTIVE_COUNT = "deployment_group:codedeploy_deployment_active_seconds:count"
ACTIVE_P50 = "deployment_group:codedeploy_deployment_active_seconds:p50"
ACTIVE_P90 = "deployment_group:codedeploy_deployment_active_seconds:p90"
ELAPSED = "deployment_id:codedeploy_deployment_active_seconds:elapsed"
ETA = "deployment_id:codedeploy_deployment_active_seconds:eta"
PROGRESS = "deployment_id:codedeploy_deployment_targets_finished:ratio"
HOOK_COUNT = "deployment_group:codedeploy_lifecycle_event_seconds:count"
HOOK_P50 = "deployment_group:codedeploy_lifecycle_event_seconds:p50"


def active_elapsed(job: str = "<<job>>") -> str:
    """Active seconds of each deployment InProgress that has not waited yet (also inlined in
    CodeDeployDeploymentSlowerThanUsual, which must not lag a rule evaluation behind)."""
    start = _deployment_max(f"codedeploy_deployment_start_timestamp_seconds{{{job}}}")
    create = _deployment_max(f"codedeploy_deployment_create_timestamp_seconds{{{job}}}")
    status = _deployment_max(f'codedeploy_deployment_status{{{job}, status="InProgress"}} == 1')
    waited = _deployment_max(
        f'max_over_time(codedeploy_deployment_status{{{job}, status=~"Ready|Baking"}}[{WAITED_RANGE}])'
    )
    return (
        f"time() - ({start} or {create})\n"
        f"and on ({_by(DEPLOYMENT_LABELS)})\n  {status}\n"
        f"unless on ({_by(DEPLOYMENT_LABELS)})\n  {waited} == 1"
    )


def _progress() -> str:
    by = _by(DEPLOYMENT_LABELS)
    finished = 'codedeploy_deployment_targets{<<job>>, status=~"' + FINISHED_TARGETS + '"}'
    finished = f"sum by ({by}) ({_group_max(finished, 'deployment_id', 'status')})"
    everything = f"sum by ({by}) ({_group_max('codedeploy_deployment_targets{<<job>>}', 'deployment_id', 'status')})"
    running = _deployment_max(f'codedeploy_deployment_status{{<<job>>, status=~"{RUNNING}"}} == 1')
    return f"{finished}\n/\n({everything} > 0)\nand on ({by})\n  {running}"


DURATION_RULES: tuple[DurationRule, ...] = (
    DurationRule(
        ACTIVE_COUNT,
        _group_max(PHASES + '{<<job>>, phase="active", status="Succeeded", le="+Inf"}'),
        (
            "Succeeded deployments of the group in the exporter's duration window (the history the "
            "expected durations are learned from)."
        ),
        "short",
    ),
    DurationRule(
        ACTIVE_P50,
        _active_quantile(0.5),
        (
            "Expected active duration: median active time (creation or start to first Ready/Baking or "
            "completion) of the group's Succeeded deployments in the window, when it holds at least "
            "minDeployments of them."
        ),
        "s",
    ),
    DurationRule(
        ACTIVE_P90,
        _active_quantile(0.9),
        "90th percentile of the same active durations; CodeDeployDeploymentSlowerThanUsual compares with it.",
        "s",
    ),
    DurationRule(
        ELAPSED,
        active_elapsed(),
        (
            "Active seconds so far of a deployment InProgress that has not been Ready or Baking (a "
            "waiting deployment has none)."
        ),
        "s",
    ),
    DurationRule(
        ETA,
        f"clamp_min(\n  {ACTIVE_P50}\n  - on ({_by(GROUP_LABELS)}) group_right\n  {ELAPSED},\n  0\n)",
        (
            "Estimated seconds to the end of the active phase: expected (p50) minus elapsed, floored at "
            "0; only for groups with enough history."
        ),
        "s",
    ),
    DurationRule(
        PROGRESS,
        _progress(),
        (
            f"Finished targets ({FINISHED_TARGETS.replace('|', ', ')}) / all targets of a running "
            f"deployment, from codedeploy_deployment_targets."
        ),
        "percentunit",
    ),
    DurationRule(
        HOOK_COUNT,
        _group_max(HOOKS + '{<<job>>, le="+Inf"}', "lifecycle_event"),
        "Finished targets' runs of each lifecycle event in the group's hook history (metrics.lifecycle_event_history).",
        "short",
    ),
    DurationRule(
        HOOK_P50,
        _hook_quantile(0.5),
        (
            "Median of each lifecycle event's duration in the group's hook history, when it holds at "
            "least minDeployments runs; CodeDeployLifecycleEventSlowerThanUsual compares with it."
        ),
        "s",
    ),
)


def duration_names() -> frozenset[str]:
    return frozenset(rule.record for rule in DURATION_RULES)
