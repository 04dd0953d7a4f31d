"""`python -m bench.profile_first_poll` (issue 28) on a small fleet, so the command never rots.
Structure only: every target polled, the phases and the profile's groups present; no timing."""

from __future__ import annotations

import subprocess
import sys

from bench.run import ROOT


def _run(*args: str) -> str:
    command = [sys.executable, "-m", "bench.profile_first_poll", "--targets", "60", "--runs", "1", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=300).stdout


def test_phases_of_one_first_poll() -> None:
    out = _run("--phases", "--mode", "discovery")
    assert "run 1 (this checkout): 60 targets" in out
    for phase in ("botocore parsing", "our parse", "render", "gzip", "cyclic GC"):
        assert phase in out, out


def test_a_cprofile_of_one_first_poll_is_grouped(tmp_path) -> None:
    out = _run("--profile", "cprofile", "--concurrency", "1", "--out", str(tmp_path / "poll.prof"))
    assert "botocore response parsing" in out and "our parse" in out, out
    assert (tmp_path / "poll.prof").exists()
