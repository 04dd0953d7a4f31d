"""Building blocks of the config models: a strict, frozen base model and the domain types.

Each type carries its rule twice in one place: a validator raising a plain-language error, and
the JSON Schema fragment editors use (`WithJsonSchema`), so the two cannot drift apart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError, PydanticKnownError


def _allow_null(schema: dict[str, Any]) -> None:
    """An optional key may be null ("use the default"), as the loader allows: say so to editors.
    Every property keeps a `type` (the chart's schema conventions ask for one)."""
    for name, prop in schema.get("properties", {}).items():
        if name in schema.get("required", ()):
            continue
        if "anyOf" in prop and {"type": "null"} in prop["anyOf"]:  # `X | None`: already nullable
            prop["type"] = sorted({t for branch in prop["anyOf"] for t in _types(branch)})
        elif "$ref" in prop or "anyOf" in prop:
            meta = {k: prop.pop(k) for k in ("title", "description", "default") if k in prop}
            prop_types = _types(prop)
            schema["properties"][name] = {**meta, "type": [*prop_types, "null"], "anyOf": [prop, {"type": "null"}]}
        else:
            prop["type"] = [*_types(prop), "null"]
            if "enum" in prop:
                prop["enum"] = [*prop["enum"], None]


def _types(schema: dict[str, Any]) -> list[str]:
    types = schema.get("type", "object" if "$ref" in schema else [])
    return [types] if isinstance(types, str) else list(types)


class Model(BaseModel):
    # strict: "true", "8" and 2.0 stay errors where a bool or an int is expected.
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, allow_inf_nan=False, json_schema_extra=_allow_null
    )

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # A YAML key like `1:` is not a str; as one it is reported as an unknown key.
        return {k if isinstance(k, str) else str(k): v for k, v in data.items() if v is not None}


def _fail(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


# ---- durations ----------------------------------------------------------------------------

# Prometheus' grammar: units in descending order, each at most once, integer amounts.
_UNITS = {"y": 365 * 86400.0, "w": 7 * 86400.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_DURATION = "".join(rf"(?:(\d+){unit})?" for unit in _UNITS)
_DURATION_RE = re.compile(rf"(?=\d){_DURATION}")
_SECONDS_RE = re.compile(r"\d+(?:\.\d+)?")
DURATION_HINT = "a duration like 30s, 5m or 1h30m, or a number of seconds"


def parse_duration(value: object) -> float:
    """Seconds from a Prometheus duration or a plain number of seconds; ValueError otherwise."""
    seconds = math.nan
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value) if not isinstance(value, int) or value.bit_length() < 1024 else math.inf
    elif isinstance(value, str) and _SECONDS_RE.fullmatch(value):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION_RE.fullmatch(value)):
        seconds = sum(int(n) * unit for n, unit in zip(match.groups(), _UNITS.values(), strict=True) if n)
    if not math.isfinite(seconds):
        raise ValueError(f"must be {DURATION_HINT}")
    return seconds


@dataclass(frozen=True)
class DurationRule(GroupedMetadata):
    """`Annotated[float, DurationRule(...)]`: seconds, written as a Prometheus duration or a number,
    at least (or, `exclusive`, more than) `minimum`. pydantic unpacks the validator and schema."""

    minimum: float
    exclusive: bool = False

    def __iter__(self) -> Iterator[object]:
        minimum, exclusive = self.minimum, self.exclusive

        def check(value: object) -> float:
            try:
                seconds = parse_duration(value)
            except ValueError:
                raise _fail("duration", f"must be {DURATION_HINT}") from None
            if exclusive and seconds <= minimum:
                raise PydanticKnownError("greater_than", {"gt": minimum})
            if seconds < minimum:
                raise PydanticKnownError("greater_than_equal", {"ge": minimum})
            return seconds

        number = {"type": "number", "exclusiveMinimum" if exclusive else "minimum": minimum}
        # No lookahead: Helm checks values against this with Go's RE2.
        text = {"type": "string", "minLength": 1, "pattern": rf"^(\d+(\.\d+)?|{_DURATION})$"}
        yield BeforeValidator(check)
        yield WithJsonSchema({"type": ["number", "string"], "anyOf": [number, text]})


Duration = Annotated[float, DurationRule(0)]
PositiveDuration = Annotated[float, DurationRule(0, exclusive=True)]


def _window_name(value: str) -> str:
    # Kept as written: it is a label value (window="7d"), so only Prometheus' duration
    # grammar (not a bare number of seconds) and a positive length are taken.
    if not _DURATION_RE.fullmatch(value) or parse_duration(value) <= 0:
        raise _fail("window", "must be a positive Prometheus duration like 1d, 7d or 12h")
    return value


WindowName = Annotated[
    str,
    AfterValidator(_window_name),
    WithJsonSchema({"type": "string", "minLength": 1, "pattern": rf"^{_DURATION}$"}),
]


# ---- strings --------------------------------------------------------------------------------


def _text(value: str) -> str:
    # IDs and names are copied into API calls verbatim: a stray space would never match.
    if not value.strip():
        raise _fail("empty", "must not be empty")
    if value != value.strip():
        raise _fail("whitespace", "must not have leading or trailing whitespace")
    return value


@dataclass(frozen=True)
class Text(GroupedMetadata):
    """`Annotated[str, Text(...)]`: a non-empty string without leading or trailing whitespace, at
    most `max_length` characters when given."""

    max_length: int | None = None

    def __iter__(self) -> Iterator[object]:
        schema: dict[str, Any] = {"type": "string", "pattern": r"^\S([\s\S]*\S)?$"}
        max_length = self.max_length
        if max_length is None:
            yield AfterValidator(_text)
            yield WithJsonSchema(schema)
            return

        def check(value: str) -> str:
            if len(value) > max_length:
                raise PydanticKnownError("string_too_long", {"max_length": max_length})
            return _text(value)

        yield AfterValidator(check)
        yield WithJsonSchema({**schema, "maxLength": max_length})


@dataclass(frozen=True)
class Matching(GroupedMetadata):
    """`Annotated[str, Matching(...)]`: a string that fully matches `pattern`, described to the
    user as `what` (ASCII classes and repeats up to 1000 only, so that Python, editors and
    Helm's Go RE2 agree)."""

    pattern: str
    what: str
    max_length: int = 1000

    def __iter__(self) -> Iterator[object]:
        compiled = re.compile(self.pattern)
        what, max_length = self.what, self.max_length

        def check(value: str) -> str:
            if not compiled.fullmatch(value) or len(value) > max_length:
                raise _fail("format", f"must be {what}")
            return value

        yield AfterValidator(check)
        yield WithJsonSchema({"type": "string", "pattern": f"^(?:{self.pattern})$", "maxLength": max_length})


def _url(value: str) -> str:
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        ok = False
    if not ok:
        raise _fail("url", "must be an http:// or https:// URL")
    return value


HttpUrl = Annotated[str, AfterValidator(_url), WithJsonSchema({"type": "string", "pattern": "^https?://[^\\s/:]+"})]


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise _fail("regex", f"is not a valid regular expression ({exc})") from None
    return value


Regex = Annotated[str, AfterValidator(_regex), WithJsonSchema({"type": "string", "format": "regex"})]
