"""`python -m bench reliability [--quick]`: run every scenario and write (or print) the report."""

from __future__ import annotations

from pathlib import Path

from bench.reliability.load import load_test, slow_client_test
from bench.reliability.report import load_average, report, suite_summary
from bench.reliability.shutdown import shutdown_test
from bench.reliability.soak import soak_test

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
LOAD_RUNS = 3  # the load goal holds in every run, not in the best of them


def main(quick: bool = False) -> int:
    seconds = 8.0 if quick else 30.0
    every = 1800.0
    load_before = load_average()
    loads = [load_test(seconds=seconds) for _ in range(1 if quick else LOAD_RUNS)]
    load_after = load_average()
    # TLS + basic auth: kept-alive connections, then a handshake per request.
    tls_loads = [load_test(seconds=seconds, tls_auth=True, new_connections=new) for new in (False, True)]
    slow = slow_client_test()
    shutdown = shutdown_test()
    soak = soak_test(every=every)
    suites = (
        {}
        if quick
        else {
            path: suite_summary([path])
            for path in (
                "tests/integration/test_faults.py",
                "tests/unit/aws/test_fuzz.py",
                "tests/integration/test_reload.py",
                "tests/integration/test_webconfig.py",
                "tests/integration/test_shutdown.py",
            )
        }
    )
    text = report(loads, slow, soak, every, suites, shutdown, load_before, load_after, tls_loads)
    if quick:
        print(text)
    else:
        DOC.write_text(text)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0
