"""require_binary: a missing Prometheus binary skips locally but fails in CI."""

from __future__ import annotations

import pytest
from support.tools import require_binary


def test_found_binary_is_returned_by_path():
    assert require_binary("definitely-not-installed-xyz", "sh").endswith("/sh")


def test_missing_binary_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="definitely-not-installed-xyz"):
        require_binary("definitely-not-installed-xyz")


def test_missing_binary_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install prometheus"):
        require_binary("definitely-not-installed-xyz")


def test_the_message_names_the_packages_that_have_the_binary(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium`"):
        require_binary("definitely-not-installed-xyz", packages="chromium")
