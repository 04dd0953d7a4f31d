"""What a metric family is: its type, help, unit, level (which fixes its identity labels), its
own labels and, for the families rendered from poll records, the function that yields its
samples for one object. Also the one function that renders an object's identity labels.

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

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, Protocol

from exporter.exposition.text import escape


class Level(Enum):
    """The kind of object a family describes, which fixes its identity labels (LEVEL_LABELS)."""

    ACCOUNT = "account"
    DEPLOYMENT_GROUP = "deployment group"
    DEPLOYMENT = "deployment"
    DEPLOYMENT_LIFECYCLE_EVENT = "deployment lifecycle event"  # aggregates over the deployment's targets
    TARGET = "target"
    LIFECYCLE_EVENT = "lifecycle event"  # of one target
    TASK_SET = "task set"
    EXPORTER = "exporter"


# Identity labels of each level, in the order they are rendered.
# account_id and region first: the identity reads from the widest scope to the narrowest.
DEPLOYMENT_LABELS = ("account_id", "region", "application", "deployment_group", "deployment_id")
TARGET_LABELS = (*DEPLOYMENT_LABELS, "target_id")
GROUP_LABELS = ("account_id", "region", "application", "deployment_group")
LEVEL_LABELS: dict[Level, tuple[str, ...]] = {
    Level.ACCOUNT: ("account_id",),
    Level.DEPLOYMENT_GROUP: GROUP_LABELS,
    Level.DEPLOYMENT: DEPLOYMENT_LABELS,
    Level.DEPLOYMENT_LIFECYCLE_EVENT: (*DEPLOYMENT_LABELS, "lifecycle_event"),
    Level.TARGET: TARGET_LABELS,
    Level.LIFECYCLE_EVENT: (*TARGET_LABELS, "lifecycle_event"),
    Level.TASK_SET: (*TARGET_LABELS, "task_set_id", "task_set_label"),
    Level.EXPORTER: (),
}
# Levels whose objects belong to an object of another level and extend its identity: a target's
# lifecycle event is rendered as the target's prefix plus lifecycle_event.
OUTER: dict[Level, Level] = {
    Level.DEPLOYMENT_LIFECYCLE_EVENT: Level.DEPLOYMENT,
    Level.LIFECYCLE_EVENT: Level.TARGET,
    Level.TASK_SET: Level.TARGET,
}
_ADDED = {level: LEVEL_LABELS[level][len(LEVEL_LABELS[outer]) :] for level, outer in OUTER.items()}


def identity_prefix(level: Level, *values: str) -> str:
    """An object's identity labels, rendered: ``values`` named by LEVEL_LABELS[level], in its
    order, so that no renderer spells the labels out again."""
    names = LEVEL_LABELS[level]
    if len(values) != len(names):
        raise ValueError(f"{level}: {len(values)} values for the identity labels {names}")
    return ",".join([f'{name}="{escape(value)}"' for name, value in zip(names, values, strict=True)])


def nested_prefix(level: Level) -> Callable[..., str]:
    """For a level nested in another (see OUTER): a function of the outer object's rendered
    prefix and the values of the labels the level adds. Built once per level: it runs for
    every lifecycle event of every target rendered, so it is one f-string per call."""
    names = _ADDED[level]
    if len(names) == 1:
        head = f',{names[0]}="'

        def one(outer: str, value: str) -> str:
            return f'{outer}{head}{escape(value)}"'

        return one

    def several(outer: str, *values: str) -> str:
        if len(values) != len(names):
            raise ValueError(f"{level}: {len(values)} values for the labels it adds, {names}")
        return ",".join([outer, *(f'{name}="{escape(value)}"' for name, value in zip(names, values, strict=True))])

    return several


STATUS = ("status",)  # a status set's own label

Sample = tuple[str, float]  # (the family's own labels, rendered; value)
SuffixedSample = tuple[str, str, float]  # summaries and histograms: (suffix, labels, value)
PlainSamples = Callable[[Any], Iterable[Sample]]
SuffixedSamples = Callable[[Any], Iterable[SuffixedSample]]


class CumulativeHistogram(Protocol):
    """What a histogram family renders: cumulative counts per bound (+Inf aside), sum, count."""

    @property
    def buckets(self) -> tuple[int, ...]: ...
    @property
    def sum(self) -> float: ...
    @property
    def count(self) -> int: ...


def le_values(bounds: Sequence[float]) -> tuple[str, ...]:
    """The `le` label values of bucket bounds (whole numbers without a decimal point), then +Inf;
    made once per family, not per sample."""
    return (*(str(int(b)) if b == int(b) else repr(b) for b in bounds), "+Inf")


def bucket_samples(own: str, les: tuple[str, ...], cumulative: Iterable[float]) -> Iterator[SuffixedSample]:
    """`_bucket` samples of one labelled histogram: a cumulative count per `les` value, +Inf last
    (a gauge histogram's whole exposition: its +Inf bucket is the count)."""
    prefix = f"{own}," if own else ""
    for le, count in zip(les, cumulative, strict=True):
        yield "_bucket", f'{prefix}le="{le}"', count


def histogram_samples(own: str, les: tuple[str, ...], histogram: CumulativeHistogram) -> Iterator[SuffixedSample]:
    """A classic histogram's samples: the buckets, +Inf being the count, then `_sum` and `_count`."""
    yield from bucket_samples(own, les, (*histogram.buckets, histogram.count))
    yield "_sum", own, histogram.sum
    yield "_count", own, histogram.count


class SparseSamples(Protocol):
    """A status set's samples: the renderer binds ``sparse`` (Family.sparse) once per plan."""

    def __call__(self, obj: Any, /, sparse: bool) -> Iterable[Sample]: ...


# Which of the three a family has follows from its type (summary, histogram) and `sparse`.
Samples = PlainSamples | SuffixedSamples | SparseSamples

# The text format's TYPE, as written; a gauge histogram (OpenMetrics' own type: buckets of a set
# that may shrink, `_gcount` and `_gsum`) is written `histogram` in the 0.0.4 format, which has
# no such type, as prometheus-client writes it.
FamilyType = Literal["gauge", "counter", "histogram", "summary", "gaugehistogram"]
SUFFIXED_TYPES = frozenset({"histogram", "summary", "gaugehistogram"})  # samples name their suffix


Stability = Literal["stable", "experimental"]


@dataclass(frozen=True)
class Family:
    name: str
    type: FamilyType
    help: str
    level: Level
    labels: tuple[str, ...] = ()  # the family's own labels, after the level's
    unit: str = ""  # OpenMetrics UNIT; only set where the name ends in _<unit>
    value: str = ""  # what the value is, for the README
    samples: Samples | None = None  # None: an instrument of exporter.exposition.self_metrics
    status_set: tuple[str, ...] = ()  # known values of a status set, for the README
    sparse: bool = False  # a status set that sparse_status reduces to its current value
    # "stable": renamed, removed or changed in meaning only in a major version (README, Stability);
    # "experimental": may change in a minor version, said in CHANGELOG.md.
    stability: Stability = "stable"
    # Labels the config names (metrics.group_tags), each starting with this prefix, after `labels`.
    open_labels: str = ""

    @property
    def header(self) -> str:
        kind = "histogram" if self.type == "gaugehistogram" else self.type
        return f"# HELP {self.name} {self.help}\n# TYPE {self.name} {kind}\n"

    @property
    def openmetrics_header(self) -> str:
        kind = self.type
        name = self.name[: -len("_total")] if kind == "counter" else self.name
        unit = f"# UNIT {name} {self.unit}\n" if self.unit else ""
        return f"# HELP {name} {self.help}\n# TYPE {name} {kind}\n{unit}"

    def label_names(self) -> tuple[str, ...]:
        return LEVEL_LABELS[self.level] + self.labels
