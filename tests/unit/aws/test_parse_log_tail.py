"""diagnostics.logTail: CodeDeploy returns up to the last 4 KB; a longer one is cut to its end."""

from exporter.aws.parse import parse_lifecycle_event
from exporter.model import LOG_TAIL_MAX


def test_a_log_tail_longer_than_the_apis_bound_keeps_its_last_characters():
    tail = "head " + "x" * LOG_TAIL_MAX + " END"
    event = parse_lifecycle_event(
        {
            "lifecycleEventName": "Install",
            "status": "Failed",
            "diagnostics": {"errorCode": "ScriptFailed", "logTail": tail},
        }
    )
    assert event.diagnostics is not None
    assert len(event.diagnostics.log_tail) == LOG_TAIL_MAX and event.diagnostics.log_tail.endswith("x END")
    short = parse_lifecycle_event(
        {"lifecycleEventName": "Install", "status": "Failed", "diagnostics": {"logTail": "ok"}}
    )
    assert short.diagnostics is not None and short.diagnostics.log_tail == "ok"
