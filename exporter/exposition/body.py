"""The exposition of one poll, family by family, with the part that no longer changes kept
compressed.

Each family's section is its header, the *live* lines (rendered or cached as plain bytes: what
may change from one poll to the next) and *sealed* pieces: the same family's lines of settled
deployments, kept compressed (exporter.exposition.segments).

The gzip body is one gzip member whose deflate stream is the pieces' streams concatenated. Each
piece is compressed on its own (it refers to no byte before it) and ends with a sync flush, on
a byte boundary and without a final block (RFC 1951), so pieces join in any order; the body
ends with an empty final block, and its CRC-32 is combined from the pieces' CRCs. One member,
not many: a gzip stream may hold several (RFC 1952, 2.2) and Go's reader, which Prometheus uses,
reads them all, but curl `--compressed` and other zlib-based clients stop after the first.
The plain body decompresses the sealed pieces while it is sent.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

GZIP_BLOCK = 1 << 20  # bytes handed to zlib per call
LEVEL = 6
# ID1 ID2, deflate, no flags, no mtime, no extra flags, OS unknown (RFC 1952, 2.3)
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_FINAL_BLOCK = zlib.compressobj(LEVEL, zlib.DEFLATED, -15).flush()  # an empty final block


@dataclass(frozen=True, slots=True)
class Piece:
    """Bytes compressed on their own into a raw deflate stream that can be joined to others:
    the stream, the CRC-32 and the length of the bytes it holds."""

    data: bytes
    crc: int
    size: int

    def plain(self) -> bytes:
        return zlib.decompressobj(-15).decompress(self.data)


@dataclass(frozen=True, slots=True)
class Run:
    """Pieces in the order they are joined, with the CRC-32 and length of all they hold, made
    once for as long as the pieces stay (not at every snapshot)."""

    pieces: tuple[Piece, ...] = ()
    crc: int = 0
    size: int = 0

    @classmethod
    def of(cls, pieces: Iterable[Piece]) -> Run:
        crc, size, kept = 0, 0, tuple(pieces)
        for part in kept:
            crc, size = crc32_combine(crc, part.crc, part.size), size + part.size
        return cls(kept, crc, size)

    def __len__(self) -> int:
        return len(self.pieces)


@dataclass(frozen=True, slots=True)
class Section:
    """One family's part of the body."""

    header: bytes  # text format 0.0.4
    openmetrics_header: bytes
    live: tuple[bytes, ...]
    sealed: Run = Run()


def piece(chunks: Iterable[bytes]) -> Piece:
    """``chunks`` compressed into a joinable piece."""
    # zlib releases the GIL while it compresses, and must take it back after every call: a call
    # per small chunk (thousands) waits for the GIL thousands of times while scrapers hold it.
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)  # -15: raw deflate, no container
    parts, crc, size = [], 0, 0
    for block in blocks(chunks, GZIP_BLOCK):
        parts.append(compressor.compress(block))
        crc, size = zlib.crc32(block, crc), size + len(block)
    parts.append(compressor.flush(zlib.Z_SYNC_FLUSH))  # byte-aligned, not final: joinable
    return Piece(b"".join(parts), crc, size)


class Plain:
    """A body's plain bytes: iterated while sent (sealed pieces decompressed one at a time),
    with its length known beforehand for Content-Length. Iterable more than once."""

    def __init__(self, sections: Sequence[Section], tail: bytes, openmetrics: bool = False) -> None:
        self.sections, self.tail, self.openmetrics = sections, tail, openmetrics
        headers = sum(len(s.openmetrics_header if openmetrics else s.header) for s in sections)
        lines = sum(sum(map(len, s.live)) + s.sealed.size for s in sections)
        self.length = len(tail) + headers + lines

    def __iter__(self) -> Iterator[bytes]:
        for section in self.sections:
            yield section.openmetrics_header if self.openmetrics else section.header
            yield from section.live
            for sealed in section.sealed.pieces:
                yield sealed.plain()
        yield self.tail


def gzipped(sections: Sequence[Section], tail: bytes, openmetrics: bool = False) -> bytes:
    """The body as one gzip member: per family, its header and live lines compressed now, then
    its sealed pieces as they are; the tail (the self-metrics) last."""
    streams: list[bytes] = [_GZIP_HEADER]
    crc, size = 0, 0
    for section in sections:
        header = section.openmetrics_header if openmetrics else section.header
        live = piece([header, *section.live])
        streams.append(live.data)
        streams.extend(part.data for part in section.sealed.pieces)
        for part in (live, section.sealed):
            crc, size = crc32_combine(crc, part.crc, part.size), size + part.size
    last = piece([tail])
    crc, size = crc32_combine(crc, last.crc, last.size), size + last.size
    streams += [last.data, _FINAL_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
    return b"".join(streams)


# ---- CRC-32 of joined pieces ----------------------------------------------------------------
# zlib's crc32_combine, which Python's zlib module does not expose: the CRC of A+B from CRC(A),
# CRC(B) and len(B), by multiplying CRC(A) by x^(8 len(B)) modulo the CRC polynomial, in the
# reflected bit order zlib uses (the method of zlib 1.2.12's crc32.c).
_POLY = 0xEDB88320


def _multmodp(a: int, b: int) -> int:
    """a * b modulo the CRC polynomial."""
    m, product = 1 << 31, 0
    while True:
        if a & m:
            product ^= b
            if a & (m - 1) == 0:
                break
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


def _powers() -> list[int]:
    """x^(2^n) modulo the polynomial, for n in 0..31."""
    out, p = [], 1 << 30  # x^1
    for _ in range(32):
        out.append(p)
        p = _multmodp(p, p)
    return out


_X2N = _powers()


def _x8nmodp(n: int) -> int:
    """x^(8 n) modulo the polynomial: n zero bytes' effect on a CRC."""
    p, k = 1 << 31, 3  # x^0; 8 n = n * 2^3
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return p


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A+B from crc1 = CRC(A), crc2 = CRC(B) and len2 = len(B)."""
    return _multmodp(_x8nmodp(len2), crc1) ^ crc2


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
