"""The keys records are tracked by, and the small helpers every stage of a poll shares
(batching, keeping equal records, backoff)."""

from __future__ import annotations

from typing import TypeVar

from exporter.config import AwsSettings

T = TypeVar("T")
MAX_BACKOFF_INTERVALS = 16  # a bad ID is retried at most every 16 poll intervals

DeploymentKey = tuple[str, AwsSettings]
GroupRef = tuple[AwsSettings, str, str]  # aws settings, application, deployment group
TargetKey = tuple[str, str, AwsSettings]


def backoff(interval: float, failures: int) -> float:
    return interval * float(min(2 ** (failures - 1), MAX_BACKOFF_INTERVALS)) - 1e-6


def chunks(items: list[T], size: int) -> list[list[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def keep_if_equal(old: T | None, new: T) -> T:
    # Keeping the old object lets the renderer's identity check skip unchanged records.
    return old if old is not None and old == new else new
