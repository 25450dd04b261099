"""No import cycles between the project's own modules (core/ and addons/).

Every ``import`` and ``from ... import`` counts, at the top of a module or inside a
function: an import deferred into a function still ties the two modules together,
it only hides the cycle from Python's start-up. Imports go one way (models and pure
calculations never import services, rendering or jobs), so the graph must be acyclic.
"""
from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "addons")


def project_modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module under core/ and addons/ (migrations excluded: Alembic loads them)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name ``module`` imports (a ``from x import y`` yields x and x.y)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> the project modules it imports (a package's own parents are not edges: Python runs
    them first anyway, and a submodule importing its package's ``__init__`` is how packages work)."""
    modules = project_modules(root)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(module, path):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                targets.add(name)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a] (a imports b ...), or None when the graph is acyclic."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(reversed(exc.args[1]))  # graphlib lists it against the edges (dependency first)
    return None


def all_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One named cycle per strongly connected knot: break each, look again, until none is left."""
    graph = {m: set(t) for m, t in graph.items()}
    cycles = []
    while (cycle := find_cycle(graph)) is not None:
        cycles.append(cycle)
        graph[cycle[0]].discard(cycle[1])  # cut one edge of this cycle so the next search finds another
    return cycles


def test_the_graph_sees_the_project():
    graph = import_graph(ROOT)
    assert "core.jobs" in graph and "addons.sales.services" in graph
    assert "core.db" in graph["core.jobs"]                        # a top-level relative import
    assert "core.runtime" in graph["core.cli"]                    # an import inside a function counts too
    assert "addons.sales.services.orders" in graph["addons.sales.services"]


def test_cycles_are_found_and_named(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "core" / "low.py").write_text("def f():\n    from . import high\n")
    (tmp_path / "core" / "high.py").write_text("from core.low import f\n")
    (tmp_path / "addons" / "a.py").write_text("import addons.b\n")
    (tmp_path / "addons" / "b.py").write_text("from .c import x\n")
    (tmp_path / "addons" / "c.py").write_text("from addons import a\n")
    cycles = all_cycles(import_graph(tmp_path))
    assert sorted(sorted(set(c)) for c in cycles) == [["addons.a", "addons.b", "addons.c"],
                                                      ["core.high", "core.low"]]


def test_no_import_cycles():
    cycles = all_cycles(import_graph(ROOT))
    if cycles:
        pytest.fail(f"{len(cycles)} import cycle(s) between project modules; make lower modules stop "
                    f"importing higher ones:\n" + "\n".join("  " + " -> ".join(c) for c in cycles))
