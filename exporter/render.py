"""Prometheus text exposition for targets and deployments, rendered once per poll.

Each target's and deployment's lines are rendered into per-family fragments and cached; a
target whose record did not change (every frozen one, most polled ones) reuses its fragments,
so a poll costs rendering time only for what changed plus one join. Example output:

    codedeploy_target_status{application="web",deployment_group="prod",deployment_id="d-ABCDEF123",
                             target_id="i-0abc",status="Failed"} 1   (one line in the output)
    codedeploy_lifecycle_event_duration_seconds{application="web",...,lifecycle_event="Install"} 12.5
    codedeploy_ecs_task_set_traffic_weight{...,task_set_id="ecs-svc/123",task_set_label="Green",
                                           target_group="tg-green"} 50
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from exporter.groups import GroupView
from exporter.model import (
    DEPLOYMENT_STATUSES,
    LIFECYCLE_STATUSES,
    TARGET_STATUSES,
    TASK_SET_STATUSES,
    Deployment,
    Target,
)
from exporter.render_groups import GROUP_FAMILIES, group_samples

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Family:
    name: str
    help: str
    type: str = "gauge"

    @property
    def header(self) -> str:
        return f"# HELP {self.name} {self.help}\n# TYPE {self.name} {self.type}\n"


_FRESHNESS = " Served from the snapshot of the last completed poll; scrapes never call AWS."

TARGET_FAMILIES = (
    Family("codedeploy_target_info", "Deployment target facts (type, ARN, blue/green label); always 1."
           + _FRESHNESS),
    Family("codedeploy_target_status", "Deployment target status: 1 for the current status, 0 for the others."
           + _FRESHNESS),
    Family("codedeploy_target_last_updated_timestamp_seconds",
           "When CodeDeploy last updated the target (lastUpdatedAt), Unix seconds." + _FRESHNESS),
    Family("codedeploy_lifecycle_event_status",
           "Lifecycle event (hook) status of a target: 1 for the current status, 0 for the others."
           + _FRESHNESS),
    Family("codedeploy_lifecycle_event_start_timestamp_seconds",
           "When the lifecycle event started, Unix seconds." + _FRESHNESS),
    Family("codedeploy_lifecycle_event_duration_seconds",
           "Lifecycle event duration (endTime - startTime), seconds." + _FRESHNESS),
    Family("codedeploy_lifecycle_event_diagnostics_info",
           "Diagnostics of a lifecycle event that did not succeed (error code, script); always 1."
           + _FRESHNESS),
    Family("codedeploy_lambda_target_version_weight",
           "Traffic weight of the Lambda target version, as the API gives it (0 to 1)." + _FRESHNESS),
    Family("codedeploy_ecs_task_set_traffic_weight",
           "Traffic weight of an ECS task set, as the API gives it (percent)." + _FRESHNESS),
    Family("codedeploy_ecs_task_set_desired_tasks", "Desired tasks of an ECS task set." + _FRESHNESS),
    Family("codedeploy_ecs_task_set_pending_tasks", "Pending tasks of an ECS task set." + _FRESHNESS),
    Family("codedeploy_ecs_task_set_running_tasks", "Running tasks of an ECS task set." + _FRESHNESS),
    Family("codedeploy_ecs_task_set_status",
           "ECS task set status: 1 for the current status, 0 for the others." + _FRESHNESS),
    Family("codedeploy_cloudformation_target_version_weight",
           "Traffic weight of a CloudFormation blue/green target version, as the API gives it."
           + _FRESHNESS),
    Family("codedeploy_exporter_target_poll_success",
           "Whether the last poll of this target succeeded (1) or failed (0); a failed target keeps "
           "its previous values."),
)

DEPLOYMENT_FAMILIES = (
    Family("codedeploy_deployment_info", "Deployment facts (platform, config, type, creator); always 1."
           + _FRESHNESS),
    Family("codedeploy_deployment_status",
           "Deployment status: 1 for the current status, 0 for the others." + _FRESHNESS),
    Family("codedeploy_deployment_create_timestamp_seconds", "When the deployment was created, Unix seconds."
           + _FRESHNESS),
    Family("codedeploy_deployment_complete_timestamp_seconds",
           "When the deployment completed, Unix seconds." + _FRESHNESS),
    Family("codedeploy_deployment_targets",
           "Targets of the deployment per status (deploymentOverview)." + _FRESHNESS),
)

Fragments = dict  # family name -> rendered lines


def escape(value: str) -> str:
    """Escape a label value for the text format."""
    if "\\" in value or '"' in value or "\n" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def fmt(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def label_pairs(**labels: str) -> str:
    return ",".join(f'{name}="{escape(value)}"' for name, value in labels.items())


def _status_set(name: str, prefix: str, current: str, known: tuple[str, ...], sparse: bool) -> str:
    lines = [
        f'{name}{{{prefix},status="{status}"}} {1 if status == current else 0}\n'
        for status in known
        if not sparse or status == current
    ]
    if current and current not in known:
        # A value newer than botocore's enum: export it rather than hide it.
        lines.append(f'{name}{{{prefix},status="{escape(current)}"}} 1\n')
    return "".join(lines)


def _add(fragments: Fragments, family: str, text: str) -> None:
    if text:
        fragments[family] = fragments.get(family, "") + text


def _sample(fragments: Fragments, family: str, labels: str, value: object) -> None:
    """One sample line; ``value`` is a preformatted string, an int count or a float."""
    if not isinstance(value, str):
        value = fmt(value)
    _add(fragments, family, f"{family}{{{labels}}} {value}\n")


def render_target(target: Target | None, prefix: str, success: bool, sparse: bool) -> Fragments:
    """All series of one target. ``prefix`` holds its rendered identity labels."""
    out: Fragments = {}
    _sample(out, "codedeploy_exporter_target_poll_success", prefix, "1" if success else "0")
    if target is None:
        return out
    info = label_pairs(target_type=target.target_type, target_arn=target.target_arn,
                       instance_label=target.instance_label)
    _sample(out, "codedeploy_target_info", f"{prefix},{info}", "1")
    _add(out, "codedeploy_target_status",
         _status_set("codedeploy_target_status", prefix, target.status, TARGET_STATUSES, sparse))
    if target.last_updated is not None:
        _sample(out, "codedeploy_target_last_updated_timestamp_seconds", prefix, target.last_updated)
    seen: set[str] = set()
    for event in target.lifecycle_events:
        if event.name in seen:  # a repeated hook name would duplicate series
            continue
        seen.add(event.name)
        ev = f'{prefix},lifecycle_event="{escape(event.name)}"'
        _add(out, "codedeploy_lifecycle_event_status",
             _status_set("codedeploy_lifecycle_event_status", ev, event.status, LIFECYCLE_STATUSES, sparse))
        if event.start is not None:
            _sample(out, "codedeploy_lifecycle_event_start_timestamp_seconds", ev, event.start)
            if event.end is not None:
                _sample(out, "codedeploy_lifecycle_event_duration_seconds", ev, event.end - event.start)
        diag = event.diagnostics
        if diag is not None and diag.error_code != "Success":
            codes = label_pairs(error_code=diag.error_code, script_name=diag.script_name)
            _sample(out, "codedeploy_lifecycle_event_diagnostics_info", f"{ev},{codes}", "1")
    fn = target.lambda_function
    if fn is not None and fn.weight is not None:
        versions = label_pairs(function_name=fn.function_name, function_alias=fn.function_alias,
                               current_version=fn.current_version, target_version=fn.target_version)
        _sample(out, "codedeploy_lambda_target_version_weight", f"{prefix},{versions}", fn.weight)
    seen_sets: set[str] = set()
    for task_set in target.task_sets:
        if task_set.id in seen_sets:
            continue
        seen_sets.add(task_set.id)
        ts = f"{prefix},{label_pairs(task_set_id=task_set.id, task_set_label=task_set.label)}"
        if task_set.traffic_weight is not None:
            _sample(out, "codedeploy_ecs_task_set_traffic_weight",
                    f'{ts},target_group="{escape(task_set.target_group)}"', task_set.traffic_weight)
        for family, count in (
            ("codedeploy_ecs_task_set_desired_tasks", task_set.desired),
            ("codedeploy_ecs_task_set_pending_tasks", task_set.pending),
            ("codedeploy_ecs_task_set_running_tasks", task_set.running),
        ):
            if count is not None:
                _sample(out, family, ts, count)
        _add(out, "codedeploy_ecs_task_set_status",
             _status_set("codedeploy_ecs_task_set_status", ts, task_set.status, TASK_SET_STATUSES, sparse))
    if target.cfn_weight is not None:
        _sample(out, "codedeploy_cloudformation_target_version_weight",
                f'{prefix},resource_type="{escape(target.cfn_resource_type or "")}"', target.cfn_weight)
    return out


def render_deployment(deployment: Deployment, sparse: bool) -> Fragments:
    prefix = label_pairs(application=deployment.application,
                         deployment_group=deployment.deployment_group,
                         deployment_id=deployment.deployment_id)
    out: Fragments = {}
    info = label_pairs(compute_platform=deployment.compute_platform,
                       deployment_config=deployment.deployment_config,
                       deployment_type=deployment.deployment_type, creator=deployment.creator)
    _sample(out, "codedeploy_deployment_info", f"{prefix},{info}", "1")
    _add(out, "codedeploy_deployment_status",
         _status_set("codedeploy_deployment_status", prefix, deployment.status, DEPLOYMENT_STATUSES, sparse))
    for family, value in (
        ("codedeploy_deployment_create_timestamp_seconds", deployment.create_time),
        ("codedeploy_deployment_complete_timestamp_seconds", deployment.complete_time),
    ):
        if value is not None:
            _sample(out, family, prefix, value)
    seen: set[str] = set()
    for status, count in deployment.overview:
        if status not in seen:
            seen.add(status)
            _sample(out, "codedeploy_deployment_targets", f'{prefix},status="{escape(status)}"', count)
    return out


@dataclass(frozen=True)
class TargetView:
    """What the renderer needs of one tracked target."""

    key: tuple
    prefix: str
    target: Target | None
    success: bool


class ExpositionCache:
    """Keeps each target's and deployment's rendered fragments between polls, as bytes, so a
    poll's body is one join over cached pieces (no re-encoding, no intermediate copies)."""

    def __init__(self, sparse: bool = False) -> None:
        self.sparse = sparse
        self._targets: dict[tuple, tuple[Target | None, str, bool, Encoded]] = {}
        self._deployments: dict[str, tuple[Deployment, Encoded]] = {}
        self._groups: dict[tuple, tuple[GroupView, Encoded]] = {}
        self._prefixes: dict[tuple, tuple[tuple[str, str], str]] = {}
        self.rendered_last = 0  # how many fragments the last render had to build (for benchmarks)

    def target_prefix(self, key: tuple, application: str, group: str, deployment_id: str,
                      target_id: str) -> str:
        """A target's rendered identity labels, kept here (not on the poller's records) and
        rebuilt only when its deployment's application or group becomes known or changes."""
        cached = self._prefixes.get(key)
        if cached is None or cached[0] != (application, group):
            cached = ((application, group), label_pairs(
                application=application, deployment_group=group, deployment_id=deployment_id,
                target_id=target_id))
            self._prefixes[key] = cached
        return cached[1]

    def _target_fragments(self, view: TargetView) -> Encoded:
        cached = self._targets.get(view.key)
        if cached is not None:
            target, prefix, success, fragments = cached
            if (target is view.target or target == view.target) and prefix == view.prefix \
                    and success == view.success:
                return fragments
        self.rendered_last += 1
        return _encode(render_target(view.target, view.prefix, view.success, self.sparse))

    def _deployment_fragments(self, deployment: Deployment) -> Encoded:
        cached = self._deployments.get(deployment.deployment_id)
        if cached is not None and (cached[0] is deployment or cached[0] == deployment):
            return cached[1]
        self.rendered_last += 1
        return _encode(render_deployment(deployment, self.sparse))

    def _group_fragments(self, view: GroupView) -> Encoded:
        key = (view.account, view.region, view.application, view.deployment_group)
        cached = self._groups.get(key)
        if cached is not None and cached[0] == view:
            return cached[1]
        self.rendered_last += 1
        fragments: Fragments = {}
        for family, name, labels, value in group_samples(view):
            text = value if isinstance(value, str) else fmt(value)
            _add(fragments, family, f"{name}{{{label_pairs(**labels)}}} {text}\n")
        return _encode(fragments)

    def chunks(self, targets: Iterable[TargetView], deployments: Iterable[Deployment],
               groups: Iterable[GroupView] = ()) -> list[bytes]:
        """The exposition as an ordered list of cached byte strings, grouped by family."""
        self.rendered_last = 0
        by_family: dict[str, list[bytes]] = {family.name: [] for family in _ALL_FAMILIES}
        new_groups = {}
        for view in groups:
            fragments = self._group_fragments(view)
            new_groups[(view.account, view.region, view.application, view.deployment_group)] = \
                (view, fragments)
            for name, data in fragments.items():
                by_family[name].append(data)
        self._groups = new_groups
        new_targets = {}
        for view in targets:
            fragments = self._target_fragments(view)
            new_targets[view.key] = (view.target, view.prefix, view.success, fragments)
            for name, data in fragments.items():
                by_family[name].append(data)
        self._prefixes = {k: v for k, v in self._prefixes.items() if k in new_targets}
        new_deployments = {}
        for deployment in deployments:
            fragments = self._deployment_fragments(deployment)
            new_deployments[deployment.deployment_id] = (deployment, fragments)
            for name, data in fragments.items():
                by_family[name].append(data)
        # Entries that were not rendered this time (targets that left) drop out of the cache.
        self._targets, self._deployments = new_targets, new_deployments
        parts: list[bytes] = []
        for family in _ALL_FAMILIES:
            pieces = by_family[family.name]
            if pieces:
                parts.append(_HEADERS[family.name])
                parts.extend(pieces)
        return parts

    def render(self, targets: Iterable[TargetView], deployments: Iterable[Deployment],
               groups: Iterable[GroupView] = ()) -> str:
        return b"".join(self.chunks(targets, deployments, groups)).decode("utf-8")


Encoded = dict  # family name -> rendered lines as UTF-8 bytes
_ALL_FAMILIES = tuple(Family(name, help_, type_) for name, help_, type_ in GROUP_FAMILIES) \
    + DEPLOYMENT_FAMILIES + TARGET_FAMILIES
_HEADERS = {family.name: family.header.encode("utf-8") for family in _ALL_FAMILIES}


def _encode(fragments: Fragments) -> Encoded:
    # "replace": a lone surrogate decoded from a JSON escape must not fail the whole poll.
    return {name: text.encode("utf-8", "replace") for name, text in fragments.items()}
