"""The README's metric reference is generated from the family table and must not drift."""

from support.paths import REPO

from exporter.exposition.families.table import FAMILIES
from tools.generate import metric_reference as reference

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_metric_reference_is_the_generated_one():
    assert reference.readme_section(README) == reference.markdown(), (
        "README.md's metric reference is stale: replace it with `python -m tools.generate.metric_reference`"
    )


def test_every_family_is_documented_once():
    section = reference.readme_section(README)
    for family in FAMILIES:
        assert section.count(f"| `{family.name}` |") == 1, family.name


def test_series_cost_of_an_instance_target_with_ten_hooks():
    # The measurement: 90 series in the full setting (today's contract).
    target = dict(reference.EXAMPLES)["EC2/on-premises instance, 10 hooks"]
    assert reference.target_cost(target, reference.FULL, polled=True, finished=False) == 90
    assert reference.target_cost(target, reference.DEFAULT, polled=False, finished=True) == 3
