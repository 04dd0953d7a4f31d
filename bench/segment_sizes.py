"""Gzip body and render CPU by the size of sealed segments (exporter.exposition.segments), on
the first poll's views of the stress mix (bench.stress): the measurement behind SEGMENT_SIZE.

    python -m bench.segment_sizes 30000     # prints a Markdown table

The simulator serves the account from a process of its own; the exporter polls it once in this
process, then each segment size renders the same views with a fresh cache: the render that seals
everything, then the render after one deployment left (its segment dissolved and sealed again).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time

from bench.scale import ROOT, _config

SIZES = (1, 4, 16, 64, 256)
_SERVE = """
import json, sys
from exporter.simulator import Simulator, SimulatorServer
from bench.stress import build_stress_account
sim = Simulator(page_size=100)
build_stress_account(sim, int(sys.argv[1]))
server = SimulatorServer(sim).start()
print(json.dumps({"url": server.endpoint_url}), flush=True)
sys.stdin.read()  # until the parent closes it
"""


def main(targets: int) -> int:
    from exporter.app import Exporter
    from exporter.aws.clients import ClientFactory
    from exporter.config import parse_config
    from exporter.exposition.body import Plain, gzipped
    from exporter.exposition.cache import ExpositionCache
    from exporter.exposition.segments import Segments
    from exporter.exposition.self_metrics import ExporterMetrics

    logging.disable(logging.WARNING)  # a warning per failed target and deployment
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(targets)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["url"]
        metrics = ExporterMetrics()
        exporter = Exporter(
            parse_config(_config(url)), ClientFactory(metrics, 8, 1000, static_credentials=("b", "b")), metrics
        )
        exporter.poll_once()
        views, deployments = exporter.views()
        groups = exporter.poller.group_views()
        gone = deployments[len(deployments) // 2].key
        views_after = [v for v in views if v.owner != gone]
        deployments_after = [d for d in deployments if d.key != gone]
        print(f"{targets:,} targets, {len(deployments):,} deployments")
        print("| segment (deployments) | gzip body | first render (CPU s) | one departure (CPU ms) |")
        print("|---|---|---|---|")
        plain = 0
        for size in SIZES:
            cache = ExpositionCache(exporter.cache.selection)
            cache._segments = Segments(size)
            started = time.process_time()
            sections = cache.sections(views, deployments, groups)
            first = time.process_time() - started
            body = gzipped(sections, b"")
            plain = Plain(sections, b"").length
            started = time.process_time()
            cache.sections(views_after, deployments_after, groups)
            again = time.process_time() - started
            print(f"| {size} | {len(body) / 1e6:.2f} MB | {first:.2f} | {again * 1000:.0f} |", flush=True)
        print(f"plain body {plain / 1e6:.1f} MB")
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30000))
