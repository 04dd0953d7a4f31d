"""YAML in, a validated model or every problem out: `FILE:LINE: yaml.path: message`.

Shared by the config file and the web config file. The YAML is composed into nodes first so
each key's line is known and duplicate keys are found (all of them, with both lines) before
pydantic validates the plain data; pydantic's errors are then reworded for users.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Loc = tuple[Any, ...]
Problem = tuple[Any, ...]  # (loc, message) or (loc, message, line) when the loc alone cannot say
M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """Every problem found in a configuration, one `FILE:LINE: path: message` each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Loc, int], list[Problem]]:
    """(data, line of each key and list item, duplicate-key problems); syntax errors raise."""
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        marks: dict[Loc, int] = {(): node.start_mark.line + 1} if node else {}
        duplicates: list[Problem] = []
        if node is not None:
            _walk(loader, node, (), marks, duplicates, set())
        data = loader.construct_document(node) if node is not None else None
        loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or exc.context or "syntax error"
        if exc.context and exc.problem:
            started = f" started on line {exc.context_mark.line + 1}" if exc.context_mark else ""
            detail += f" ({exc.context}{started})"
        where = f"{source}:{mark.line + 1}" if mark else source
        column = f" (column {mark.column + 1})" if mark else ""
        raise ConfigError([f"{where}: invalid YAML: {detail}{column}"]) from None
    except yaml.YAMLError as exc:  # e.g. ReaderError for control characters
        raise ConfigError([f"{source}: invalid YAML: {exc}"]) from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise ConfigError([f"{source}: invalid YAML value: {exc}"]) from None
    except RecursionError:
        raise ConfigError([f"{source}: invalid YAML: nested too deeply"]) from None
    return data, marks, duplicates


def _walk(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    loc: Loc,
    marks: dict[Loc, int],
    duplicates: list[Problem],
    seen_nodes: set[int],
) -> None:
    if id(node) in seen_nodes:  # an alias: walked once, so "billion laughs" stays linear
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            at = (*loc, index)  # not inside [...]: a starred subscript is Python 3.11 syntax to mypy
            marks[at] = item.start_mark.line + 1
            _walk(loader, item, at, marks, duplicates, seen_nodes)
    elif isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # overriding a merged key is what merges are for
            key, line = loader.construct_object(key_node, deep=True), key_node.start_mark.line + 1
            at = (*loc, key)
            try:
                if key in first:
                    duplicates.append((at, f"duplicate key (first defined on line {first[key]})", line))
                    continue
                first[key] = marks[at] = line
            except TypeError:
                continue  # an unhashable key: the constructor reports it with its position
            _walk(loader, value_node, at, marks, duplicates, seen_nodes)


# ---- pydantic errors in plain words -----------------------------------------------------------

_WORDS = {
    "missing": "required",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
    "model_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "finite_number": "must be a finite number",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be one of {expected}",
    "string_too_long": "must be at most {max_length} characters",
    "empty": "must not be empty",
}
_NO_VALUE = ("missing", "empty", "unsupported", "tag_label_collision")  # the value adds nothing to these
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def describe(value: object) -> str:
    """'string 'eight'', 'a list', 'null' ... for "expected X, got Y" messages."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "boolean true", False: "boolean false"}[value]
    if isinstance(value, int):  # Python refuses to print ints with thousands of digits
        return f"integer {value}" if value.bit_length() < 200 else "a very large integer"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value if len(value) <= 60 else value[:60] + '...'!r}"
    return (
        "a list"
        if isinstance(value, (list, tuple))
        else "a mapping"
        if isinstance(value, dict)
        else f"a {type(value).__name__}"
    )


def path_of(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif isinstance(part, str) and _SIMPLE_KEY.fullmatch(part):
            out += f".{part}" if out else part
        elif part != "[key]":
            out += f"[{part!r}]"
    return out or "(top level)"


def _model_at(model: Any, loc: Loc) -> Any:
    """The model class that validates the mapping at `loc` (None if not a model)."""
    for part in loc:
        if isinstance(part, str):
            field = model.model_fields.get(part) if model else None
            model = _find_model(field.annotation) if field else None
    return model


def _find_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation) if not isinstance(annotation, types.NoneType) else ():
        if found := _find_model(arg):
            return found
    return None


def _value_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _explain(model: type[BaseModel], data: Any, error: Any) -> Problem:
    loc, kind = tuple(error["loc"]), error["type"]
    if kind == "extra_forbidden":
        known = _model_at(model, loc[:-1])
        key = loc[-1]
        reason = getattr(known, "unsupported", {}).get(key)
        keys = [k for k, f in known.model_fields.items() if not f.exclude] if known else []
        hint = difflib.get_close_matches(str(key), keys, n=1)
        return loc, reason or "unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    value = error["input"] if "[key]" in loc or loc[-1:] == () else _value_at(data, loc)
    ctx = {
        k: f"{v:g}" if isinstance(v, (int, float)) else str(v).replace(" or ", ", ")
        for k, v in error.get("ctx", {}).items()
    }
    message = _WORDS[kind].format(**ctx) if kind in _WORDS else error["msg"]
    if kind == "string_too_long":
        return loc, f"{message}, got {len(value)}"
    return loc, message if kind in _NO_VALUE else f"{message}, got {describe(value)}"


def validate(
    model: type[M],
    data: Any,
    source: str,
    marks: dict[Loc, int] | None = None,
    problems: Iterable[Problem] = (),
    checks: Callable[[Any], list[Problem]] | None = None,
) -> M:
    """`model` from plain data, or ConfigError with every problem, in document order."""
    found = list(problems)
    result = None
    try:
        result = model.model_validate({} if data is None else data)
    except ValidationError as exc:
        found += [_explain(model, data, error) for error in exc.errors()]
    if checks is not None:
        found += checks(data)
    if found:
        raise ConfigError(format_problems(found, source, marks or {}))
    return result  # type: ignore[return-value]


def format_problems(problems: list[Problem], source: str, marks: dict[Loc, int]) -> list[str]:
    def line(loc: Loc) -> int | None:
        while loc not in marks and loc:
            loc = loc[:-1]
        return marks.get(loc)

    placed = sorted((at[0] if at else line(loc) or 0, n, loc, msg) for n, (loc, msg, *at) in enumerate(problems))
    return [
        f"{source}:{at}: {path_of(loc)}: {msg}" if at else f"{source}: {path_of(loc)}: {msg}"
        for at, _, loc, msg in placed
    ]
