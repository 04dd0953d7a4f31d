"""Fenced code blocks of the project's Markdown docs, split into what the doc tests check.

Pure text in, data out (no I/O): tests/artifacts/test_docs.py and tests/e2e/test_docs_promql.py read the
files and run what this module finds. Every item carries the file and line it came from, so a
failing snippet is named the way an editor jumps to it (``README.md:215``).

Conventions the docs follow (and the tests enforce):
- ``promql`` blocks: a query is an unindented line plus the indented lines after it (and lines
  that start with a closing bracket); lines starting with ``#`` are comments.
  ``# may be empty: <why>`` right before a query marks it as returning nothing on the demo by
  design (it must still parse).
- ``yaml`` blocks start with a comment naming their kind, see ``YAML_KINDS``: ``# prometheus``,
  or with a note after a colon, ``# helm-values: my-values.yaml``.
- shell blocks (``sh``, ``shell``, ``bash``, ``console``): every command line that runs the
  exporter (``codedeploy-exporter ...``, ``python -m exporter ...``, ``docker run ... IMAGE ...``)
  must parse with the exporter's own flags.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

# The docs whose snippets are tested, relative to the repository root.
DOC_GLOBS = ("README.md", "CONTRIBUTING.md", "docs/*.md", "helm/codedeploy-exporter/README.md")
# Kinds of YAML block, each checked by its own validator in tests/artifacts/test_docs.py.
YAML_KINDS = (
    "config",  # a complete exporter config (--config.file)
    "config fragment",  # some top-level keys of an exporter config, checked merged into {}
    "web-config",  # --web.config.file
    "helm-values",  # values for helm/codedeploy-exporter
    "prometheus",  # prometheus.yml
    "prometheus-rules",  # a rule file
    "alertmanager",  # alertmanager.yml
    "cloudformation",  # a CloudFormation template
    "kubernetes",  # Kubernetes objects
)
SHELL_LANGUAGES = frozenset({"sh", "shell", "bash", "console", "shell-session"})
_LANGUAGE_ALIASES = {"yml": "yaml"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
MAY_BE_EMPTY = re.compile(r"^#\s*may be empty:\s*(?P<why>\S.*)$")


class SnippetError(ValueError):
    """A doc that breaks the conventions above; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class Block:
    """One fenced code block. ``line`` is the line of its first content line (1-based)."""

    path: str
    line: int
    language: str  # first word of the info string, lower case, aliases resolved; "" if none
    text: str  # the content, with the fence's indentation removed
    heading: str  # the nearest heading above the block ("" before the first)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def lines(self) -> list[tuple[int, str]]:
        """(line number in the file, text) of each content line."""
        return [(self.line + i, text) for i, text in enumerate(self.text.split("\n"))]


def fenced_blocks(path: str, text: str) -> list[Block]:
    """Every fenced code block of a Markdown text, in order."""
    blocks: list[Block] = []
    heading = ""
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            title = _HEADING.match(lines[index])
            if title:
                heading = title.group("title")
            index += 1
            continue
        fence, indent = opening.group("fence"), len(opening.group("indent"))
        if fence[0] == "`" and "`" in opening.group("info"):
            index += 1  # an inline code span such as ```x``` is not a fence (CommonMark)
            continue
        words = opening.group("info").split()
        language = words[0].lower() if words else ""
        language = _LANGUAGE_ALIASES.get(language, language)
        body: list[str] = []
        opened_at = index + 1
        index += 1
        while True:
            if index >= len(lines):
                raise SnippetError(f"{path}:{opened_at}: code block is never closed")
            closing = re.match(r"^[ \t]*(`{3,}|~{3,})[ \t]*$", lines[index])
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                break
            line = lines[index]
            # Content is indented like its fence (a list item's block): remove that much.
            strip = min(indent, len(line) - len(line.lstrip(" ")))
            body.append(line[strip:])
            index += 1
        start = index - len(body) + 1  # 1-based line of the first content line
        blocks.append(Block(path, start, language, "\n".join(body), heading))
        index += 1
    return blocks


# ---- PromQL --------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    path: str
    line: int
    expr: str
    may_be_empty: str | None  # why it is empty on the demo, when marked

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def promql_queries(block: Block) -> list[Query]:
    """The queries of a promql block: an unindented line plus the indented lines after it.

    A line starting with a closing bracket (the ``)`` of ``sum by (x) (`` ... ``)``) also
    continues the query above it.
    """
    queries: list[Query] = []
    current: list[str] = []
    start, marked, previous_comment = 0, None, None

    def finish() -> None:
        if current:
            queries.append(Query(block.path, start, "\n".join(current), marked))
            current.clear()

    for number, line in block.lines():
        if not line.strip():
            finish()
            previous_comment = None
        elif line[0] in " \t" or (current and line[0] in ")]}"):
            # A closing bracket at the margin ends a multi-line call: it still belongs to it.
            if not current:
                raise SnippetError(
                    f"{block.path}:{number}: indented PromQL line that continues "
                    "no query (a query starts with an unindented line)"
                )
            current.append(line)
        elif line.startswith("#"):
            finish()
            previous_comment = line
        else:
            finish()
            mark = MAY_BE_EMPTY.match(previous_comment or "")
            start, marked = number, (mark.group("why") if mark else None)
            current.append(line)
            previous_comment = None
    finish()
    return queries


# ---- YAML ----------------------------------------------------------------------------


def yaml_kind(block: Block) -> str:
    """The kind named by the block's first line (``# kind`` or ``# kind: note``)."""
    first = block.text.split("\n", 1)[0].strip()
    named = first[1:].strip() if first.startswith("#") else None
    if named is not None:
        for kind in sorted(YAML_KINDS, key=len, reverse=True):  # "config fragment" before "config"
            if named == kind or named.startswith((kind + ":", kind + " (")):
                return kind
    raise SnippetError(
        f"{block.where}: a yaml block must start with a comment naming its kind, one of "
        f"{', '.join('# ' + k for k in YAML_KINDS)} (got {first!r})"
    )


# ---- shell ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Heredoc:
    """The body of ``cat > FILE <<'END' ... END`` in a shell block."""

    path: str
    line: int  # first line of the body
    target: str | None  # the file the command writes it to, when it says
    text: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Invocation:
    """One command line that runs the exporter, with the arguments it passes to it."""

    path: str
    line: int
    command: str  # the whole logical line, for messages
    args: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)(\w+)\2")
_OPERATORS = frozenset({"&&", "||", "|", ";", "&", ";;", "(", ")", "|&"})
_REDIRECTS = re.compile(r"^\d*(>>?|<|>&|<&|&>>?|<<<?-?)$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_IMAGE = re.compile(r"^([\w.-]+(:\d+)?/)*codedeploy-exporter(:[\w.-]+)?(@sha256:[0-9a-f]+)?$")
# `docker run` options that take no value; any other option without `=` takes the next word.
_DOCKER_BOOLEAN = frozenset(
    {
        "--rm",
        "-d",
        "--detach",
        "-i",
        "--interactive",
        "-t",
        "--tty",
        "-it",
        "-ti",
        "--init",
        "--read-only",
        "--privileged",
        "-P",
        "--publish-all",
        "--no-healthcheck",
        "--sig-proxy",
    }
)
_PYTHON = re.compile(r"^python(3(\.\d+)?)?$")


def shell_commands(block: Block) -> tuple[list[tuple[int, str]], list[Heredoc]]:
    """Logical command lines (continuations joined, prompts removed) and heredoc bodies.

    In a ``console`` block that uses ``$`` prompts, only prompted lines are commands; the rest is
    output. Without prompts every line is a command.
    """
    lines = block.lines()
    prompted = block.language in ("console", "shell-session") and any(
        text.lstrip().startswith("$ ") for _, text in lines
    )
    commands: list[tuple[int, str]] = []
    heredocs: list[Heredoc] = []
    index = 0
    while index < len(lines):
        number, text = lines[index]
        index += 1
        if prompted:
            if not text.lstrip().startswith("$ "):
                continue
            text = text.lstrip()[2:]
        logical = text
        while logical.endswith("\\") and index < len(lines):
            logical = logical[:-1] + " " + lines[index][1].strip()
            index += 1
        if not logical.strip() or logical.lstrip().startswith("#"):
            continue
        commands.append((number, logical))
        for match in _HEREDOC.finditer(logical):
            end, strip_tabs = match.group(3), bool(match.group(1))
            body: list[str] = []
            body_start = lines[index][0] if index < len(lines) else number + 1
            while index < len(lines):
                candidate = lines[index][1].lstrip("\t") if strip_tabs else lines[index][1]
                index += 1
                if candidate == end:
                    break
                body.append(candidate)
            else:
                raise SnippetError(f"{block.path}:{number}: heredoc {end} is never closed")
            target = re.search(r"(?:^|\s)>\s*(\S+)", logical[: match.start()])
            heredocs.append(Heredoc(block.path, body_start, target.group(1) if target else None, "\n".join(body)))
    return commands, heredocs


def simple_commands(command: str) -> list[list[str]]:
    """Split a shell command line into its simple commands' words (redirections dropped)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    result: list[list[str]] = [[]]
    skip_next = False
    for token in lexer:
        if skip_next:
            skip_next = False
        elif token in _OPERATORS:
            result.append([])
        elif _REDIRECTS.match(token):
            skip_next = True  # the file or delimiter after a redirection is not an argument
        else:
            result[-1].append(token)
    return [words for words in result if words]


def exporter_args(words: list[str]) -> list[str] | None:
    """The exporter's arguments if this simple command runs the exporter, else None."""
    while words and (_ASSIGNMENT.match(words[0]) or words[0] in ("sudo", "exec", "nohup", "env")):
        words = words[1:]
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    if program == "codedeploy-exporter":
        return words[1:]
    if _PYTHON.match(program) and words[1:3] == ["-m", "exporter"]:
        return words[3:]
    if program in ("docker", "podman"):
        rest = words[1:]
        if rest[:2] == ["container", "run"]:
            rest = rest[2:]
        elif rest[:1] in (["run"], ["create"]):
            rest = rest[1:]
        else:
            return None
        index = 0
        while index < len(rest) and rest[index].startswith("-"):
            takes_value = "=" not in rest[index] and rest[index] not in _DOCKER_BOOLEAN
            index += 2 if takes_value else 1
        if index < len(rest) and _IMAGE.match(rest[index]):
            return rest[index + 1 :]
    return None


_INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


def inline_invocations(path: str, text: str) -> list[Invocation]:
    """Exporter command lines written as inline code in prose (`codedeploy-exporter --once`)."""
    invocations = []
    fence: str | None = None
    for number, line in enumerate(text.split("\n"), 1):
        opening = _FENCE.match(line)
        if opening and (fence is None or opening.group("fence").startswith(fence)):
            if fence is None and "`" in opening.group("info"):
                pass  # ```x``` in prose is an inline span, not a fence
            else:
                fence = None if fence else opening.group("fence")
                continue
        if fence:
            continue
        for span in _INLINE_CODE.findall(line):
            try:
                commands = simple_commands(span)
            except ValueError:
                continue  # prose, not a command line
            for words in commands:
                args = exporter_args(words)
                if args:  # a bare `codedeploy-exporter` in prose is a name, not a command
                    invocations.append(Invocation(path, number, span, tuple(args)))
    return invocations


def exporter_invocations(block: Block) -> list[Invocation]:
    """Every command of a shell block that runs the exporter."""
    invocations = []
    for number, command in shell_commands(block)[0]:
        try:
            simple = simple_commands(command)
        except ValueError as error:  # unbalanced quotes
            raise SnippetError(f"{block.path}:{number}: cannot split shell line: {error}") from None
        for words in simple:
            args = exporter_args(words)
            if args is not None:
                invocations.append(Invocation(block.path, number, command, tuple(args)))
    return invocations
