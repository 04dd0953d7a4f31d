"""The pure snippet extraction behind the doc tests (tests/support/docsnippets.py)."""

from __future__ import annotations

import pytest
from support.docsnippets import (
    SnippetError,
    exporter_invocations,
    fenced_blocks,
    inline_invocations,
    promql_queries,
    shell_commands,
    yaml_kind,
)

DOC = """# Title

Text.

## Queries

```promql
# Failed targets
codedeploy_target_status{status="Failed"} == 1
  and on (deployment_id) codedeploy_deployment_info

# may be empty: nothing is stuck in the demo
stuck_thing > 600
up
```

- A list item:

   ```yaml
   # config fragment: poll settings
   poll:
     interval: 5m
   ```

~~~
plain ```text``` block
~~~
"""


def test_blocks_carry_file_line_language_heading_and_unindented_text():
    blocks = fenced_blocks("doc.md", DOC)
    assert [(b.where, b.language, b.heading) for b in blocks] == [
        ("doc.md:8", "promql", "Queries"),
        ("doc.md:20", "yaml", "Queries"),
        ("doc.md:26", "", "Queries"),
    ]
    assert blocks[1].text == "# config fragment: poll settings\npoll:\n  interval: 5m"
    assert blocks[2].text == "plain ```text``` block"


def test_an_unclosed_block_is_an_error_naming_its_opening_line():
    with pytest.raises(SnippetError, match=r"^doc\.md:3: code block is never closed"):
        fenced_blocks("doc.md", "a\n\n```sh\necho\n")


def test_a_query_is_an_unindented_line_plus_its_indented_continuations():
    (block, *_) = fenced_blocks("doc.md", DOC)
    queries = promql_queries(block)
    assert [(q.where, q.expr, q.may_be_empty) for q in queries] == [
        (
            "doc.md:9",
            'codedeploy_target_status{status="Failed"} == 1\n  and on (deployment_id) codedeploy_deployment_info',
            None,
        ),
        ("doc.md:13", "stuck_thing > 600", "nothing is stuck in the demo"),
        ("doc.md:14", "up", None),
    ]


def test_the_may_be_empty_mark_applies_only_to_the_query_right_after_it():
    (block,) = fenced_blocks("d.md", "```promql\n# may be empty: why\n\nup\n```\n")
    assert [q.may_be_empty for q in promql_queries(block)] == [None]


def test_a_closing_bracket_at_the_margin_continues_the_query():
    text = "```promql\nsum by (a) (\n  rate(x[5m])\n)\n/ 2\n```\n"
    (block,) = fenced_blocks("d.md", text)
    assert [(q.line, q.expr) for q in promql_queries(block)] == [(2, "sum by (a) (\n  rate(x[5m])\n)"), (5, "/ 2")]


def test_an_indented_line_without_a_query_above_is_an_error():
    (block,) = fenced_blocks("d.md", "```promql\n# comment\n  up\n```\n")
    with pytest.raises(SnippetError, match=r"^d\.md:3: indented PromQL line"):
        promql_queries(block)


@pytest.mark.parametrize(
    "first, kind",
    [
        ("# config", "config"),
        ("# config fragment", "config fragment"),
        ("# config fragment: metrics", "config fragment"),
        ("# helm-values: my-values.yaml", "helm-values"),
        ("# prometheus (prometheus.yml)", "prometheus"),
        ("#prometheus-rules", "prometheus-rules"),
    ],
)
def test_yaml_kind_is_read_from_the_first_comment(first, kind):
    (block,) = fenced_blocks("d.md", f"```yaml\n{first}\na: 1\n```\n")
    assert yaml_kind(block) == kind


@pytest.mark.parametrize("first", ["a: 1", "# prometheus.yml", "# configuration", ""])
def test_a_yaml_block_without_a_known_kind_is_an_error(first):
    (block,) = fenced_blocks("d.md", f"```yaml\n{first}\nb: 2\n```\n")
    with pytest.raises(SnippetError, match=r"^d\.md:2: a yaml block must start with a comment"):
        yaml_kind(block)


SHELL = """```sh
python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/codedeploy-exporter --demo
FOO=1 codedeploy-exporter --config.file c.yaml \\
  --log.level debug &   # a comment
cat > /tmp/prometheus.yml <<'YAML'
scrape_configs: []
YAML
docker build -t codedeploy-exporter .
docker run --rm -p 10120:10120 -e AWS_REGION codedeploy-exporter --demo --web.listen-address=:1
docker run --name codedeploy-exporter prom/prometheus --config.file=x
helm install codedeploy-exporter ./chart -f v.yaml
python -m exporter --once | grep x
```
"""


def test_exporter_invocations_are_found_with_their_arguments_and_lines():
    (block,) = fenced_blocks("d.md", SHELL)
    found = [(i.where, i.args) for i in exporter_invocations(block)]
    assert found == [
        ("d.md:2", ("--demo",)),
        ("d.md:3", ("--config.file", "c.yaml", "--log.level", "debug")),
        ("d.md:9", ("--demo", "--web.listen-address=:1")),
        ("d.md:12", ("--once",)),
    ]


def test_heredoc_bodies_are_kept_apart_with_their_target_file():
    (block,) = fenced_blocks("d.md", SHELL)
    commands, heredocs = shell_commands(block)
    assert [(h.where, h.target, h.text) for h in heredocs] == [("d.md:6", "/tmp/prometheus.yml", "scrape_configs: []")]
    assert all("scrape_configs" not in text for _, text in commands)


def test_console_blocks_with_prompts_treat_other_lines_as_output():
    text = "```console\n$ codedeploy-exporter --version\ncodedeploy-exporter --bogus\n```\n"
    (block,) = fenced_blocks("d.md", text)
    assert [i.args for i in exporter_invocations(block)] == [("--version",)]


def test_inline_exporter_commands_in_prose_are_found_but_not_those_in_blocks():
    text = (
        "Run `codedeploy-exporter --config.check` or `ls -l`, and ``x``; the uid is "
        "`codedeploy-exporter`.\n"
        "```sh\n`codedeploy-exporter --in-a-block`\n```\n"
        "Then `python -m exporter --once`.\n"
    )
    assert [(i.where, i.args) for i in inline_invocations("d.md", text)] == [
        ("d.md:1", ("--config.check",)),
        ("d.md:5", ("--once",)),
    ]
