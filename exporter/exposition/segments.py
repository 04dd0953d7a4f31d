"""Settled deployments' series, kept compressed.

A settled deployment (finished, its targets frozen, its per-hook aggregates kept: see
exporter.collect.targets) renders the same lines at every poll. Such deployments are sealed in
segments of SEGMENT_SIZE: per family, the lines of a segment's deployments and their targets
are one compressed piece (exporter.exposition.body), and their plain bytes are no longer kept.

The piece size is a trade-off measured in bench/NOTES.md: a piece per deployment compresses
its few lines per family poorly, and a bigger segment costs more when it is rebuilt. A segment
is rebuilt (its deployments rendered and compressed again) when one of them changes or leaves,
which for settled deployments means their identity labels changed or `poll.retention` let the
oldest go.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

from exporter.exposition.body import Piece, Run, piece

SEGMENT_SIZE = 64  # settled deployments per segment

Encoded = Mapping[str, bytes]  # family name -> lines, as in exporter.exposition.cache


class Segment:
    __slots__ = ("keys", "members")

    def __init__(self, keys: tuple[Hashable, ...], members: dict[str, Piece]) -> None:
        self.keys = keys
        self.members = members


class Segments:
    """The sealed segments, in the order they were sealed."""

    def __init__(self, size: int = SEGMENT_SIZE) -> None:
        self.size = size
        self._segments: list[Segment] = []
        self._of: dict[Hashable, Segment] = {}
        self._runs: dict[str, Run] | None = None  # per family, until a segment comes or goes

    def __contains__(self, key: Hashable) -> bool:
        return key in self._of

    def __len__(self) -> int:
        return len(self._segments)

    def keep(self, valid: set[Hashable]) -> list[Hashable]:
        """Dissolve every segment holding a deployment not in `valid` (changed or gone);
        returns the keys of the dissolved segments' deployments that are still valid."""
        kept: list[Segment] = []
        freed: list[Hashable] = []
        for segment in self._segments:
            if all(key in valid for key in segment.keys):
                kept.append(segment)
                continue
            for key in segment.keys:
                del self._of[key]
                if key in valid:
                    freed.append(key)
        if len(kept) != len(self._segments):
            self._runs = None
        self._segments = kept
        return freed

    def seal(self, settled: Sequence[tuple[Hashable, Iterable[Encoded]]]) -> list[Hashable]:
        """Seal whole segments of `settled` (deployment key, the fragments of the deployment and
        of each of its targets), in order; returns the keys sealed. A remainder smaller than a
        segment stays unsealed (live) until more deployments settle."""
        sealed: list[Hashable] = []
        for start in range(0, len(settled) - self.size + 1, self.size):
            group = settled[start : start + self.size]
            by_family: dict[str, list[bytes]] = {}
            for _, fragments in group:
                for encoded in fragments:
                    for name, data in encoded.items():
                        by_family.setdefault(name, []).append(data)
            members = {name: piece(pieces) for name, pieces in by_family.items()}
            segment = Segment(tuple(key for key, _ in group), members)
            self._segments.append(segment)
            for key in segment.keys:
                self._of[key] = segment
            sealed.extend(segment.keys)
            self._runs = None
        return sealed

    def runs(self) -> dict[str, Run]:
        """Per family, the pieces of every segment in order, their CRC combined once."""
        if self._runs is None:
            pieces: dict[str, list[Piece]] = {}
            for segment in self._segments:
                for name, part in segment.members.items():
                    pieces.setdefault(name, []).append(part)
            self._runs = {name: Run.of(parts) for name, parts in pieces.items()}
        return self._runs
