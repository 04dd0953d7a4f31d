"""CPU of the exporter's first poll of a big, all-finished fleet (issue 28), and where it goes.

    python -m bench.profile_first_poll --targets 10000               # 3 runs, CPU per target
    python -m bench.profile_first_poll --targets 10000 --phases      # and thread CPU per phase
    python -m bench.profile_first_poll --baseline DIR                # in turn with another checkout
    python -m bench.profile_first_poll --profile cprofile --concurrency 1 --out /tmp/poll.prof
    python -m bench.profile_first_poll --profile py-spy --out /tmp/poll.txt

The simulator serves the fleet from a process of its own (like AWS, it must not share the
measured process's CPU or GIL). Each run is a fresh exporter process following every
deployment (`deployments:` mode; `--mode discovery`: one discovery scope over the account) that
makes ONE `poll_once()` (poll, render and the first snapshot's gzip form) and reports its process
CPU (time.process_time) per target. The exporter's log lines are off (one per failed target).

The fleet is a stress mix like the issue's: every deployment finished, EC2 targets 25 per
deployment with 10 hooks each; a third of the deployments Succeeded, the others Failed with 5
Failed targets (a hook failed with diagnostics and a log tail, the hooks after it Skipped) and 20
Skipped (every hook Skipped): a third of the targets Succeeded, two thirds Failed or Skipped.

cProfile follows one thread only: the poll's worker threads each get a profiler of their own
(threading.setprofile), merged into one table and grouped by where the time goes. Its clock is
the wall's, so with several workers it counts waits for the GIL: `--concurrency 1` gives a
profile whose only waits are the network's and the pool's, listed apart. py-spy (`--gil`)
samples the thread holding the GIL, native code excluded.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PER_DEPLOYMENT = 25
HOOKS = 10
FAILED_PER_DEPLOYMENT = 5


def build_stress_fleet(sim: Any, targets: int, now: float) -> list[str]:
    """The stress mix (module doc) put into `sim`; returns the deployment IDs."""
    from exporter.simulator.builders import (
        EC2_IN_PLACE_HOOKS,
        deployment_id_for,
        deployment_info,
        diagnostics,
        error_information,
        instance_target,
        lifecycle_event,
    )

    hooks = EC2_IN_PLACE_HOOKS[:HOOKS]
    log_tail = "[stderr]Traceback (most recent call last):\n" + "  File 'validate.py', line 12\n" * 8
    ids: list[str] = []
    groups = max(20, -(-targets // (PER_DEPLOYMENT * 50)))  # 50 deployments a group: discovery follows them all
    for number, first in enumerate(range(0, targets, PER_DEPLOYMENT)):
        deployment = deployment_id_for(f"stress:{number}")
        failed = number % 3 != 0
        body = []
        for n in range(first, min(first + PER_DEPLOYMENT, targets)):
            index = n - first
            status = "Succeeded" if not failed else "Failed" if index < FAILED_PER_DEPLOYMENT else "Skipped"
            events = []
            broken = status == "Skipped"
            for i, hook in enumerate(hooks):
                start = now - 100 + index * 2 + i * 0.1
                if broken:
                    events.append(lifecycle_event(hook, "Skipped"))
                elif status == "Failed" and i == HOOKS - 1 - index % 3:
                    diag = diagnostics(
                        "ScriptFailed", "scripts/validate.sh", "Script failed with exit code 1", log_tail
                    )
                    events.append(lifecycle_event(hook, "Failed", start, start + 0.1, diag))
                    broken = True
                else:
                    events.append(lifecycle_event(hook, "Succeeded", start, start + 0.1, diagnostics()))
            body.append(instance_target(deployment, f"i-{n:017x}", status, events, now - 1))
        info = deployment_info(
            deployment,
            "stress",
            f"stress-{number % groups}",
            "Failed" if failed else "Succeeded",
            now - 120,
            start_time=now - 110,
            complete_time=now - 1,
            error_information=error_information("HEALTH_CONSTRAINTS") if failed else None,
        )
        sim.put_deployment(info, body)
        ids.append(deployment)
    return ids


_SERVE = """
import json, sys, time
from bench.profile_first_poll import build_stress_fleet
from exporter.simulator import Simulator, SimulatorServer
sim = Simulator()
ids = build_stress_fleet(sim, int(sys.argv[1]), time.time())
server = SimulatorServer(sim).start()
print(json.dumps({"url": server.endpoint_url, "deployments": ids}), flush=True)
sys.stdin.read()  # until the parent closes it
server.stop()
"""


@contextmanager
def stress_fleet(targets: int) -> Iterator[tuple[str, list[str]]]:
    """(endpoint URL, deployment IDs) of the stress fleet, served by a process of its own."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(targets)], cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        fleet = json.loads(process.stdout.readline())
        yield fleet["url"], fleet["deployments"]
    finally:
        process.communicate(timeout=60)


def _exporter(url: str, deployments: list[str], mode: str, concurrency: int) -> Any:
    from exporter.app import Exporter
    from exporter.aws.clients import ClientFactory
    from exporter.config import parse_config
    from exporter.exposition.self_metrics import ExporterMetrics

    config = parse_config(
        {
            "aws": {"region": "us-east-1", "endpoint_url": url},
            "poll": {"interval": 30, "max_concurrency": concurrency, "max_requests_per_second": 1000},
            **(
                {"deployments": [{"deployment_id": d} for d in deployments]}
                if mode == "deployments"
                else {"discovery": [{"latest": 100}]}  # the whole account, as the issue measured
            ),
        }
    )
    metrics = ExporterMetrics()
    return Exporter(config, ClientFactory(metrics, concurrency, 1000, static_credentials=("t", "t")), metrics)


@contextmanager
def _profiled_threads() -> Iterator[list[Any]]:
    """A cProfile profiler in this thread and in every thread started meanwhile."""
    import cProfile

    profilers: list[Any] = []
    lock = threading.Lock()

    def start(*_: Any) -> None:  # the first event of a new thread: hand over to cProfile
        profiler = cProfile.Profile()
        with lock:
            profilers.append(profiler)
        profiler.enable()

    main = cProfile.Profile()
    profilers.append(main)
    threading.setprofile(start)
    main.enable()
    try:
        yield profilers
    finally:
        main.disable()
        threading.setprofile(None)  # type: ignore[arg-type]  # None unsets it


class _Phases:
    """Thread CPU (time.thread_time) spent inside a few seams of the poll, without a profiler:
    a wrapped function adds its own thread's CPU, so a thread waiting for the GIL or the
    network adds nothing. Nested seams are subtracted in `split`."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self._lock = threading.Lock()

    def wrap(self, owner: Any, name: str, phase: str) -> None:
        inner = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                with self._lock:
                    self.cpu[phase] = self.cpu.get(phase, 0.0) + spent

        setattr(owner, name, timed)

    def install(self, instance: Any) -> None:
        import gc

        import botocore.endpoint
        import botocore.parsers

        import exporter.aws.calls
        import exporter.collect.deployments
        import exporter.collect.targets

        self.wrap(instance, "_render", "render")  # views and the exposition cache
        self.wrap(instance, "_install", "gzip")  # the first snapshot's gzip form
        self.wrap(exporter.aws.calls.ServiceApi, "_call", "api calls")
        self.wrap(botocore.endpoint.Endpoint, "create_request", "request building and signing")
        self.wrap(botocore.parsers.ResponseParser, "parse", "botocore parsing")
        self.wrap(exporter.collect.targets, "parse_each", "our parse")
        self.wrap(exporter.collect.deployments, "parse_each", "our parse")
        started: list[float] = []

        def collecting(phase: str, info: dict[str, Any]) -> None:  # CPU of the cyclic collector
            if phase == "start":
                started.append(time.thread_time())
            elif started:
                with self._lock:
                    self.cpu["of which: cyclic GC"] = self.cpu.get("of which: cyclic GC", 0.0) + (
                        time.thread_time() - started.pop()
                    )

        gc.callbacks.append(collecting)

    def split(self, total: float) -> dict[str, float]:
        cpu = dict(self.cpu)
        calls = cpu.pop("api calls", 0.0)
        inside = cpu.get("request building and signing", 0.0) + cpu.get("botocore parsing", 0.0)
        cpu["rest of each API call (botocore send, retries, hooks; HTTP)"] = calls - inside
        cpu["everything else (poller, stores, threads, client setup)"] = (
            total - calls - sum(cpu.get(k, 0.0) for k in ("our parse", "render", "gzip"))
        )
        return cpu


def measure(url: str, deployments: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """One first poll in this (fresh) process: its CPU, wall time and targets."""
    logging.getLogger("exporter").setLevel(logging.ERROR)  # a line per failed target and deployment
    exporter = _exporter(url, deployments, args.mode, args.concurrency)
    phases = _Phases() if args.phases else None
    if phases is not None:
        phases.install(exporter)
    started, cpu = time.perf_counter(), time.process_time()
    if args.profile == "cprofile":
        import pstats

        with _profiled_threads() as profilers:
            exporter.poll_once()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - started
        stats = pstats.Stats(profilers[0])
        for profiler in profilers[1:]:
            stats.add(profiler)
        stats.dump_stats(args.out)
    else:
        exporter.poll_once()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - started
    targets = len(exporter.poller.targets)
    out: dict[str, Any] = {
        "targets": targets,
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_ms_per_target": 1000 * cpu / max(targets, 1),
    }
    if phases is not None:
        out["phases_ms_per_target"] = {k: 1000 * v / max(targets, 1) for k, v in phases.split(cpu).items()}
    return out


# cProfile's rows grouped by where the time goes: (group, substrings of the file path), first match.
_GROUPS = (
    ("botocore response parsing (json.loads included)", ("botocore/parsers.py", "aws/responses.py", "json/")),
    ("botocore signing", ("botocore/auth.py", "botocore/signers.py", "hmac.py", "aws/credentials.py")),
    ("client setup (once)", ("botocore/loaders.py", "botocore/session.py", "boto3/", "inspect.py", "genericpath")),
    ("botocore request pipeline (client, endpoint, events, retries)", ("botocore/", "uuid.py")),
    ("HTTP (urllib3, http.client, sockets)", ("urllib3/", "http/client.py", "socket.py", "email/", "selectors")),
    ("our parse (exporter/aws/parse.py)", ("aws/parse",)),
    ("our API layer (calls, budgets, clients)", ("exporter/aws/",)),
    ("gzip of the first snapshot", ("snapshot.py", "gzip.py", "zlib")),
    ("views and render", ("exporter/exposition/", "exporter/app.py", "prometheus_client")),
    ("poller and stores", ("exporter/collect/", "exporter/model.py", "<string>", "dataclasses")),
    ("threads and the gate", ("threading.py", "exporter/workers.py")),
)
# Built-ins that wait (with poll.max_concurrency 1, cProfile's wall clock is CPU everywhere else).
_WAITS = ("acquire' of '_thread.lock", "recv_into", "'poll' of 'select.poll'", "sleep")


def _group(place: str) -> str:
    return next((name for name, parts in _GROUPS if any(part in place for part in parts)), "other")


def summarize(path: str) -> list[tuple[str, float]]:
    """Seconds per group of a saved cProfile; a built-in's time goes to its callers' groups."""
    import pstats

    totals: dict[str, float] = {}
    raw: dict[Any, Any] = pstats.Stats(path).stats  # type: ignore[attr-defined]  # pstats keeps it public
    for (file, _, function), (_, _, own, _, callers) in raw.items():
        if file != "~":
            totals[_group(file)] = totals.get(_group(file), 0.0) + own
        elif any(wait in function for wait in _WAITS):
            totals["(waiting: not CPU)"] = totals.get("(waiting: not CPU)", 0.0) + own
        elif "zlib" in function or not callers:
            group = _group(function)
            totals[group] = totals.get(group, 0.0) + own
        else:
            for (caller_file, _, _), timing in callers.items():
                totals[_group(caller_file)] = totals.get(_group(caller_file), 0.0) + timing[2]
    return sorted(totals.items(), key=lambda kv: -kv[1])


def _run_one(url: str, deployments: list[str], args: argparse.Namespace, tree: Path) -> dict[str, Any]:
    """One measuring process, importing the exporter of `tree` (its working directory)."""
    inner = "none" if args.profile == "py-spy" else args.profile  # py-spy samples from outside
    command = [sys.executable, "-m", "bench.profile_first_poll", "--measure", url, "--mode", args.mode]
    command += ["--concurrency", str(args.concurrency), "--profile", inner, "--out", args.out]
    command += ["--phases"] if args.phases else []
    if args.profile == "py-spy":
        # --gil: only the thread running Python is sampled, so waits on the network are not counted.
        command = ["py-spy", "record", "--format", "raw", "--rate", "500", "--gil", "-o", args.out, "--", *command]
    done = subprocess.run(command, input=json.dumps(deployments), capture_output=True, text=True, cwd=tree)
    if done.returncode:
        sys.exit(f"the measuring process failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{"))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_first_poll", description=__doc__.split("\n")[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mode", choices=("deployments", "discovery"), default="deployments")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="poll.max_concurrency (1: a cProfile without GIL waits)"
    )
    parser.add_argument("--profile", choices=("none", "cprofile", "py-spy"), default="none")
    parser.add_argument("--phases", action="store_true", help="thread CPU per phase (no profiler)")
    parser.add_argument("--out", default="/tmp/first_poll.prof", help="the profile's file (cprofile, py-spy)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (with this file in its bench/) measured in turn with this one, on the same fleet",
    )
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)  # one run: deployments on stdin
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, json.loads(sys.stdin.read()), args)))
        return 0
    runs = 1 if args.profile != "none" else args.runs
    trees = {"this checkout": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    per_target: dict[str, list[float]] = {name: [] for name in trees}
    with stress_fleet(args.targets) as (url, deployments):
        for n in range(runs):
            # In turn, the order swapped each round: a drift of the machine's speed hits both alike.
            for name in list(trees) if n % 2 == 0 else list(trees)[::-1]:
                result = _run_one(url, deployments, args, trees[name])
                per_target[name].append(result["cpu_ms_per_target"])
                print(
                    f"run {n + 1} ({name}): {result['targets']:,} targets, CPU {result['cpu_s']:.2f} s "
                    f"({result['cpu_ms_per_target']:.3f} ms/target), wall {result['wall_s']:.2f} s",
                    flush=True,
                )
                for phase, ms in sorted(result.get("phases_ms_per_target", {}).items(), key=lambda kv: -kv[1]):
                    print(f"    {ms:6.3f} ms/target  {phase}")
    medians = {name: statistics.median(values) for name, values in per_target.items()}
    for name, median in medians.items():
        print(f"median CPU per target ({name}): {median:.3f} ms over {len(per_target[name])} runs")
    if args.baseline:
        pairs = [a / b for a, b in zip(per_target["this checkout"], per_target["baseline"], strict=True)]
        print(
            f"this checkout / baseline: {medians['this checkout'] / medians['baseline']:.2f} (medians), "
            f"{statistics.median(pairs):.2f} (median of the {len(pairs)} pairs)"
        )
    if args.profile == "cprofile":
        busy = sum(seconds for group, seconds in summarize(args.out) if not group.startswith("("))
        for group, seconds in summarize(args.out):
            share = "" if group.startswith("(") else f"{100 * seconds / busy:5.1f} %"
            print(f"  {seconds:7.3f} s {share:>7}  {group}")
    if args.profile != "none":
        print(f"profile written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
