"""Panel helpers shared by every row: placing, status colours and mappings, merged tables, time series."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import common, prometheus, timeseries
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models.dashboard import (
    DataTransformerConfig,
    DynamicConfigValue,
    GridPos,
    ValueMap,
    ValueMappingResult,
)

from tools.generate.dashboard.queries import DATASOURCE

# One colour per status, so a status reads the same in every panel.
STATUS_COLORS = {
    "Succeeded": "green",
    "Ready": "green",
    "InProgress": "blue",
    "Baking": "blue",
    "Created": "text",
    "Queued": "text",
    "Pending": "text",
    "Skipped": "text",
    "Failed": "red",
    "Stopped": "orange",
    "Unknown": "orange",
}


def _with_queries(panel: Any, queries: list[prometheus.Dataquery]) -> Any:
    # Grafana names table value columns after refIds ("Value #C"), so they follow the order.
    for i, q in enumerate(queries):
        panel = panel.with_target(q.ref_id(chr(ord("A") + i)))
    return panel


def place(
    panel: Any, title: str, description: str, queries: list[prometheus.Dataquery], grid: tuple[int, int, int, int]
) -> Any:
    x, y, w, h = grid
    panel = panel.title(title).description(description).datasource(DATASOURCE).grid_pos(GridPos(x=x, y=y, w=w, h=h))
    return _with_queries(panel, queries)


def status_mapping(codes: dict[str, int] | None = None) -> list[ValueMap]:
    """Colour status names (or their numeric codes) the same way in every panel."""
    if codes is None:
        options = {s: ValueMappingResult(color=c, index=i) for i, (s, c) in enumerate(STATUS_COLORS.items())}
    else:
        options = {
            str(code): ValueMappingResult(text=s, color=STATUS_COLORS[s], index=i)
            for i, (s, code) in enumerate(codes.items())
        }
    return [ValueMap(options=options)]


def status_column(panel: Any, field: str) -> Any:
    return panel.override_by_name(
        field,
        [
            DynamicConfigValue(id_val="mappings", value=status_mapping()),
            DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
        ],
    )


def merge_table(hide: list[str], rename: dict[str, str]) -> list[DataTransformerConfig]:
    """Join the instant queries of a table on their common labels, drop helper columns."""
    return [
        DataTransformerConfig(id_val="merge", options={}),
        DataTransformerConfig(
            id_val="organize", options={"excludeByName": {name: True for name in hide}, "renameByName": rename}
        ),
    ]


def legend_table() -> common.VizLegendOptions:
    return (
        common.VizLegendOptions()
        .display_mode(common_models.LegendDisplayMode.TABLE)  # type: ignore[arg-type]  # StrEnum: 3.11+, mypy checks 3.10
        .placement(common_models.LegendPlacement.RIGHT)
        .show_legend(True)
        .calcs(["lastNotNull"])
    )


def multi_tooltip() -> common.VizTooltipOptions:
    return (
        common.VizTooltipOptions()
        .mode(common_models.TooltipDisplayMode.MULTI)  # type: ignore[arg-type]  # StrEnum: 3.11+, mypy checks 3.10
        .sort(common_models.SortOrder.DESCENDING)
    )


def series(
    title: str,
    description: str,
    queries: list[prometheus.Dataquery],
    grid: tuple[int, int, int, int],
    unit: str,
    **extra: Any,
) -> timeseries.Panel:
    panel = place(timeseries.Panel(), title, description, queries, grid).unit(unit)
    panel = panel.legend(legend_table()).tooltip(multi_tooltip())
    if extra.get("steps"):
        panel = panel.line_interpolation(common_models.LineInterpolation.STEP_AFTER)
    if extra.get("bars"):
        panel = panel.draw_style(common_models.GraphDrawStyle.BARS).fill_opacity(60)
    if "min" in extra:
        panel = panel.min(extra["min"])
    if "max" in extra:
        panel = panel.max(extra["max"])
    if "decimals" in extra:
        panel = panel.decimals(extra["decimals"])
    return panel
