"""The exposition of one poll, family by family, with the part that no longer changes kept
compressed.

Each family's section is its header, the *live* lines (rendered or cached as plain bytes: what
may change from one poll to the next) and *sealed* members: the same family's lines of settled
deployments, kept as gzip members (exporter.exposition.segments). A gzip stream may hold many
members, and readers take them one after another (RFC 1952, section 2.2; Go's compress/gzip,
which Prometheus uses, reads them all by default): so the gzip body is composed by
concatenation, each family's header and live lines compressed once per snapshot, and the
sealed members as they are. The plain body decompresses the sealed members while it is sent.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

GZIP_BLOCK = 1 << 20  # bytes handed to zlib per call


@dataclass(frozen=True, slots=True)
class Member:
    """One gzip member and the length of the bytes it holds."""

    data: bytes
    size: int


@dataclass(frozen=True, slots=True)
class Section:
    """One family's part of the body."""

    header: bytes  # text format 0.0.4
    openmetrics_header: bytes
    live: tuple[bytes, ...]
    sealed: tuple[Member, ...] = ()


class Plain:
    """A body's plain bytes: iterated while sent (sealed members decompressed one at a time),
    with its length known beforehand for Content-Length. Iterable more than once."""

    def __init__(self, sections: Sequence[Section], tail: bytes, openmetrics: bool = False) -> None:
        self.sections, self.tail, self.openmetrics = sections, tail, openmetrics
        self.length = len(tail) + sum(
            len(s.openmetrics_header if openmetrics else s.header)
            + sum(map(len, s.live))
            + sum(m.size for m in s.sealed)
            for s in sections
        )

    def __iter__(self) -> Iterator[bytes]:
        for section in self.sections:
            yield section.openmetrics_header if self.openmetrics else section.header
            yield from section.live
            for member in section.sealed:
                yield zlib.decompress(member.data, 31)
        yield self.tail


def gzip_member(chunks: Iterable[bytes]) -> bytes:
    """``chunks`` as one gzip member."""
    # zlib releases the GIL while it compresses, and must take it back after every call: a call
    # per small chunk (thousands) waits for the GIL thousands of times while scrapers hold it.
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: the gzip container
    parts = [compressor.compress(block) for block in blocks(chunks, GZIP_BLOCK)]
    parts.append(compressor.flush())
    return b"".join(parts)


def gzipped(sections: Sequence[Section], tail: bytes, openmetrics: bool = False) -> bytes:
    """The body as one gzip stream of members: per family, its header and live lines
    compressed now, then its sealed members; the tail (the self-metrics) last."""
    members: list[bytes] = []
    for section in sections:
        members.append(gzip_member([section.openmetrics_header if openmetrics else section.header, *section.live]))
        members.extend(m.data for m in section.sealed)
    members.append(gzip_member([tail]))
    return b"".join(members)


def blocks(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The chunks joined into blocks of about `size` bytes (the last may be shorter); a
    single chunk comes back as it is, not copied."""
    block: list[bytes] = []
    length = 0
    for chunk in chunks:
        block.append(chunk)
        length += len(chunk)
        if length >= size:
            yield b"".join(block)
            block, length = [], 0
    if block:
        yield b"".join(block)
