"""The command line: exit codes, --config.check, --once, --demo and clean shutdown."""

import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from support.expo import samples
from support.paths import REPO

from exporter.cli import build_parser, main, resolve_shard
from exporter.simulator import build_fleet

ROOT = REPO


def write(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return str(path)


def test_version_prints_and_exits_zero(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("codedeploy-exporter ")


def test_config_check_accepts_the_example_config(capsys):
    assert main(["--config.file", str(ROOT / "config.example.yaml"), "--config.check"]) == 0
    out = capsys.readouterr().out
    # Every section is counted, the scopes that find their groups themselves too.
    assert "OK (2 targets, 1 deployments, 2 deployment groups, 1 discovery scopes, 1 organizations)" in out


def test_bad_config_exits_2_listing_every_problem_with_its_path(tmp_path, capsys):
    path = write(
        tmp_path, "poll:\n  intervall: 30s\n  max_concurrency: eight\ntargets:\n  - deployment_id: d-ABCDEF123\n"
    )
    assert main(["--config.file", path, "--config.check"]) == 2
    err = capsys.readouterr().err
    assert "poll.intervall: unknown key (did you mean 'interval'?)" in err
    assert "poll.max_concurrency" in err
    assert "targets[0].target_id: required" in err
    assert "Traceback" not in err


def test_bad_config_at_startup_exits_2_before_serving(tmp_path, capsys):
    path = write(tmp_path, "targets: 7\n")
    assert main(["--config.file", path, "--web.listen-address", "127.0.0.1:0"]) == 2
    assert "targets" in capsys.readouterr().err


def test_missing_config_file_is_a_clean_error(tmp_path, capsys):
    assert main(["--config.file", str(tmp_path / "absent.yaml")]) == 2
    assert "absent.yaml" in capsys.readouterr().err


def test_once_prints_the_exposition_and_exits_zero(tmp_path, sim, sim_server, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    fleet = build_fleet(sim, 5, lambdas=1)
    deployments = "".join(f"  - deployment_id: {d}\n" for d, _ in fleet)
    path = write(
        tmp_path, f"aws:\n  region: us-east-1\n  endpoint_url: {sim_server.endpoint_url}\ndeployments:\n{deployments}"
    )
    assert main(["--config.file", path, "--once"]) == 0
    out = capsys.readouterr().out
    infos = [k for k in samples(out) if k[0] == "codedeploy_target_info"]
    assert len(infos) == 6


def test_once_exits_1_when_a_target_cannot_be_polled(tmp_path, sim, sim_server, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    ((deployment, targets),) = build_fleet(sim, 1)
    path = write(
        tmp_path,
        f"aws:\n  region: us-east-1\n  endpoint_url: {sim_server.endpoint_url}\n"
        f"targets:\n  - deployment_id: {deployment}\n    target_id: {targets[0]}\n"
        f"  - deployment_id: {deployment}\n    target_id: i-missing\n",
    )
    assert main(["--config.file", path, "--once"]) == 1
    assert 'target_id="i-missing"} 0' in capsys.readouterr().out


def test_endpoint_url_from_botocore_environment_variable(tmp_path, sim, sim_server, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CODEDEPLOY", sim_server.endpoint_url)
    ((deployment, _),) = build_fleet(sim, 2)
    path = write(tmp_path, f"aws:\n  region: us-east-1\ndeployments:\n  - deployment_id: {deployment}\n")
    assert main(["--config.file", path, "--once"]) == 0
    assert sim.call_count("BatchGetDeploymentTargets") == 1


def test_shard_flags_are_validated_and_auto_reads_the_pod_ordinal(monkeypatch, capsys):
    monkeypatch.setenv("POD_NAME", "codedeploy-exporter-2")
    assert resolve_shard("auto", 3) == 2
    with pytest.raises(ValueError):
        resolve_shard("3", 3)
    with pytest.raises(ValueError):
        resolve_shard("x", 3)
    assert main(["--shard", "5", "--total-shards", "2", "--config.check"]) == 2


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_live_metrics_of_all_four_target_types_and_stops_on_sigterm():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "exporter", "--demo", "--web.listen-address", f"127.0.0.1:{port}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "demo not ready within 30 s"
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            body = r.read().decode()
        for kind in ("InstanceTarget", "ECSTarget", "LambdaTarget", "CloudFormationTarget"):
            assert f'target_type="{kind}"' in body
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        print(f"demo stopped {time.monotonic() - started:.2f}s after SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_abbreviated_flags_are_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--config.fil", "x.yaml"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --config.fil" in capsys.readouterr().err


def test_demo_once_reports_its_denied_account_once_and_without_a_traceback():
    """The demo's legacy-sandbox account has no role: --once exits 3 naming it, the log says it
    once (botocore's per-call warning with a traceback is not passed on), and /metrics shows it down."""
    done = subprocess.run(
        [sys.executable, "-m", "exporter", "--demo", "--once"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 3, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "event=api_error" in line]
    assert len(errors) == 1 and 'account_id="456789012345"' in errors[0], errors
    assert 'codedeploy_exporter_scope_up{account_id="456789012345",region="us-east-1"} 0.0' in done.stdout
