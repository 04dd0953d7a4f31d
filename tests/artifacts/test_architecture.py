"""The package order of ARCHITECTURE.md, enforced: a module imports only from its own unit or
from units of lower layers (read from the source with `ast`, TYPE_CHECKING imports included),
so no import circle and no arrow back up can come back unnoticed."""

from __future__ import annotations

import ast
from pathlib import Path

from support.paths import REPO

ROOT = REPO
PACKAGE = ROOT / "exporter"

# Bottom to top, as ARCHITECTURE.md draws them. A unit is a module or a package.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("exporter", "exporter.model", "exporter.config", "exporter.workers", "exporter.liveness"),
    ("exporter.log",),
    ("exporter.exposition",),
    ("exporter.aws",),
    ("exporter.collect",),
    ("exporter.app",),
    ("exporter.http", "exporter.events"),
    ("exporter.service", "exporter.demo"),
    ("exporter.cli",),
    ("exporter.__main__",),
)
INDEPENDENT = "exporter.simulator"  # mirrors AWS: imports nothing of the exporter


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> list[tuple[str, Path]]:
    return [(module_name(p), p) for p in sorted(PACKAGE.rglob("*.py"))]


def imports(name: str, path: Path) -> set[str]:
    """The exporter modules (or names in them) a file imports, relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module.split(".")[0] == "exporter":
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "exporter")
    return found


def unit(name: str) -> str | None:
    """The declared unit a module (or a name in it) belongs to."""
    declared = [u for layer in LAYERS for u in layer] + [INDEPENDENT]
    matches = [u for u in declared if name == u or name.startswith(u + ".")]
    return max(matches, key=len) if matches else None


def layer(unit_name: str) -> int:
    return next(i for i, units in enumerate(LAYERS) if unit_name in units)


def violations(modules: list[tuple[str, Path]]) -> list[str]:
    found = []
    for name, path in modules:
        source = unit(name)
        assert source is not None, f"{name} belongs to no unit of ARCHITECTURE.md"
        for imported in sorted(imports(name, path)):
            target = unit(imported)
            if target is None or target == source:
                continue
            if INDEPENDENT in (source, target) and source != "exporter.demo":
                found.append(f"{name} imports {imported}: the simulator stands alone")
            elif target != INDEPENDENT and layer(target) >= layer(source):
                found.append(f"{name} (layer {layer(source)}) imports {imported} (layer {layer(target)})")
    return found


def test_every_module_belongs_to_a_declared_unit():
    modules = package_modules()
    assert len(modules) > 50  # the walk found the package
    assert [name for name, _ in modules if unit(name) is None] == []


def test_no_module_imports_its_own_layer_or_one_above():
    assert violations(package_modules()) == []


def test_the_check_sees_an_arrow_back_up(tmp_path):
    # The renderer importing the app, in a copy of cache.py.
    wrong = tmp_path / "cache.py"
    cache = PACKAGE / "exposition" / "cache.py"
    wrong.write_text(cache.read_text(encoding="utf-8") + "\nfrom exporter.app import Exporter\n", encoding="utf-8")
    modules = [(n, wrong if p == cache else p) for n, p in package_modules()]
    assert violations(modules) == [
        "exporter.exposition.cache (layer 2) imports exporter.app (layer 5)",
        "exporter.exposition.cache (layer 2) imports exporter.app.Exporter (layer 5)",
    ]


def test_architecture_md_draws_the_layers_this_test_enforces():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    drawn = [
        tuple(part.strip(" `") for part in line.split(":", 1)[1].split(","))
        for line in text.splitlines()
        if line.startswith("- layer ")
    ]
    assert drawn == list(reversed(LAYERS)), "ARCHITECTURE.md lists the layers top to bottom"
