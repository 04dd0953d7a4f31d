"""Peak RSS of the exporter by fleet size and metrics setting, for the chart's resource defaults.

    python -m bench memory-sizing 1000 5000     # prints a Markdown table

Each measurement runs in a fresh process: the simulator serves the fleet from a separate
process, the exporter polls it twice through real boto3 and compresses the snapshot (as for a
Prometheus scrape); the figure is that process's peak RSS (ru_maxrss).

Two metrics settings: the defaults (``sparse_status: true``, ``lifecycle_events: active``) and
the most expensive one (``sparse_status: false``, ``lifecycle_events: all``). The simulated fleet
is all in progress, so ``lifecycle_events: active`` keeps every target's lifecycle-event series:
the defaults' row is their upper bound, and a finished fleet exports fewer series.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.fleet import simulated_fleet

ROOT = Path(__file__).resolve().parents[1]
# Setting name -> the `metrics:` block of the config (empty: the defaults). The table prints the
# name with the values the parsed config actually had.
SETTINGS: dict[str, dict[str, object]] = {
    "defaults": {},
    "full": {"sparse_status": False, "lifecycle_events": "all"},
}


def _measure(url: str, deployments: list[str], metrics: dict[str, object]) -> dict[str, object]:
    from exporter.app import Exporter
    from exporter.aws.clients import ClientFactory
    from exporter.config import parse_config
    from exporter.exposition.self_metrics import ExporterMetrics

    config = parse_config(
        {
            "aws": {"region": "us-east-1", "endpoint_url": url},
            "poll": {"interval": 30, "max_concurrency": 8, "max_requests_per_second": 1000},
            "metrics": metrics,
            "deployments": [{"deployment_id": d} for d in deployments],
        }
    )
    exporter_metrics = ExporterMetrics()
    clients = ClientFactory(exporter_metrics, 8, 1000, static_credentials=("t", "t"))
    exporter = Exporter(config, clients, exporter_metrics)
    for _ in range(2):
        exporter.poll_once()
        exporter.snapshot.gzipped()
    series = sum(1 for line in exporter.snapshot.body.split(b"\n") if line and line[:1] != b"#")
    return {
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "series": series,
        "sparse_status": config.metrics.sparse_status,
        "lifecycle_events": config.metrics.lifecycle_events,
    }


def measure(targets: int, setting: str) -> dict[str, Any]:
    with simulated_fleet(targets) as (url, deployments):
        out = subprocess.run(
            [sys.executable, "-m", "bench.memory_sizing", url, setting],
            input=json.dumps(deployments),
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return dict(json.loads(out.stdout))


def main(sizes: list[int]) -> int:
    sizes = sizes or [1000, 5000]
    print("| targets | metrics setting | series | peak RSS |")
    print("|---|---|---|---|")
    for targets in sizes:
        for setting in SETTINGS:
            result = measure(targets, setting)
            label = (
                f"{setting} (`sparse_status: {str(result['sparse_status']).lower()}`, "
                f"`lifecycle_events: {result['lifecycle_events']}`)"
            )
            print(f"| {targets:,} | {label} | {result['series']:,.0f} | {result['peak_rss_mib']:.0f} MiB |", flush=True)
    return 0


if __name__ == "__main__":  # `python -m bench.memory_sizing URL SETTING`: one measurement (see measure)
    url, setting = sys.argv[1:]
    print(json.dumps(_measure(url, json.loads(sys.stdin.read()), SETTINGS[setting])))
