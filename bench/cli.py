"""`python -m bench [--tier smoke|100|1k|10k|full]`: run, print the table, write the report.

Two subcommands measure the exporter alone: `python -m bench reliability [--quick]` (load, a
slow client, shutdown, soak: docs/reliability.md) and `python -m bench memory-sizing [TARGETS ...]`
(peak RSS by fleet size, for the chart's resource defaults).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import machine, report
from bench.run import FULL, ROOT, TIERS, run_tier

NOTES = ROOT / "bench" / "NOTES.md"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the exporter against a straightforward reference implementation "
        "on the CodeDeploy simulator.",
    )
    p.add_argument(
        "--tier",
        action="append",
        choices=[*TIERS, "full"],
        help="tier to run; repeatable (default: full = 100, 1k and 10k)",
    )
    p.add_argument(
        "--output",
        default=None,
        help="markdown report to write (default: docs/benchmarks.md for the full run, nothing for other tiers)",
    )
    p.add_argument("--json", dest="json_path", default=None, help="also write raw results here")
    p.add_argument(
        "--from-json",
        dest="from_json",
        default=None,
        help="do not run: rebuild the table and report from results saved by --json",
    )
    p.add_argument(
        "--discovery",
        action="store_true",
        help="only the account-discovery benchmark (issue 12); writes its section of docs/benchmarks.md (or --output)",
    )
    p.add_argument(
        "--events",
        action="store_true",
        help="only the events benchmark (issue 14): latency from a CodeDeploy event to "
        "/metrics, with events and with polling alone; writes its section of "
        "docs/benchmarks.md (or --output)",
    )
    p.add_argument(
        "--organizations",
        action="store_true",
        help="only the organization benchmark (issue 20): 200 accounts x 3 regions, healthy and with "
        "one throttled account and one missing role; writes its section of docs/benchmarks.md (or --output)",
    )
    p.add_argument("--organizations.accounts", dest="organizations_accounts", type=int, default=200)
    p.add_argument(
        "--scale",
        action="store_true",
        help="only the scale benchmark (issue 28): the real exporter process over 10k, 30k and 100k finished "
        "targets (first-poll CPU, RSS, series, body sizes, scrape latencies); writes its section of "
        "docs/benchmarks.md (or --output)",
    )
    p.add_argument(
        "--scale.tiers",
        dest="scale_tiers",
        default="10k,30k,100k",
        help="comma-separated target counts for --scale, e.g. 10k,30k or 500 (default: %(default)s)",
    )
    p.add_argument(
        "--status-page",
        dest="status_page",
        action="store_true",
        help="only the status page benchmark (issue 22): its model, page and JSON at 10k targets; "
        "writes its section of docs/benchmarks.md (or --output)",
    )
    p.add_argument("--events.targets", dest="events_targets", type=int, default=1000)
    p.add_argument("--events.changes", dest="events_changes", type=int, default=50)
    p.add_argument(
        "--events.off-interval",
        dest="events_off_interval",
        type=float,
        default=300.0,
        help="poll interval of the polling-only comparison, seconds (default: 300)",
    )
    commands = p.add_subparsers(dest="command", title="subcommands (instead of the comparison)")
    reliability = commands.add_parser(
        "reliability",
        help="load, slow-client, shutdown, soak and fault figures; rewrites docs/reliability.md",
        description="Measure load, slow-client, soak and fault figures and write docs/reliability.md.",
    )
    reliability.add_argument("--quick", action="store_true", help="short run; print, do not write")
    sizing = commands.add_parser(
        "memory-sizing",
        help="peak RSS by fleet size and metrics setting, as a Markdown table",
        description="Peak RSS of the exporter by fleet size and metrics setting, for the chart's resource defaults.",
    )
    sizing.add_argument("targets", nargs="*", type=int, help="fleet sizes in targets (default: 1000 5000)")
    return p


def run_events(args: argparse.Namespace) -> int:
    from bench import events

    command = "python -m bench --events" + (
        ""
        if (args.events_targets, args.events_changes, args.events_off_interval) == (1000, 50, 300.0)
        else f" --events.targets {args.events_targets} --events.changes {args.events_changes} "
        f"--events.off-interval {args.events_off_interval:g}"
    )
    result = events.run(
        args.events_targets,
        args.events_changes,
        args.events_changes,
        args.events_off_interval,
        log=lambda m: print(m, file=sys.stderr, flush=True),
    )
    return _write_section(args, result, events.markdown(result, command), events.splice)


def run_discovery(args: argparse.Namespace) -> int:
    from bench import discovery

    result = discovery.run(log=lambda m: print(m, file=sys.stderr, flush=True))
    return _write_section(args, result, discovery.markdown(result, "python -m bench --discovery"), discovery.splice)


def run_organizations(args: argparse.Namespace) -> int:
    from bench import organizations

    accounts = args.organizations_accounts
    result = organizations.run(log=lambda m: print(m, file=sys.stderr, flush=True), accounts=accounts)
    command = "python -m bench --organizations" + (
        "" if accounts == organizations.ACCOUNTS else f" --organizations.accounts {accounts}"
    )
    return _write_section(args, result, organizations.markdown(result, command), organizations.splice)


def run_scale(args: argparse.Namespace) -> int:
    from bench import scale

    tiers = scale.parse_tiers(args.scale_tiers)
    if args.from_json:  # the report again from saved results, e.g. after its text changed
        result = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        tiers = [r["targets"] for r in result["tiers"]]
    else:
        result = scale.run(tiers, log=lambda m: print(m, file=sys.stderr, flush=True))
    command = "python -m bench --scale" + (
        "" if tuple(tiers) == scale.TIERS else f" --scale.tiers {','.join(map(scale.tier_name, tiers))}"
    )
    return _write_section(args, result, scale.markdown(result, command), scale.splice)


def _write_section(
    args: argparse.Namespace, result: dict[str, Any], section: str, splice: Callable[[str, str], str]
) -> int:
    """Print a benchmark's section, save its raw results if asked, and put the section into
    the report (docs/benchmarks.md or --output) in place of its previous version."""
    print(section)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result, indent=1), encoding="utf-8")
    output = Path(args.output) if args.output else ROOT / "docs" / "benchmarks.md"
    current = output.read_text(encoding="utf-8") if output.exists() else ""
    output.write_text(splice(current, section), encoding="utf-8")
    print(f"wrote {output}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "reliability":
        from bench.reliability import run

        return run.main(quick=args.quick)
    if args.command == "memory-sizing":
        from bench import memory_sizing

        return memory_sizing.main(args.targets)
    if args.discovery:
        return run_discovery(args)
    if args.events:
        return run_events(args)
    if args.organizations:
        return run_organizations(args)
    if args.scale:
        return run_scale(args)
    if args.status_page:
        from bench import status_page

        result = status_page.run(log=lambda m: print(m, file=sys.stderr, flush=True))
        command = "python -m bench --status-page"
        return _write_section(args, result, status_page.markdown(result, command), status_page.splice)
    names: list[str] = []
    for name in args.tier or ["full"]:
        names.extend(FULL if name == "full" else [name])
    started = time.monotonic()
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        names = [r["tier"] for r in results]
    else:
        results = []
        for name in dict.fromkeys(names):
            print(f"tier {name} ...", file=sys.stderr, flush=True)
            results.append(run_tier(TIERS[name], log=lambda m: print(m, file=sys.stderr, flush=True)))
    output = args.output
    if output is None and tuple(names) == FULL:
        output = str(ROOT / "docs" / "benchmarks.md")
    print(report.text_table(results))
    print(f"\n(ran in {time.monotonic() - started:.0f} s)", file=sys.stderr)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(results, indent=1), encoding="utf-8")
    if output:
        command = "python -m bench" + "".join(f" --tier {n}" for n in (args.tier or []))
        notes = NOTES.read_text(encoding="utf-8") if NOTES.exists() else ""
        from bench import discovery, events, organizations, scale, status_page  # a tier run keeps the others

        previous = Path(output).read_text(encoding="utf-8") if Path(output).exists() else ""
        text = report.markdown(results, machine.describe(), command, notes)
        kept = discovery.section_of(previous)
        text = discovery.splice(text, kept) if kept else text
        kept_events = events.existing_section(previous)
        text = events.splice(text, kept_events) if kept_events else text
        kept_organizations = organizations.section_of(previous)
        text = organizations.splice(text, kept_organizations) if kept_organizations else text
        kept_scale = scale.section_of(previous)
        text = scale.splice(text, kept_scale) if kept_scale else text
        kept_status = status_page.SECTION.of(previous)
        text = status_page.splice(text, kept_status) if kept_status else text
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    return 0
