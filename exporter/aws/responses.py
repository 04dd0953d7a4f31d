"""botocore's response parser, made tolerant: a value of a shape the model does not expect
costs that value, not the response.

botocore walks a response along the service model and trusts it: a structure that arrives as a
string (the published `get-deployment-group` example lists `autoScalingGroups` as plain names)
raises AttributeError out of the client call, which would lose the whole batch. Responses are
parsed by botocore's own parser first, at its own speed; only when that raises is the body
parsed again, value by value, dropping each value botocore cannot take and reporting where it
was (a field path and the nearest object id).

For the CodeDeploy reads the poll makes by the thousand (FAST_OUTPUTS), the JSON body is walked
by a plan compiled once from the same output shape instead of botocore's generic walk, which
spends most of its time dispatching by shape type and looking up member serialization per value
(about 40 us per EC2 target of ten hooks). The plan does what botocore's JSON walk does for the
shapes it accepts (model members only, in model order; nulls left out; timestamps through the same
timestamp parser; scalars as they came), so its dict is botocore's. Where a value is not of the
JSON type the plan expects, the plan gives up and botocore's own walk parses the body, so errors
(and the careful walk after them) stay botocore's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.parsers import DEFAULT_TIMESTAMP_PARSER, PROTOCOL_PARSERS, ResponseParserFactory

# JSON types botocore's handlers need for each container shape; scalars are left to the
# exporter's record parser, which reads any type forgivingly.
_CONTAINERS: dict[str, type] = {"structure": dict, "map": dict, "list": list}
# Keys that name the object a dropped value belongs to, most specific first.
_ID_KEYS = ("targetId", "deploymentId", "deploymentGroupName", "applicationName", "deploymentConfigName")
# Output shapes (CodeDeploy's read operations the exporter calls) whose JSON bodies are walked
# by a compiled plan (module doc). Other services and operations keep botocore's walk.
FAST_OUTPUTS = frozenset(
    f"{operation}Output"
    for operation in (
        "BatchGetDeploymentTargets",
        "BatchGetDeployments",
        "ListDeploymentTargets",
        "ListDeployments",
        "BatchGetDeploymentGroups",
        "ListApplications",
        "ListDeploymentGroups",
        "ListTagsForResource",
    )
)
# Shapes botocore's JSON parser hands back as they came (its _default_handle).
_AS_IS = frozenset(("string", "boolean", "integer", "long", "double", "float"))


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

    def __init__(self, report: Report, fast: bool = True, **defaults: Any) -> None:
        """`fast`: the compiled walk for FAST_OUTPUTS (False: botocore's walk only, to compare)."""
        super().__init__()
        self._report = report
        self._fast = fast
        self._parser_defaults = defaults
        # botocore asks for a parser per response: the classes are made once per protocol.
        self._classes: dict[str, tuple[type, type]] = {}
        self._plans = Plans(defaults.get("timestamp_parser") or DEFAULT_TIMESTAMP_PARSER)

    def create_parser(self, protocol_name: str) -> Any:
        classes = self._classes.get(protocol_name)
        if classes is None:
            base: type = PROTOCOL_PARSERS[protocol_name]  # type: ignore[assignment]  # a class (stubs say instance)
            mixins = (_FastJson, _FirstTry) if self._fast and protocol_name == "json" else (_FirstTry,)
            first = type(f"Tolerant{base.__name__}", (*mixins, base), {"_plans": self._plans})
            careful = type(f"Careful{base.__name__}", (_Careful, base), {})
            classes = self._classes[protocol_name] = (first, careful)
        first, careful = classes
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


class _FastJson:
    """The JSON protocol's body walk by a compiled plan, where one exists (module doc)."""

    _plans: Plans

    def _handle_json_body(self, raw_body: Any, shape: Any) -> Any:
        plan = self._plans.plan(shape)
        if plan is None:
            return super()._handle_json_body(raw_body, shape)  # type: ignore[misc]  # botocore's class, mixed in
        body = self._parse_body_as_json(raw_body)  # type: ignore[attr-defined]  # botocore's, mixed in
        try:
            return plan(body)
        except Exception:
            # A value of another JSON type than the model's: botocore's walk decides, as if the
            # plan had not been there (and raises where it would, for the careful walk).
            return self._parse_shape(shape, body)  # type: ignore[attr-defined]  # botocore's, mixed in


Walk = Callable[[Any], Any]


class _Mismatch(Exception):
    """A value whose JSON type is not the model's: the plan hands the body to botocore."""


class Plans:
    """One compiled walk per output shape in FAST_OUTPUTS (by shape object), made on first use."""

    def __init__(self, timestamp_parser: Callable[[Any], Any]) -> None:
        self._timestamp = timestamp_parser
        self._plans: dict[Any, Walk | None] = {}  # botocore's shapes hash by identity

    def plan(self, shape: Any) -> Walk | None:
        if shape not in self._plans:
            fast = shape is not None and shape.name in FAST_OUTPUTS
            self._plans[shape] = self.compile(shape, {}) if fast else None
        return self._plans[shape]

    def compile(self, shape: Any, made: dict[str, Walk]) -> Walk | None:
        """A function that returns botocore's parse of a JSON value of `shape`, or raises; None
        for a shape whose handling it does not copy (maps, blobs, unions, documents, streams)."""
        kind = shape.type_name
        if kind in _AS_IS:
            return _as_is
        if kind == "timestamp":
            return self._timestamp
        if kind == "list":
            return _list(shape, self, made)
        if kind != "structure" or shape.is_document_type or shape.is_tagged_union:
            return None
        if shape.name in made:  # a shape that holds itself: its walk is being made
            return made[shape.name]
        members: list[tuple[str, str, Walk | None]] = []

        def structure(node: Any) -> dict[str, Any]:
            if type(node) is not dict:
                raise _Mismatch()
            parsed: dict[str, Any] = {}
            for key, name, walk in members:
                value = node.get(key)
                if value is not None:
                    parsed[name] = value if walk is None else walk(value)
            return parsed

        made[shape.name] = structure
        for name, member in shape.members.items():
            walk = self.compile(member, made)
            if walk is None:
                return None
            # Values botocore returns as they came are not walked at all.
            members.append((member.serialization.get("name", name), name, None if walk is _as_is else walk))
        return structure


def _as_is(value: Any) -> Any:
    return value


def _list(shape: Any, plans: Plans, made: dict[str, Walk]) -> Walk | None:
    walk = plans.compile(shape.member, made)
    if walk is None:
        return None
    if walk is _as_is:

        def scalars(node: Any) -> list[Any]:
            if type(node) is not list:
                raise _Mismatch()
            return node[:]

        return scalars

    def items(node: Any) -> list[Any]:
        if type(node) is not list:
            raise _Mismatch()
        return [None if item is None else walk(item) for item in node]

    return items


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
