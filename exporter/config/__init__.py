"""Typed, validated exporter configuration.

Pure package: turns a YAML document (or the plain data it decodes to) into a frozen
:class:`Config` (models.py), or raises :class:`ConfigError` listing *every* problem at once as
``FILE:LINE: yaml.path: message`` (loading.py). Only ``load_config`` reads a file; nothing here
talks to AWS. ``python -m tools.generate.config_schema`` writes the JSON Schemas from the models.
"""

from __future__ import annotations

import re
from typing import Any

from exporter.config.connection import AwsSettings
from exporter.config.fields import DURATION_HINT, parse_duration
from exporter.config.loading import ConfigError, Loc, Problem, parse_yaml, read_text, validate
from exporter.config.models import (
    UNIQUE_KEYS,
    Config,
    DeploymentEntry,
    EventsSettings,
    GroupEntry,
    MetricsSettings,
    PollSettings,
    SqsAwsSettings,
    TargetEntry,
)
from exporter.config.scopes import DiscoveryScope, GroupFilters, NameFilter, OrganizationScope

__all__ = [
    "DURATION_HINT",
    "AwsSettings",
    "Config",
    "ConfigError",
    "DeploymentEntry",
    "DiscoveryScope",
    "EventsSettings",
    "GroupEntry",
    "GroupFilters",
    "MetricsSettings",
    "NameFilter",
    "OrganizationScope",
    "PollSettings",
    "SqsAwsSettings",
    "TargetEntry",
    "config_warnings",
    "load_config",
    "loads_config",
    "parse_config",
    "parse_duration",
]


def _cross_checks(data: Any) -> list[Problem]:
    """Rules across keys, on the plain data so they are reported along with every other problem."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return problems
    top = data["aws"] if isinstance(data.get("aws"), dict) else {}
    entries = without_role = 0
    for section, (what, key_fields) in UNIQUE_KEYS.items():
        items = data.get(section)
        seen: dict[tuple[Any, ...], int] = {}
        for index, item in enumerate(items if isinstance(items, list) else ()):
            if not isinstance(item, dict):
                continue
            own = item["aws"] if isinstance(item.get("aws"), dict) else {}
            has_role = (own.get("role_arn") or top.get("role_arn")) is not None
            entries, without_role = entries + 1, without_role + (not has_role)
            if own.get("external_id") is not None and not has_role:
                problems.append(
                    (
                        (section, index, "aws", "external_id"),
                        "has no effect without role_arn (set role_arn here or in the top-level aws block)",
                    )
                )
            key = tuple(item.get(k) for k in key_fields)
            if not all(isinstance(k, str) for k in key):
                continue  # reported by validation
            if key in seen:
                shown = ", ".join(f"{k} {v!r}" for k, v in zip(key_fields, key, strict=True))
                problems.append(
                    ((section, index), f"duplicate {what} ({shown}); first listed at {section}[{seen[key]}]")
                )
            seen.setdefault(key, index)
    events = data["events"] if isinstance(data.get("events"), dict) else {}
    own = events["aws"] if isinstance(events.get("aws"), dict) else {}
    if own.get("external_id") is not None and (own.get("role_arn") or top.get("role_arn")) is None:
        problems.append(
            (
                ("events", "aws", "external_id"),
                "has no effect without role_arn (set role_arn here or in the top-level aws block)",
            )
        )
    if top.get("external_id") is not None and top.get("role_arn") is None and (not entries or without_role):
        problems.append((("aws", "external_id"), "has no effect without role_arn"))
    return problems


def parse_config(
    data: object, source: str = "<config>", marks: dict[Loc, int] | None = None, problems: list[Problem] | None = None
) -> Config:
    """Validate decoded YAML; raise ConfigError with every problem, in document order."""
    problems = list(problems or ())
    data = {} if data is None else data  # an empty file
    if isinstance(data, dict):
        if "source" in data:  # the one field that is not a key of the file
            problems.append((("source",), "unknown key"))
        data = {**data, "source": source}
    return validate(Config, data, source, marks, problems, _cross_checks)


def loads_config(text: str, source: str = "<config>") -> Config:
    data, marks, duplicates = parse_yaml(text, source)
    return parse_config(data, source, marks, duplicates)


def load_config(path: str) -> Config:
    """Read and validate a config file; any failure is a ConfigError, never a traceback."""
    return loads_config(read_text(path), source=path)


# The observed shape of deployment IDs ("d-" + 9 characters): a warning only, because the API
# model does not promise it and an unusual but real ID must never be refused.
_DEPLOYMENT_ID_SHAPE = re.compile(r"d-[A-Z0-9]{9}")


def config_warnings(config: Config) -> list[str]:
    """Non-fatal doubts about a valid config (e.g. for --config.check to print)."""
    return [
        f"{config.source}: {section}[{index}].deployment_id: {entry.deployment_id!r} does not look "
        "like a CodeDeploy deployment ID ('d-' followed by 9 upper-case letters or digits)"
        for section in ("targets", "deployments")
        for index, entry in enumerate(getattr(config, section))
        if not _DEPLOYMENT_ID_SHAPE.fullmatch(entry.deployment_id)
    ]
