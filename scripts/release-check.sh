#!/usr/bin/env bash
# The release artefacts, built and checked as a user gets them (issue 24): sdist and wheel by
# `python -m build` in an isolated environment, `twine check --strict`, the wheel's contents (the
# shipped alerts, dashboard, py.typed and license in; nothing of tests/tools/bench), the wheel
# installed alone in a fresh virtualenv running `--demo --once` with its exposition checked by
# promtool, a CycloneDX SBOM of what the wheel installs, and one version for the package and the
# chart's appVersion. Run by tests/artifacts/test_release.py; PYTHON names the interpreter with
# build, twine and cyclonedx-bom. With RELEASE_OUT set, the artefacts are kept there.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Without --sdist/--wheel: the wheel is built from the sdist, never from a stale build/ here.
"$python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; echo "release-check: build failed" >&2; exit 1; }
"$python" -m twine check --strict "$work"/dist/*
wheel=$(ls "$work"/dist/*.whl)

"$python" - "$wheel" <<'PY'
import sys
import zipfile

names = zipfile.ZipFile(sys.argv[1]).namelist()
needed = [
    "exporter/monitoring/alerts.yaml",
    "exporter/monitoring/rules.yaml",
    "exporter/monitoring/dashboard.json",
    "exporter/py.typed",
]
problems = [f"missing {n}" for n in needed if n not in names]
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
    problems.append("missing the LICENSE in .dist-info/licenses/")
stray = [n for n in names if n.split("/")[0] in {"tests", "tools", "bench", "scripts", "helm", "docs", "monitoring"}]
problems += [f"not part of the package: {n}" for n in stray]
if problems:
    sys.exit("release-check: wheel: " + "; ".join(problems))
print(f"release-check: wheel holds {len(names)} files, the shipped monitoring files among them")
PY

# The wheel alone: a fresh virtualenv, run from outside the checkout.
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "$wheel"
status=0
(cd "$work" && "$work/venv/bin/codedeploy-exporter" --demo --once >metrics.txt 2>demo.log) || status=$?
# 3: the demo keeps one account whose role is missing (README, Quick start).
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
  cat "$work/demo.log" >&2
  echo "release-check: --demo --once from the wheel exited $status" >&2
  exit 1
fi
grep -q '^codedeploy_deployment_info{' "$work/metrics.txt" \
  || { echo "release-check: the wheel's demo exported no deployment" >&2; exit 1; }
promtool check metrics <"$work/metrics.txt"

# The SBOM: every package the wheel's install brought, with its version.
"$python" -m cyclonedx_py environment "$work/venv/bin/python" --pyproject pyproject.toml \
  --mc-type application --of JSON --output-reproducible -o "$work/dist/sbom.cdx.json" 2>"$work/sbom.log" \
  || { cat "$work/sbom.log" >&2; echo "release-check: SBOM failed" >&2; exit 1; }
"$python" - "$work/dist/sbom.cdx.json" <<'PY'
import json
import sys

components = {c["name"].lower().replace("_", "-"): c.get("version") for c in json.load(open(sys.argv[1]))["components"]}
runtime = ["boto3", "botocore", "prometheus-client", "pydantic", "pyyaml", "bcrypt"]
missing = [name for name in runtime if not components.get(name)]
if missing:
    sys.exit(f"release-check: SBOM lacks {missing}")
print(f"release-check: SBOM lists {len(components)} packages with versions")
PY

version=$("$work/venv/bin/python" -c 'import exporter; print(exporter.__version__)')
app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/codedeploy-exporter/Chart.yaml)
if [ "$version" != "$app_version" ]; then
  echo "release-check: package version $version, chart appVersion $app_version" >&2
  exit 1
fi
if [ -n "${RELEASE_OUT:-}" ]; then
  mkdir -p "$RELEASE_OUT" && cp "$work"/dist/* "$RELEASE_OUT"/
fi
echo "release-check: ok: codedeploy-exporter $version (sdist, wheel, SBOM, chart appVersion)"
