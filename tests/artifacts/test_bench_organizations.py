"""`python -m bench --organizations` runs (on a small organization here, so the command never
rots) and its exact figures hold: one ListDeployments per account-region per idle poll, no
Organizations call between listings, one AssumeRole per account, the faulted accounts' six
account-regions down. Wall times and memory are reported, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.organizations import BEGIN, END, REGIONS, section_of, splice
from bench.run import ROOT


def test_a_small_organization_gives_the_exact_figures(tmp_path):
    accounts = 4
    results, report = tmp_path / "results.json", tmp_path / "benchmarks.md"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--organizations",
            "--organizations.accounts",
            str(accounts),
            "--json",
            str(results),
            "--output",
            str(report),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    r = json.loads(results.read_text())
    scopes = accounts * len(REGIONS)
    for run in (r["healthy"], r["faulted"]):
        assert run["scopes"] == scopes + 1  # and the management account-region that lists them
        assert all(counts == [1] for counts in run["idle_list_deployments_per_scope"])
        assert sum(run["idle_organizations_calls"]) == 0
    assert r["healthy"]["first_calls"]["sts:AssumeRole"] == accounts
    assert r["healthy"]["down"] == []
    assert len(r["faulted"]["down"]) == 2 * len(REGIONS)
    assert section_of(report.read_text()).startswith(BEGIN)


def test_section_is_appended_once_then_replaced_in_place():
    first = splice("# Benchmarks\n", f"{BEGIN}\nold\n{END}")
    second = splice(first + "\ntrailer\n", f"{BEGIN}\nnew\n{END}")
    assert "old" not in second and section_of(second) == f"{BEGIN}\nnew\n{END}"
