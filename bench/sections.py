"""A benchmark's generated section of docs/benchmarks.md, between its two marker comments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    begin: str  # the marker comment that opens the section
    end: str  # and the one that closes it

    def of(self, document: str) -> str:
        """The section in `document`, markers included ("" when it has none)."""
        start, end = document.find(self.begin), document.find(self.end)
        return document[start : end + len(self.end)] if start >= 0 and end >= 0 else ""

    def splice(self, document: str, section: str) -> str:
        """`document` with its section replaced by `section` (appended when it has none)."""
        start, end = document.find(self.begin), document.find(self.end)
        if start >= 0 and end >= 0:
            return document[:start] + section + document[end + len(self.end) :]
        return document.rstrip("\n") + "\n\n" + section + "\n"
