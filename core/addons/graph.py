"""Dependency resolution: one load order, or every reason there is none."""
from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from .errors import AddonError
from .manifest import Manifest


def load_order(manifests: dict[str, Manifest]) -> list[str]:
    """Topologically sort addons (dependencies first, ties by name)."""
    problems = []
    for name, manifest in sorted(manifests.items()):
        for dep in manifest.depends:
            if dep not in manifests:
                where = ", ".join(sorted({str(m.path.parent) for m in manifests.values()})) or "no addon folder"
                problems.append(f"'{name}' needs '{dep}', not found in {where}; install '{dep}' "
                                f"or remove it from {name}'s depends")
        if name in manifest.depends:
            problems.append(f"'{name}' depends on itself; remove it from its depends")
    graph = {name: {d for d in m.depends + m.optional_depends if d in manifests and d != name}
             for name, m in manifests.items()}
    sorter = TopologicalSorter()
    for name in sorted(graph):
        sorter.add(name, *sorted(graph[name]))
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = list(reversed(exc.args[1]))
        problems.append(f"dependency cycle: {' → '.join(cycle)}; remove one of these depends")
    if problems:
        raise AddonError(problems)
    order = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order


def demo_order(manifests: dict[str, Manifest], names) -> list[str]:
    """The order in which the demos of ``names`` run: load order, except that an addon's
    demo waits for the demos of the addons in its ``demo_after`` that are present.

    ``demo_after`` orders demo data only (sales' demo orders want warehouse's demo
    stock): it does not make an addon load, enable or import after another, so it
    is no fake dependency. A cycle through it is reported like a dependency cycle.
    """
    order = load_order(manifests)
    position = {name: i for i, name in enumerate(order)}
    sorter = TopologicalSorter()
    for name in order:
        m = manifests[name]
        before = (*m.depends, *m.optional_depends, *m.demo_after)
        sorter.add(name, *(d for d in before if d in position and d != name))
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = list(reversed(exc.args[1]))
        raise AddonError([f"demo order cycle: {' → '.join(cycle)}; remove one of these demo_after "
                          f"(or the dependency it contradicts)"]) from None
    wanted, out = set(names), []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        out.extend(n for n in ready if n in wanted)
        sorter.done(*ready)
    return out


def closure(manifests: dict[str, Manifest], names, *, include_auto: set | None = None) -> list[str]:
    """``names`` plus everything they depend on, in no particular order."""
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(manifests[name].depends)
    return sorted(seen)


def auto_installs(manifests: dict[str, Manifest], enabled: set[str]) -> set[str]:
    """Bridges whose dependencies are all enabled (repeated until nothing changes)."""
    enabled = set(enabled)
    changed = True
    while changed:
        changed = False
        for name, m in manifests.items():
            if m.auto_install and name not in enabled and m.depends and set(m.depends) <= enabled:
                enabled.add(name)
                changed = True
    return enabled


def dependents(manifests: dict[str, Manifest], name: str, among: set[str]) -> list[str]:
    """Addons in ``among`` that need ``name`` directly or through others."""
    out = set()
    changed = True
    while changed:
        changed = False
        for other in among:
            if other not in out and other != name and (
                    name in manifests[other].depends or out & set(manifests[other].depends)):
                out.add(other)
                changed = True
    return sorted(out)
