"""Property: raw response bytes built from botocore's service model, with values dropped,
nulled, mistyped, duplicated, oversized and unknown, go through real boto3 and botocore's
parser into a poll. The poll finishes, nothing escapes, every well-formed object of the same
response is still exported, and the exposition parses (prometheus-client and promtool).

(tests/unit/aws/test_fuzz.py feeds parsed dicts to the record parser and renderer; this one starts a
step earlier, at the bytes botocore parses.)
"""

from __future__ import annotations

import json
import math
import subprocess
from typing import Any

import botocore.session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.expo import NOW, samples
from support.replay import ReplayServer
from support.tools import require_binary

from exporter.simulator import deployment_info, instance_target

MODEL = botocore.session.get_session().get_service_model("codedeploy")
GOOD = 3  # well-formed objects in every generated response
EXAMPLES = 40  # per operation: three operations, one poll each (~1.5 s per 40 in all)


class Pairs(list):  # type: ignore[type-arg]
    """A JSON object written key by key, so a key can appear twice (the last one wins)."""


def dump(value: Any) -> str:
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in value) + "}"
    if isinstance(value, dict):
        return dump(Pairs(value.items()))
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return "1e999" if value > 0 else "-1e999"  # what a JSON encoder cannot write, a wire may carry
    return json.dumps(value)


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
OVERSIZED = st.one_of(
    st.text(min_size=2000, max_size=6000, alphabet='ab"\\\n\u00e9\U0001f680'),
    st.sampled_from([10**30, -(10**30), 1e308, float("inf")]),
)
MISTYPED = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(), TEXT, st.just([]), st.just({}), st.just([1, "x"])
)


def well_typed(shape, depth: int) -> st.SearchStrategy:
    kind = shape.type_name
    if kind == "structure":
        if depth > 5:
            return st.just({})
        members = {name: wild(member, depth + 1) for name, member in shape.members.items()}
        return st.builds(
            _object,
            st.fixed_dictionaries({}, optional=members),
            st.dictionaries(st.text(min_size=1, max_size=8), MISTYPED, max_size=2),  # unknown fields
            st.lists(st.sampled_from(sorted(shape.members)), max_size=2),  # keys written twice
            MISTYPED,
        )
    if kind == "list":
        return st.lists(wild(shape.member, depth + 1), max_size=3)
    if kind == "map":
        return st.dictionaries(TEXT, wild(shape.value, depth + 1), max_size=3)
    if kind == "string":
        return st.one_of(st.sampled_from(list(shape.enum)), TEXT) if shape.enum else TEXT
    if kind in ("integer", "long"):
        return st.integers(-(2**63), 2**63)
    if kind in ("double", "float"):
        return st.floats()
    if kind == "timestamp":
        return st.one_of(st.floats(0, 4e9), st.sampled_from(["2016-10-07T19:50:42Z", "Fri Oct 07 19:50:41 UTC 2016"]))
    if kind == "boolean":
        return st.booleans()
    return st.none()


def wild(shape, depth: int = 0) -> st.SearchStrategy:
    """Mostly the shape's own type; sometimes null, another type, or oversized."""
    return st.one_of(well_typed(shape, depth), st.none(), MISTYPED, OVERSIZED) if depth else well_typed(shape, depth)


def _object(members: dict, unknown: dict, twice: list[str], second: Any) -> Pairs:
    pairs = Pairs(members.items())
    pairs.extend(unknown.items())
    pairs.extend((key, second) for key in twice)
    return pairs


def _deployments(request: dict) -> bytes:
    infos = [deployment_info(d, "app", "grp", "InProgress", NOW) for d in request["deploymentIds"]]
    return json.dumps({"deploymentsInfo": infos}).encode()


CASES = {
    # operation: (response key, shape of one object, well-formed objects, config, (family, label))
    "BatchGetDeploymentTargets": (
        "deploymentTargets",
        MODEL.shape_for("DeploymentTarget"),
        [instance_target("d-GOODDEP01", f"i-good{n}", "Failed", [], NOW) for n in range(GOOD)],
        {"targets": [{"deployment_id": "d-GOODDEP01", "target_id": f"i-good{n}"} for n in range(GOOD)]},
        ("codedeploy_target_info", "target_id", {f"i-good{n}" for n in range(GOOD)}),
    ),
    "BatchGetDeployments": (
        "deploymentsInfo",
        MODEL.shape_for("DeploymentInfo"),
        [deployment_info(f"d-GOODDEP0{n}", "app", "grp", "Succeeded", NOW) for n in range(GOOD)],
        {"deployments": [{"deployment_id": f"d-GOODDEP0{n}"} for n in range(GOOD)]},
        ("codedeploy_deployment_info", "deployment_id", {f"d-GOODDEP0{n}" for n in range(GOOD)}),
    ),
    "BatchGetDeploymentGroups": (
        "deploymentGroupsInfo",
        MODEL.shape_for("DeploymentGroupInfo"),
        [{"applicationName": "app", "deploymentGroupName": f"good{n}"} for n in range(GOOD)],
        {"deployment_groups": [{"application": "app", "deployment_group": f"good{n}"} for n in range(GOOD)]},
        ("codedeploy_deployment_group_info", "deployment_group", {f"good{n}" for n in range(GOOD)}),
    ),
}


def poll(server: ReplayServer, operation: str, odd: list[Any], position: int) -> bytes:
    key, _, good, config, (family, label, wanted) = CASES[operation]
    objects: list[Any] = list(good)
    objects[position:position] = odd
    # (when BatchGetDeployments is the operation under test, its bytes replace the helper)
    server.answers = {"BatchGetDeployments": _deployments, operation: f'{{"{key}":{dump(objects)}}}'.encode()}
    exporter = server.exporter(**config)
    outcome = exporter.poll_once()  # nothing escapes
    body = exporter.snapshot.body
    assert outcome.api_wide_errors == [], outcome.api_wide_errors
    exported = {dict(ls)[label] for (n, ls), _ in samples(body).items() if n == family}  # parses, no duplicates
    assert wanted <= exported, f"well-formed objects lost: {wanted - exported}"
    return body


def run(operation: str, corpus: list[bytes]) -> None:
    shape = CASES[operation][1]
    wanted = CASES[operation][4][2]
    with ReplayServer() as server:

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(odd=st.lists(wild(shape), min_size=1, max_size=3), position=st.integers(0, GOOD))
        def check(odd, position):
            text = dump(odd)
            if any(w in text for w in wanted):
                return  # an odd object that names a well-formed one may stand in for it
            corpus.append(poll(server, operation, odd, position))

        check()


def dropped(body: bytes) -> float:
    return sum(v for (n, _), v in samples(body).items() if n == "codedeploy_exporter_parse_errors_total")


def test_odd_deployment_targets_never_cost_the_well_formed_ones():
    corpus: list[bytes] = []
    run("BatchGetDeploymentTargets", corpus)
    # The generator reaches what botocore's own parser raises on (else the property is idle).
    assert sum(1 for body in corpus if dropped(body)) >= len(corpus) // 4


def test_odd_deployments_never_cost_the_well_formed_ones():
    corpus: list[bytes] = []
    run("BatchGetDeployments", corpus)
    assert sum(1 for body in corpus if dropped(body)) >= len(corpus) // 4


def test_odd_deployment_groups_never_cost_the_well_formed_ones_and_promtool_accepts_the_page():
    promtool = require_binary("promtool")
    corpus: list[bytes] = []
    run("BatchGetDeploymentGroups", corpus)
    run("BatchGetDeploymentTargets", corpus)
    for body in corpus[:: max(1, len(corpus) // 20)]:  # ~20 promtool runs of ~10 ms
        result = subprocess.run(
            [promtool, "check", "metrics"], input=body, check=False, capture_output=True, timeout=30
        )
        assert result.returncode == 0, (result.stdout + result.stderr).decode()[:2000]
