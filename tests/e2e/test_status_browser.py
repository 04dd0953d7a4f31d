"""The status page in a real browser: Debian's Chromium driven by Playwright (its executable, so
nothing downloads a browser; scripts/test.sh installs it), against the real CLI on `--demo` and
against an exporter on a simulator world built for the test. Without Chromium these tests
skip locally and fail in CI, as the Prometheus ones do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from support.status_world import EVIL, world
from support.tools import require_binary

from exporter import log as logsetup
from exporter.http.server import serve
from exporter.simulator import deployment_info, diagnostics, instance_target, lifecycle_event

from .e2e_stack import wait_for

STATE_ORDER = ("failing", "running", "ok", "unknown")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = require_binary("chromium", packages="chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def tab(browser) -> Iterator[tuple[Any, list[str]]]:
    """A page, and the message of every dialog (alert, confirm) anything on it opened."""
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    yield page, dialogs
    context.close()


@pytest.fixture
def world_url(sim, make_exporter) -> Iterator[tuple[Any, str]]:
    logsetup.set_diagnostics("full")  # the script output (with its markup) is shown
    exporter = make_exporter(deployments=world(sim))
    exporter.poll_once()
    server = serve("127.0.0.1:0", exporter)
    try:
        yield exporter, server.url
    finally:
        server.stop()
        logsetup.set_diagnostics("summary")


def group_states(page: Any) -> list[str]:
    return [
        cls.removeprefix("g-")
        for cls in page.locator("#groups tbody tr").evaluate_all("rs => rs.map(r => r.className)")
    ]


def test_injected_markup_in_a_diagnostics_message_does_not_execute(tab, world_url):
    page, dialogs = tab
    _, url = world_url
    page.goto(url + "/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # time for an onerror handler to fire, were there one
    assert dialogs == []
    assert page.title() == "CodeDeploy status"
    assert page.evaluate("document.scripts.length") == 0 and page.locator("img").count() == 0
    # Shown as the text it is.
    assert EVIL in page.locator("#failed td.output .msg").first.inner_text()
    assert "[stderr]" + EVIL in page.locator("#failed td.output pre.tail").first.inner_text()


def test_failures_first_once_per_deployment_and_the_ecs_traffic_bar_at_its_weight(tab, world_url):
    page, _ = tab
    _, url = world_url
    page.goto(url + "/")
    assert group_states(page) == ["failing", "running", "ok"]
    assert "web-prod" in page.locator("#groups tbody tr").first.inner_text()
    failed = page.locator("#failed").inner_text()
    assert "i-bad" in failed and "ApplicationStart" in failed and "scripts/start.sh" in failed
    assert page.locator("body").inner_text().count("too many instances failed") == 1
    # The simulator's Green task set carries 30% of the traffic: so does its bar.
    share = page.locator("#running .share", has_text="Green ACTIVE")
    bar = share.locator(".bar").bounding_box()
    filled = share.locator(".bar span").first.bounding_box()
    assert bar is not None and filled is not None
    assert filled["width"] / bar["width"] == pytest.approx(0.30, abs=0.02)


def test_the_filter_form_narrows_the_page_and_the_limit_counts_the_rest(tab, world_url):
    page, _ = tab
    exporter, url = world_url
    page.goto(url + "/")
    page.fill('input[name="application"]', "shop")
    with page.expect_navigation():
        page.click('button[type="submit"]')
    assert "application=shop" in page.url
    assert group_states(page) == ["running"]
    assert "d-SHIFTING1" in page.locator("#running").inner_text()
    assert "None." in page.locator("#failed").inner_text()
    exporter.status_rows = 1
    exporter.poll_once()
    page.goto(url + "/")
    assert page.locator("#groups tbody tr").count() == 1
    assert page.get_by_text("2 more groups not shown").is_visible()


def test_the_demo_lists_a_failing_group_first_with_its_failed_instance_and_hook(tab, exporter):
    page, dialogs = tab

    def failing_first() -> bool:
        page.goto(exporter.url + "/")
        states = group_states(page)
        return bool(states) and states[0] == "failing"

    wait_for(failing_first, 120, "a failing demo group on the status page", interval=1.0)
    states = group_states(page)
    assert states == sorted(states, key=STATE_ORDER.index)
    # Each failed deployment says its error once, on its own row, and lists its failed targets.
    rows = page.locator("#failed tr.deployment").count()
    errors = page.locator("#failed p.error").all_inner_texts()
    assert rows > 0 and len(errors) == rows  # every demo failure has errorInformation
    # Not repeated on its targets' rows (the old landing page put it on every target).
    for message in set(errors):
        assert page.locator("body").inner_text().count(message) == errors.count(message)
    instances = page.locator("#failed table.targets tbody tr").all_inner_texts()
    assert any(re.match(r"i-[0-9a-f]+\s+InstanceTarget\s+(ApplicationStart|ValidateService)\s", t) for t in instances)
    assert dialogs == []


# ---- forensics (issue 29): the log tail and the page on one deployment --------------------------

LOG_LINES = [f"[stdout] step {n:03d}: <ok> & 'fine'" for n in range(200)] + ["[stderr] FATAL: port 8080 in use"]


@pytest.fixture
def forensics_url(sim, make_exporter) -> Iterator[tuple[Any, str]]:
    """The world, plus a failed deployment whose hook wrote 200 lines (its log tail: the last
    2,000 characters shown) and an exporter told where people reach it."""
    logsetup.set_diagnostics("full")
    logsetup.set_log_tail_chars(2000)
    now = 1_800_000_000.0
    hook = lifecycle_event(
        "ValidateService",
        "Failed",
        now - 50,
        now - 40,
        diagnostics("ScriptFailed", "scripts/validate.sh", "exit code 1", "\n".join(LOG_LINES)),
    )
    sim.put_deployment(
        deployment_info("d-LOGTAIL01", "cart", "cart-prod", "Failed", now - 300, complete_time=now - 30),
        [instance_target("d-LOGTAIL01", "i-cart", "Failed", [hook], now - 30)],
    )
    entries = [*world(sim), {"deployment_id": "d-LOGTAIL01"}]
    exporter = make_exporter(deployments=entries)
    server = serve("127.0.0.1:0", exporter)
    exporter.external_url = server.url + "/ops"  # links under it; this test server answers at /
    exporter.poll_once()
    try:
        yield exporter, server.url
    finally:
        server.stop()
        logsetup.set_diagnostics("summary")
        logsetup.set_log_tail_chars(4096)


def test_the_log_tail_keeps_its_lines_ends_with_the_failure_and_scrolls_in_its_box(tab, forensics_url):
    page, dialogs = tab
    _, url = forensics_url
    page.goto(url + "/")
    row = page.locator("#failed tr.deployment", has_text="d-LOGTAIL01")
    tail = page.locator("#failed tr.details", has_text="i-cart").locator("pre.tail")
    assert row.count() == 1 and tail.count() == 1
    text = tail.inner_text()
    # Its last 2,000 characters, marked as cut, one line per line, markup as text.
    assert text.startswith("\u2026") and text.endswith("[stderr] FATAL: port 8080 in use")
    assert len(text) == 2001 and "[stdout] step 000" not in text
    assert "[stdout] step 199: <ok> & 'fine'\n[stderr] FATAL" in text
    # Bounded on screen: the box scrolls instead of pushing the page down by 60 lines.
    box = tail.bounding_box()
    assert box is not None and box["height"] < 400
    assert tail.evaluate("e => e.scrollHeight > e.clientHeight")
    assert page.locator("#failed .msg", has_text="exit code 1").count() == 1
    assert dialogs == []


def test_a_deployments_link_opens_the_page_on_it_and_its_group_only(tab, forensics_url):
    page, _ = tab
    _, url = forensics_url
    page.goto(url + "/")
    link = page.locator("#failed tr.deployment", has_text="d-LOGTAIL01").locator("a.permalink")
    # Absolute under --web.external-url, as the alerts' links are.
    assert link.get_attribute("href") == url + "/ops/?deployment_id=d-LOGTAIL01"
    page.goto(url + "/?deployment_id=d-LOGTAIL01")
    assert page.locator("#failed tr.deployment").all_inner_texts()[0].startswith("d-LOGTAIL01")
    assert page.locator("#failed tr.deployment").count() == 1
    assert "None." in page.locator("#running").inner_text()  # d-SHIFTING1 is another deployment
    assert [t.split("\t")[2] for t in page.locator("#groups tbody tr").all_inner_texts()] == ["cart"]
    assert page.locator('input[name="deployment_id"]').input_value() == "d-LOGTAIL01"
    # The JSON link of the filtered page gives the same single deployment.
    json_href = page.locator("nav a", has_text="JSON").get_attribute("href")
    assert json_href == "/api/v1/status?deployment_id=d-LOGTAIL01"
