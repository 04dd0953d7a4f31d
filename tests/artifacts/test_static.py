"""Static checks: lint, formatting and types, run by CI through the README's test command.

Each check is the tool's own command line, run from the repository root with the settings in
pyproject.toml ([tool.ruff], [tool.mypy]); a failure prints the tool's findings. The tools come
from the `test` extra, so they are always installed where the tests run: a missing one is an
error here, never a skip.
"""

from __future__ import annotations

import subprocess
import sys

from support.paths import REPO

REPO = REPO

# ruff format's scope: everything ruff check lints that is Python we maintain.
FORMATTED = ["exporter", "tests", "tools", "bench"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # The venv's interpreter: the same tool versions pip installed from the `test` extra.
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )


def _assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    command = " ".join(["python", "-m", *result.args[2:]])
    assert result.returncode == 0, (
        f"`{command}` exited {result.returncode} with findings:\n{result.stdout}{result.stderr}"
    )


def test_ruff_finds_no_lint_errors() -> None:
    _assert_clean(_run("ruff", "check", "--no-cache", "."))


def test_code_is_formatted_as_ruff_format_writes_it() -> None:
    _assert_clean(_run("ruff", "format", "--check", "--no-cache", *FORMATTED))


def test_exporter_package_passes_mypy_strict() -> None:
    _assert_clean(_run("mypy", "--strict", "--no-incremental", "exporter"))


def test_tests_tools_and_bench_pass_mypy_default_checks() -> None:
    # The package is analysed for its types but its findings are the test above's to report.
    _assert_clean(_run("mypy", "--no-incremental", "--follow-imports=silent", "tests", "tools", "bench"))
