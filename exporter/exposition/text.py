"""The text format's pieces shared by every renderer: label escaping, label pairs, status sets,
sample values and the two content types."""

from __future__ import annotations

import math
from collections.abc import Iterator

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def escape(value: str) -> str:
    """Escape a label value for the text format (and OpenMetrics, which escapes the same)."""
    if "\\" in value or '"' in value or "\n" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def label_pairs(**labels: str) -> str:
    return ",".join(f'{name}="{escape(value)}"' for name, value in labels.items())


def status_set(current: str, known: tuple[str, ...], sparse: bool) -> Iterator[tuple[str, int]]:
    """kube-state-metrics' status set: one series per known value, or only the current one."""
    if sparse:
        if current:
            yield f'status="{escape(current)}"', 1
        return
    for status in known:
        yield f'status="{status}"', 1 if status == current else 0
    if current and current not in known:
        # A value newer than botocore's enum: export it rather than hide it.
        yield f'status="{escape(current)}"', 1


def fmt(value: float) -> str:
    if isinstance(value, int):
        return str(int(value)) if isinstance(value, bool) else str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
