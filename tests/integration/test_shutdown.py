"""SIGTERM while the API hangs: the poll is cancelled, calls in flight are abandoned, exit 0.
Through the real CLI in a subprocess (bench/reliability/shutdown.py, the scenario of
`python -m bench reliability`)."""

from __future__ import annotations

from bench.reliability.shutdown import shutdown_test


def test_sigterm_during_hanging_api_calls_exits_0_without_waiting_for_them():
    # The hang (10 min) outlasts the client's read timeout (15 s x 4 attempts): an exporter
    # that waited for its calls in flight would not exit within the 30 s the helper allows.
    result = shutdown_test(targets=200, concurrency=4, timeout=30.0)
    print(f"\nshutdown under hang: {result.seconds:.2f}s, {result.calls_hanging} calls hanging")
    assert result.exit_code == 0, result.log
    assert result.calls_hanging == 4  # every worker was held, the other batches were queued
    assert result.calls_after_sigterm == 0, result.log  # no API call started after SIGTERM
    assert "event=poll_cancelled" in result.log
    assert "event=stopped" in result.log
    assert "Traceback" not in result.log
