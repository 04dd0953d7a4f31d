"""Discovery scopes (`discovery:`): placeholder until scopes land."""

from __future__ import annotations

from exporter.sources import PollContext, Wanted


class ScopesSource:
    def want(self, ctx: PollContext) -> Wanted:
        return Wanted()
