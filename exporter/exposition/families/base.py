"""What a metric family is: its type, help, unit, level (which fixes its identity labels), its
own labels and, for the families rendered from poll records, the function that yields its
samples for one object.

Sample functions yield ``(labels, value)``: ``labels`` is the family's own labels already
rendered (``'status="Failed"'``, or ``""``), the identity labels of the level are prepended by
the renderer. Summaries and histograms yield ``(suffix, labels, value)``. For example, a failed
EC2 target:

    codedeploy_target_status{account_id="123456789012",region="eu-west-1",application="web",
                             deployment_group="prod",deployment_id="d-1",target_id="i-0abc",
                             status="Failed"} 1
    codedeploy_deployment_lifecycle_event_targets{...,deployment_id="d-1",
                             lifecycle_event="Install",status="Succeeded"} 99
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

# Identity labels of each level, in the order they are rendered.
# account_id and region first: the identity reads from the widest scope to the narrowest.
DEPLOYMENT_LABELS = ("account_id", "region", "application", "deployment_group", "deployment_id")
TARGET_LABELS = (*DEPLOYMENT_LABELS, "target_id")
GROUP_LABELS = ("account_id", "region", "application", "deployment_group")
LEVEL_LABELS: dict[str, tuple[str, ...]] = {
    "deployment group": GROUP_LABELS,
    "deployment": DEPLOYMENT_LABELS,
    "deployment lifecycle event": (*DEPLOYMENT_LABELS, "lifecycle_event"),
    "target": TARGET_LABELS,
    "lifecycle event": (*TARGET_LABELS, "lifecycle_event"),
    "task set": (*TARGET_LABELS, "task_set_id", "task_set_label"),
    "exporter": (),
}

STATUS = ("status",)  # a status set's own label

Sample = tuple[str, float]  # (the family's own labels, rendered; value)
SuffixedSample = tuple[str, str, float]  # summaries and histograms: (suffix, labels, value)
PlainSamples = Callable[[Any], Iterable[Sample]]
SuffixedSamples = Callable[[Any], Iterable[SuffixedSample]]


class SparseSamples(Protocol):
    """A status set's samples: the renderer binds ``sparse`` (Family.sparse) once per plan."""

    def __call__(self, obj: Any, /, sparse: bool) -> Iterable[Sample]: ...


# Which of the three a family has follows from its type (summary, histogram) and `sparse`.
Samples = PlainSamples | SuffixedSamples | SparseSamples


@dataclass(frozen=True)
class Family:
    name: str
    type: str  # gauge | counter | histogram | summary (the text format's types)
    help: str
    level: str  # a key of LEVEL_LABELS
    labels: tuple[str, ...] = ()  # the family's own labels, after the level's
    unit: str = ""  # OpenMetrics UNIT; only set where the name ends in _<unit>
    value: str = ""  # what the value is, for the README
    samples: Samples | None = None  # None: an instrument of exporter.exposition.self_metrics
    status_set: tuple[str, ...] = ()  # known values of a status set, for the README
    sparse: bool = False  # a status set that sparse_status reduces to its current value

    @property
    def header(self) -> str:
        return f"# HELP {self.name} {self.help}\n# TYPE {self.name} {self.type}\n"

    @property
    def openmetrics_header(self) -> str:
        kind = self.type
        name = self.name[: -len("_total")] if kind == "counter" else self.name
        unit = f"# UNIT {name} {self.unit}\n" if self.unit else ""
        return f"# HELP {name} {self.help}\n# TYPE {name} {kind}\n{unit}"

    def label_names(self) -> tuple[str, ...]:
        return LEVEL_LABELS[self.level] + self.labels
