"""The owning team on the alerts: a join with the group's tags series, for Alertmanager routing.

The per-group and per-deployment alerts (rule group ``codedeploy``) carry the configured tag
labels (``tag_team`` by default) of ``codedeploy_deployment_group_tags``, which the exporter
exports one per group when ``metrics.group_tags`` is set. The expression keeps the alert's value
(the tags series is 1) and loses no alert when a group has no tags series:

    (expr) * on (group) group_left (tag_team) topk by (group) (1, tags)
    or
    ((expr) unless on (group) tags)

The two branches cover disjoint groups, so the ``or`` never has two series for one alert.
``topk`` keeps one tags series per group: several exporter replicas (or a replica that has not
yet seen a tag change) may disagree, and a duplicate on the "one" side of ``group_left`` would
fail the whole rule instead of one alert.

``<<tags>>`` is the comma-separated list of carried labels; with an empty list the renderers use
the plain expression.
"""

from __future__ import annotations

import textwrap

from tools.generate.alerts import GROUP, Alert

DEFAULT_TAG_LABELS = ("tag_team",)
TAGS = "codedeploy_deployment_group_tags{<<job>>}"
TAG_LABEL_PATTERN = "^tag_[a-zA-Z0-9_]+$"


def routed(alert: Alert) -> bool:
    """Alerts about a group or a deployment, which a team owns (not the exporter's own)."""
    return alert.group == "codedeploy"


def with_owner(expr: str) -> str:
    inner = textwrap.indent(expr, "  ")
    deeper = textwrap.indent(expr, "    ")
    return (
        f"(\n{inner}\n)\n"
        f"* on ({GROUP}) group_left (<<tags>>)\n"
        f"  topk by ({GROUP}) (1, {TAGS})\n"
        "or\n"
        f"(\n  (\n{deeper}\n  )\n"
        f"  unless on ({GROUP})\n"
        f"    {TAGS}\n)"
    )
