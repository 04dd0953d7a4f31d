"""API-wide errors are logged when an outage starts, and an event refresh between polls
neither repeats what the last poll logged nor disturbs the poll's own record."""

from __future__ import annotations

import logging

import pytest

from exporter.aws.errors import ApiError
from exporter.collect.outages import Outages


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "event=api_error" in r.getMessage()]


def test_a_run_apart_logs_only_new_outages_and_leaves_the_polls_record_as_it_was(caplog):
    caplog.set_level(logging.INFO, logger="exporter.collect.outages")
    outages = Outages()
    outages.begin_poll()
    outages.note(ApiError("BatchGetDeploymentTargets", "ThrottlingException"), "targets")
    assert outages.end_poll() == ["ThrottlingException"]
    assert len(logged(caplog)) == 1
    with outages.apart({"RequestExpired"}) as errors:
        outages.note(ApiError("ListDeployments", "ThrottlingException"), "event refresh")  # the poll's
        outages.note(ApiError("ListDeployments", "RequestExpired"), "event refresh")  # the last refresh's
        outages.note(ApiError("ListDeployments", "AccessDeniedException"), "event refresh")  # new
    assert errors == ["ThrottlingException", "RequestExpired", "AccessDeniedException"]
    assert len(logged(caplog)) == 2 and "AccessDeniedException" in logged(caplog)[1]
    assert outages.current == ["ThrottlingException"]
    # The next poll still sees the throttling as ongoing and the refresh's errors as never begun.
    outages.begin_poll()
    assert outages.end_poll() == []
    assert any("event=api_recovered error_codes=ThrottlingException" in r.getMessage() for r in caplog.records)
