"""The release artefacts, checked as a user gets them: scripts/release-check.sh builds the sdist
and wheel, checks them with twine, looks inside the wheel, installs it alone in a fresh
virtualenv, runs its demo through promtool, writes a CycloneDX SBOM of what it installed, and
compares the package and chart versions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from support.paths import REPO


def test_the_sdist_and_wheel_build_install_alone_and_run(tmp_path):
    if shutil.which("promtool") is None:
        pytest.fail("promtool not found: install Debian's prometheus package")
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "release-check.sh")],
        env={**os.environ, "PYTHON": sys.executable, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "release-check: ok: codedeploy-exporter" in done.stdout
    assert done.stdout.count("PASSED") == 2  # twine: the wheel and the sdist
    assert "release-check: SBOM lists" in done.stdout
