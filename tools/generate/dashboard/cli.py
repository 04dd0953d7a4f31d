"""Generate the Grafana dashboard exporter/monitoring/dashboard.json (or --check it is up to date)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.generate.dashboard.build import render

OUTPUT = Path(__file__).resolve().parents[3] / "exporter" / "monitoring" / "dashboard.json"


def main(argv: list[str] | None = None) -> int:
    # Named after the command: run as a package, argparse would call it "__main__.py".
    parser = argparse.ArgumentParser(prog="python -m tools.generate.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the checked-in JSON differs")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run python -m tools.generate.dashboard", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    return 0
