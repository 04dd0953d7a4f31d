"""Tag keys of `metrics.group_tags` as Prometheus label names: `tag_` and the key, every
character outside [a-zA-Z0-9_] replaced by `_` (as kube-state-metrics makes `label_*` names
of Kubernetes labels). The prefix keeps a name from starting with a digit or `__`."""

from __future__ import annotations

import re
from collections.abc import Iterable

PREFIX = "tag_"
_INVALID = re.compile(r"[^a-zA-Z0-9_]")


def tag_label(key: str) -> str:
    """The label name of a tag key: `team` -> `tag_team`, `aws:app-name` -> `tag_aws_app_name`."""
    return PREFIX + _INVALID.sub("_", key)


def collisions(keys: Iterable[str]) -> list[tuple[str, str, str]]:
    """(first key, second key, label name) for each key whose label name an earlier key has."""
    seen: dict[str, str] = {}
    found = []
    for key in keys:
        label = tag_label(key)
        if label in seen:
            found.append((seen[label], key, label))
        else:
            seen[label] = key
    return found
