"""Checking the simulator against botocore's CodeDeploy model, and the demo timeline at a
fixed time: shared by the simulator's tests."""

from __future__ import annotations

import json

import boto3
import botocore.session
from botocore.config import Config

from exporter.simulator import DemoScenarios, Simulator, SimulatorServer
from support.expo import FakeClock

MODEL = botocore.session.get_session().get_service_model("codedeploy")


def assert_matches_shape(shape, value, path: str = "$") -> None:
    """Every key is a member, every enum value known, every scalar of the right JSON type."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path}: expected object, got {value!r}"
        for key, item in value.items():
            assert key in shape.members, f"{path}.{key} is not a member of {shape.name}"
            assert_matches_shape(shape.members[key], item, f"{path}.{key}")
        for key in shape.required_members:
            assert key in value, f"{path}.{key} is required by {shape.name}"
    elif kind == "list":
        assert isinstance(value, list), f"{path}: expected list, got {value!r}"
        for i, item in enumerate(value):
            assert_matches_shape(shape.member, item, f"{path}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), f"{path}: expected map, got {value!r}"
        for key, item in value.items():
            assert_matches_shape(shape.key, key, f"{path}<key>")
            assert_matches_shape(shape.value, item, f"{path}.{key}")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: expected string, got {value!r}"
        if shape.enum:
            assert value in shape.enum, f"{path}: {value!r} not in {shape.name} {shape.enum}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r} not int"
    elif kind in ("double", "float", "timestamp"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: {value!r} is not a number"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: {value!r} not bool"
    else:
        raise AssertionError(f"{path}: unexpected shape type {kind}")


def assert_valid_response(sim: Simulator, operation: str, params: dict) -> dict:
    status, body = sim.handle(operation, params)
    assert status == 200, body
    body = json.loads(json.dumps(body))  # exactly what goes over the wire
    assert_matches_shape(MODEL.operation_model(operation).output_shape, body)
    return body


def make_client(server: SimulatorServer, key: str = "testing", **config):
    return boto3.client(
        "codedeploy",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config),
    )


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


CYCLE = 60.0
CYCLE_START = 28_333_334 * CYCLE  # an even cycle (demo-web fails, demo-canary stops) in late 2023


def demo(fraction: float = 0.0):
    clock = FakeClock(CYCLE_START + fraction * CYCLE)
    sim = Simulator()
    scenarios = DemoScenarios(sim, clock=clock, cycle_seconds=CYCLE)
    scenarios.advance()
    return sim, scenarios, clock
