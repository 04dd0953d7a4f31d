"""A finished deployment's Failed targets keep no more of their failed hook's script output
than the log and status page show (issue 29 on issue 28's slim records), through real boto3."""

from __future__ import annotations

from exporter import log as logsetup
from exporter.model import LOG_TAIL_MAX
from exporter.simulator import deployment_info, diagnostics, instance_target, lifecycle_event

NOW = 1_800_000_000.0
TAIL = "\n".join(f"[stdout] line {n}" for n in range(400))  # about 6 KB: more than the API's 4 KB


def _failed_world(sim) -> None:
    hook = lifecycle_event(
        "ApplicationStart", "Failed", NOW - 70, NOW - 65, diagnostics("ScriptFailed", "start.sh", "exit code 1", TAIL)
    )
    sim.put_deployment(
        deployment_info("d-SCRIPTOUT", "web", "prod", "Failed", NOW - 600, complete_time=NOW - 60),
        [instance_target("d-SCRIPTOUT", "i-1", "Failed", [hook], NOW - 60)],
    )


def _kept(exporter):
    (tracked,) = exporter.poller.targets.values()
    assert tracked.settled and tracked.record is not None
    (event,) = tracked.record.lifecycle_events  # the failed hook only
    return event.diagnostics


def test_with_summary_diagnostics_a_settled_target_keeps_no_script_output(sim, make_exporter):
    _failed_world(sim)
    exporter = make_exporter(deployments=[{"deployment_id": "d-SCRIPTOUT"}])
    exporter.poll_once()
    kept = _kept(exporter)
    assert (kept.error_code, kept.script_name, kept.message, kept.log_tail) == ("ScriptFailed", "start.sh", "", "")


def test_with_full_diagnostics_it_keeps_the_shown_end_of_the_log_tail(sim, make_exporter):
    _failed_world(sim)
    logsetup.set_diagnostics("full")
    logsetup.set_log_tail_chars(500)
    try:
        exporter = make_exporter(deployments=[{"deployment_id": "d-SCRIPTOUT"}])
        exporter.poll_once()
        kept = _kept(exporter)
        assert kept.message == "exit code 1" and len(kept.log_tail) == 501 and TAIL.endswith(kept.log_tail)
        (row,) = exporter.snapshot.status.failed
        assert row.failed_targets[0].log_tail == "\u2026" + TAIL[-500:]
    finally:
        logsetup.set_diagnostics("summary")
        logsetup.set_log_tail_chars(LOG_TAIL_MAX)
