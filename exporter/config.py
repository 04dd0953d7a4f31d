"""Typed, validated exporter configuration.

Pure module: turns a YAML document (or the plain data it decodes to) into a
frozen :class:`Config`, or raises :class:`ConfigError` listing *every* problem
at once, each as ``FILE: yaml.path: message`` in document order.  Only
``load_config`` touches the file system; nothing here talks to AWS.

Validation is written as small field validators that append to a shared
problem list and return a parsed value or ``_INVALID``, so one bad field never
hides the next one.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml

__all__ = [
    "AwsSettings",
    "Config",
    "ConfigError",
    "DeploymentEntry",
    "EventsSettings",
    "GroupEntry",
    "MetricsSettings",
    "PollSettings",
    "TargetEntry",
    "config_warnings",
    "load_config",
    "loads_config",
    "parse_config",
    "parse_duration",
]


# --------------------------------------------------------------------------
# Typed configuration
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class AwsSettings:
    region: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    endpoint_url: str | None = None

    def merged_over(self, base: AwsSettings) -> AwsSettings:
        """Field-wise merge: this block's non-null values win over ``base``."""
        return AwsSettings(
            **{
                f.name: getattr(self, f.name)
                if getattr(self, f.name) is not None
                else getattr(base, f.name)
                for f in dataclasses.fields(self)
            }
        )


@dataclass(frozen=True)
class PollSettings:
    interval: float = 30.0  # seconds
    max_concurrency: int = 8
    max_requests_per_second: float = 10.0
    retention: float = 86400.0  # seconds


@dataclass(frozen=True)
class MetricsSettings:
    sparse_status: bool = False


@dataclass(frozen=True)
class TargetEntry:
    deployment_id: str
    target_id: str
    aws: AwsSettings  # effective: the entry's own aws block merged over the top-level one


@dataclass(frozen=True)
class DeploymentEntry:
    deployment_id: str
    aws: AwsSettings


@dataclass(frozen=True)
class GroupEntry:
    application: str
    deployment_group: str
    latest: int  # how many of the group's most recent deployments to follow
    aws: AwsSettings


@dataclass(frozen=True)
class EventsSettings:
    """The optional ``events:`` section: CodeDeploy events read from an SQS queue."""

    sqs_queue_url: str
    # Effective settings for the SQS client: events.aws merged over the top-level block, with
    # endpoint_url = events.endpoint_url (never CodeDeploy's; None lets boto3 resolve
    # AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL).
    aws: AwsSettings = AwsSettings()
    debounce: float = 1.0  # seconds: events are collected this long before one refresh


@dataclass(frozen=True)
class Config:
    aws: AwsSettings
    poll: PollSettings
    metrics: MetricsSettings
    targets: tuple[TargetEntry, ...] = ()
    deployments: tuple[DeploymentEntry, ...] = ()
    deployment_groups: tuple[GroupEntry, ...] = ()
    source: str = "<config>"
    events: EventsSettings | None = None


class ConfigError(Exception):
    """Every problem found in a configuration, each ``FILE: path: message``."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


# --------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------

# Prometheus' duration grammar: units in descending order, each at most once,
# integer amounts ("1h30m", "500ms").
_DURATION_RE = re.compile(
    r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?"
)
_DURATION_UNITS = (365 * 86400.0, 7 * 86400.0, 86400.0, 3600.0, 60.0, 1.0, 0.001)
_PLAIN_SECONDS_RE = re.compile(r"\d+(?:\.\d+)?")
_DURATION_HINT = "a number of seconds or a duration such as 500ms, 30s, 5m, 1h30m, 1d"


def parse_duration(value: object) -> float:
    """Seconds from a Prometheus-style duration or a plain number of seconds.

    Raises ValueError with a message fit for a user on anything else.
    """
    # ValueError for wrong types too: callers report one kind of bad duration.
    if isinstance(value, bool):  # bool is an int subclass; true is not "1 second"
        raise ValueError(  # noqa: TRY004
            f"expected {_DURATION_HINT}, got {_describe(value)}"
        )
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:
            raise ValueError(f"duration {_describe(value)} is too large") from None
        if not math.isfinite(seconds):
            raise ValueError(f"duration must be finite, got {_describe(value)}")
        return seconds
    if not isinstance(value, str):
        raise ValueError(  # noqa: TRY004
            f"expected {_DURATION_HINT}, got {_describe(value)}"
        )
    text = value.strip()
    if _PLAIN_SECONDS_RE.fullmatch(text):
        return float(text)
    match = _DURATION_RE.fullmatch(text)
    if not text or match is None or not any(match.groups()):
        raise ValueError(f"invalid duration {_short(value)}: expected {_DURATION_HINT}")
    total = sum(
        int(amount) * unit for amount, unit in zip(match.groups(), _DURATION_UNITS, strict=True) if amount
    )
    if not math.isfinite(total):
        raise ValueError(f"duration {_short(value)} is too large")
    return total


# --------------------------------------------------------------------------
# Problem collection and value descriptions
# --------------------------------------------------------------------------

_INVALID = object()  # returned by a validator that has recorded a problem
_SIMPLE_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

Problems = list[tuple[str, str]]  # (yaml path, message); the source is prefixed at the end
Validator = Callable[[Any, str, Problems], Any]


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _describe(value: object) -> str:
    """'string 'eight'', 'a list', 'null' ... for "expected X, got Y" messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        # Python refuses to print ints with thousands of digits; don't trip on them.
        return f"integer {value}" if value.bit_length() < 200 else "a very large integer"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {_short(value)}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


def _key_path(path: str, key: object) -> str:
    if isinstance(key, str) and _SIMPLE_KEY_RE.fullmatch(key):
        name = key
        return f"{path}.{name}" if path else name
    shown = _short(key) if isinstance(key, str) else _describe(key)
    return f"{path}[{shown}]"


def _mapping(
    value: object, path: str, problems: Problems, *, null_ok: bool
) -> Mapping[Any, Any] | None:
    if value is None and null_ok:
        return {}
    if isinstance(value, Mapping):
        return value
    problems.append((path or "(top level)", f"expected a mapping, got {_describe(value)}"))
    return None


def _unknown_key(key_path: str, key: object, known: list[str]) -> tuple[str, str]:
    hint = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    return key_path, "unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else "")


def _fields(
    data: Mapping[Any, Any], path: str, problems: Problems, spec: Mapping[str, Validator]
) -> dict[str, Any]:
    """Run each key's validator in document order; unknown keys are problems.

    A null value means "not set": the field keeps its default (or is reported
    as required by ``_require``).
    """
    parsed: dict[str, Any] = {}
    for key, value in data.items():
        key_path = _key_path(path, key)
        validator = spec.get(key) if isinstance(key, str) else None
        if validator is None:
            problems.append(_unknown_key(key_path, key, list(spec)))
            continue
        if value is None:
            continue
        result = validator(value, key_path, problems)
        if result is not _INVALID:
            parsed[key] = result
    return parsed


def _require(data: Mapping[Any, Any], path: str, problems: Problems, *keys: str) -> None:
    for key in keys:
        if data.get(key) is None:
            problems.append((_key_path(path, key), "required"))


# --------------------------------------------------------------------------
# Field validators
# --------------------------------------------------------------------------


def _string(value: object, path: str, problems: Problems, *, max_len: int | None = None) -> Any:
    """Non-empty, trimmed string (IDs and names are copied into API calls verbatim)."""
    if not isinstance(value, str):
        problems.append((path, f"expected a string, got {_describe(value)}"))
        return _INVALID
    if not value.strip():
        problems.append((path, "must not be empty"))
        return _INVALID
    if value != value.strip():
        problems.append(
            (path, f"must not have leading or trailing whitespace, got {_short(value)}")
        )
        return _INVALID
    if max_len is not None and len(value) > max_len:
        problems.append((path, f"must be at most {max_len} characters, got {len(value)}"))
        return _INVALID
    return value


def _patterned(pattern: re.Pattern[str], what: str) -> Validator:
    def validate(value: object, path: str, problems: Problems) -> Any:
        text = _string(value, path, problems)
        if text is _INVALID:
            return _INVALID
        if not pattern.fullmatch(text):
            problems.append((path, f"must be {what}, got {_short(text)}"))
            return _INVALID
        return text

    return validate


# botocore validates a region as a DNS host label; stricter shape checks would
# reject partitions AWS adds later.
_REGION_RE = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")
# Any partition (aws, aws-cn, aws-us-gov, ...), optional role path.
_ROLE_ARN_RE = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")
# STS AssumeRole ExternalId constraints.
_EXTERNAL_ID_RE = re.compile(r"[\w+=,.@:/-]{2,1224}")


def _endpoint_url(value: object, path: str, problems: Problems) -> Any:
    text = _string(value, path, problems)
    if text is _INVALID:
        return _INVALID
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in text
    except ValueError:
        ok = False
    if not ok:
        problems.append((path, f"must be an http:// or https:// URL, got {_short(text)}"))
        return _INVALID
    return text


_AWS_SPEC: dict[str, Validator] = {
    "region": _patterned(_REGION_RE, "an AWS region name such as 'us-east-1'"),
    "profile": _string,
    "role_arn": _patterned(
        _ROLE_ARN_RE, "an IAM role ARN like 'arn:aws:iam::123456789012:role/name'"
    ),
    "external_id": _patterned(_EXTERNAL_ID_RE, "2-1224 characters of letters, digits and +=,.@:/-"),
    "endpoint_url": _endpoint_url,
}


def _number(value: object, path: str, problems: Problems) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append((path, f"expected a number, got {_describe(value)}"))
        return _INVALID
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        problems.append((path, f"must be a finite number, got {_describe(value)}"))
        return _INVALID
    return number


def _integer(value: object, path: str, problems: Problems) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append((path, f"expected an integer, got {_describe(value)}"))
        return _INVALID
    return value


def _boolean(value: object, path: str, problems: Problems) -> Any:
    if not isinstance(value, bool):
        problems.append((path, f"expected true or false, got {_describe(value)}"))
        return _INVALID
    return value


def _duration(value: object, path: str, problems: Problems) -> Any:
    try:
        return parse_duration(value)
    except ValueError as exc:
        problems.append((path, str(exc)))
        return _INVALID


def _bounded(
    check: Validator,
    *,
    above: float | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
) -> Validator:
    """Wrap a type validator with a range check; messages show the offending value."""

    def validate(value: object, path: str, problems: Problems) -> Any:
        number = check(value, path, problems)
        if number is _INVALID:
            return _INVALID
        if above is not None and not number > above:
            problems.append((path, f"must be greater than {above:g}, got {_describe(value)}"))
            return _INVALID
        if at_least is not None and number < at_least:
            problems.append((path, f"must be at least {at_least:g}, got {_describe(value)}"))
            return _INVALID
        if at_most is not None and number > at_most:
            problems.append((path, f"must be at most {at_most:g}, got {_describe(value)}"))
            return _INVALID
        return number

    return validate


_POLL_SPEC: dict[str, Validator] = {
    "interval": _bounded(_duration, above=0),
    "max_concurrency": _bounded(_integer, at_least=1),
    "max_requests_per_second": _bounded(_number, above=0),
    "retention": _bounded(_duration, at_least=0),
}

_METRICS_SPEC: dict[str, Validator] = {"sparse_status": _boolean}

# CodeDeploy limits from botocore's model: ApplicationName and
# DeploymentGroupName are 1..100 characters.
_NAME_MAX = 100
# ListDeployments pages hold 100 IDs; following more than that per group is
# almost certainly a mistake and costs a request per deployment per poll.
_LATEST_MAX = 100


def _name(value: object, path: str, problems: Problems) -> Any:
    return _string(value, path, problems, max_len=_NAME_MAX)


# botocore's model gives DeploymentId and TargetId no pattern (plain strings),
# and target IDs differ by platform (i-..., function:alias, cluster:service),
# so an entry is only required to be a non-empty trimmed string.  The observed
# "d-" + 9 characters shape of deployment IDs is checked by config_warnings()
# as a warning, so an unusual but real ID is never refused.
_DEPLOYMENT_ID_SHAPE = re.compile(r"d-[A-Z0-9]{9}")


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------


def _aws_block(value: object, path: str, problems: Problems) -> AwsSettings | None:
    data = _mapping(value, path, problems, null_ok=True)
    if data is None:
        return None
    return AwsSettings(**_fields(data, path, problems, _AWS_SPEC))


def _section(
    value: object, path: str, problems: Problems, spec: Mapping[str, Validator], cls: type
) -> Any:
    data = _mapping(value, path, problems, null_ok=True)
    return cls(**_fields(data, path, problems, spec)) if data is not None else cls()


class _EntryParser:
    """Parses one list section (targets, deployments or deployment_groups)."""

    def __init__(
        self,
        name: str,
        spec: Mapping[str, Validator],
        required: tuple[str, ...],
        key_fields: tuple[str, ...],
        build: Callable[..., Any],
        what: str,
    ):
        self.name = name
        self.spec = {**spec, "aws": _aws_block}
        self.required = required
        self.key_fields = key_fields
        self.build = build
        self.what = what

    def parse(self, value: object, base_aws: AwsSettings, problems: Problems) -> tuple[Any, ...]:
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)):
            problems.append((self.name, f"expected a list, got {_describe(value)}"))
            return ()
        entries = []
        seen: dict[tuple[Any, ...], int] = {}
        for index, item in enumerate(value):
            path = f"{self.name}[{index}]"
            data = _mapping(item, path, problems, null_ok=False)
            if data is None:
                continue
            parsed = _fields(data, path, problems, self.spec)
            _require(data, path, problems, *self.required)
            own_aws = parsed.pop("aws", None) or AwsSettings()
            aws = own_aws.merged_over(base_aws)
            if own_aws.external_id is not None and aws.role_arn is None:
                problems.append(
                    (
                        f"{path}.aws.external_id",
                        (
                            "has no effect without role_arn (set role_arn here or in the "
                            "top-level aws block)"
                        ),
                    )
                )
            if not all(k in parsed for k in self.required):
                continue
            # Duplicates would export identical series twice; region/account are
            # not labels, so the same IDs in two regions collide as well.
            key = tuple(parsed[k] for k in self.key_fields)
            if key in seen:
                shown = ", ".join(f"{k} {parsed[k]!r}" for k in self.key_fields)
                problems.append(
                    (
                        path,
                        (
                            f"duplicate {self.what} ({shown}); first listed at "
                            f"{self.name}[{seen[key]}]"
                        ),
                    )
                )
                continue
            seen[key] = index
            entries.append(self.build(aws=aws, **parsed))
        return tuple(entries)


_ENTRY_PARSERS = {
    "targets": _EntryParser(
        "targets",
        {"deployment_id": _string, "target_id": _string},
        required=("deployment_id", "target_id"),
        key_fields=("deployment_id", "target_id"),
        build=TargetEntry,
        what="target",
    ),
    "deployments": _EntryParser(
        "deployments",
        {"deployment_id": _string},
        required=("deployment_id",),
        key_fields=("deployment_id",),
        build=DeploymentEntry,
        what="deployment",
    ),
    "deployment_groups": _EntryParser(
        "deployment_groups",
        {
            "application": _name,
            "deployment_group": _name,
            "latest": _bounded(_integer, at_least=1, at_most=_LATEST_MAX),
        },
        required=("application", "deployment_group"),
        key_fields=("application", "deployment_group"),
        build=lambda latest=1, **kw: GroupEntry(latest=latest, **kw),
        what="deployment group",
    ),
}

_TOP_LEVEL_KEYS = ("aws", "poll", "metrics", *_ENTRY_PARSERS, "events")

# SQS ReceiveMessage long-polls for 20 s; a longer debounce would hold received messages past
# the queue's default 30 s visibility timeout and have them delivered twice.
_DEBOUNCE_MAX = 20.0
_SQS_HOST_RE = re.compile(r"sqs[.-]([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?")


def _queue_url(value: object, path: str, problems: Problems) -> Any:
    text = _endpoint_url(value, path, problems)
    if text is _INVALID:
        return _INVALID
    if len([part for part in urlsplit(text).path.split("/") if part]) != 2:
        problems.append((path, f"must be a queue URL like https://sqs.us-east-1.amazonaws.com/"
                               f"111111111111/name, got {_short(text)}"))
        return _INVALID
    return text


_EVENTS_SPEC: dict[str, Validator] = {
    "sqs_queue_url": _queue_url,
    "aws": _aws_block,
    "endpoint_url": _endpoint_url,
    "debounce": _bounded(_duration, at_least=0, at_most=_DEBOUNCE_MAX),
}


def _events(value: object, base_aws: AwsSettings, problems: Problems) -> EventsSettings | None:
    data = _mapping(value, "events", problems, null_ok=True)
    if data is None:
        return None
    _require(data, "events", problems, "sqs_queue_url")
    fields = _fields(data, "events", problems, _EVENTS_SPEC)
    own = fields.pop("aws", None) or AwsSettings()
    if own.endpoint_url is not None:
        problems.append(("events.aws.endpoint_url", "the SQS endpoint is set by events.endpoint_url; "
                                                    "aws.endpoint_url is CodeDeploy's"))
    merged = dataclasses.replace(own.merged_over(base_aws), endpoint_url=fields.pop("endpoint_url", None))
    if "sqs_queue_url" not in fields:
        return None
    if merged.region is None:  # https://sqs.<region>.amazonaws.com/... names its region
        host = urlsplit(fields["sqs_queue_url"]).hostname or ""
        match = _SQS_HOST_RE.fullmatch(host)
        if match:
            merged = dataclasses.replace(merged, region=match.group(1))
    return EventsSettings(aws=merged, **fields)


def parse_config(data: object, source: str = "<config>") -> Config:
    """Validate decoded YAML; raise ConfigError with every problem, in document order."""
    if data is None:  # an empty file
        data = {}
    top: Problems = []
    document = _mapping(data, "", top, null_ok=False)
    if document is None:
        raise ConfigError([f"{source}: {path}: {message}" for path, message in top])

    # Each top-level key collects into its own bucket so the aws block can be
    # parsed first (entries merge over it) while problems keep document order.
    buckets: dict[object, Problems] = {key: [] for key in document}
    aws = _aws_block(document["aws"], "aws", buckets["aws"]) if "aws" in document else None
    aws = aws or AwsSettings()
    poll = _section(document.get("poll"), "poll", buckets.get("poll", []), _POLL_SPEC, PollSettings)
    metrics = _section(
        document.get("metrics"),
        "metrics",
        buckets.get("metrics", []),
        _METRICS_SPEC,
        MetricsSettings,
    )
    lists = {
        name: parser.parse(document.get(name), aws, buckets.get(name, []))
        for name, parser in _ENTRY_PARSERS.items()
    }
    events = _events(document.get("events"), aws, buckets.get("events", []))
    for key in document:
        if key not in _TOP_LEVEL_KEYS:
            buckets[key].append(_unknown_key(_key_path("", key), key, list(_TOP_LEVEL_KEYS)))

    if aws.external_id is not None and aws.role_arn is None:
        entries = [e for entries in lists.values() for e in entries]
        if not entries or any(e.aws.role_arn is None for e in entries):
            buckets["aws"].append(("aws.external_id", "has no effect without role_arn"))

    problems = [item for key in document for item in buckets[key]]
    if problems:
        raise ConfigError([f"{source}: {path}: {message}" for path, message in problems])
    return Config(aws=aws, poll=poll, metrics=metrics, source=source, events=events, **lists)


def config_warnings(config: Config) -> list[str]:
    """Non-fatal doubts about a valid config (e.g. for --config.check to print).

    Indices match the document because a valid config keeps every entry.
    """
    warnings = []
    for section in ("targets", "deployments"):
        for index, entry in enumerate(getattr(config, section)):
            if not _DEPLOYMENT_ID_SHAPE.fullmatch(entry.deployment_id):
                warnings.append(
                    f"{config.source}: {section}[{index}].deployment_id: "
                    f"{entry.deployment_id!r} does not look like a CodeDeploy deployment ID "
                    "('d-' followed by 9 upper-case letters or digits)"
                )
    return warnings


# --------------------------------------------------------------------------
# YAML input
# --------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys instead of keeping the last."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    # Only explicit keys count: a key overriding one pulled in by a "<<" merge
    # is the intended use of merges, not a mistake.
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            first = seen.setdefault(key, key_node)
        except TypeError:
            continue  # unhashable; construct_mapping reports it with a position
        if first is not key_node:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"found duplicate key {key!r} (first defined on line {first.start_mark.line + 1})",
                key_node.start_mark,
            )
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def loads_config(text: str, source: str = "<config>") -> Config:
    """Parse YAML text; syntax errors become ConfigError with line and column."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(top level)"
        detail = exc.problem or exc.context or "syntax error"
        if exc.context and exc.problem:
            started = f" started on line {exc.context_mark.line + 1}" if exc.context_mark else ""
            detail += f" ({exc.context}{started})"
        raise ConfigError([f"{source}: {where}: invalid YAML: {detail}"]) from None
    except yaml.YAMLError as exc:  # e.g. ReaderError for control characters
        raise ConfigError([f"{source}: invalid YAML: {exc}"]) from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise ConfigError([f"{source}: invalid YAML value: {exc}"]) from None
    except RecursionError:
        raise ConfigError([f"{source}: invalid YAML: nested too deeply"]) from None
    return parse_config(data, source)


def load_config(path: str) -> Config:
    """Read and validate a config file; any failure is a ConfigError, never a traceback."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    return loads_config(text, source=path)
