"""The exporter's alerts, declared once as data.

tools/generate/monitoring.py renders these into the canonical rules file
(exporter/monitoring/alerts.yaml, thresholds at their defaults) and into the Helm chart's
PrometheusRule template (thresholds, `for:`, severity, the `job` selector and each alert's
switch read from values). Expressions and texts use two kinds of placeholders:

- ``<<job>>``: the label matcher selecting the exporter's scrape job (``job="codedeploy-exporter"``);
- ``<<Alert.knob>>``: a threshold of an alert (its own or, to stay consistent, another alert's).

Annotations are Prometheus templates (``{{ $labels.x }}``); they must not contain backticks,
which the chart template uses to pass them through Helm untouched.

Status sets: target, lifecycle-event and task-set status series are sparse by default (only
the current status, value 1), so every expression selects ``== 1`` and never relies on a
0-valued series. Deployment and group status sets are dense but are used the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.generate import rules as recording

RUNBOOK_BASE = "https://github.com/codedeploy-exporter/codedeploy-exporter/blob/main/docs/monitoring.md#"
DEFAULT_JOB = 'job="codedeploy-exporter"'

# Label sets the alerts aggregate to: one alert per group, per deployment, per exporter.
GROUP = "account_id, region, application, deployment_group"
DEPLOYMENT = GROUP + ", deployment_id"
TARGET = DEPLOYMENT + ", target_id"
EXPORTER = "job, instance"
RUNNING = "Created|Queued|InProgress|Baking|Ready"
THROTTLING = "Throttling.*|TooManyRequests.*|RequestLimitExceeded"
# The traffic weights of the three platforms (0-1), towards the new version.
WEIGHTS = (
    '{__name__=~"codedeploy_(ecs_task_set_traffic|lambda_target_version|cloudformation_target_version)'
    '_weight_ratio", <<job>>, task_set_label!="Blue"}'
)

# A Prometheus template listing who the group is, reused by the group alerts.
_GROUP_TEXT = (
    "{{ $labels.application }}/{{ $labels.deployment_group }} (account {{ $labels.account_id }}, {{ $labels.region }})"
)
_DEPLOYMENT_TEXT = "{{ $labels.deployment_id }} of " + _GROUP_TEXT
_GROUP_ARGS = "$labels.account_id $labels.region $labels.application $labels.deployment_group"
_GROUP_MATCH = "account_id=%q,region=%q,application=%q,deployment_group=%q"
_LATEST_ATTEMPT = (
    '{{ with printf "max by (deployment_id) (codedeploy_deployment_group_last_attempted_info{'
    + _GROUP_MATCH
    + '})" '
    + _GROUP_ARGS
    + " | query }}{{ range . }}{{ .Labels.deployment_id }}"
    "{{ end }}{{ else }}unknown{{ end }}"
)


def _targets(value: str) -> str:
    """A count of targets as a Prometheus template, "1 target" or "3 targets"."""
    return "{{ " + value + ' | printf "%.0f" }} target{{ if ne ' + value + " 1.0 }}s{{ end }}"


# Alerts of a whole group (no deployment_id label); the others of group "codedeploy" are per deployment.
_GROUP_ALERTS = ("CodeDeployGroupDeploymentFailed", "CodeDeployGroupDeploymentStopped")
_NEWEST_ENDED = (
    '{{ range printf "topk(1, max by (deployment_id) (codedeploy_deployment_complete_timestamp_seconds{'
    + _GROUP_MATCH
    + '} and on (deployment_id) (codedeploy_deployment_status{status=~\\"Failed|Stopped\\"} == 1)))" '
    + _GROUP_ARGS
    + " | query }}{{ .Labels.deployment_id | urlquery }}{{ end }}"
)
# Forensics (issue 29): which hooks failed on how many targets, and the error code and script
# CodeDeploy reported, from the series kept for finished targets (a Failed target keeps its
# failed hook's diagnostics; the per-deployment hook counts stay with the deployment).
_FAILED_HOOKS = (
    '{{ with printf "sum by (lifecycle_event) (codedeploy_deployment_lifecycle_event_targets{'
    'account_id=%q,region=%q,deployment_id=%q,status=\\"Failed\\"})" '
    "$labels.account_id $labels.region $labels.deployment_id | query }} Failed hooks: "
    '{{ range $i, $h := . | sortByLabel "lifecycle_event" }}{{ if $i }}, {{ end }}'
    "{{ $h.Labels.lifecycle_event }} on " + _targets("$h.Value") + "{{ end }}.{{ end }}"
)
_DIAGNOSTICS = (
    '{{ with printf "count by (lifecycle_event, error_code, script_name) '
    '(codedeploy_lifecycle_event_diagnostics_info{account_id=%q,region=%q,deployment_id=%q})" '
    "$labels.account_id $labels.region $labels.deployment_id | query }} Diagnostics: "
    '{{ range $i, $d := . | sortByLabel "lifecycle_event" }}{{ if $i }}; {{ end }}'
    "{{ $d.Labels.error_code }}{{ with $d.Labels.script_name }} in {{ . }}{{ end }} at "
    "{{ $d.Labels.lifecycle_event }} on " + _targets("$d.Value") + "{{ end }}.{{ end }}"
)
_GROUP_DIAGNOSTICS = (
    '{{ with printf "count by (deployment_id, lifecycle_event, error_code, script_name) '
    "(codedeploy_lifecycle_event_diagnostics_info{" + _GROUP_MATCH + '})" ' + _GROUP_ARGS + " | query }} "
    'Diagnostics: {{ range $i, $d := . | sortByLabel "deployment_id" }}{{ if lt $i 5 }}{{ if $i }}; {{ end }}'
    "{{ $d.Labels.error_code }}{{ with $d.Labels.script_name }} in {{ . }}{{ end }} at "
    "{{ $d.Labels.lifecycle_event }} on " + _targets("$d.Value") + " of "
    "{{ $d.Labels.deployment_id }}{{ end }}{{ end }}.{{ end }}"
)


# Which hooks a running deployment's targets are in now, with the number of targets in each
# (CodeDeployDeploymentSlowerThanUsual: where the time goes). A deployment runs at most a
# platform's dozen hook names, and the text names the first five; max by target first, so
# replicas scraping the same deployment count each target once. Nothing when no target is in a
# hook (the deployment has no lifecycle status series).
_IN_PROGRESS_HOOKS = (
    '{{ with printf "count by (lifecycle_event) (max by (target_id, lifecycle_event) '
    '(codedeploy_lifecycle_event_status{account_id=%q,region=%q,deployment_id=%q,status=\\"InProgress\\"} == 1))" '
    "$labels.account_id $labels.region $labels.deployment_id | query }} Hooks InProgress: "
    '{{ range $i, $h := . | sortByLabel "lifecycle_event" }}{{ if lt $i 5 }}{{ if $i }}, {{ end }}'
    "{{ $h.Labels.lifecycle_event }} on " + _targets("$h.Value") + "{{ end }}{{ end }}.{{ end }}"
)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _expected(record: str, kind: str) -> str:
    """A group's recorded figure in an annotation: a duration, or a count with kind "count"."""
    fmt = '{{ . | first | value | printf "%.0f" }}' if kind == "count" else "{{ . | first | value | humanizeDuration }}"
    return (
        '{{ with printf "'
        + record
        + "{"
        + _GROUP_MATCH
        + '}" '
        + _GROUP_ARGS
        + " | query }}"
        + fmt
        + "{{ else }}unknown{{ end }}"
    )


def _hook_expected() -> str:
    return (
        '{{ with printf "'
        + recording.HOOK_P50
        + "{"
        + _GROUP_MATCH
        + ',lifecycle_event=%q}" '
        + _GROUP_ARGS
        + " $labels.lifecycle_event | query }}{{ . | first | value | humanizeDuration }}{{ else }}unknown{{ end }}"
    )


@dataclass(frozen=True)
class Knob:
    """A threshold users may override; ``default`` is a number or a Prometheus duration."""

    name: str
    default: int | float | str
    meaning: str


@dataclass(frozen=True)
class Alert:
    name: str
    group: str
    expr: str
    summary: str
    description: str
    for_: str
    meaning: str  # one line for the docs' threshold table: what `for:` protects against
    severity: str = "warning"
    knobs: tuple[Knob, ...] = field(default_factory=tuple)

    @property
    def runbook_url(self) -> str:
        return RUNBOOK_BASE + self.name.lower()

    @property
    def status_page_query(self) -> str:
        """The exporter's status page filters for this alert's labels, as a Prometheus
        template: a deployment alert opens the page on its group, an account-region's alert on
        that account-region, the exporter's own alerts on the whole page ("")."""
        if self.group == "codedeploy":
            labels: tuple[str, ...] = ("account_id", "region", "application", "deployment_group")
        elif self.name == "CodeDeployExporterScopeDown":
            labels = ("account_id", "region")
        else:
            labels = ()
        query = "&".join(f"{label}={{{{ $labels.{label} | urlquery }}}}" for label in labels)
        if self.name in _GROUP_ALERTS:
            # The group's newest failed or stopped deployment still exported; without one the
            # empty deployment_id filters nothing and the page opens on the group.
            return query + "&deployment_id=" + _NEWEST_ENDED
        if self.group == "codedeploy":
            return query + "&deployment_id={{ $labels.deployment_id | urlquery }}"
        return query


ALERTS: tuple[Alert, ...] = (
    Alert(
        name="CodeDeployGroupDeploymentFailed",
        group="codedeploy",
        # The latest deployment of the group failed; or, while a redeploy is still running,
        # the newest failure is more recent than the last success. So the alert stays active
        # through the redeploy and resolves only when a later deployment succeeds (the last
        # success then ends after the last failure), not when a new one merely starts.
        # last_failure comes from deployments the exporter has seen (within `retention`);
        # the first branch reads the API's last attempt, which survives exporter restarts.
        expr=f"""\
max by ({GROUP}) (
  codedeploy_deployment_group_last_attempted_status{{<<job>>, status="Failed"}} == 1
)
or on ({GROUP})
max by ({GROUP}) (
    codedeploy_deployment_group_last_failure_timestamp_seconds{{<<job>>}}
  > (
      codedeploy_deployment_group_last_success_timestamp_seconds{{<<job>>}}
    or
      0 * codedeploy_deployment_group_last_failure_timestamp_seconds{{<<job>>}}
  )
  and on ({GROUP})
    codedeploy_deployment_group_last_attempted_status{{<<job>>, status=~"{RUNNING}"}} == 1
)""",
        for_="0m",
        meaning="Failed is terminal: waiting would only delay the page.",
        summary="The latest deployment of a CodeDeploy deployment group failed.",
        description=(
            "The latest finished deployment of " + _GROUP_TEXT + " failed and no later "
            "deployment has succeeded (latest attempt: " + _LATEST_ATTEMPT + ")." + _GROUP_DIAGNOSTICS
        ),
    ),
    Alert(
        name="CodeDeployGroupDeploymentStopped",
        group="codedeploy",
        # As for Failed, but there is no last-stop timestamp: Prometheus remembers the create
        # time of the newest attempt it saw Stopped (a subquery over `memory` at 1m steps, which
        # keeps it cheap for hundreds of groups), and the alert holds while that is newer than
        # the last success and a redeploy is running.
        expr=f"""\
max by ({GROUP}) (
  codedeploy_deployment_group_last_attempted_status{{<<job>>, status="Stopped"}} == 1
)
or on ({GROUP})
max by ({GROUP}) (
    max_over_time(
      (
        codedeploy_deployment_group_last_attempted_timestamp_seconds{{<<job>>}}
        and on ({GROUP})
          codedeploy_deployment_group_last_attempted_status{{<<job>>, status="Stopped"}} == 1
      )[<<CodeDeployGroupDeploymentStopped.memory>>:1m]
    )
  > (
      codedeploy_deployment_group_last_success_timestamp_seconds{{<<job>>}}
    or
      0 * codedeploy_deployment_group_last_attempted_timestamp_seconds{{<<job>>}}
  )
  and on ({GROUP})
    codedeploy_deployment_group_last_attempted_status{{<<job>>, status=~"{RUNNING}"}} == 1
)""",
        for_="0m",
        meaning="Stopped is terminal: waiting would only delay the page.",
        summary="The latest deployment of a CodeDeploy deployment group was stopped.",
        description=(
            "The latest finished deployment of " + _GROUP_TEXT + " was stopped (by a "
            "CloudWatch alarm, a user or the API) and no later deployment has "
            "succeeded (latest attempt: " + _LATEST_ATTEMPT + ")."
        ),
        knobs=(
            Knob(
                "memory",
                "1d",
                "How long Prometheus remembers a stop while a redeploy runs "
                "(range of the subquery). A redeploy that runs longer than this after a stop "
                "resolves the alert early.",
            ),
        ),
    ),
    Alert(
        name="CodeDeployRollback",
        group="codedeploy",
        # A deployment created by CodeDeploy's automatic rollback (or carrying rollback info
        # naming the deployment it rolls back). It resolves once a later deployment of the
        # group succeeded: the group then runs a fixed revision again.
        expr=f"""\
(
    max by ({DEPLOYMENT}) (
      codedeploy_deployment_info{{<<job>>, creator="codeDeployRollback"}}
    )
  or on ({DEPLOYMENT})
    max by ({DEPLOYMENT}) (
      codedeploy_deployment_rollback_info{{<<job>>, rollback_triggering_deployment_id!=""}}
    )
)
unless on ({DEPLOYMENT})
(
    max by ({DEPLOYMENT}) (codedeploy_deployment_complete_timestamp_seconds{{<<job>>}})
  < on ({GROUP}) group_left
    max by ({GROUP}) (codedeploy_deployment_group_last_success_timestamp_seconds{{<<job>>}})
)""",
        for_="0m",
        meaning="A rollback is an event that already happened.",
        summary="CodeDeploy rolled back a deployment.",
        description=(
            "Deployment " + _DEPLOYMENT_TEXT + " is an automatic rollback"
            '{{ range printf "max by (rollback_triggering_deployment_id) '
            "(codedeploy_deployment_rollback_info{account_id=%q,region=%q,"
            'deployment_id=%q})" $labels.account_id $labels.region '
            "$labels.deployment_id | query }} of "
            "{{ .Labels.rollback_triggering_deployment_id }}{{ end }}; the group "
            "runs its previous revision until a new deployment succeeds."
        ),
    ),
    Alert(
        name="CodeDeployDeploymentRunningTooLong",
        group="codedeploy",
        expr=f"""\
(
    time() - max by ({DEPLOYMENT}) (codedeploy_deployment_create_timestamp_seconds{{<<job>>}})
  and on ({DEPLOYMENT})
    max by ({DEPLOYMENT}) (
      codedeploy_deployment_status{{<<job>>, status=~"InProgress|Baking|Ready"}} == 1
    )
)
> <<CodeDeployDeploymentRunningTooLong.thresholdSeconds>>
unless on ({GROUP})
  {recording.ACTIVE_P50}""",
        for_="0m",
        meaning="The age only grows while the deployment runs; the threshold is the wait.",
        summary="A CodeDeploy deployment has been running for too long.",
        description=(
            "Deployment " + _DEPLOYMENT_TEXT + " was created "
            "{{ $value | humanizeDuration }} ago and is still "
            '{{ range printf "max by (status) (codedeploy_deployment_status{'
            'account_id=%q,region=%q,deployment_id=%q} == 1)" $labels.account_id '
            "$labels.region $labels.deployment_id | query }}"
            "{{ .Labels.status }}{{ end }}."
        ),
        knobs=(
            Knob(
                "thresholdSeconds",
                7200,
                "Age (since creation) after which a deployment "
                "still InProgress, Baking or Ready alerts, in groups without enough history for "
                "CodeDeployDeploymentSlowerThanUsual. Raise it above your longest "
                "blue/green wait (termination wait, manual reroute).",
            ),
        ),
    ),
    Alert(
        name="CodeDeployTargetsPendingTooLong",
        group="codedeploy",
        # Targets still Pending while the deployment runs and no target of it changed status
        # for the whole window: nothing is picking them up, usually a CodeDeploy agent that is
        # down or cannot reach the endpoint. A slow OneAtATime deployment keeps changing and
        # stays quiet; requiring the count a window ago keeps a fresh deployment quiet.
        expr=f"""\
max by ({DEPLOYMENT}) (codedeploy_deployment_targets{{<<job>>, status="Pending"}}) > 0
and on ({DEPLOYMENT})
  max by ({DEPLOYMENT}) (codedeploy_deployment_status{{<<job>>, status="InProgress"}} == 1)
and on ({DEPLOYMENT})
  max by ({DEPLOYMENT}) (
    codedeploy_deployment_targets{{<<job>>, status="Pending"}}
      offset <<CodeDeployTargetsPendingTooLong.window>>
  )
unless on ({DEPLOYMENT})
  (
    sum by ({DEPLOYMENT}) (
      changes(codedeploy_deployment_targets{{<<job>>}}[<<CodeDeployTargetsPendingTooLong.window>>])
    ) > 0
  )""",
        for_="0m",
        meaning="The window already requires the targets to sit still.",
        summary="Targets of a running CodeDeploy deployment are stuck Pending.",
        description=(
            _targets("$value")
            + " of deployment "
            + _DEPLOYMENT_TEXT
            + " are Pending and no target of it has changed status for "
            "<<CodeDeployTargetsPendingTooLong.window>> while the deployment is "
            "InProgress; is the CodeDeploy agent running on them?"
        ),
        knobs=(
            Knob(
                "window",
                "30m",
                "How long no target of a running deployment may change "
                "status while some are Pending. Longer than your slowest single host "
                "(OneAtATime deployments move one host at a time).",
            ),
        ),
    ),
    Alert(
        name="CodeDeployDeploymentTargetsFailed",
        group="codedeploy",
        # One alert per deployment, whatever the number of failed targets (1,000 failed hosts
        # of an AllAtOnce deployment page once). It resolves when a later deployment of the
        # group succeeded (the last success ends after this deployment completed).
        expr=f"""\
max by ({DEPLOYMENT}) (codedeploy_deployment_targets{{<<job>>, status="Failed"}}) > 0
unless on ({DEPLOYMENT})
(
    max by ({DEPLOYMENT}) (codedeploy_deployment_complete_timestamp_seconds{{<<job>>}})
  < on ({GROUP}) group_left
    max by ({GROUP}) (codedeploy_deployment_group_last_success_timestamp_seconds{{<<job>>}})
)""",
        for_="0m",
        meaning="Failed is terminal for a target: waiting would only delay the page.",
        summary="Targets of a CodeDeploy deployment failed.",
        description=(
            _targets("$value") + " of deployment " + _DEPLOYMENT_TEXT + " failed, among them: "
            '{{ range $i, $t := printf "max by (target_id) (codedeploy_target_status{'
            'account_id=%q,region=%q,deployment_id=%q,status=\\"Failed\\"} == 1)" '
            "$labels.account_id $labels.region $labels.deployment_id | query "
            '| sortByLabel "target_id" }}{{ if lt $i 5 }}{{ if $i }}, {{ end }}'
            "{{ $t.Labels.target_id }}{{ end }}{{ end }}." + _FAILED_HOOKS + _DIAGNOSTICS
        ),
    ),
    Alert(
        name="CodeDeployLifecycleEventStuck",
        group="codedeploy",
        # A script hook cannot legitimately run longer than its appspec timeout (at most
        # 3600s), so InProgress beyond that means CodeDeploy is not hearing back from the
        # agent or the hook function. AllowTraffic lasts as long as a linear/canary shift:
        # CodeDeployTrafficShiftStalled watches it. One alert per deployment and hook.
        expr=f"""\
count by ({DEPLOYMENT}, lifecycle_event) (
    (
        time()
      - codedeploy_lifecycle_event_start_timestamp_seconds{{<<job>>, lifecycle_event!~"<<CodeDeployLifecycleEventStuck.excludedEvents>>"}}
    ) > <<CodeDeployLifecycleEventStuck.thresholdSeconds>>
  and on ({TARGET}, lifecycle_event)
    codedeploy_lifecycle_event_status{{<<job>>, status="InProgress"}} == 1
  unless on ({GROUP}, lifecycle_event)
    {recording.HOOK_P50}
)""",
        for_="5m",
        meaning="Rides out a hook that finishes just after the threshold.",
        summary="A CodeDeploy lifecycle event has been in progress for too long.",
        description=(
            "Lifecycle event {{ $labels.lifecycle_event }} of "
            + _targets("$value")
            + " in deployment "
            + _DEPLOYMENT_TEXT
            + " has been InProgress for more than "
            "<<CodeDeployLifecycleEventStuck.thresholdSeconds>> seconds."
        ),
        knobs=(
            Knob(
                "thresholdSeconds",
                3600,
                "How long a lifecycle event may stay InProgress (in groups without enough hook "
                "history for CodeDeployLifecycleEventSlowerThanUsual); 3600s is the largest appspec hook timeout.",
            ),
            Knob(
                "excludedEvents",
                "AllowTraffic",
                "Regex of lifecycle events never checked (AllowTraffic lasts as long as the traffic shift).",
            ),
        ),
    ),
    Alert(
        name="CodeDeployDeploymentSlowerThanUsual",
        group="codedeploy",
        # Learned from the group's own history (issue 29): active time (InProgress, never yet
        # Ready or Baking, so waiting never counts) beyond factor x the group's median (p50) of
        # Succeeded deployments' active durations, at least the floor. The median, not the p90:
        # in the exporter's wide buckets histogram_quantile interpolates p50 -3 % to +23 % off
        # and p90 +1 % to +57 %, and the threshold must land between e^(2.326 sigma) and 3 x the
        # median (docs/monitoring.md, "Measured, not assumed"). The p50 exists only for
        # groups with enough history (rules.py, minDeployments); the others keep
        # CodeDeployDeploymentRunningTooLong. The elapsed time is computed here rather than read
        # from the recorded series, so the alert fires at the first evaluation past the threshold.
        expr=f"""\
(
{_indent(recording.active_elapsed())}
)
> on ({GROUP}) group_left
  clamp_min(
    <<CodeDeployDeploymentSlowerThanUsual.factor>> * {recording.ACTIVE_P50},
    <<CodeDeployDeploymentSlowerThanUsual.floorSeconds>>
  )""",
        for_="0m",
        meaning="The active time only grows; the threshold already is the wait.",
        summary="A CodeDeploy deployment is taking longer than its group's deployments usually do.",
        description=(
            "Deployment " + _DEPLOYMENT_TEXT + " has been active (InProgress, not waiting) for "
            "{{ $value | humanizeDuration }}; its group's Succeeded deployments usually take "
            + _expected(recording.ACTIVE_P50, "")
            + " (p90 "
            + _expected(recording.ACTIVE_P90, "")
            + ", over "
            + _expected(recording.ACTIVE_COUNT, "count")
            + " deployments), and the threshold is max(<<CodeDeployDeploymentSlowerThanUsual.factor>> x p50, "
            "<<CodeDeployDeploymentSlowerThanUsual.floorSeconds>>s)." + _IN_PROGRESS_HOOKS
        ),
        knobs=(
            Knob(
                "factor",
                2.4,
                "Multiple of the group's median (p50) active duration a running deployment may take. "
                "On log-normal durations it fires on a share P(Z > ln(factor)/sigma) of normal "
                "deployments (sigma: the spread of ln duration), at most 1 % while sigma <= "
                "ln(factor)/2.326 (0.376 at 2.4); below 3 it leaves room for the interpolated median's "
                "error, so a deployment 3x the median is caught (docs/monitoring.md, Measured, not assumed).",
            ),
            Knob(
                "floorSeconds",
                300,
                "Least active time that can alert, seconds, so a group of one-minute deployments "
                "does not page on a two-minute one.",
            ),
        ),
    ),
    Alert(
        name="CodeDeployLifecycleEventSlowerThanUsual",
        group="codedeploy",
        # One target's hook InProgress for longer than factor x the group's median (p50) of that
        # hook (metrics.lifecycle_event_history), at least the floor; one alert per deployment
        # and hook, its value the number of targets over, as CodeDeployLifecycleEventStuck. The
        # median for the deployments' reason: above the floor (hook medians from 110 s to 20 min)
        # the hook buckets interpolate p50 -3 % to +23 % off and p90 up to +86 % (measured with
        # tools/duration_study.py spread-hooks; docs/monitoring.md, "Measured, not assumed").
        # Hooks without enough history keep CodeDeployLifecycleEventStuck.
        expr=f"""\
count by ({DEPLOYMENT}, lifecycle_event) (
    max by ({TARGET}, lifecycle_event) (
        time() - codedeploy_lifecycle_event_start_timestamp_seconds{{<<job>>}}
      and on ({TARGET}, lifecycle_event)
        codedeploy_lifecycle_event_status{{<<job>>, status="InProgress"}} == 1
    )
  > on ({GROUP}, lifecycle_event) group_left
    clamp_min(
      <<CodeDeployLifecycleEventSlowerThanUsual.factor>> * {recording.HOOK_P50},
      <<CodeDeployLifecycleEventSlowerThanUsual.floorSeconds>>
    )
)""",
        for_="0m",
        meaning="The hook's time only grows; the threshold already is the wait.",
        summary="A CodeDeploy lifecycle event is taking longer than it usually does in its group.",
        description=(
            "Lifecycle event {{ $labels.lifecycle_event }} of "
            + _targets("$value")
            + " in deployment "
            + _DEPLOYMENT_TEXT
            + " has been InProgress for longer than max(<<CodeDeployLifecycleEventSlowerThanUsual.factor>> x "
            "its group's p50 of " + _hook_expected() + ", <<CodeDeployLifecycleEventSlowerThanUsual.floorSeconds>>s)."
        ),
        knobs=(
            Knob(
                "factor",
                2.4,
                "Multiple of the group's median (p50) duration of the hook a target's run may take; as "
                "for deployments, at most 1 % of normal runs while sigma <= ln(factor)/2.326 (0.376 at "
                "2.4), and a run 3x the median is caught where the floor does not decide "
                "(docs/monitoring.md, Measured, not assumed).",
            ),
            Knob(
                "floorSeconds",
                300,
                "Least hook time that can alert, seconds: a hook whose 3x median is below it plus a "
                "poll (a median under 110 s at a 30 s poll) is never called slow before it.",
            ),
        ),
    ),
    Alert(
        name="CodeDeployTrafficShiftStalled",
        group="codedeploy",
        # Stalled: the share of traffic towards the new version sits strictly between 0 and 1
        # without changing for the whole window while the deployment is InProgress. The three
        # platforms' weights share one 0-1 scale, so one selector serves them all (the ECS
        # Blue task set is the old version; the other two families have no task_set_label).
        # The intermediate weight keeps the bake time after a shift quiet; requiring the series
        # a window ago keeps a fresh series (whose changes() is 0 by construction) quiet.
        expr=f"""\
(
    (
      {WEIGHTS} > 0 < 1
      unless changes({WEIGHTS}[<<CodeDeployTrafficShiftStalled.window>>]) > 0
    )
    and {WEIGHTS} offset <<CodeDeployTrafficShiftStalled.window>>
)
and on ({DEPLOYMENT})
  max by ({DEPLOYMENT}) (codedeploy_deployment_status{{<<job>>, status="InProgress"}} == 1)""",
        for_="5m",
        meaning="Rides out a step that ends just after the window.",
        summary="A CodeDeploy traffic shift has stopped progressing.",
        description=(
            "Traffic of target {{ $labels.target_id }} in deployment "
            + _DEPLOYMENT_TEXT
            + " has been stuck at {{ $value | humanizePercentage }} towards the new "
            "version for <<CodeDeployTrafficShiftStalled.window>> while the deployment "
            "is InProgress."
        ),
        knobs=(
            Knob(
                "window",
                "1h",
                "How long a partial weight may stay unchanged; longer than "
                "the longest step of your deployment configs (Canary10Percent30Minutes "
                "holds 10% for 30m).",
            ),
        ),
    ),
    # ---- the exporter itself: one alert per scraped exporter (job, instance) ----------
    Alert(
        name="CodeDeployExporterDown",
        group="codedeploy-exporter",
        expr="up{<<job>>} == 0",
        for_="5m",
        meaning="Rides out a restart or a single failed scrape.",
        summary="Prometheus cannot scrape the CodeDeploy exporter.",
        description=(
            "Prometheus has failed to scrape {{ $labels.job }}/{{ $labels.instance }} "
            "for <<CodeDeployExporterDown.for>>; every CodeDeploy alert is blind meanwhile."
        ),
    ),
    Alert(
        name="CodeDeployExporterAbsent",
        group="codedeploy-exporter",
        # Plain Prometheus has no TargetDown: catches a missing or renamed scrape job too
        # (the `job` selector of these rules then matches nothing).
        expr="absent(up{<<job>>})",
        for_="15m",
        meaning="Rides out a Prometheus restart or a redeploy of the exporter.",
        summary="Prometheus has no CodeDeploy exporter target to scrape.",
        description=(
            "No target matches up{<<job>>}: the exporter is not deployed, its service "
            "discovery broke, or the scrape job is named differently from these rules' "
            "job selector."
        ),
    ),
    Alert(
        name="CodeDeployExporterDataStale",
        group="codedeploy-exporter",
        # Relative to the configured poll interval, so a 5m interval does not page after 5m;
        # with a floor so a fast interval does not page on one slow poll.
        expr="""\
  time() - codedeploy_exporter_last_poll_success_timestamp_seconds{<<job>>}
>
  clamp_min(
    <<CodeDeployExporterDataStale.intervals>> * codedeploy_exporter_poll_interval_seconds{<<job>>},
    <<CodeDeployExporterDataStale.minSeconds>>
  )""",
        for_="5m",
        meaning="Covers the first poll after a start, which may take minutes on a big fleet.",
        summary="The CodeDeploy exporter has not completed a poll recently.",
        description=(
            "{{ $labels.job }}/{{ $labels.instance }} last completed a successful poll "
            "{{ $value | humanizeDuration }} ago; all CodeDeploy metrics it serves are "
            "stale."
        ),
        knobs=(
            Knob(
                "intervals",
                3,
                "Poll intervals (codedeploy_exporter_poll_interval_seconds) "
                "without a successful poll that count as stale.",
            ),
            Knob(
                "minSeconds",
                300,
                "Floor of the staleness threshold, seconds, so a short interval does not page on one slow poll.",
            ),
        ),
    ),
    Alert(
        name="CodeDeployExporterConfigReloadFailed",
        group="codedeploy-exporter",
        expr="codedeploy_exporter_config_last_reload_successful{<<job>>} == 0",
        for_="5m",
        meaning="Leaves time to fix a typo and reload again.",
        summary="The CodeDeploy exporter failed to reload its configuration.",
        description=(
            "{{ $labels.job }}/{{ $labels.instance }} rejected its configuration file "
            "and keeps polling with the previous one; its log names every problem."
        ),
    ),
    Alert(
        name="CodeDeployExporterPollSlow",
        group="codedeploy-exporter",
        expr="""\
  codedeploy_exporter_poll_duration_seconds{<<job>>}
>
  <<CodeDeployExporterPollSlow.ratio>> * codedeploy_exporter_poll_interval_seconds{<<job>>}""",
        for_="15m",
        meaning="One slow poll (a throttled burst) is normal; a trend is not.",
        summary="CodeDeploy exporter polls take nearly the whole poll interval.",
        description=(
            "The last poll of {{ $labels.job }}/{{ $labels.instance }} took "
            "{{ $value | humanizeDuration }}, close to its poll interval; data will "
            "soon lag behind."
        ),
        knobs=(Knob("ratio", 0.8, "Fraction of the poll interval a poll may take."),),
    ),
    Alert(
        name="CodeDeployExporterThrottled",
        group="codedeploy-exporter",
        expr=f"""\
sum by ({EXPORTER}) (
  increase(codedeploy_exporter_api_request_errors_total{{<<job>>, error_code=~"{THROTTLING}"}}[<<CodeDeployExporterThrottled.window>>])
) > <<CodeDeployExporterThrottled.threshold>>""",
        for_="15m",
        meaning="Short bursts are absorbed by the exporter's retries.",
        summary="The CodeDeploy API is throttling the exporter.",
        description=(
            "{{ $labels.job }}/{{ $labels.instance }} received "
            '{{ $value | printf "%.0f" }} throttling errors in the last '
            "<<CodeDeployExporterThrottled.window>>, continuously for <<CodeDeployExporterThrottled.for>>."
        ),
        knobs=(
            Knob("window", "10m", "Range of the increase() over throttling errors."),
            Knob("threshold", 0, "Throttling errors per window tolerated."),
        ),
    ),
    Alert(
        name="CodeDeployExporterPollFailing",
        group="codedeploy-exporter",
        # Aggregated per exporter, and silenced (`unless`) while its data is stale, when
        # CodeDeployExporterDataStale says the same thing louder: no inhibit rule needed.
        expr="""\
count by (job, instance) (codedeploy_exporter_target_poll_success{<<job>>} == 0) > 0
unless on (job, instance)
(
    time() - codedeploy_exporter_last_poll_success_timestamp_seconds{<<job>>}
  >
    clamp_min(
      <<CodeDeployExporterDataStale.intervals>> * codedeploy_exporter_poll_interval_seconds{<<job>>},
      <<CodeDeployExporterDataStale.minSeconds>>
    )
)""",
        for_="10m",
        meaning="Rides out transient API errors the next poll recovers from.",
        summary="The CodeDeploy exporter cannot poll some of its targets.",
        description=(
            "{{ $labels.job }}/{{ $labels.instance }} failed to poll " + _targets("$value") + " for "
            "<<CodeDeployExporterPollFailing.for>>; their metrics are out of date. "
            "The exporter log names the operation and error code."
        ),
    ),
    Alert(
        name="CodeDeployExporterScopeDown",
        group="codedeploy-exporter",
        # One alert per account-region, with the error code when the exporter exports it (the
        # `or` keeps the alert if metrics.exclude dropped the info series).
        expr="""\
(
    (codedeploy_exporter_scope_up{<<job>>} == 0)
  * on (job, instance, account_id, region) group_left (error_code)
    codedeploy_exporter_scope_last_error_info{<<job>>}
)
or on (job, instance, account_id, region)
(codedeploy_exporter_scope_up{<<job>>} == 0)""",
        for_="15m",
        meaning="A role or policy being rolled out, or a passing throttle, recovers within it.",
        summary="The CodeDeploy exporter cannot poll an account-region.",
        description=(
            "{{ $labels.job }}/{{ $labels.instance }} has failed to poll account "
            "{{ $labels.account_id }} in {{ $labels.region }} for <<CodeDeployExporterScopeDown.for>>"
            "{{ with $labels.error_code }} ({{ . }}){{ end }}; its deployments are not watched. Check the role it "
            "assumes there, the role's trust policy and any service control policy."
        ),
    ),
    Alert(
        name="CodeDeployExporterParseErrors",
        group="codedeploy-exporter",
        # A value of a shape the exporter did not expect costs that value or object, not the
        # poll: the other series stay right, so this warns rather than pages.
        expr="""\
sum by (job, instance, operation) (
  increase(codedeploy_exporter_parse_errors_total{<<job>>}[<<CodeDeployExporterParseErrors.window>>])
) > 0""",
        for_="0m",
        meaning="The window already spans many polls; a reshaped field shows in every one.",
        summary="The CodeDeploy exporter met API values it cannot read and left them out.",
        description=(
            "{{ $labels.job }}/{{ $labels.instance }} dropped "
            '{{ $value | printf "%.0f" }} values or objects of {{ $labels.operation }} '
            "responses in the last <<CodeDeployExporterParseErrors.window>>; the rest of "
            "each response is exported. The log line event=parse_error names the object and "
            "the field."
        ),
        knobs=(Knob("window", "1h", "Range of the increase() over parse errors."),),
    ),
)
