"""Property-based robustness: API responses generated from botocore's CodeDeploy service model
(optional members missing, unknown enum values, empty lists, extreme numbers, unicode IDs)
never crash parsing or rendering, and the exposition always passes `promtool check metrics`.
Configs built from near-valid pieces give a Config or a ConfigError, never a traceback.
"""

from __future__ import annotations

import datetime
import json
import math
import subprocess

import botocore.session
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from support.tools import require_binary

from exporter.aws.parse import parse_deployment, parse_target
from exporter.config import ConfigError, loads_config, parse_config
from exporter.exposition.cache import ExpositionCache
from exporter.exposition.selection import Selection
from exporter.exposition.text import label_pairs
from exporter.exposition.views import TargetView

MODEL = botocore.session.get_session().get_service_model("codedeploy")
TARGET_SHAPE = MODEL.shape_for("DeploymentTarget")
DEPLOYMENT_SHAPE = MODEL.shape_for("DeploymentInfo")

# Unicode that stresses the text format: quotes, backslashes, newlines, non-BMP, NUL, RTL.
# Lone surrogates (which JSON escapes can carry) are covered by their own test below.
NASTY = st.text(
    alphabet=st.one_of(
        st.sampled_from('"\\\n\r\t{}=,# \u00e9\u202e\U0001f680\x00'), st.characters(exclude_categories=["Cs"])
    ),
    max_size=12,
)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 2.0**53 + 1])
)
TIMESTAMPS = st.one_of(
    st.datetimes(
        min_value=datetime.datetime(1, 1, 2),
        max_value=datetime.datetime(9999, 12, 30),
        timezones=st.just(datetime.timezone.utc),
    ),
    NUMBERS,
)


def from_shape(shape, depth: int = 0) -> st.SearchStrategy:
    """Values botocore could hand us for `shape`, plus the odd value it never would."""
    kind = shape.type_name
    if kind == "structure":
        members = {name: from_shape(member, depth + 1) for name, member in shape.members.items()}
        if depth > 4:
            return st.just({})
        return st.fixed_dictionaries({}, optional=members)
    if kind == "list":
        return st.lists(from_shape(shape.member, depth + 1), max_size=3)
    if kind == "map":
        return st.dictionaries(from_shape(shape.key, depth + 1), from_shape(shape.value, depth + 1), max_size=4)
    if kind == "string":
        if shape.enum:
            return st.one_of(st.sampled_from(list(shape.enum)), NASTY)
        return NASTY
    if kind in ("integer", "long"):
        return st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-5, 5))
    if kind in ("double", "float"):
        return NUMBERS
    if kind == "timestamp":
        return TIMESTAMPS
    if kind == "boolean":
        return st.booleans()
    return st.none()


def render(targets: list[dict], deployments: list[dict], sparse: bool) -> str:
    views = []
    for n, raw in enumerate(targets):
        record = parse_target(raw)
        prefix = label_pairs(
            application="app",
            deployment_group="group",
            deployment_id=record.deployment_id,
            target_id=f"{n}:{record.target_id}",
        )
        views.append(TargetView((n,), prefix, record, bool(n % 2)))
    records = {}
    for raw in deployments:
        deployment = parse_deployment(raw)
        records[deployment.deployment_id] = deployment  # the exporter tracks deployments by ID
    # Every lifecycle event, whatever the target's state: the most series to check.
    return ExpositionCache(Selection(sparse_status=sparse, lifecycle_events="all")).render(views, records.values())


def assert_valid_exposition(text: str) -> None:
    seen = set()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in seen, f"duplicate series {key}"
            seen.add(key)
            assert isinstance(sample.value, (int, float))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    targets=st.lists(from_shape(TARGET_SHAPE), max_size=4),
    deployments=st.lists(from_shape(DEPLOYMENT_SHAPE), max_size=3),
    sparse=st.booleans(),
)
def test_generated_responses_never_crash_and_render_a_valid_exposition(targets, deployments, sparse):
    assert_valid_exposition(render(targets, deployments, sparse))


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | NUMBERS | NASTY | st.integers(),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(NASTY, children, max_size=3),
        max_leaves=12,
    )
)
def test_arbitrary_json_in_place_of_a_response_never_crashes(data):
    render([data, {"deploymentTargetType": "InstanceTarget", "instanceTarget": data}], [data], sparse=False)


def test_generated_expositions_pass_promtool():
    promtool = require_binary("promtool")
    corpus = []

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        targets=st.lists(from_shape(TARGET_SHAPE), min_size=1, max_size=4),
        deployments=st.lists(from_shape(DEPLOYMENT_SHAPE), max_size=3),
    )
    def collect(targets, deployments):
        corpus.append(render(targets, deployments, sparse=False))

    collect()
    # One promtool run per exposition (a run is ~10 ms); each must parse and lint clean.
    for text in corpus:
        result = subprocess.run(
            [promtool, "check", "metrics"], input=text.encode("utf-8"), check=False, capture_output=True, timeout=30
        )
        assert result.returncode == 0, (result.stdout + result.stderr).decode()[:2000] + "\n" + text[:2000]


def test_label_values_from_the_api_are_escaped():
    raw = {
        "deploymentTargetType": "InstanceTarget",
        "instanceTarget": {
            "deploymentId": 'd-"x"\\',
            "targetId": "i-\nnew",
            "status": 'Weird"Status\n',
            "lifecycleEvents": [
                {
                    "lifecycleEventName": 'Install"\\',
                    "status": "Failed",
                    "diagnostics": {"errorCode": "ScriptFailed", "scriptName": 'a"b\\c\nd'},
                }
            ],
        },
    }
    text = render([raw], [], sparse=True)
    assert_valid_exposition(text)
    labels = {dict(s.labels).get("script_name") for f in text_string_to_metric_families(text) for s in f.samples}
    assert 'a"b\\c\nd' in labels  # round-trips exactly through escaping


# JSON escapes can carry lone surrogates ('\\udcf5') that botocore's json.loads passes through;
# one such string once failed every poll's render.
def test_lone_surrogate_in_an_api_string_does_not_break_rendering():
    raw = json.loads(
        '{"deploymentTargetType": "InstanceTarget", "instanceTarget": '
        '{"deploymentId": "d-ABCDEFGH1", "targetId": "i-\\udcf5", "status": "Failed"}}'
    )
    assert_valid_exposition(render([raw], [], sparse=False))


# ---- config fuzzing -----------------------------------------------------------------------

_DURATIONS = st.one_of(
    st.sampled_from(["30s", "1m", "1h30m", "0s", "-1s", "5x", "", "1e9s"]), st.integers(-5, 10**20), NUMBERS, NASTY
)
_ANY = st.one_of(st.none(), st.booleans(), st.integers(), NUMBERS, NASTY, st.lists(st.integers(), max_size=2))
_AWS = st.fixed_dictionaries(
    {},
    optional={
        "region": st.one_of(st.just("us-east-1"), _ANY),
        "profile": _ANY,
        "role_arn": st.one_of(st.just("arn:aws:iam::123456789012:role/x"), _ANY),
        "external_id": _ANY,
        "endpoint_url": st.one_of(st.just("http://127.0.0.1:1"), _ANY),
    },
)
_ID = st.one_of(st.just("d-ABCDEFGH1"), _ANY)
CONFIGS = st.fixed_dictionaries(
    {},
    optional={
        "aws": st.one_of(_AWS, _ANY),
        "poll": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "interval": _DURATIONS,
                    "retention": _DURATIONS,
                    "max_concurrency": st.one_of(st.integers(-2, 100), _ANY),
                    "max_requests_per_second": st.one_of(NUMBERS, _ANY),
                },
            ),
            _ANY,
        ),
        "metrics": st.one_of(st.fixed_dictionaries({}, optional={"sparse_status": _ANY}), _ANY),
        "targets": st.one_of(
            st.lists(
                st.fixed_dictionaries({"deployment_id": _ID}, optional={"target_id": _ANY, "aws": _AWS, "extra": _ANY}),
                max_size=3,
            ),
            _ANY,
        ),
        "deployments": st.one_of(
            st.lists(
                st.fixed_dictionaries({"deployment_id": _ID}, optional={"aws": st.one_of(_AWS, _ANY)}), max_size=3
            ),
            _ANY,
        ),
        "deployment_groups": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"application": _ANY, "deployment_group": _ANY},
                    optional={"latest": st.one_of(st.integers(-1, 1000), _ANY)},
                ),
                max_size=3,
            ),
            _ANY,
        ),
        "typo_key": _ANY,
    },
)


@settings(max_examples=400, deadline=None)
@given(CONFIGS)
def test_near_valid_configs_give_a_config_or_a_complete_error_listing(data):
    try:
        config = parse_config(data, "fuzz.yaml")
    except ConfigError as exc:
        assert exc.problems and all(p.startswith("fuzz.yaml: ") for p in exc.problems)
        return
    assert config.poll.interval > 0 and math.isfinite(config.poll.interval)
    assert config.poll.max_concurrency >= 1


@settings(max_examples=200, deadline=None)
@given(CONFIGS)
def test_configs_round_trip_through_yaml_text_without_tracebacks(data):
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        return  # not representable as YAML: nothing a user could write
    try:
        loads_config(text, "fuzz.yaml")
    except ConfigError as exc:
        assert exc.problems


_WEB = st.fixed_dictionaries(
    {},
    optional={
        "tls_server_config": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "cert_file": st.one_of(st.just("server.crt"), _ANY),
                    "key_file": st.one_of(st.just("k"), _ANY),
                    "client_auth_type": st.one_of(
                        st.sampled_from(["NoClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven"]), _ANY
                    ),
                    "client_ca_file": _ANY,
                    "min_version": st.one_of(st.sampled_from(["TLS12", "TLS13", "TLS10"]), _ANY),
                    "max_version": st.one_of(st.sampled_from(["TLS12", "TLS13"]), _ANY),
                    "cipher_suites": _ANY,
                },
            ),
            _ANY,
        ),
        "basic_auth_users": st.one_of(
            st.dictionaries(
                st.one_of(NASTY, st.integers()), st.one_of(st.just("$2b$04$" + "a" * 53), _ANY), max_size=3
            ),
            _ANY,
        ),
        "http_server_config": st.one_of(
            st.fixed_dictionaries(
                {}, optional={"http2": _ANY, "headers": st.one_of(st.dictionaries(NASTY, _ANY, max_size=2), _ANY)}
            ),
            _ANY,
        ),
        "typo_key": _ANY,
    },
)


@settings(max_examples=300, deadline=None)
@given(_WEB)
def test_near_valid_web_configs_give_a_web_config_or_a_complete_error_listing(data):
    from exporter.http.security import WebConfig, parse_web_config

    try:
        config = parse_web_config(data, "web.yml")
    except ConfigError as exc:
        assert exc.problems and all(p.startswith("web.yml: ") for p in exc.problems)
        return
    assert isinstance(config, WebConfig)
    assert config.tls is None or config.tls.client_auth_type != "RequireAnyClientCert"


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_web_config_file_contents_give_a_web_config_or_a_config_error(tmp_path_factory, contents):
    from exporter.http.security import WebConfig, load_web_config

    path = tmp_path_factory.mktemp("web") / "web.yml"
    path.write_bytes(contents)
    try:
        assert isinstance(load_web_config(str(path)), WebConfig)
    except ConfigError as exc:
        assert exc.problems and all(p.startswith(str(path)) for p in exc.problems)
