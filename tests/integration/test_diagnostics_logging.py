"""--log.diagnostics: a deploy script's output (message, log tail) may hold secrets; by default
the log and the status page show only hook, error code and script name."""

from __future__ import annotations

import logging
import urllib.request

import pytest

from exporter import log as logsetup
from exporter.cli import build_parser
from exporter.http.server import serve
from exporter.simulator import deployment_info, diagnostics, instance_target, lifecycle_event

NOW = 1_800_000_000.0
SECRET = "DB_PASSWORD=hunter2"


@pytest.fixture(autouse=True)
def default_setting():
    yield
    logsetup.set_diagnostics("summary")


def failed_deployment(sim) -> None:
    events = [
        lifecycle_event(
            "ApplicationStart",
            "Failed",
            NOW - 60,
            NOW - 50,
            diagnostics(
                "ScriptFailed",
                "scripts/start.sh",
                "Script at specified location: scripts/start.sh run as user root failed with exit code 1",
                f"[stdout]export {SECRET}\n[stderr]boom",
            ),
        )
    ]
    sim.put_deployment(
        deployment_info("d-DIAG00001", "web", "prod", "InProgress", NOW - 600),
        [instance_target("d-DIAG00001", "i-0diag", "Failed", events, NOW - 50)],
    )


def failure_log(caplog) -> str:
    lines = [r.getMessage() for r in caplog.records if "event=target_failed" in r.getMessage()]
    assert len(lines) == 1
    return lines[0]


def status_page(exporter) -> str:
    server = serve("127.0.0.1:0", exporter)
    try:
        with urllib.request.urlopen(server.url + "/", timeout=5) as response:
            return response.read().decode()
    finally:
        server.stop()


def test_by_default_a_failed_hook_is_logged_with_its_error_code_and_script_but_not_its_output(
    sim, make_exporter, caplog
):
    failed_deployment(sim)
    exporter = make_exporter(deployments=[{"deployment_id": "d-DIAG00001"}])
    with caplog.at_level(logging.WARNING):
        exporter.poll_once()
    line = failure_log(caplog)
    assert 'lifecycle_event="ApplicationStart"' in line
    assert 'error_code="ScriptFailed"' in line
    assert 'script_name="scripts/start.sh"' in line
    assert SECRET not in line and "exit code 1" not in line and "log_tail" not in line
    page = status_page(exporter)
    assert "ScriptFailed" in page and "scripts/start.sh" in page
    assert SECRET not in page and "exit code 1" not in page


def test_full_diagnostics_add_the_script_message_and_log_tail_to_log_and_status_page(sim, make_exporter, caplog):
    logsetup.set_diagnostics("full")
    failed_deployment(sim)
    exporter = make_exporter(deployments=[{"deployment_id": "d-DIAG00001"}])
    with caplog.at_level(logging.WARNING):
        exporter.poll_once()
    line = failure_log(caplog)
    assert 'error_code="ScriptFailed"' in line
    assert "failed with exit code 1" in line
    assert f'log_tail="[stdout]export {SECRET}\\n[stderr]boom"' in line
    page = status_page(exporter)
    assert SECRET in page and "exit code 1" in page


def test_codedeploy_api_error_messages_are_logged_in_summary_mode(sim, make_exporter, caplog):
    # Not script output: CodeDeploy's own words about a target stay in the log.
    failed_deployment(sim)
    sim.fail(
        5,
        "DeploymentTargetDoesNotExistException",
        operation="BatchGetDeploymentTargets",
        message="The target i-0diag does not exist in deployment d-DIAG00001",
    )
    exporter = make_exporter(deployments=[{"deployment_id": "d-DIAG00001"}])
    with caplog.at_level(logging.WARNING):
        exporter.poll_once()
    assert logsetup.diagnostics_setting() == "summary"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "event=target_poll_failed" in text
    assert "The target i-0diag does not exist in deployment d-DIAG00001" in text


def test_codedeploy_deployment_error_information_is_logged_in_summary_mode(sim, make_exporter, caplog):
    message = "The overall deployment failed because too many individual instances failed deployment"
    sim.put_deployment(
        deployment_info(
            "d-ENDED0001",
            "web",
            "prod",
            "Failed",
            NOW - 600,
            complete_time=NOW - 60,
            error_information={"code": "HEALTH_CONSTRAINTS", "message": message},
        ),
        [],
    )
    exporter = make_exporter(deployments=[{"deployment_id": "d-ENDED0001"}])
    with caplog.at_level(logging.WARNING):
        exporter.poll_once()
        exporter.poll_once()  # logged when it is first seen ending, not every poll
    lines = [r.getMessage() for r in caplog.records if "event=deployment_ended" in r.getMessage()]
    assert len(lines) == 1
    assert 'error_code="HEALTH_CONSTRAINTS"' in lines[0] and message in lines[0]
    assert "status=Failed" in lines[0]


def test_the_flag_accepts_summary_and_full_only_and_defaults_to_summary(capsys):
    parser = build_parser()
    assert parser.parse_args([]).log_diagnostics == "summary"
    assert parser.parse_args(["--log.diagnostics=full"]).log_diagnostics == "full"
    with pytest.raises(SystemExit):
        parser.parse_args(["--log.diagnostics=everything"])
    with pytest.raises(ValueError, match="--log.diagnostics"):
        logsetup.set_diagnostics("everything")
