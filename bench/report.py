"""Results -> the printed table and docs/benchmarks.md (pure: no I/O, no clocks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.run import (
    CHANGED_FRACTION,
    FAILED_FRACTION,
    HOOKS,
    MAX_CONCURRENCY,
    MAX_RPS,
    PER_DEPLOYMENT,
    SCRAPERS,
)

BODY_LIMIT = 15e6  # bytes: plain body of the finished 10k fleet with defaults
RSS_LIMIT = 250.0  # MB: peak RSS at 10k with defaults


@dataclass(frozen=True)
class Row:
    label: str
    exporter: str
    reference: str
    ratio: str


def seconds(value: float) -> str:
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def size(value: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} B"


def ratio(reference: float, exporter: float) -> str:
    """How many times the reference's cost the exporter's is (higher is better)."""
    if exporter <= 0:
        return "∞" if reference > 0 else "-"
    value = reference / exporter
    return f"{value:.0f}x" if value >= 10 else f"{value:.1f}x"


def _calls(side: dict, key: str) -> str:
    detail = ", ".join(f"{op} {n}" for op, n in sorted(side[key].items()))
    return f"{side[key.replace('calls', 'total')]} ({detail})" if detail else "0"


def tier_rows(result: dict[str, Any]) -> list[Row]:
    e, r = result["exporter"], result["reference"]
    poll_ref = seconds(r["first_poll_wall"])
    if r.get("first_poll_wall_extrapolated"):
        poll_ref += " (extrapolated\\*)"

    def both(label: str, key: str, fmt: Callable[[float], str], better_low: bool = True) -> Row:
        return Row(label, fmt(e[key]), fmt(r[key]), ratio(r[key], e[key]) if better_low else ratio(e[key], r[key]))

    def scrape(label: str, key: str, q: str) -> Row:
        return Row(
            f"{label} (n={e[key]['n']} / {r[key]['n']})",
            seconds(e[key][q]),
            seconds(r[key][q]),
            ratio(r[key][q], e[key][q]),
        )

    return [
        Row(
            f"API calls, first poll (minimum {result['minimum_calls']})",
            _calls(e, "first_poll_calls"),
            _calls(r, "first_poll_calls"),
            ratio(r["first_poll_total"], e["first_poll_total"]),
        ),
        Row(
            "API calls per poll, steady state (all finished)",
            _calls(e, "steady_calls"),
            _calls(r, "steady_calls"),
            ratio(r["steady_total"], e["steady_total"]),
        ),
        Row(
            f"Full poll wall time ({result['latency'] * 1e3:.0f} ms/call)",
            seconds(e["first_poll_wall"]),
            poll_ref,
            ratio(r["first_poll_wall"], e["first_poll_wall"]),
        ),
        both("Poll CPU (process)", "first_poll_cpu", seconds),
        both("Render CPU after a poll", "render_cpu", seconds),
        Row(
            f"Render CPU after {CHANGED_FRACTION:.0%} of targets changed ({e['changed_targets']} targets)",
            seconds(e["render_cpu_after_change"]),
            seconds(r["render_cpu_after_change"]),
            ratio(r["render_cpu_after_change"], e["render_cpu_after_change"]),
        ),
        scrape("Scrape p50, plain", "scrape_plain", "p50"),
        scrape("Scrape p99, plain", "scrape_plain", "p99"),
        scrape("Scrape p50, gzip", "scrape_gzip", "p50"),
        scrape("Scrape p99, gzip", "scrape_gzip", "p99"),
        Row("Series, in progress", f"{e['series']:,}", f"{r['series']:,}", ratio(r["series"], e["series"])),
        Row(
            "Series, finished",
            f"{e['finished_series']:,}",
            f"{r['finished_series']:,}",
            ratio(r["finished_series"], e["finished_series"]),
        ),
        Row(
            "Body, plain, finished",
            size(e["finished_body_bytes"]),
            size(r["finished_body_bytes"]),
            ratio(r["finished_body_bytes"], e["finished_body_bytes"]),
        ),
        Row("Body, plain", size(e["body_bytes"]), size(r["body_bytes"]), "-"),
        Row("Body, gzip", size(e["gzip_bytes"]), size(r["gzip_bytes"]), "-"),
        both("Peak RSS", "maxrss_mb", lambda mb: f"{mb:.0f} MB"),
    ]


@dataclass(frozen=True)
class Goal:
    text: str
    tier: str
    measured: str
    met: bool


def goals(results: list[dict[str, Any]]) -> list[Goal]:
    by_tier = {r["tier"]: r for r in results}
    out: list[Goal] = []
    for result in results:
        e, r, name = result["exporter"], result["reference"], result["tier"]
        out.append(
            Goal(
                "API calls on the first poll equal the theoretical minimum",
                name,
                f"{e['first_poll_total']} vs {result['minimum_calls']}",
                e["first_poll_total"] == result["minimum_calls"],
            )
        )
        out.append(
            Goal(
                "Zero target calls in steady state", name, str(e["steady_target_calls"]), e["steady_target_calls"] == 0
            )
        )
        fold = r["render_cpu"] / max(e["render_cpu"], 1e-9)
        out.append(Goal("Render after a poll: ≥10x less CPU than generate_latest", name, f"{fold:.0f}x", fold >= 10))
        fold = r["render_cpu_after_change"] / max(e["render_cpu_after_change"], 1e-9)
        out.append(
            Goal(f"Render after a {CHANGED_FRACTION:.0%} change: ≥50x less CPU", name, f"{fold:.0f}x", fold >= 50)
        )
    if "1k" in by_tier:
        e, r = by_tier["1k"]["exporter"], by_tier["1k"]["reference"]
        fold = r["first_poll_wall"] / e["first_poll_wall"]
        out.append(Goal("Full poll ≥30x faster", "1k", f"{fold:.0f}x", fold >= 30))
        fold = r["scrape_plain"]["p50"] / e["scrape_plain"]["p50"]
        out.append(Goal("Scrape p50 ≥50x faster", "1k", f"{fold:.0f}x", fold >= 50))
    for result in results:
        e, name = result["exporter"], result["tier"]
        fold = e["finished_series_full"] / max(e["finished_series"], 1)
        out.append(
            Goal(
                "Finished fleet: defaults ≥10x fewer series than the full setting",
                name,
                f"{e['finished_series']:,} vs {e['finished_series_full']:,} ({fold:.1f}x)",
                fold >= 10,
            )
        )
        fold = e["series_full"] / max(e["series"], 1)
        out.append(
            Goal(
                "In progress: defaults ≥2x fewer series than the full setting",
                name,
                f"{e['series']:,} vs {e['series_full']:,} ({fold:.1f}x)",
                fold >= 2,
            )
        )
    if "10k" in by_tier:
        e, r = by_tier["10k"]["exporter"], by_tier["10k"]["reference"]
        out.append(
            Goal(
                "Finished fleet, defaults: plain body ≤ 15 MB",
                "10k",
                size(e["finished_body_bytes"]),
                e["finished_body_bytes"] <= BODY_LIMIT,
            )
        )
        out.append(Goal("Defaults: peak RSS ≤ 250 MB", "10k", f"{e['maxrss_mb']:.0f} MB", e["maxrss_mb"] <= RSS_LIMIT))
        share = e["maxrss_mb"] / r["maxrss_mb"]
        out.append(
            Goal(
                "Peak RSS ≤ 1/3 of the reference",
                "10k",
                f"{e['maxrss_mb']:.0f} MB vs {r['maxrss_mb']:.0f} MB ({share:.2f})",
                share <= 1 / 3,
            )
        )
    return out


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def text_table(results: list[dict[str, Any]]) -> str:
    """Fixed-width table for the terminal."""
    lines = []
    for result in results:
        rows = tier_rows(result)
        lines.append(
            f"\n== tier {result['tier']}: {result['targets']} targets in {result['deployments']} deployments =="
        )
        width = max(len(row.label) for row in rows)
        cols = [max(len(getattr(row, c)) for row in rows) for c in ("exporter", "reference")]
        lines.append(f"{'':{width}}  {'exporter':>{cols[0]}}  {'reference':>{cols[1]}}  ratio")
        for row in rows:
            lines.append(
                f"{row.label:{width}}  {row.exporter:>{cols[0]}}  "
                f"{row.reference.replace(chr(92), ''):>{cols[1]}}  {row.ratio}"
            )
    lines.append("\n== goals ==")
    for goal in goals(results):
        lines.append(f"[{'met' if goal.met else 'NOT MET'}] {goal.text} ({goal.tier}): {goal.measured}")
    return "\n".join(lines)


def markdown(results: list[dict[str, Any]], machine: dict[str, str], command: str, notes: str) -> str:
    out = [
        "# Benchmarks",
        "",
        (
            f"Generated by `{command}`; do not edit by hand (re-run the command). "
            "Ratios compare the two implementations in the same run on the same machine; absolute "
            "numbers depend on the machine."
        ),
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in machine.items()],
        "",
        "## Setup",
        "",
        (
            f"- Fleets from `exporter.simulator.build_fleet`: N EC2 instance targets, "
            f"{PER_DEPLOYMENT} per deployment, {HOOKS} lifecycle hooks each (half done, so each "
            "has start times and durations), plus a few single-target ECS, Lambda and "
            "CloudFormation deployments; all InProgress. The simulator injects a fixed latency "
            "into every API call."
        ),
        (
            "- **Exporter**: `exporter.app.Exporter` in `targets:` (pairs) mode, whose minimum is "
            "exactly `ceil(targets/25)` BatchGetDeploymentTargets per deployment plus "
            "`ceil(deployments/25)` BatchGetDeployments; served by `exporter.http.server`. "
            f"`poll.max_concurrency: {MAX_CONCURRENCY}`, `poll.max_requests_per_second: "
            f"{MAX_RPS:g}` so the rate limiter does not set the pace (production defaults are 8 "
            "and 10: a 1k fleet then polls in ~5 s, limited by the 10 requests/s). `deployments:` "
            "mode adds one ListDeploymentTargets per deployment; its call counts are listed below."
        ),
        (
            "- **Reference** (`bench/reference.py`): sequential boto3 `GetDeployment` per deployment "
            "and `GetDeploymentTarget` per pair, long-lived labelled `prometheus_client.Gauge`s "
            "set in the loop, `prometheus_client.start_http_server` (`generate_latest` on every "
            "scrape). It emits the original metric contract, which the exporter's full setting "
            "reproduces series for series, `account_id`/`region` and the new families aside (checked "
            "by `tests/artifacts/test_bench_smoke.py`)."
        ),
        (
            "- Each implementation runs in its own process (`bench/worker.py`), so peak RSS "
            "(`ru_maxrss`, over the whole run including scrapes) is its own; the simulator and the "
            "scrapers run in the parent process."
        ),
        (
            "- *Render CPU* is thread CPU time: for the exporter, producing the scrape body after a "
            "poll (`Exporter._render`: views, cached render, encoding); for the reference, one "
            "`generate_latest` over its registry (it renders on every scrape). *After a change*: "
            f"{CHANGED_FRACTION:.0%} of targets flipped status and lastUpdatedAt, then one poll."
        ),
        (
            f"- *Scrapes*: {SCRAPERS} concurrent scrapers over real HTTP on loopback, each on a new "
            "connection, timed until the whole body is read; n = samples (exporter / reference). "
            "The reference is sampled less at large tiers because each of its scrapes takes seconds."
        ),
        (
            f"- *Steady state*: the fleet then finishes ({1 - FAILED_FRACTION:.0%} of EC2 targets "
            f"Succeeded, {FAILED_FRACTION:.0%} Failed with a failed last hook, their deployments "
            "Failed), one poll sees that, and the calls of the next poll are counted. *Finished* "
            "series and body are scraped then."
        ),
        (
            "- The exporter runs with the default metric settings (`sparse_status: true`, "
            "`lifecycle_events: active`). Its *full setting* figures (`sparse_status: false`, "
            "`lifecycle_events: all`: the reference's contract plus the aggregates and deployment "
            "facts) are rendered from the same poll state by `bench.worker`'s `full` command, one "
            "object at a time and dropped, after the RSS reading."
        ),
        "",
        "## Goals",
        "",
        *_table(
            ["goal", "tier", "measured", "met"],
            [[g.text, g.tier, g.measured, "yes" if g.met else "**no**"] for g in goals(results)],
        ),
        "",
    ]
    for result in results:
        out += [
            (f"## Tier {result['tier']}: {result['targets']:,} targets in {result['deployments']:,} deployments"),
            "",
            *_table(
                ["", "exporter", "reference", "reference / exporter"],
                [[row.label, row.exporter, row.reference, row.ratio] for row in tier_rows(result)],
            ),
            "",
        ]
        dm = result["deployments_mode"]
        out.append(
            f"`deployments:` mode: first poll {dm['first_poll_total']} calls (minimum "
            f"with one ListDeploymentTargets per deployment: {dm['minimum']}), steady "
            f"state {dm['steady_total']}."
        )
        e = result["exporter"]
        out.append(
            f"Exporter series, default vs full setting: in progress {e['series']:,} vs "
            f"{e['series_full']:,}; finished {e['finished_series']:,} vs "
            f"{e['finished_series_full']:,} ({size(e['finished_body_bytes'])} vs "
            f"{size(e['finished_body_bytes_full'])} plain)."
        )
        if "rerendered_after_change" in e:
            out.append(
                f"After the change the exporter re-rendered {e['rerendered_after_change']}"
                f" fragments (targets and deployments) of {result['targets'] + result['deployments']:,}."
            )
        if result["reference"].get("first_poll_wall_extrapolated"):
            r = result["reference"]
            out.append(
                f"\\* Extrapolated: the reference polled this fleet without injected latency "
                f"in {seconds(r['first_poll_wall_measured_without_latency'])}; its calls "
                f"are sequential, so each of its {r['first_poll_total']:,} calls would "
                f"wait {result['latency'] * 1e3:.0f} ms more. Everything else in this "
                "column is measured."
            )
        out.append("")
    profiled = [r for r in results if "render_profile" in r["exporter"]]
    if profiled or notes:
        out += ["## Where the time goes", ""]
    for result in profiled:
        for side in ("exporter", "reference"):
            out += [
                (f"cProfile of one full render, {side}, tier {result['tier']} (top functions by own time):"),
                "",
                "```",
                result[side]["render_profile"],
                "```",
                "",
            ]
    if notes:
        out += [notes.strip(), ""]
    return "\n".join(out)
