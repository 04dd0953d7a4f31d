"""Helpers for reading expositions and faking time in tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def samples(body: bytes | str) -> dict[tuple[str, frozenset], float]:
    """Parse an exposition into {(sample name, frozenset(labels.items())): value}."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in out, f"duplicate series {key}"
            out[key] = sample.value
    return out


def value(body, name: str, **labels) -> float | None:
    """The value of the one series of `name` whose labels include `labels` (None if absent)."""
    found = [v for (n, ls), v in samples(body).items() if n == name and set(labels.items()) <= set(ls)]
    assert len(found) <= 1, f"{name}{labels} matches {len(found)} series"
    return found[0] if found else None
