"""botocore's response parser, made tolerant: a value of a shape the model does not expect
costs that value, not the response.

botocore walks a response along the service model and trusts it: a structure that arrives as a
string (the published `get-deployment-group` example lists `autoScalingGroups` as plain names)
raises AttributeError out of the client call, which would lose the whole batch. Responses are
parsed by botocore's own parser first, at its own speed; only when that raises is the body
parsed again, value by value, dropping each value botocore cannot take and reporting where it
was (a field path and the nearest object id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.parsers import PROTOCOL_PARSERS, ResponseParserFactory

# JSON types botocore's handlers need for each container shape; scalars are left to the
# exporter's record parser, which reads any type forgivingly.
_CONTAINERS: dict[str, type] = {"structure": dict, "map": dict, "list": list}
# Keys that name the object a dropped value belongs to, most specific first.
_ID_KEYS = ("targetId", "deploymentId", "deploymentGroupName", "applicationName", "deploymentConfigName")


@dataclass(frozen=True)
class Dropped:
    """One value botocore could not parse, dropped from the response."""

    operation: str
    field: str  # e.g. deploymentGroupsInfo[0].autoScalingGroups[1]
    object_id: str  # e.g. deploymentGroupName=web-prod, or "" when no id is near
    reason: str  # "wrong_type": a JSON type the model does not allow; "bad_value": any other failure
    detail: str  # what was expected and found, for the log line


Report = Callable[[Dropped], None]


class TolerantParserFactory(ResponseParserFactory):
    """Makes parsers that report and drop what botocore's would raise on (see module doc)."""

    def __init__(self, report: Report, **defaults: Any) -> None:
        super().__init__()
        self._report = report
        self._parser_defaults = defaults

    def create_parser(self, protocol_name: str) -> Any:
        base: type = PROTOCOL_PARSERS[protocol_name]  # type: ignore[assignment]  # a class (stubs say instance)
        first = type(f"Tolerant{base.__name__}", (_FirstTry, base), {})
        careful = type(f"Careful{base.__name__}", (_Careful, base), {})
        return first(self._report, careful, self._parser_defaults)


class _FirstTry:
    """botocore's parser as it is; on an exception, the careful one parses the response again."""

    def __init__(self, report: Report, careful: type, defaults: dict[str, Any]) -> None:
        super().__init__(**defaults)  # botocore's parser, mixed in, takes the defaults
        self._careful = careful
        self._report = report
        self._defaults = defaults

    def _do_parse(self, response: dict[str, Any], shape: Any) -> Any:
        try:
            return super()._do_parse(response, shape)  # type: ignore[misc]  # botocore's class, mixed in
        except Exception:
            operation = str((response.get("context") or {}).get("operation_name") or _operation(shape))
            careful = self._careful(operation, self._report, **self._defaults)
            return careful._do_parse(response, shape)


class _Careful:
    """Parses value by value: a value that raises is reported and left out (None). The walk
    keeps its path so the report can say where the value was and which object held it."""

    def __init__(self, operation: str, report: Report, **defaults: Any) -> None:
        super().__init__(**defaults)  # botocore's parser, mixed in, takes the defaults
        self._operation = operation
        self._report = report
        self._path: list[Any] = []  # the raw nodes from the root to the value being parsed

    def _parse_shape(self, shape: Any, node: Any) -> Any:
        expected = _CONTAINERS.get(shape.type_name)
        if expected is not None and node is not None and not isinstance(node, expected):
            self._drop(node, "wrong_type", f"expected {shape.type_name} ({shape.name}), got {type(node).__name__}")
            return self._empty(shape)
        self._path.append(node)
        try:
            return super()._parse_shape(shape, node)  # type: ignore[misc]  # botocore's class, mixed in
        except Exception as exc:
            problem = f"{shape.type_name} ({shape.name}): {type(exc).__name__}: {exc}"
        finally:
            self._path.pop()
        self._drop(node, "bad_value", problem)
        return self._empty(shape)

    def _empty(self, shape: Any) -> Any:
        # The response's root must stay a dict: botocore adds ResponseMetadata to it.
        return {} if not self._path and shape.type_name == "structure" else None

    def _drop(self, node: Any, reason: str, detail: str) -> None:
        self._report(Dropped(self._operation, _field(self._path, node), object_id(self._path), reason, detail[:200]))


def _field(path: list[Any], node: Any) -> str:
    """The JSON path of `node` below the root, from each node's place in its parent."""
    parts: list[str] = []
    for parent, child in zip(path, [*path[1:], node], strict=True):
        if isinstance(parent, dict):
            key = next((k for k, v in parent.items() if v is child), "?")
            parts.append(f".{key}" if parts else str(key))
        elif isinstance(parent, list):
            index = next((i for i, v in enumerate(parent) if v is child), -1)
            parts.append(f"[{index}]")
    return "".join(parts) or "(response)"


def object_id(path: list[Any]) -> str:
    """`key=value` of the innermost id among these nodes (outermost first), "" if none."""
    for node in reversed(path):
        if isinstance(node, dict):
            for key in _ID_KEYS:
                value = node.get(key)
                if isinstance(value, str) and value:
                    return f"{key}={value[:128]}"
    return ""


def _operation(shape: Any) -> str:
    name = str(getattr(shape, "name", "") or "")
    return name[: -len("Output")] if name.endswith("Output") else name or "unknown"
