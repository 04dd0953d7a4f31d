"""Docs that run: every YAML, JSON and shell snippet of the README and docs/ is checked.

Snippets come from tests/support/docsnippets.py, each with its file and line; a failure names them.
The PromQL snippets run against the real Prometheus of the end-to-end stack, in
tests/e2e/test_docs_promql.py. What each kind of snippet goes through:
- yaml, by the kind named on its first line: exporter configs through the exporter's config
  loader, web configs through its web-config loader, Helm values through a chart render,
  Prometheus and Alertmanager configs through `promtool check config` and `amtool
  check-config`, rule files through `promtool check rules`, CloudFormation through `cfn-lint`,
  Kubernetes objects through kubernetes-validate;
- shell: every command line that runs the exporter must parse with the exporter's own flags,
  and files written by heredocs (`cat > prometheus.yml <<EOF`) are checked like yaml blocks;
- json: must parse;
- the README's quick start runs, exactly as written, in a scratch copy of the repository.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from support.docsnippets import (
    DOC_GLOBS,
    SHELL_LANGUAGES,
    YAML_KINDS,
    Block,
    Heredoc,
    Invocation,
    SnippetError,
    exporter_invocations,
    fenced_blocks,
    inline_invocations,
    promql_queries,
    shell_commands,
    yaml_kind,
)
from support.paths import REPO
from support.tools import require_binary

from exporter.cli import build_parser
from exporter.config import ConfigError, loads_config
from exporter.config.web import parse_web_config

REPO = REPO
DOC_FILES = [path for pattern in DOC_GLOBS for path in sorted(REPO.glob(pattern))]
CHART = REPO / "helm" / "codedeploy-exporter"
# A `# config fragment` is merged over this before loading. An empty config is valid today;
# if the config ever requires a key, put its smallest valid value here.
MINIMAL_CONFIG: dict[str, Any] = {}
# Files written by heredocs in shell blocks, and the kind of YAML they hold.
HEREDOC_KINDS = {
    "prometheus.yml": "prometheus",
    "alertmanager.yml": "alertmanager",
    "config.yaml": "config",
    "web-config.yml": "web-config",
    "web.yml": "web-config",
}
KUBE_VERSION = "1.34.0"


def _relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _extract() -> tuple[list[Block], dict[str, list[str]]]:
    """Every block of every doc file, and per file the conventions it breaks."""
    blocks, broken = [], {}
    for path in DOC_FILES:
        name, problems = _relative(path), []
        try:
            found = fenced_blocks(name, path.read_text(encoding="utf-8"))
        except SnippetError as error:  # an unclosed fence: nothing after it can be trusted
            broken[name] = [str(error)]
            continue
        for block in found:  # every structural problem, each with its line
            try:
                if block.language == "promql":
                    promql_queries(block)
                elif block.language == "yaml":
                    yaml_kind(block)
                elif block.language in SHELL_LANGUAGES:
                    exporter_invocations(block)
            except SnippetError as error:
                problems.append(str(error))
        if problems:
            broken[name] = problems
        blocks.extend(found)
    return blocks, broken


def _invocations(block: Block) -> list[Invocation]:
    try:
        return exporter_invocations(block)
    except SnippetError:  # reported by test_doc_follows_the_snippet_conventions
        return []


def _heredocs(block: Block) -> list[Heredoc]:
    try:
        return shell_commands(block)[1]
    except SnippetError:  # reported by test_doc_follows_the_snippet_conventions
        return []


BLOCKS, BROKEN = _extract()
YAML_BLOCKS = [b for b in BLOCKS if b.language == "yaml"]
JSON_BLOCKS = [b for b in BLOCKS if b.language == "json"]
SHELL_BLOCKS = [b for b in BLOCKS if b.language in SHELL_LANGUAGES]
INVOCATIONS = [i for b in SHELL_BLOCKS for i in _invocations(b)] + [
    i for path in DOC_FILES for i in inline_invocations(_relative(path), path.read_text())
]
# Only files whose name says what they hold; others (a script, a JSON file) are not checked.
HEREDOCS = [h for b in SHELL_BLOCKS for h in _heredocs(b) if PurePosixPath(h.target or "").name in HEREDOC_KINDS]


def _ids(items: list[Any]) -> list[str]:
    return [item.where for item in items]


# ---- the docs follow the snippet conventions --------------------------------------------


@pytest.mark.parametrize("path", [_relative(p) for p in DOC_FILES])
def test_doc_follows_the_snippet_conventions(path):
    assert BROKEN.get(path, []) == []


def test_snippets_are_found_where_the_docs_have_them():
    # Guards the extraction itself: a parser that silently finds nothing would pass everything.
    readme = [b for b in BLOCKS if b.path == "README.md"]
    assert any(b.language == "promql" and promql_queries(b) for b in readme)
    assert any(b.language == "yaml" for b in readme)
    assert any(i.path == "README.md" for i in INVOCATIONS)
    assert any(b.language == "yaml" for b in BLOCKS if b.path.startswith("helm/"))


# ---- yaml ---------------------------------------------------------------------------------


def _run(argv: list[str], where: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        pytest.fail(
            f"{where}: {PurePosixPath(argv[0]).name} rejects the snippet (its line numbers "
            "count from the snippet's first line):\n"
            f"{result.stdout}{result.stderr}"
        )


def _write(tmp_path: Path, text: str, name: str = "snippet.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _check_config(text: str, where: str, tmp_path: Path) -> None:
    try:
        loads_config(text, source=where)
    except ConfigError as error:
        pytest.fail(f"{where}: not a valid exporter config:\n{error}")


def _deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _deep_merge(base.get(k), v) for k, v in over.items()}}
    return over


def _check_config_fragment(text: str, where: str, tmp_path: Path) -> None:
    fragment = yaml.safe_load(text)
    if not isinstance(fragment, dict):
        pytest.fail(f"{where}: a config fragment must be a mapping of top-level config keys")
    if not MINIMAL_CONFIG:
        # The fragment is a whole config by itself: load its own text, so that duplicate keys
        # and the loader's line numbers survive.
        _check_config(text, where, tmp_path)
    else:
        _check_config(yaml.safe_dump(_deep_merge(MINIMAL_CONFIG, fragment)), where, tmp_path)


def _check_web_config(text: str, where: str, tmp_path: Path) -> None:
    # Validation only: the certificate files a doc names need not exist on this machine.
    try:
        parse_web_config(yaml.safe_load(text), source=where)
    except ConfigError as error:
        pytest.fail(f"{where}: not a valid web config:\n{error}")


def _check_helm_values(text: str, where: str, tmp_path: Path) -> None:
    helm = pytest.importorskip("helm_python", reason="helm-python-sdk (test extra) is missing")
    helm.disable_logging()
    values = yaml.safe_load(text) or {}
    with helm.Chart.load(CHART) as chart:
        try:
            chart.validate_schema(values)
            manifests = chart.render(values, name="docs", namespace="monitoring")
        except Exception as error:  # the SDK raises its own error types for schema and render
            pytest.fail(f"{where}: the chart refuses these values: {error}")
    configs = [
        doc["data"]["config.yaml"]
        for path, text in manifests.items()
        if path.endswith((".yaml", ".yml"))  # not NOTES.txt
        for doc in yaml.safe_load_all(text)
        if doc and doc.get("kind") == "ConfigMap" and "config.yaml" in doc.get("data", {})
    ]
    for config in configs:  # the `config:` subtree, as the pod would read it
        _check_config(config, f"{where} (rendered config.yaml)", tmp_path)


def _check_prometheus(text: str, where: str, tmp_path: Path) -> None:
    # --syntax-only: rule files a doc names (/etc/prometheus/...) need not exist here.
    _run(
        [require_binary("promtool"), "check", "config", "--syntax-only", str(_write(tmp_path, text, "prometheus.yml"))],
        where,
    )


def _check_prometheus_rules(text: str, where: str, tmp_path: Path) -> None:
    _run([require_binary("promtool"), "check", "rules", str(_write(tmp_path, text))], where)


def _check_alertmanager(text: str, where: str, tmp_path: Path) -> None:
    _run([require_binary("amtool"), "check-config", str(_write(tmp_path, text))], where)


def _check_cloudformation(text: str, where: str, tmp_path: Path) -> None:
    # The cfn-lint wheel puts its script next to the interpreter, which need not be on PATH.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    cfn_lint = shutil.which("cfn-lint", path=path)
    if cfn_lint is None:
        pytest.fail("cfn-lint not found: install the test extra (pip install -e '.[test]')")
    _run([cfn_lint, str(_write(tmp_path, text, "template.yaml"))], where)


def _check_kubernetes(text: str, where: str, tmp_path: Path) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for obj in yaml.safe_load_all(text):
        if obj is None:
            continue
        try:
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{where}: {obj.get('kind')}: {error.message}")


CHECKS: dict[str, Callable[[str, str, Path], None]] = {
    "config": _check_config,
    "config fragment": _check_config_fragment,
    "web-config": _check_web_config,
    "helm-values": _check_helm_values,
    "prometheus": _check_prometheus,
    "prometheus-rules": _check_prometheus_rules,
    "alertmanager": _check_alertmanager,
    "cloudformation": _check_cloudformation,
    "kubernetes": _check_kubernetes,
}


def test_every_yaml_kind_has_a_check():
    assert set(CHECKS) == set(YAML_KINDS) == set(CHECK_SAMPLES)


# For each kind, a snippet its check accepts and one with a single mistake it must refuse:
# the checks are only worth something if they can fail, and some kinds have no doc snippet yet.
CHECK_SAMPLES = {
    "config": ("poll:\n  interval: 30s", "poll:\n  intervall: 30s"),
    "config fragment": ("poll:\n  max_concurrency: 4", "poll:\n  max_concurency: 4"),
    "web-config": ("http_server_config:\n  headers:\n    X-Frame-Options: deny", "http_server_config:\n  headerz: {}"),
    "helm-values": ("sharding:\n  enabled: true\n  replicas: 2", "sharding:\n  replica: 2"),
    "prometheus": (
        "scrape_configs:\n  - job_name: x\n    static_configs: [{targets: ['a:1']}]",
        "scrape_configs:\n  - job_nam: x",
    ),
    "prometheus-rules": (
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==",
    ),
    "alertmanager": (
        "route: {receiver: r}\nreceivers: [{name: r}]",
        "route: {receiver: missing}\nreceivers: [{name: r}]",
    ),
    "cloudformation": (
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Queue:\n"
        "    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: 30",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Queue:\n"
        "    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimout: 30",
    ),
    "kubernetes": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndatta: {a: b}",
    ),
}


@pytest.mark.parametrize("kind", sorted(CHECK_SAMPLES))
def test_each_yaml_check_accepts_a_valid_snippet_and_refuses_one_mistake(kind, tmp_path):
    good, bad = CHECK_SAMPLES[kind]
    CHECKS[kind](good, "sample.md:1", tmp_path)
    with pytest.raises(pytest.fail.Exception, match=r"^sample\.md:1"):
        CHECKS[kind](bad, "sample.md:1", tmp_path)


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=_ids(YAML_BLOCKS))
def test_yaml_snippet_is_valid_for_the_kind_it_names(block, tmp_path):
    try:
        kind = yaml_kind(block)
    except SnippetError as error:
        pytest.fail(str(error))
    try:
        yaml.safe_load(block.text)
    except yaml.YAMLError as error:
        pytest.fail(f"{block.where}: invalid YAML (lines count from the snippet's first): {error}")
    CHECKS[kind](block.text, block.where, tmp_path)


@pytest.mark.parametrize("heredoc", HEREDOCS, ids=_ids(HEREDOCS))
def test_file_written_by_a_shell_snippet_is_valid_for_its_name(heredoc: Heredoc, tmp_path):
    kind = HEREDOC_KINDS[PurePosixPath(heredoc.target or "").name]
    CHECKS[kind](heredoc.text, heredoc.where, tmp_path)


def test_known_heredoc_files_are_checked():
    # The demo set-up in docs/monitoring.md writes a Prometheus config; it must not skip.
    assert HEREDOCS


# ---- json ---------------------------------------------------------------------------------


@pytest.mark.parametrize("block", JSON_BLOCKS, ids=_ids(JSON_BLOCKS))
def test_json_snippet_parses(block):
    try:
        json.loads(block.text)
    except json.JSONDecodeError as error:
        pytest.fail(f"{block.path}:{block.line + error.lineno - 1}: invalid JSON: {error.msg}")


# ---- shell --------------------------------------------------------------------------------


def parse_exporter_args(args: list[str]) -> tuple[Any, str]:
    """(namespace or None, argparse's complaint) for an exporter command line."""
    parser = build_parser()
    # Exact flags only: argparse would take `--config.fil` as `--config.file`, and a doc must
    # not teach an abbreviation that breaks as soon as a second flag shares the prefix.
    parser.allow_abbrev = False
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            return parser.parse_args(args), ""
        except SystemExit as exit_:
            return None, err.getvalue().strip() if exit_.code else ""


@pytest.mark.parametrize("invocation", INVOCATIONS, ids=_ids(INVOCATIONS))
def test_exporter_command_line_uses_only_real_flags(invocation: Invocation):
    namespace, complaint = parse_exporter_args(list(invocation.args))
    assert complaint == "", (
        f"{invocation.where}: `{invocation.command.strip()}`: the exporter rejects its arguments:\n{complaint}"
    )


_FLAG = re.compile(r"--[a-z][\w.-]*")


def _flag_table_flags() -> list[tuple[str, str]]:
    """(README.md:line, flag) for each flag named in the first column of the README's table."""
    flags, section = [], ""
    for number, line in enumerate((REPO / "README.md").read_text().splitlines(), 1):
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        elif section == "Flags" and line.startswith("|"):
            first = line.split("|")[1]
            flags += [(f"README.md:{number}", flag) for flag in _FLAG.findall(first)]
    return flags


def test_readme_flag_table_names_only_real_flags():
    flags = _flag_table_flags()
    assert len(flags) >= 5, "the README's Flags table was not found"
    real = set(_FLAG.findall(build_parser().format_help()))
    assert [(where, flag) for where, flag in flags if flag not in real] == []


# ---- the quick start, exactly as written ---------------------------------------------------

# Runs the quick start command and reports what its /metrics serves. In a private network
# namespace (unshare -rn) the documented fixed port cannot collide with anything else on the
# machine; loopback starts down there and is brought up first. An answer only counts while a
# codedeploy-exporter process of the command's own session runs, so a server that some other
# program runs on the same port can never pass for the quick start.
_DRIVER = r"""
import fcntl, json, os, signal, socket, struct, subprocess, sys, time, urllib.request
command, url, timeout, log = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
if os.environ.get("DOCS_NETNS"):
    with socket.socket() as sock:  # SIOCSIFFLAGS lo: IFF_UP | IFF_LOOPBACK | IFF_RUNNING
        fcntl.ioctl(sock, 0x8914, struct.pack("16sH22x", b"lo", 0x1 | 0x8 | 0x40))
with open(log, "wb") as out:
    process = subprocess.Popen(["bash", "-c", command], stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)

def exporter_running():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                session = int(stat.read().rpartition(")")[2].split()[3])
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if session == process.pid and any(a.endswith(b"/codedeploy-exporter") for a in argv[:2]):
            return True
    return False

result = {"status": 0, "names": [], "exited": None, "ours": False}
deadline = time.monotonic() + timeout
while time.monotonic() < deadline and process.poll() is None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
        names = sorted({line.split("{")[0].split(" ")[0] for line in body.splitlines()
                        if line and not line.startswith("#")})
        result.update(status=response.status, names=names, ours=exporter_running())
        if result["ours"] and any(n.startswith("codedeploy_")
                                  and not n.startswith("codedeploy_exporter_") for n in names):
            break  # the demo's first poll has landed
    except OSError:
        pass
    time.sleep(0.5)
result["exited"] = process.poll()
try:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)
except ProcessLookupError:
    pass
except subprocess.TimeoutExpired:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
print(json.dumps(result))
"""
# What pip prints when the package index cannot be reached from a private network namespace.
_NO_NETWORK = ("Failed to establish a new connection", "Temporary failure in name resolution", "Network is unreachable")


def _quick_start() -> tuple[Block, str]:
    """The README's install-and-demo block (Quick start section, the one that runs --demo)."""
    for block in SHELL_BLOCKS:
        if (
            block.path == "README.md"
            and block.heading == "Quick start"
            and any("--demo" in i.args for i in exporter_invocations(block))
        ):
            commands = shell_commands(block)[0]
            return block, "\n".join(command for _, command in commands)
    pytest.fail("README.md: no shell block under 'Quick start' runs the exporter with --demo")


def _private_network() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    probe = subprocess.run([unshare, "--net", "--map-root-user", "true"], capture_output=True, check=False, timeout=30)
    return [unshare, "--net", "--map-root-user"] if probe.returncode == 0 else []


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _run_quick_start(command: str, url: str, checkout: Path, log: Path, isolate: list[str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    # `python3` is this interpreter (the README asks for 3.10+), as in the Dockerfile replay.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    if isolate:
        env["DOCS_NETNS"] = "1"
        env["PIP_RETRIES"] = "0"  # no network in there: an unreachable index fails at once
    result = subprocess.run(
        [*isolate, sys.executable, "-c", _DRIVER, command, url, "600", str(log)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=700,
        check=False,
    )
    assert result.returncode == 0, f"quick start driver failed: {result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_quick_start_installs_and_serves_demo_metrics_as_written(tmp_path):
    block, command = _quick_start()
    (invocation,) = [i for i in exporter_invocations(block) if "--demo" in i.args]
    args, complaint = parse_exporter_args(list(invocation.args))
    assert complaint == "", f"{invocation.where}: {complaint}"
    host, _, port = args.listen_address[0].rpartition(":")  # the first (here the only) address
    host = host.strip("[]") or "127.0.0.1"
    url = f"http://{host}:{port}{args.telemetry_path}"

    # A fresh checkout: the repository without virtualenvs, caches and build output.
    checkout = tmp_path / "checkout"
    shutil.copytree(
        REPO,
        checkout,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "__pycache__",
            "*.pyc",
            "*.egg-info",
            "build",
            "dist",
            ".pytest_cache",
            ".hypothesis",
            ".ruff_cache",
            ".mypy_cache",
        ),
    )
    log = tmp_path / "quickstart.log"
    isolate = _private_network()
    report = _run_quick_start(command, url, checkout, log, isolate) if isolate else None
    output = log.read_text(errors="replace") if log.exists() else ""
    if report is None or (report["exited"] is not None and any(m in output for m in _NO_NETWORK)):
        # No private network here, or the package index needs the real network: run on the
        # host's, where the documented port must be free.
        if not _port_is_free(host, int(port)):
            pytest.fail(
                f"{block.where}: cannot run the quick start as written: {host}:{port} is "
                "in use and no private network namespace can reach the package index"
            )
        shutil.rmtree(checkout / ".venv", ignore_errors=True)
        report = _run_quick_start(command, url, checkout, log, [])
        output = log.read_text(errors="replace") if log.exists() else ""
    tail = output[-4000:]
    assert report["exited"] is None, (
        f"{block.where}: `{command}` exited with {report['exited']} before serving the demo's metrics at {url}:\n{tail}"
    )
    assert report["status"] == 200 and report["ours"], (
        f"{block.where}: the quick start's exporter never answered at {url}:\n{tail}"
    )
    names = report["names"]
    assert "codedeploy_exporter_build_info" in names
    assert any(n.startswith("codedeploy_") and not n.startswith("codedeploy_exporter_") for n in names), (
        f"{block.where}: the demo exported no CodeDeploy series:\n{tail}"
    )
