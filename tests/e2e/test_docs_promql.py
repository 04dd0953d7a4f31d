"""Every PromQL snippet of the README and docs/ runs against the demo in a real Prometheus.

The queries come from the docs' ```promql blocks (tests/support/docsnippets.py). Each must parse and,
once the demo has run through its scenarios, return data, unless a `# may be empty: <why>`
comment right before it says it is empty on the demo by design. Failures name the file and
line of the query. Shares the session's end-to-end stack with the dashboard and alert tests.
"""

from __future__ import annotations

import time

import pytest
from support.docsnippets import DOC_GLOBS, Query, SnippetError, fenced_blocks, promql_queries
from support.tools import CONTRACT_METRICS, EVENT_METRICS, metric_names

from .e2e_stack import DEMO_PERIOD, ROOT, wait_for

DOC_FILES = [path for pattern in DOC_GLOBS for path in sorted(ROOT.glob(pattern))]
# How far back a range query looks for data: a whole period of the demo (two cycles).
LOOKBACK = DEMO_PERIOD


def _queries() -> list[Query]:
    queries = []
    for path in DOC_FILES:
        relative = path.relative_to(ROOT).as_posix()
        try:  # a broken block fails tests/artifacts/test_docs.py with its line; skip its file here
            blocks = fenced_blocks(relative, path.read_text(encoding="utf-8"))
            queries += [q for b in blocks if b.language == "promql" for q in promql_queries(b)]
        except SnippetError:
            continue
    return queries


QUERIES = _queries()


def _evaluate(prometheus, query: Query) -> dict:
    """Instant evaluation; a parse or evaluation error fails with the query's location."""
    try:
        return prometheus.api("query", query=query.expr)
    except AssertionError as error:  # the stack's client asserts on non-success answers
        pytest.fail(f"{query.where}: Prometheus rejects the query:\n{query.expr}\n{error}")


def _has_data(prometheus, query: Query) -> bool:
    data = _evaluate(prometheus, query)
    if data["result"] and data["resultType"] != "string":
        return True
    if data["resultType"] != "vector":
        return False  # a range vector or scalar cannot be range-queried; the instant answer counts
    now = time.time()
    return bool(prometheus.query_range(query.expr, now - LOOKBACK, now, step=1.0))


def test_docs_hold_promql_queries():
    assert any(q.path == "README.md" for q in QUERIES)


@pytest.mark.parametrize("query", QUERIES, ids=[q.where for q in QUERIES])
def test_doc_query_parses_and_returns_data_on_the_demo(prometheus, query: Query):
    _evaluate(prometheus, query)
    if query.may_be_empty is None:
        # Some queries show a phase of the demo (a hook running, a shift in progress, the even
        # cycles' failure and stop): within one period of it.
        wait_for(
            lambda: _has_data(prometheus, query),
            DEMO_PERIOD + 10,
            f"{query.where}: data for the documented query\n{query.expr}",
            interval=1,
        )


@pytest.mark.parametrize("query", QUERIES, ids=[q.where for q in QUERIES])
def test_doc_query_names_only_metrics_the_exporter_has(prometheus, query: Query):
    # Catches a misspelt metric in a query that is allowed to be empty on the demo.
    exposed = set(prometheus.api("label/__name__/values"))
    unknown = sorted(metric_names(query.expr) - exposed - CONTRACT_METRICS - EVENT_METRICS)
    assert unknown == [], f"{query.where}: no such metric {unknown} in\n{query.expr}"
