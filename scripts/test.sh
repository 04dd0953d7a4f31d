#!/usr/bin/env bash
# The project's test command (README, "Quick start"). Installs what the tests need, then runs
# pytest in a virtualenv at .venv. Extra arguments go to pytest (e.g. -k poller, tests/unit).
set -euo pipefail
cd "$(dirname "$0")/.."

# Real Prometheus, Alertmanager and promtool for the end-to-end and rule tests, and Chromium
# (Debian packages).
missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null \
  || missing+=(prometheus-alertmanager)
# Chromium for the status page's browser tests (Playwright drives this executable; it never
# downloads a browser of its own).
command -v chromium >/dev/null || missing+=(chromium)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "scripts/test.sh: installing ${missing[*]} with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "scripts/test.sh: missing ${missing[*]}; install with: sudo apt-get install ${missing[*]}" >&2
    echo "scripts/test.sh: (without them the end-to-end tests skip locally and fail in CI)" >&2
  fi
fi

# A virtualenv: Debian's own Python refuses system-wide pip installs (PEP 668).
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
exec .venv/bin/python -m pytest "$@"
