"""The cardinality settings (config `metrics`): which families, and which series of them, are
rendered. The renderer (exporter.exposition.cache) and the self-metrics apply it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from exporter.exposition.families.base import Family, Level
from exporter.exposition.families.table import FAMILIES

if TYPE_CHECKING:
    from exporter.config import MetricsSettings

# prometheus-client's process collector (process_cpu_seconds_total, process_resident_memory_bytes,
# ...) is served too; its families are the library's, documented there.
PROCESS_PREFIX = "process_"


@dataclass(frozen=True)
class Selection:
    """The cardinality settings: which families and which series of them are rendered."""

    sparse_status: bool = True
    lifecycle_events: Literal["active", "all"] = "active"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    enabled: frozenset[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        include = [re.compile(p) for p in self.include]
        exclude = [re.compile(p) for p in self.exclude]
        names = {f.name for f in FAMILIES}
        object.__setattr__(
            self,
            "enabled",
            frozenset(
                name
                for name in names
                if (not include or any(p.fullmatch(name) for p in include))
                and not any(p.fullmatch(name) for p in exclude)
            ),
        )

    @classmethod
    def of(cls, metrics: MetricsSettings) -> Selection:
        """From the config's metrics settings."""
        return cls(metrics.sparse_status, metrics.lifecycle_events, tuple(metrics.include), tuple(metrics.exclude))

    def wants(self, name: str) -> bool:
        """Whether a family (or a process_* family of prometheus-client) is exported."""
        return name in self.enabled or (name.startswith(PROCESS_PREFIX) and self._process_wanted(name))

    def _process_wanted(self, name: str) -> bool:
        return (not self.include or any(re.fullmatch(p, name) for p in self.include)) and not any(
            re.fullmatch(p, name) for p in self.exclude
        )

    def families(self, level: Level) -> tuple[Family, ...]:
        return tuple(f for f in FAMILIES if f.level == level and f.name in self.enabled)


FULL = Selection(sparse_status=False, lifecycle_events="all")  # today's contract, every series
