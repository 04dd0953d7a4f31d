"""Load, slow clients and a day of churn, with the harness that writes docs/reliability.md
(`python -m bench reliability`). Figures are printed (`pytest -s`), bounds asserted."""

from __future__ import annotations

from bench.reliability.load import load_test, slow_client_test
from bench.reliability.soak import soak_bound, soak_test

LOAD_SECONDS = 10  # `python -m bench reliability` runs 30 s for the published figures


def test_fifty_scrapers_on_a_thousand_targets_get_no_errors_and_polling_continues():
    result = load_test(targets=1000, scrapers=50, seconds=LOAD_SECONDS, interval=2.0)
    print(
        f"\nload: {result.requests} scrapes, p50 {result.p50 * 1000:.1f} ms, "
        f"p99 {result.p99 * 1000:.1f} ms, polls under load {result.polls_under_load}"
    )
    assert result.errors == []
    assert result.requests >= result.scrapers  # every scraper got answers
    assert result.raw_bytes > 100_000  # really the 1,000-target snapshot
    # The poll loop kept going while scraped: at least one poll per two intervals.
    assert len(result.polls_under_load) >= LOAD_SECONDS // (2 * result.poll_interval)


def test_a_client_reading_one_byte_a_second_blocks_nobody_and_is_dropped():
    result = slow_client_test(targets=1000, client_timeout=3.0, seconds=3.0)
    print(f"\nslow client: others p99 {result.others_p99 * 1000:.1f} ms, released after {result.slow_released_after}")
    assert result.others_errors == 0
    assert result.others_p99 < 2.0  # blocked scrapes would wait for the 3 s timeout
    assert result.slow_released_after is not None
    assert result.slow_released_after < 3.0 + 3.0


def test_a_day_of_deployment_churn_keeps_series_bounded_by_retention():
    every = 1800.0
    result = soak_test(hours=24, every=every, poll_interval=300.0, retention=7200.0, latest=2)
    print(
        f"\nsoak: series first {result.series[0]} max {max(result.series)} "
        f"end {result.series[-1]}, deployments tracked max {max(result.tracked_deployments)}"
    )
    assert result.deployments_created == 48
    assert max(result.tracked_deployments) <= soak_bound(result, every)
    # Once retention has passed, the series count plateaus: the second half of the day never
    # exceeds the first half's peak (it would keep rising if finished deployments lingered).
    warm = int((result.retention + 2 * every) // 300)
    rest = result.series[warm:]
    half = len(rest) // 2
    assert max(rest[half:]) <= max(rest[:half])
    # The first poll shows one deployment (plus self-metrics); never more than `bound` times that,
    # where following all 48 deployments would be ~48 times.
    assert max(result.series) <= result.series[0] * soak_bound(result, every)


def test_fifty_scrapers_over_tls_with_basic_auth_on_kept_alive_connections_get_no_errors():
    # The TLS + auth path is the same loop: no thread per connection, one bcrypt check then cached.
    result = load_test(
        targets=1000, scrapers=50, seconds=LOAD_SECONDS / 2, interval=2.0, new_connections=False, tls_auth=True
    )
    print(
        f"\ntls+auth keep-alive: {result.requests} scrapes, "
        f"p50 {result.p50 * 1000:.1f} ms, p99 {result.p99 * 1000:.1f} ms"
    )
    assert result.errors == []
    assert result.requests >= result.scrapers
    assert result.raw_bytes > 100_000


def test_fifty_scrapers_over_tls_with_a_handshake_per_request_get_no_errors():
    result = load_test(targets=1000, scrapers=50, seconds=LOAD_SECONDS / 2, interval=2.0, tls_auth=True)
    print(f"\ntls+auth new connections: {result.requests} scrapes, p99 {result.p99 * 1000:.1f} ms")
    assert result.errors == []
    assert result.requests >= result.scrapers
