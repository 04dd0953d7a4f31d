"""docs/events.md: every yaml block says what it is and is valid as that; PromQL parses."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from support.paths import REPO

from exporter.config import loads_config

DOC = REPO / "docs" / "events.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(DOC.read_text()) if lang == kind]


def test_every_yaml_block_starts_with_its_kind():
    kinds = [body.splitlines()[0] for body in blocks("yaml")]
    assert kinds and all(k in ("# config", "# helm-values", "# cloudformation") for k in kinds), kinds


def test_config_blocks_validate():
    configs = [b for b in blocks("yaml") if b.startswith("# config")]
    assert configs
    for body in configs:
        assert loads_config(body, source="docs/events.md").events is not None


def test_helm_values_block_carries_a_valid_exporter_config():
    [body] = [b for b in blocks("yaml") if b.startswith("# helm-values")]
    config = yaml.safe_load(body)["config"]
    assert loads_config(yaml.safe_dump(config)).events.sqs_queue_url.endswith("/codedeploy-events")


def test_promql_examples_parse(tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (scripts/test.sh installs it)")
    expressions = [e.strip() for body in blocks("promql") for e in re.split(r"\n\s*\n", body) if e.strip()]
    expressions = ["\n".join(line for line in e.splitlines() if not line.startswith("#")) for e in expressions]
    rules = {
        "groups": [
            {"name": "docs", "rules": [{"record": f"docs:expr{i}", "expr": e} for i, e in enumerate(expressions)]}
        ]
    }
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(expressions) == 3
