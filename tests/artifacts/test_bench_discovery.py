"""The discovery benchmark's report section is spliced into docs/benchmarks.md, and kept."""

from bench.discovery import BEGIN, END, section_of, splice


def test_section_is_appended_once_then_replaced_in_place():
    first = splice("# Benchmarks\n\ntier tables\n", f"{BEGIN}\nold\n{END}")
    assert first.count(BEGIN) == 1 and first.startswith("# Benchmarks")
    second = splice(first + "\ntrailer\n", f"{BEGIN}\nnew\n{END}")
    assert "old" not in second and "new" in second and second.rstrip().endswith("trailer")
    assert section_of(second) == f"{BEGIN}\nnew\n{END}"
    assert section_of("no markers") == ""
