"""The status page as HTML and JSON (exporter.exposition.status is what they show).

No JavaScript and no external assets: the page must work air-gapped and from a port-forward.
Every value is escaped (`html.escape(quote=True)`): error messages and script names are
text that whoever writes a deployment's scripts or appspec chooses.
"""

from __future__ import annotations

import html
import json
import time
from typing import Any
from urllib.parse import urlencode

from exporter.exposition.status import (
    FILTERS,
    DeploymentRow,
    FailedTarget,
    GroupRow,
    Header,
    Page,
    Section,
    deployment_query,
)

API_VERSION = 1
API_PATH = "/api/v1/status"
_STATUS_CLASS = {
    "Succeeded": "ok",
    "Ready": "ok",
    "Failed": "bad",
    "Stopped": "bad",
    "InProgress": "run",
    "Baking": "run",
    "Pending": "wait",
    "Created": "wait",
    "Queued": "wait",
    "Skipped": "skip",
}
_STYLE = """
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--mute:#59636e;--line:#d1d9e0;--ok:#1a7f37;
--bad:#cf222e;--run:#0969da;--wait:#8c959f;--skip:#bf8700;--panel:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--mute:#9198a1;--line:#3d444d;
--ok:#3fb950;--bad:#f85149;--run:#4493f8;--wait:#6e7681;--skip:#d29922;--panel:#151b23}}
body{font:14px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:1.5em}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.5em 0 .4em}
a{color:var(--run)}table{border-collapse:collapse;width:100%}
th,td{padding:3px 8px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
th{color:var(--mute);font-weight:600}.mute{color:var(--mute)}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:.5em 0}dt{color:var(--mute)}dd{margin:0}
.s{font-weight:600}.s-ok{color:var(--ok)}.s-bad{color:var(--bad)}.s-run{color:var(--run)}
.s-wait{color:var(--wait)}.s-skip{color:var(--skip)}
.bar{display:flex;width:14em;height:.8em;background:var(--panel);border:1px solid var(--line)}
.bar span{display:block;height:100%}.b-ok{background:var(--ok)}.b-bad{background:var(--bad)}
.b-run{background:var(--run)}.b-wait{background:var(--wait)}.b-skip{background:var(--skip)}
.msg{white-space:pre-wrap;max-width:60em}form{margin:1em 0;padding:.5em;background:var(--panel)}
input{width:9em}code{font-size:.95em}.more{color:var(--mute);font-style:italic}
.tail{white-space:pre-wrap;max-width:60em;max-height:16em;overflow:auto;margin:.3em 0 0;padding:.3em;
font-size:.9em;background:var(--panel);border:1px solid var(--line)}
"""


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def utc(ts: float | None) -> str:
    return "" if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return f"{seconds:.0f}s ago"


def _when(ts: float | None, now: float) -> str:
    if ts is None:
        return '<span class="mute">–</span>'
    return f'<time datetime="{utc(ts)}" title="{utc(ts)}">{ago(now - ts)}</time>'


def _status(status: str) -> str:
    return f'<span class="s s-{_STATUS_CLASS.get(status, "other")}">{e(status)}</span>' if status else ""


def _link(**query: str) -> str:
    return e("/?" + urlencode({k: v for k, v in query.items() if v}))


def _group_link(row: GroupRow | DeploymentRow) -> str:
    """The page filtered on one deployment group (what an alert's link opens)."""
    return _link(
        account_id=row.account_id,
        region=row.region,
        application=row.application,
        deployment_group=row.deployment_group,
    )


def deployment_url(external_url: str, deployment_id: str) -> str:
    """The page on one deployment: absolute under --web.external-url, else relative."""
    return f"{external_url}/?{deployment_query(deployment_id)}"


def _deployment_link(deployment_id: str, shown: frozenset[str]) -> str:
    """A link to the deployment's row where the page has one (a succeeded rollback has none)."""
    if deployment_id in shown:
        return f'<a href="#{e(deployment_id)}"><code>{e(deployment_id)}</code></a>'
    return f"<code>{e(deployment_id)}</code>"


def _more(section: Section[Any], what: str) -> str:
    return f'<p class="more">{section.not_shown} more {what} not shown</p>' if section.not_shown else ""


# ---- HTML ---------------------------------------------------------------------------------------


def html_head(page: Page, telemetry_path: str, now: float, refresh: bool = False) -> str:
    """The part made per request: the page's age and the filter form's values."""
    header = page.header
    meta = f'<meta http-equiv="refresh" content="{max(1, round(header.poll_interval))}">' if refresh else ""
    age = f" ({ago(now - header.last_poll)})" if header.last_poll is not None else ""
    health_class = "ok" if header.poll_health == "ok" else "bad"
    facts = [
        (
            "Version",
            e(header.version) + (f' <span class="mute">{e(header.revision)}</span>' if header.revision else ""),
        ),
        ("Shard", f"{header.shard} of {header.total_shards}"),
        ("Last poll", f"{e(utc(header.last_poll)) or 'none yet'}{e(age)}"),
        ("Poll health", f'<span class="s s-{health_class}">{e(header.poll_health)}</span>'),
    ]
    if header.scopes:
        down = [s for s in header.scopes if s.error]
        scopes = ", ".join(f'<span class="s s-bad">{e(s.account_id)}/{e(s.region)}: {e(s.error)}</span>' for s in down)
        facts.append(
            (
                "Scopes",
                f"{len(header.scopes) - len(down)} of {len(header.scopes)} answering" + (f"; {scopes}" if down else ""),
            )
        )
    if header.diagnostics != "full":
        facts.append(("Diagnostics", "summary (script output hidden; --log.diagnostics=full shows it)"))
    inputs = "".join(
        f'<label>{e(name)} <input name="{e(name)}" value="{e(getattr(page.filters, name))}"></label> '
        for name in FILTERS
    )
    filtered = page.filters.active()
    api = API_PATH + ("?" + urlencode(filtered) if filtered else "")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>CodeDeploy status</title>{meta}<style>{_STYLE}</style></head>\n<body>"
        "<header><h1>CodeDeploy Exporter</h1>"
        f'<nav><a href="{e(telemetry_path)}">Metrics</a> · <a href="/healthz">Health</a> · '
        f'<a href="/readyz">Readiness</a> · <a href="{e(api)}">JSON</a></nav>'
        "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts) + "</dl></header>\n"
        f'<form method="get" action="/">{inputs}<button type="submit">Filter</button> <a href="/">Clear</a></form>\n'
    )


def html_sections(page: Page) -> str:
    """The part made once per snapshot (for the unfiltered page) or per filtered request."""
    now = page.generated
    shown = frozenset(row.deployment_id for row in (*page.running.rows, *page.failed.rows))
    base = page.header.external_url
    return (
        _groups_html(page.groups, now)
        + _deployments_html("running", "Deployments in progress", page.running, now, shown, base)
        + _deployments_html("failed", "Failed and stopped deployments", page.failed, now, shown, base)
        + f'<p class="mute">Times are relative to the last poll ({e(utc(now))}).</p></body></html>\n'
    )


def _groups_html(section: Section[GroupRow], now: float) -> str:
    rows = "".join(
        f'<tr class="g-{e(g.state)}"><td>{e(g.account_id)}</td><td>{e(g.region)}</td>'
        f'<td><a href="{_link(application=g.application)}">{e(g.application)}</a></td>'
        f'<td><a href="{_group_link(g)}">{e(g.deployment_group)}</a>{_left_out(g)}</td><td>{e(g.platform)}</td>'
        f"<td><code>{e(g.latest_deployment_id)}</code> {_status(g.latest_status)} {_when(g.latest_time, now)}</td>"
        f"<td>{_when(g.last_success, now)}</td><td>{_when(g.last_failure, now)}</td></tr>\n"
        for g in section.rows
    )
    if not rows:
        return '<section id="groups"><h2>Deployment groups</h2><p class="mute">None.</p></section>\n'
    return (
        '<section id="groups"><h2>Deployment groups</h2><table><thead><tr><th>Account</th><th>Region</th>'
        "<th>Application</th><th>Group</th><th>Platform</th><th>Latest attempted</th><th>Last success</th>"
        f"<th>Last failure</th></tr></thead><tbody>\n{rows}</tbody></table>{_more(section, 'groups')}</section>\n"
    )


def _left_out(g: GroupRow) -> str:
    """The JSON's phase_durations_left_out, when some are (docs/monitoring.md)."""
    if not g.phases_left_out:
        return ""
    why = "completed within metrics.duration_window, waits unknown (a manual reroute read back at start)"
    return f' <span class="mute left-out" title="{why}">{g.phases_left_out} left out of phase durations</span>'


def _bar(parts: list[tuple[str, float]], title: str) -> str:
    total = sum(v for _, v in parts) or 1.0
    spans = "".join(
        f'<span class="b-{cls}" style="width:{100.0 * v / total:.1f}%"></span>' for cls, v in parts if v > 0
    )
    return f'<div class="bar" role="img" aria-label="{e(title)}" title="{e(title)}">{spans}</div>'


def _targets_cell(row: DeploymentRow) -> str:
    if not row.targets:
        return '<span class="mute">no targets yet</span>'
    text = ", ".join(f"{n} {status}" for status, n in row.targets)
    return (
        _bar([(_STATUS_CLASS.get(s, "wait"), float(n)) for s, n in row.targets], text)
        + f'<span class="counts">{e(text)}</span>'
    )


def _traffic_cell(row: DeploymentRow) -> str:
    cells = []
    for share in row.traffic:
        label = f"{share.target_id}: {share.name} {share.weight * 100:.0f}%"
        cells.append(
            f'<div class="share" data-weight="{share.weight * 100:.1f}">'
            + _bar([("run", share.weight), ("wait", 1.0 - share.weight)], label)
            + f"{e(label)}</div>"
        )
    return "".join(cells)


def _failed_targets(row: DeploymentRow) -> str:
    if not row.failed_targets:
        return ""
    # Script output exists only with --log.diagnostics=full: no empty column otherwise.
    output = any(t.message or t.log_tail for t in row.failed_targets)

    def cells(t: FailedTarget) -> str:
        # The log tail as the script wrote it (pre: its lines and indentation), escaped and
        # bounded (--log.diagnostics.max-log-tail), scrolled within its box when long.
        text = (f'<div class="msg">{e(t.message)}</div>' if t.message else "") + (
            f'<pre class="tail" aria-label="log tail">{e(t.log_tail)}</pre>' if t.log_tail else ""
        )
        return (
            f"<tr><td><code>{e(t.target_id)}</code></td><td>{e(t.target_type)}</td><td>{e(t.hook)}</td>"
            f"<td>{e(t.error_code)}</td><td>{e(t.script_name)}</td>"
            + (f'<td class="output">{text}</td>' if output else "")
            + "</tr>"
        )

    more = row.failed_targets_not_shown
    return (
        '<table class="targets"><thead><tr><th>Failed target</th><th>Type</th><th>Failed hook</th>'
        "<th>Error code</th><th>Script</th>"
        + ("<th>Output</th>" if output else "")
        + "</tr></thead><tbody>"
        + "".join(cells(t) for t in row.failed_targets)
        + "</tbody></table>"
        + (f'<p class="more">{more} more failed targets not shown</p>' if more else "")
    )


def _deployment_facts(row: DeploymentRow, shown: frozenset[str]) -> str:
    parts = []
    if row.error_code or row.error_message:
        parts.append(f'<p class="msg error"><strong>{e(row.error_code)}</strong>: {e(row.error_message)}</p>')
    parts += [f'<p class="msg note">{e(note)}</p>' for note in row.notes]
    if row.rollback_deployment_id:
        parts.append(f"<p>Rolled back by {_deployment_link(row.rollback_deployment_id, shown)}</p>")
    if row.rollback_triggering_deployment_id:
        parts.append(f"<p>Rollback of {_deployment_link(row.rollback_triggering_deployment_id, shown)}</p>")
    return "".join(parts)


def _deployments_html(
    anchor: str, title: str, section: Section[DeploymentRow], now: float, shown: frozenset[str], base: str
) -> str:
    if not section.rows:
        return f'<section id="{anchor}"><h2>{title}</h2><p class="mute">None.</p></section>\n'
    running = anchor == "running"
    head = "<th>Deployment</th><th>Group</th><th>Status</th><th>Creator</th><th>Started</th><th>Targets</th>" + (
        "<th>Traffic shifted</th><th>Current hook</th>" if running else "<th>Ended</th>"
    )
    rows = []
    for row in section.rows:
        group = f"{row.account_id} {row.region} {row.application}/{row.deployment_group}"
        extra = (
            f"<td>{_traffic_cell(row)}</td><td>{e(', '.join(row.current_hooks))}</td>"
            if running
            else f"<td>{_when(row.completed, now)}</td>"
        )
        details = _deployment_facts(row, shown) + _failed_targets(row)
        rows.append(
            f'<tr id="{e(row.deployment_id)}" class="deployment"><td>'
            f'<a class="permalink" href="{e(deployment_url(base, row.deployment_id))}">'
            f"<code>{e(row.deployment_id)}</code></a> "
            f'<span class="mute">{e(row.platform)}</span></td><td><a href="{_group_link(row)}">{e(group)}</a></td>'
            f"<td>{_status(row.status)}</td><td>{e(row.creator)}</td><td>{_when(row.started or row.created, now)}</td>"
            f"<td>{_targets_cell(row)}</td>{extra}</tr>\n"
            + (
                f'<tr class="details"><td></td><td colspan="{7 if running else 6}">{details}</td></tr>\n'
                if details
                else ""
            )
        )
    return (
        f'<section id="{anchor}"><h2>{title}</h2><table><thead><tr>{head}</tr></thead><tbody>\n'
        + "".join(rows)
        + f"</tbody></table>{_more(section, 'deployments')}</section>\n"
    )


# ---- JSON ---------------------------------------------------------------------------------------


def _header_json(header: Header) -> dict[str, Any]:
    return {
        "version": header.version,
        "revision": header.revision,
        "shard": header.shard,
        "total_shards": header.total_shards,
        "poll_interval_seconds": header.poll_interval,
        "last_poll_time": header.last_poll,
        "poll_health": header.poll_health,
        "scopes": [{"account_id": s.account_id, "region": s.region, "error": s.error} for s in header.scopes],
        "diagnostics": header.diagnostics,
        "external_url": header.external_url or None,
    }


def _group_json(g: GroupRow) -> dict[str, Any]:
    return {
        "account_id": g.account_id,
        "region": g.region,
        "application": g.application,
        "deployment_group": g.deployment_group,
        "compute_platform": g.platform,
        "state": g.state,
        "latest_attempted": {
            "deployment_id": g.latest_deployment_id,
            "status": g.latest_status,
            "create_time": g.latest_time,
        }
        if g.latest_deployment_id
        else None,
        "last_success_time": g.last_success,
        "last_failure_time": g.last_failure,
        "phase_durations_left_out": g.phases_left_out,
    }


def _deployment_json(d: DeploymentRow, base: str) -> dict[str, Any]:
    return {
        "account_id": d.account_id,
        "region": d.region,
        "application": d.application,
        "deployment_group": d.deployment_group,
        "deployment_id": d.deployment_id,
        "status": d.status,
        "compute_platform": d.platform,
        "creator": d.creator,
        "create_time": d.created,
        "start_time": d.started,
        "complete_time": d.completed,
        "targets": dict(d.targets),
        "traffic": [{"target_id": s.target_id, "name": s.name, "weight": s.weight} for s in d.traffic],
        "current_hooks": list(d.current_hooks),
        "error": {"code": d.error_code, "message": d.error_message} if d.error_code or d.error_message else None,
        "notes": list(d.notes),
        "rollback_deployment_id": d.rollback_deployment_id or None,
        "rollback_triggering_deployment_id": d.rollback_triggering_deployment_id or None,
        "failed_targets": [
            {
                "target_id": t.target_id,
                "target_type": t.target_type,
                "lifecycle_event": t.hook,
                "error_code": t.error_code,
                "script_name": t.script_name,
                **({"message": t.message, "log_tail": t.log_tail} if t.message or t.log_tail else {}),
            }
            for t in d.failed_targets
        ],
        "failed_targets_not_shown": d.failed_targets_not_shown,
        "status_page_url": deployment_url(base, d.deployment_id),
    }


def json_document(page: Page) -> dict[str, Any]:
    """The `/api/v1/status` document (its shape: docs/status.schema.json, `version` 1)."""
    return {
        "version": API_VERSION,
        "generated_time": page.generated,
        "exporter": _header_json(page.header),
        "filters": page.filters.active(),
        "row_limit": page.limit,
        "deployment_groups": {"rows": [_group_json(g) for g in page.groups.rows], "not_shown": page.groups.not_shown},
        "deployments_in_progress": {
            "rows": [_deployment_json(d, page.header.external_url) for d in page.running.rows],
            "not_shown": page.running.not_shown,
        },
        "failed_deployments": {
            "rows": [_deployment_json(d, page.header.external_url) for d in page.failed.rows],
            "not_shown": page.failed.not_shown,
        },
    }


def json_bytes(page: Page) -> bytes:
    # ensure_ascii: the body is safe to paste anywhere, whatever the messages hold.
    return json.dumps(json_document(page), separators=(",", ":")).encode("ascii")
