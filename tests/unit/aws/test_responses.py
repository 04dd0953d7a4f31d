"""The compiled JSON walk of exporter.aws.responses gives botocore's dict: over the published
corpus (tests/payloads/api) and over bodies generated from the service model with nulls,
unknown members, mistyped and oversized values, the fast parser and botocore's own walk (behind
the same tolerant parser) return equal dicts, in the same key order, and report the same drops."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.parsers import JSONParser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.paths import TESTS

from exporter.aws.clients import _epoch_seconds
from exporter.aws.responses import FAST_OUTPUTS, Dropped, TolerantParserFactory

MODEL = botocore.session.get_session().get_service_model("codedeploy")
API = sorted((TESTS / "payloads" / "api").glob("*/*.json"))
OPERATIONS = sorted(name[: -len("Output")] for name in FAST_OUTPUTS)


def parse(raw: bytes, operation: str, fast: bool) -> tuple[dict[str, Any], list[Dropped]]:
    """`raw` parsed as `operation`'s response by the exporter's parser, and the drops it reported."""
    dropped: list[Dropped] = []
    factory = TolerantParserFactory(dropped.append, fast=fast, timestamp_parser=_epoch_seconds)
    response = {"body": raw, "headers": {"x-amzn-requestid": "r"}, "status_code": 200}
    response["context"] = {"operation_name": operation}
    parsed = factory.create_parser("json").parse(response, MODEL.operation_model(operation).output_shape)
    return parsed, dropped


def ordered(value: Any) -> Any:
    """`value` with every dict as its list of items: equal only if the key order is equal too."""
    if isinstance(value, dict):
        return [(key, ordered(v)) for key, v in value.items()]
    if isinstance(value, list):
        return [ordered(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return "nan"  # nan != nan, but the same nan in both is the same value
    return value


def test_every_operation_the_exporter_calls_has_a_compiled_walk() -> None:
    factory = TolerantParserFactory(lambda _: None, timestamp_parser=_epoch_seconds)
    for operation in OPERATIONS:
        assert factory._plans.plan(MODEL.operation_model(operation).output_shape) is not None, operation


@pytest.mark.parametrize("path", API, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_published_payloads_parse_to_botocores_dict(path: Path) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    raw, operation = json.dumps(payload["body"]).encode(), payload["operation"]
    fast, fast_drops = parse(raw, operation, fast=True)
    slow, slow_drops = parse(raw, operation, fast=False)
    assert ordered(fast) == ordered(slow)
    assert fast_drops == slow_drops
    if not slow_drops:  # botocore's own parser, untouched, agrees too
        shape = MODEL.operation_model(operation).output_shape
        assert shape is not None
        plain = JSONParser(timestamp_parser=_epoch_seconds).parse(
            {"body": raw, "headers": {"x-amzn-requestid": "r"}, "status_code": 200}, shape
        )
        assert ordered(fast) == ordered(plain)


def test_a_wrong_typed_value_costs_that_value_as_before() -> None:
    # The CLI's get-deployment-group example lists autoScalingGroups as names (the model has structures).
    payload = json.loads((TESTS / "payloads/api/BatchGetDeploymentGroups/cli_get_deployment_group.json").read_text())
    parsed, dropped = parse(json.dumps(payload["body"]).encode(), "BatchGetDeploymentGroups", fast=True)
    assert [(d.field, d.reason) for d in dropped] == [("deploymentGroupsInfo[0].autoScalingGroups[0]", "wrong_type")]
    group = parsed["deploymentGroupsInfo"][0]
    assert group["deploymentGroupName"] == "WordPress_DG" and group["autoScalingGroups"] == [None]


def test_a_list_of_names_where_the_model_has_names_is_not_a_drop() -> None:
    raw = b'{"targetIds": ["i-1", null, "i-2"], "nextToken": null, "unknown": 1}'
    assert parse(raw, "ListDeploymentTargets", fast=True) == parse(raw, "ListDeploymentTargets", fast=False)
    assert parse(raw, "ListDeploymentTargets", fast=True)[0]["targetIds"] == ["i-1", None, "i-2"]


# ---- generated bodies -------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
MISTYPED = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(), TEXT, st.just([]), st.just({}), st.just(["x", 1])
)
TIMESTAMPS = st.one_of(
    st.floats(0, 4e9), st.integers(0, 2**40), st.sampled_from(["2016-10-07T19:50:42Z", "1446744188.595", "not a date"])
)


def body_of(shape: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """JSON values of `shape`: mostly well typed, sometimes null, mistyped or with unknown members."""
    kind = shape.type_name
    if kind == "structure":
        members = {name: value_of(member, depth + 1) for name, member in shape.members.items()} if depth < 6 else {}
        unknown = st.dictionaries(st.sampled_from(["zzUnknown", "Status", "__type"]), MISTYPED, max_size=1)
        return st.builds(lambda known, extra: {**extra, **known}, st.fixed_dictionaries({}, optional=members), unknown)
    if kind == "list":
        return st.lists(value_of(shape.member, depth + 1), max_size=3)
    if kind == "map":
        return st.dictionaries(TEXT, value_of(shape.value, depth + 1), max_size=2)
    if kind == "string":
        return st.sampled_from(list(shape.enum)) if shape.enum else TEXT
    if kind in ("integer", "long"):
        return st.integers(-(2**63), 2**63)
    if kind in ("double", "float"):
        return st.floats()
    if kind == "timestamp":
        return TIMESTAMPS
    if kind == "boolean":
        return st.booleans()
    return st.none()


def value_of(shape: Any, depth: int) -> st.SearchStrategy[Any]:
    return st.one_of(body_of(shape, depth), MISTYPED) if depth else body_of(shape, depth)


def _dump(value: Any) -> bytes:
    # Infinities and nan as a wire may carry them (Python's json writes and reads these words).
    return json.dumps(value).encode()


@pytest.mark.parametrize("operation", OPERATIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_bodies_parse_to_botocores_dict(operation: str, data: st.DataObject) -> None:
    raw = _dump(data.draw(body_of(MODEL.operation_model(operation).output_shape)))
    fast, fast_drops = parse(raw, operation, fast=True)
    slow, slow_drops = parse(raw, operation, fast=False)
    assert ordered(fast) == ordered(slow)
    assert fast_drops == slow_drops
