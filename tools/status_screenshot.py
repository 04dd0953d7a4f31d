"""Writes docs/images/status-page.png, the README's picture of the status page: the real CLI on
`--demo`, photographed by Debian's Chromium through Playwright (the test extra) once the demo
shows a failing group, a traffic shift in progress and a failed deployment.

    python -m tools.status_screenshot [--output PATH] [--chromium /usr/bin/chromium]

Run by hand when the page changes, never by the tests (a picture of a cycling demo differs
every time)."""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "images" / "status-page.png"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def status(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url + "/api/v1/status", timeout=2) as response:
            document: dict[str, Any] = json.load(response)
            return document
    except OSError:
        return None


def _telling(document: dict[str, Any]) -> bool:
    groups = document["deployment_groups"]["rows"]
    running = document["deployments_in_progress"]["rows"]
    return bool(
        groups
        and groups[0]["state"] == "failing"
        and any(row["traffic"] and 0 < row["traffic"][-1]["weight"] < 1 for row in running)
        and document["failed_deployments"]["rows"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the demo")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "exporter", "--demo", "--web.listen-address", f"127.0.0.1:{port}"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + args.timeout
        while True:
            document = status(url)
            # What the page is for: a failing group on top, traffic shifting, a failed deployment.
            if document and _telling(document):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                print("status_screenshot: the demo showed no failure and traffic shift in time", file=sys.stderr)
                return 1
            time.sleep(0.5)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1300})
            page.goto(url + "/")
            page.screenshot(path=str(args.output), full_page=False)
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"status_screenshot: wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
