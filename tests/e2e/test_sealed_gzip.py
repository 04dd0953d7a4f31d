"""A real Prometheus scrapes a gzip body composed of compressed pieces (issue 28).

Settled deployments are kept as sealed compressed pieces (exporter.exposition.segments), and
the gzip body is one member whose deflate stream joins them with each family's live lines
compressed apart. Checked here with the real exporter process over a simulated fleet big enough
to seal segments, a reader that stops after one member (as curl's does), and the real
Prometheus storing every series it scraped.
"""

from __future__ import annotations

import gzip
import sys
import urllib.request
import zlib

import pytest
import yaml
from support.tools import require_binary

from exporter.exposition.segments import SEGMENT_SIZE
from exporter.simulator import Simulator, SimulatorServer, build_fleet

from .e2e_stack import ROOT, Process, Prometheus, free_port, http_get, wait_for, wait_ready

DEPLOYMENTS = 3 * SEGMENT_SIZE + 10  # three sealed segments and some live deployments
ACCOUNT = "123456789012"


def _members(body: bytes) -> int:
    count = 0
    while body:
        reader = zlib.decompressobj(31)
        reader.decompress(body)
        body = reader.unused_data
        count += 1
    return count


def test_prometheus_stores_every_series_of_a_gzip_body_joined_from_sealed_pieces(tmp_path):
    binary = require_binary("prometheus")
    sim = Simulator()
    fleet = build_fleet(sim, DEPLOYMENTS, per_deployment=1, finished=True)
    simulator = SimulatorServer(sim).start()
    processes: list[Process] = []
    try:
        port = free_port()
        config = tmp_path / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "aws": {
                        "region": "us-east-1",
                        "endpoint_url": simulator.endpoint_url,
                        "account_id": "123456789012",
                    },
                    "poll": {"interval": "1h", "max_requests_per_second": 1000},
                    "deployments": [{"deployment_id": d} for d, _ in fleet],
                }
            )
        )
        argv = [sys.executable, "-m", "exporter", "--config.file", str(config), "--web.listen-address"]
        with pytest.MonkeyPatch.context() as env:  # the simulator checks no signature; boto3 needs keys
            env.setenv("AWS_ACCESS_KEY_ID", "e2e")
            env.setenv("AWS_SECRET_ACCESS_KEY", "e2e")
            env.delenv("AWS_PROFILE", raising=False)
            exporter = Process("exporter", [*argv, f"127.0.0.1:{port}"], tmp_path / "exporter.log", cwd=ROOT)
        processes.append(exporter)
        wait_ready(exporter, f"http://127.0.0.1:{port}/readyz", timeout=60)

        request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            gzipped = response.read()
        plain = http_get(f"http://127.0.0.1:{port}/metrics")[1]
        # One member holding the whole body, as a reader that stops after one member sees it.
        assert _members(gzipped) == 1
        assert zlib.decompress(gzipped, 31) == plain == gzip.decompress(gzipped)
        expected = sum(1 for line in plain.decode().splitlines() if line.startswith("codedeploy_deployment_status"))
        assert expected == 8 * DEPLOYMENTS

        prometheus_port = free_port()
        prometheus_config = tmp_path / "prometheus.yml"
        prometheus_config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                    "scrape_configs": [{"job_name": "sealed", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}],
                }
            )
        )
        prometheus_process = Process(
            "prometheus",
            [
                binary,
                f"--config.file={prometheus_config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            tmp_path / "prometheus.log",
        )
        processes.append(prometheus_process)
        wait_ready(prometheus_process, f"http://127.0.0.1:{prometheus_port}/-/ready")
        prometheus = Prometheus(f"http://127.0.0.1:{prometheus_port}", prometheus_process)
        wait_for(lambda: prometheus.query('up{job="sealed"} == 1'), 30, "a successful scrape")
        # Every series of the body, sealed or live, in every family: the same count per name.
        by_name: dict[str, int] = {}
        for line in plain.decode().splitlines():
            if line.startswith("codedeploy_") and not line.startswith("codedeploy_exporter_"):
                name = line.split("{", 1)[0].split(" ", 1)[0]
                by_name[name] = by_name.get(name, 0) + 1
        stored = {
            s["metric"]["__name__"]: int(s["value"][1])
            for s in prometheus.query('count by (__name__) ({job="sealed", __name__=~"codedeploy_.+"})')
            if not s["metric"]["__name__"].startswith("codedeploy_exporter_")
        }
        assert stored == by_name
    finally:
        for process in reversed(processes):
            process.stop()
        simulator.stop()
