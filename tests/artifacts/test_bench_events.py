"""`python -m bench --events` at a tiny size: it runs the real command line, counts what a change
costs, and writes only its own section of the benchmarks document."""

from __future__ import annotations

from bench import events


def test_event_driven_change_costs_only_its_deployments_refresh():
    result = events.run(targets=50, changes=3, off_changes=3, off_interval=3.0)
    on, off = result["with_events"], result["without_events"]
    assert on["latency"]["n"] == 3 and off["latency"]["n"] == 3
    # Each change: its deployment read, its target list, its one batch of 25 targets. Nothing else.
    assert on["cost_per_change"] == {
        '{"BatchGetDeploymentTargets": 1, "BatchGetDeployments": 1, "ListDeploymentTargets": 1}': 3
    }
    assert on["other_deployments_touched"] == 0
    assert on["extra_batch_get_deployments"] == 0  # no poll ran in between (interval 5m)
    section = events.markdown(result, "python -m bench --events")
    assert section.startswith(events.BEGIN) and section.endswith(events.END)


def test_events_section_is_replaced_in_place_and_kept_by_other_runs():
    document = "# Benchmarks\n\nintro\n\n" + events.BEGIN + "\nold\n" + events.END + "\n\n## Tier 100\n"
    updated = events.splice(document, events.BEGIN + "\nnew\n" + events.END)
    assert updated == "# Benchmarks\n\nintro\n\n" + events.BEGIN + "\nnew\n" + events.END + "\n\n## Tier 100\n"
    assert events.existing_section(updated) == events.BEGIN + "\nnew\n" + events.END
    assert events.splice("# Benchmarks\n", "S") == "# Benchmarks\n\nS\n"
