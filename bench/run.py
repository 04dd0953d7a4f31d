"""Drive one benchmark tier: simulator here, each implementation in its own worker process.

The parent process owns the simulator (so its CPU and memory are not charged to either
implementation) and the scrapers; bench.worker runs the exporter or the reference.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from exporter.simulator import Simulator, SimulatorServer, build_fleet, mutate_fraction

ROOT = Path(__file__).resolve().parents[1]
PER_DEPLOYMENT = 25
HOOKS = 10
BATCH = 25
SCRAPERS = 4
CHANGED_FRACTION = 0.01
SEED = 5
# Far above production defaults (poll.max_concurrency 8, max_requests_per_second 10): the
# benchmark measures the exporter's own cost, not a rate limit chosen for a real account.
MAX_CONCURRENCY = 16
MAX_RPS = 1000.0


@dataclass(frozen=True)
class Tier:
    name: str
    instances: int
    ecs: int
    lambdas: int
    cloudformation: int
    latency: float
    exporter_scrapes: int  # per scraper
    reference_scrapes: int  # per scraper; generate_latest of a large fleet takes seconds
    reference_latency: bool  # False: reference polls without latency; wall time extrapolated
    profile: bool = False


TIERS = {
    "smoke": Tier("smoke", 50, 1, 1, 1, 0.01, 5, 2, True),
    "100": Tier("100", 100, 2, 2, 2, 0.05, 50, 25, True),
    "1k": Tier("1k", 1000, 3, 3, 3, 0.05, 50, 5, True, profile=True),
    "10k": Tier("10k", 10000, 5, 5, 5, 0.05, 25, 1, False),
}
FULL = ("100", "1k", "10k")


class Worker:
    """A bench.worker subprocess speaking JSON lines."""

    def __init__(self, spec: dict) -> None:
        handle, self._spec_path = tempfile.mkstemp(suffix=".json", prefix="bench-")
        with os.fdopen(handle, "w") as out:
            json.dump(spec, out)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", self._spec_path],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self._read()["url"]

    def _read(self) -> dict:
        assert self._proc.stdout is not None  # opened with stdout=PIPE
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bench worker exited with {self._proc.wait()}")
        return json.loads(line)

    def ask(self, cmd: str) -> dict:
        assert self._proc.stdin is not None  # opened with stdin=PIPE
        self._proc.stdin.write(json.dumps({"cmd": cmd}) + "\n")
        self._proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            if self._proc.poll() is None and self._proc.stdin is not None:
                self._proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self._proc.stdin.close()
                self._proc.wait(timeout=60)
        finally:
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
            os.unlink(self._spec_path)


# ---- scraping --------------------------------------------------------------------------------


def fetch(url: str, gzip: bool = False) -> tuple[float, bytes, dict]:
    """One scrape on a fresh connection: (seconds until the whole body arrived, body, headers)."""
    parts = urlsplit(url)
    assert parts.hostname is not None, url
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=900)
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    started = time.perf_counter()
    try:
        conn.request("GET", parts.path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"scrape of {url} answered {response.status}")
        return elapsed, body, {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def concurrent_scrapes(url: str, per_scraper: int, gzip: bool) -> list[float]:
    """SCRAPERS threads scraping at once, each `per_scraper` times back to back."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(SCRAPERS)
    errors: list[Exception] = []

    def scraper() -> None:
        try:
            start.wait()
            for _ in range(per_scraper):
                elapsed, _, headers = fetch(url, gzip)
                if gzip and headers.get("content-encoding") != "gzip":
                    raise RuntimeError("asked for gzip, got an uncompressed body")
                with lock:
                    latencies.append(elapsed)
        except (OSError, RuntimeError, http.client.HTTPException) as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=scraper) for _ in range(SCRAPERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return latencies


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def series_lines(body: bytes) -> int:
    return sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))


# ---- one tier --------------------------------------------------------------------------------


def _calls(sim: Simulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in list(sim.calls):
        counts[call.operation] = counts.get(call.operation, 0) + 1
    return counts


def _fleet(sim: Simulator, tier: Tier, finished: bool, now: float) -> list[tuple[str, list[str]]]:
    return build_fleet(
        sim,
        tier.instances,
        per_deployment=PER_DEPLOYMENT,
        hooks=HOOKS,
        ecs=tier.ecs,
        lambdas=tier.lambdas,
        cloudformation=tier.cloudformation,
        finished=finished,
        now=now,
    )


FAILED_FRACTION = 0.01


def fail_fraction(sim: Simulator, fraction: float, rng: random.Random) -> list[tuple[str, str]]:
    """Turn ``fraction`` of the EC2 targets of a finished fleet into failed ones: status Failed,
    last hook Failed with ScriptFailed diagnostics; their deployments become Failed."""
    from exporter.simulator.records import target_body

    pairs = [(d, t) for d in sim.deployment_ids() for t in sim.target_ids(d) if t.startswith("i-")]
    chosen = rng.sample(pairs, max(1, round(len(pairs) * fraction)))
    for deployment_id, target_id in chosen:
        target = sim.target(deployment_id, target_id)
        body = target_body(target)
        body["status"] = "Failed"
        hook = body["lifecycleEvents"][-1]
        hook["status"] = "Failed"
        hook["diagnostics"] = {
            "errorCode": "ScriptFailed",
            "scriptName": "scripts/validate.sh",
            "message": "Script failed with exit code 1",
            "logTail": "",
        }
        sim.put_target(deployment_id, target)
        sim.update_deployment(deployment_id, status="Failed")
    return chosen


def theoretical_minimum(fleet: list[tuple[str, list[str]]], sim: Simulator) -> int:
    """ceil(targets/25) BatchGetDeploymentTargets per deployment + ceil(deployments/25)
    BatchGetDeployments + ceil(groups/100) BatchGetDeploymentGroups per application (the group
    state of the deployments' groups, issue 11)."""
    groups: dict[str, set[str]] = {}
    for deployment_id, _ in fleet:
        info = sim.deployment(deployment_id)
        groups.setdefault(info["applicationName"], set()).add(info["deploymentGroupName"])
    return (
        sum(math.ceil(len(targets) / BATCH) for _, targets in fleet)
        + math.ceil(len(fleet) / BATCH)
        + sum(math.ceil(len(g) / 100) for g in groups.values())
    )


def _measure(impl: str, sim: Simulator, endpoint: str, tier: Tier, now: float, keep_body: bool, log) -> dict[str, Any]:
    fleet = _fleet(sim, tier, finished=False, now=now)
    pairs = [(d, t) for d, targets in fleet for t in targets]
    worker = Worker(
        {
            "impl": impl,
            "endpoint": endpoint,
            "pairs": pairs,
            "mode": "targets",
            "max_concurrency": MAX_CONCURRENCY,
            "max_requests_per_second": MAX_RPS,
            "keep_body": keep_body,
        }
    )
    exporter = impl == "exporter"
    out: dict[str, Any] = {}
    try:
        with_latency = impl == "exporter" or tier.reference_latency
        sim.set_latency(tier.latency if with_latency else 0.0)
        sim.reset_calls()
        log(f"  {impl}: first poll ({len(pairs)} targets)")
        first = worker.ask("poll")
        calls = _calls(sim)
        out["first_poll_calls"] = calls
        out["first_poll_total"] = sum(calls.values())
        out["first_poll_wall"] = first["wall"]
        out["first_poll_cpu"] = first["cpu"]
        if not with_latency:
            # Sequential calls: each would have waited `latency` more.
            out["first_poll_wall"] = first["wall"] + out["first_poll_total"] * tier.latency
            out["first_poll_wall_extrapolated"] = True
            out["first_poll_wall_measured_without_latency"] = first["wall"]
        out["render_cpu"] = first["render_cpu"]

        _, plain, _ = fetch(worker.url)
        _, packed, _ = fetch(worker.url, gzip=True)
        out["body_bytes"], out["gzip_bytes"] = len(plain), len(packed)
        out["series"] = series_lines(plain)
        if keep_body:
            out["body"] = plain.decode("utf-8")
        if exporter:
            # The same in-progress state in the full setting (sparse_status false,
            # lifecycle_events all): what the defaults save while every target runs.
            full = worker.ask("full")
            out["series_full"] = full["series"]
            if keep_body:
                out["body_full"] = full["body"]
        per_scraper = tier.exporter_scrapes if impl == "exporter" else tier.reference_scrapes
        for gzip in (False, True):
            log(f"  {impl}: {SCRAPERS} scrapers x {per_scraper} {'gzip' if gzip else 'plain'}")
            latencies = concurrent_scrapes(worker.url, per_scraper, gzip)
            key = "scrape_gzip" if gzip else "scrape_plain"
            out[key] = {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99), "n": len(latencies)}

        changed = mutate_fraction(sim, CHANGED_FRACTION, random.Random(SEED))
        sim.set_latency(tier.latency if impl == "exporter" else 0.0)
        log(f"  {impl}: poll after {len(changed)} targets changed")
        second = worker.ask("poll")
        out["changed_targets"] = len(changed)
        out["render_cpu_after_change"] = second["render_cpu"]
        if "rerendered" in second:
            out["rerendered_after_change"] = second["rerendered"]
        if tier.profile:
            out["render_profile"] = worker.ask("profile")["text"]
        out["maxrss_mb_after_polls"] = worker.ask("rss")["maxrss_mb"]

        # Steady state: every deployment finished (and was seen finished once), 1% of the
        # targets failed.
        _fleet(sim, tier, finished=True, now=now)
        fail_fraction(sim, FAILED_FRACTION, random.Random(SEED))
        sim.set_latency(0.0)
        worker.ask("poll")
        sim.reset_calls()
        steady = worker.ask("poll")
        calls = _calls(sim)
        out["steady_calls"] = calls
        out["steady_total"] = sum(calls.values())
        out["steady_target_calls"] = sum(n for op, n in calls.items() if "Target" in op)
        out["steady_poll_wall_no_latency"] = steady["wall"]
        _, finished, _ = fetch(worker.url)
        out["finished_series"] = series_lines(finished)
        out["finished_body_bytes"] = len(finished)
        if keep_body:
            out["finished_body"] = finished.decode("utf-8")
        out["maxrss_mb"] = worker.ask("rss")["maxrss_mb"]
        if exporter:
            full = worker.ask("full")  # after the RSS reading: it is not the default's cost
            out["finished_series_full"] = full["series"]
            out["finished_body_bytes_full"] = full["bytes"]
    finally:
        worker.close()
    return out


def _deployments_mode(sim: Simulator, endpoint: str, tier: Tier, now: float) -> dict[str, int]:
    """API calls of the exporter following whole deployments (adds ListDeploymentTargets)."""
    from bench.worker import ExporterUnderTest

    fleet = _fleet(sim, tier, finished=False, now=now)
    pairs = [(d, t) for d, targets in fleet for t in targets]
    impl = ExporterUnderTest(
        {
            "endpoint": endpoint,
            "pairs": pairs,
            "mode": "deployments",
            "max_concurrency": MAX_CONCURRENCY,
            "max_requests_per_second": MAX_RPS,
        }
    )
    try:
        sim.set_latency(0.0)
        sim.reset_calls()
        impl.poll()
        first = sum(_calls(sim).values())
        _fleet(sim, tier, finished=True, now=now)
        impl.poll()
        sim.reset_calls()
        impl.poll()
        steady = sum(_calls(sim).values())
    finally:
        impl.stop()
    return {"first_poll_total": first, "steady_total": steady, "minimum": theoretical_minimum(fleet, sim) + len(fleet)}


def run_tier(tier: Tier, keep_body: bool = False, log=print) -> dict[str, Any]:
    sim = Simulator()
    now = time.time()
    result: dict[str, Any] = {"tier": tier.name, "latency": tier.latency}
    with SimulatorServer(sim) as server:
        fleet = _fleet(sim, tier, finished=False, now=now)
        result["targets"] = sum(len(t) for _, t in fleet)
        result["instance_targets"] = tier.instances
        result["deployments"] = len(fleet)
        result["minimum_calls"] = theoretical_minimum(fleet, sim)
        for impl in ("exporter", "reference"):
            result[impl] = _measure(impl, sim, server.endpoint_url, tier, now, keep_body, log)
        log("  exporter: deployments mode (API calls only)")
        result["deployments_mode"] = _deployments_mode(sim, server.endpoint_url, tier, now)
    return result
