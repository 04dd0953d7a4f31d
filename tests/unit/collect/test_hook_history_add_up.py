"""The per-group hook history added up from finished deployments' kept aggregates
(exporter.collect.hook_history): what it counts and when it is added up again."""

from __future__ import annotations

from exporter.collect.deployments import TrackedDeployment
from exporter.collect.hook_history import HookHistory, add_up
from exporter.config import AwsSettings
from exporter.exposition.views import GroupView
from exporter.model import Deployment, LifecycleEvent, Target, aggregate_hooks

AWS = AwsSettings()


def _target(target_id: str, *durations: tuple[str, float]) -> Target:
    events = tuple(LifecycleEvent(name, "Succeeded", 100.0, 100.0 + seconds, None) for name, seconds in durations)
    return Target("d", target_id, "InstanceTarget", "", "Succeeded", 1.0, "", events)


def _settled(deployment_id: str, group: str, *targets: Target) -> TrackedDeployment:
    record = Deployment(deployment_id, "web", group, "Succeeded", "Server", "", "", "user", 1.0, 2.0, ())
    return TrackedDeployment(deployment_id, AWS, record, hooks=aggregate_hooks(targets))


def _view(group: str) -> GroupView:
    return GroupView("1", "r", "web", group, None, None, None, None, None, None)


def _identity(aws: AwsSettings) -> tuple[str, str]:
    return "1", "r"


def test_buckets_are_cumulative_over_deployments_and_a_hook_repeated_in_a_target_counts_once():
    one = _settled(
        "d-1", "prod", _target("i-1", ("Install", 3.0), ("Install", 900.0)), _target("i-2", ("Install", 5.0))
    )
    two = _settled("d-2", "prod", _target("i-3", ("Install", 4000.0), ("Start", 0.5)))
    history = dict(add_up((name, agg) for d in (one, two) for name, agg in (d.hooks or {}).items()))
    # le: 1 5 15 30 60 120 300 600 1200 3600 10800 +Inf; 5.0 counts in le="5" (upper bounds include).
    assert history["Install"].buckets == (0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3)
    assert history["Start"].buckets == (1,) * 12 and history["Start"].count == 1


def test_running_deployments_and_other_groups_are_not_counted():
    running = TrackedDeployment(
        "d-RUN", AWS, Deployment("d-RUN", "web", "prod", "InProgress", "Server", "", "", "u", 1.0, None, ())
    )
    other = _settled("d-2", "staging", _target("i-3", ("Install", 4.0)))
    mine = _settled("d-1", "prod", _target("i-1", ("Install", 4.0)))
    (view,) = HookHistory().attach([_view("prod")], [running, other, mine], _identity)
    assert dict(view.hook_durations or ())["Install"].count == 1


def test_a_group_is_added_up_again_only_when_its_finished_deployments_change():
    history = HookHistory()
    first = _settled("d-1", "prod", _target("i-1", ("Install", 4.0)))
    (before,) = history.attach([_view("prod")], [first], _identity)
    (same,) = history.attach([_view("prod")], [first], _identity)
    assert same.hook_durations is before.hook_durations  # not added up again
    second = _settled("d-2", "prod", _target("i-2", ("Install", 40.0)))
    (after,) = history.attach([_view("prod")], [first, second], _identity)
    assert dict(after.hook_durations or ())["Install"].count == 2
    (left,) = history.attach([_view("prod")], [second], _identity)  # d-1 aged out of retention
    assert dict(left.hook_durations or ())["Install"].buckets[3] == 0  # le="30": only the 40 s one left
    (empty,) = history.attach([_view("prod")], [], _identity)
    assert empty.hook_durations == ()
