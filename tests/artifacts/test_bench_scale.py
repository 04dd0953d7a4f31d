"""The scale benchmark (`python -m bench --scale`, issue 28): one tiny tier end to end through the
real command so it never rots, and its helpers. Structure and sanity only, never a time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import scale
from bench.run import ROOT


def test_tiers_parse_and_name():
    assert scale.parse_tiers("10k, 30k,100k") == [10_000, 30_000, 100_000]
    assert scale.parse_tiers("500") == [500]
    assert [scale.tier_name(n) for n in (500, 10_000, 1500)] == ["500", "10k", "1500"]
    with pytest.raises(ValueError):
        scale.parse_tiers("0")


def test_series_are_lines_that_are_not_comments():
    assert scale.series_of(b'# HELP a x\n# TYPE a gauge\na 1\na{b="#"} 2\n') == 2
    assert scale.series_of(b"") == 0


def test_section_is_appended_once_then_replaced_in_place():
    first = scale.splice("# Benchmarks\n", f"{scale.BEGIN}\nold\n{scale.END}")
    second = scale.splice(first + "trailer\n", f"{scale.BEGIN}\nnew\n{scale.END}")
    assert "old" not in second and second.count(scale.BEGIN) == 1 and second.rstrip().endswith("trailer")
    assert scale.section_of(second) == f"{scale.BEGIN}\nnew\n{scale.END}"


def test_command_measures_a_tiny_tier_end_to_end(tmp_path):
    output, raw = tmp_path / "benchmarks.md", tmp_path / "scale.json"
    output.write_text("# Benchmarks\n", encoding="utf-8")
    command = [sys.executable, "-m", "bench", "--scale", "--scale.tiers", "500"]
    command += ["--output", str(output), "--json", str(raw)]
    done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (r,) = json.loads(raw.read_text(encoding="utf-8"))["tiers"]
    assert r["targets"] == r["exported_targets"] == 500 and r["deployments"] == 20
    # Every target and its deployment exported: at least the 3 series of each target.
    assert r["series"] > 3 * 500
    assert 0 < r["gzip_bytes"] < r["plain_bytes"] and r["gzip_matches_plain"]
    assert r["first_poll_cpu_s"] > 0 and r["render_cpu_s"] is not None
    assert 0 < r["render_cpu_s"] <= r["first_poll_cpu_s"] + 0.02  # 10 ms ticks either side
    assert 0 < r["rss_after_poll_bytes"] <= r["peak_rss_bytes"]
    assert len(r["plain_scrape_s"]) == len(r["gzip_scrape_s"]) == scale.SCRAPES
    assert r["first_gzip_scrape_s"] > 0 and r["api_requests"] > 0
    assert r["openmetrics_content_type"].startswith("application/openmetrics-text")
    document = output.read_text(encoding="utf-8")
    assert document.startswith("# Benchmarks") and scale.BEGIN in document and "| 500 | 20 |" in document
    # The report again from the saved results, without running.
    again = tmp_path / "again.md"
    command = [sys.executable, "-m", "bench", "--scale", "--from-json", str(raw), "--output", str(again)]
    done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert scale.section_of(again.read_text(encoding="utf-8")) == scale.section_of(document)
