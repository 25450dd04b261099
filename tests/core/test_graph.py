"""Resolution: one load order, or every reason there is none; loading collects every import failure."""
from pathlib import Path

import pytest

from core.addons.check import check_addons
from core.addons.discovery import discover
from core.addons.errors import AddonError
from core.addons.graph import auto_installs, closure, demo_order, dependents, load_order
from core.addons.registry import Registry
from core.config import load_config
from tests.core.test_manifest import write_addon

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "addons"


def graph_registry() -> Registry:
    return Registry.discover(extra_paths=[FIXTURES / "graph"], builtin=False, entry_points=False)


def test_load_order_puts_dependencies_first_and_ties_by_name():
    registry = graph_registry()
    order = registry.names
    assert order == ["graph_a", "graph_b", "graph_x", "graph_bridge", "graph_c"]
    for name, manifest in registry.manifests.items():
        for dep in manifest.depends:
            assert order.index(dep) < order.index(name)


def test_optional_dependencies_order_but_are_not_required():
    registry = graph_registry()
    assert registry["graph_x"].optional_depends == ("graph_a", "not_here")
    assert registry.names.index("graph_a") < registry.names.index("graph_x")


def test_a_cycle_is_printed_in_dependency_order():
    with pytest.raises(AddonError) as err:
        Registry.discover(extra_paths=[FIXTURES / "broken_cycle"], builtin=False, entry_points=False)
    (line,) = err.value.problems
    assert "dependency cycle:" in line and "remove one of these depends" in line
    cycle = line.split("dependency cycle: ")[1].split(";")[0].split(" → ")
    assert cycle[0] == cycle[-1] and sorted(cycle[:-1]) == ["cyc_a", "cyc_b", "cyc_c"]
    for a, b in zip(cycle, cycle[1:]):  # each arrow reads "a depends on b"
        assert {"cyc_a": "cyc_b", "cyc_b": "cyc_c", "cyc_c": "cyc_a"}[a] == b


def test_a_two_addon_cycle_reads_a_b_a(tmp_path):
    for name, dep in (("a", "b"), ("b", "a")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
        (tmp_path / name / "addon.toml").write_text(f'name = "{name}"\nversion = "1.0"\ndepends = ["{dep}"]\n')
    with pytest.raises(AddonError) as err:
        Registry.discover(extra_paths=[tmp_path], builtin=False, entry_points=False)
    assert err.value.problems[0].startswith("dependency cycle: a → b → a") or \
        err.value.problems[0].startswith("dependency cycle: b → a → b")


def test_a_missing_dependency_names_both_addons_and_where_it_looked():
    with pytest.raises(AddonError) as err:
        Registry.discover(extra_paths=[FIXTURES / "broken_missing_dep"], builtin=False, entry_points=False)
    (line,) = err.value.problems
    assert line.startswith("'needs_ghost' needs 'ghost', not found in ")
    assert "broken_missing_dep" in line and "remove it from needs_ghost's depends" in line


def test_self_dependency_and_missing_dependency_are_reported_together():
    registry = graph_registry()
    manifests = dict(registry.manifests)
    from dataclasses import replace
    manifests["graph_c"] = replace(manifests["graph_c"], depends=("graph_c", "graph_zz"))
    with pytest.raises(AddonError) as err:
        load_order(manifests)
    assert len(err.value.problems) == 2
    assert any("depends on itself" in p for p in err.value.problems)
    assert any("'graph_c' needs 'graph_zz'" in p for p in err.value.problems)


def test_closure_auto_install_and_dependents():
    manifests = graph_registry().manifests
    assert closure(manifests, ["graph_c"]) == ["graph_a", "graph_b", "graph_c"]
    assert auto_installs(manifests, {"graph_a", "graph_b"}) == {"graph_a", "graph_b"}
    assert auto_installs(manifests, {"graph_a", "graph_b", "graph_x"}) == {
        "graph_a", "graph_b", "graph_x", "graph_bridge"}
    enabled = {"graph_a", "graph_b", "graph_c", "graph_x", "graph_bridge"}
    assert dependents(manifests, "graph_a", enabled) == ["graph_b", "graph_bridge", "graph_c"]
    assert dependents(manifests, "graph_x", enabled) == ["graph_bridge"]
    assert dependents(manifests, "graph_c", enabled) == []


def test_load_collects_every_broken_import_string():
    registry = Registry.discover(extra_paths=[FIXTURES / "broken_import"], builtin=False, entry_points=False)
    with pytest.raises(AddonError) as err:
        registry.load()
    lines = err.value.problems
    assert not registry.loaded
    for field in ("provides.models = '.no_such_module'", "provides.admin = '.present:missing_attr'",
                  "provides.on_enable = 'no_such_package.mod:fn'", "events.subscribe bad_import.happened",
                  "providers courier/nowhere", "field 'schedules' 'nightly'"):
        assert sum(field in line for line in lines) == 1, (field, lines)
    assert len(lines) == 6
    for line in lines:
        assert line.startswith("bad_import: ")
        assert "fix" in line or "add " in line


def test_subscribing_to_an_undeclared_event_fails_at_load():
    registry = Registry.discover(extra_paths=[FIXTURES / "broken_event"], builtin=False, entry_points=False)
    with pytest.raises(AddonError) as err:
        registry.load()
    (line,) = err.value.problems
    assert line.startswith("bad_event: field 'events.subscribe'") and "'nobody.happened'" in line
    assert "declare it" in line


def test_a_good_graph_loads_hooks_subscribers_and_nothing_else():
    registry = graph_registry().load()
    assert registry.loaded
    hook = registry.get("graph_a", "on_enable")
    assert callable(hook) and hook.__module__ == "graph_a.hooks"
    ((addon, handler, mode, label),) = registry.subscribers["graph_a.thing_done"]
    assert (addon, mode, label) == ("graph_b", "sync", "graph_b:.handlers:on_done")
    assert handler(None, 1, x=1) == {"x": 1}
    assert registry.get("graph_c", "admin") is None
    with pytest.raises(AddonError, match="'nope' is not an addon here"):
        registry["nope"]


def test_checking_imports_twice_registers_each_subscriber_once():
    registry = graph_registry()
    assert registry.check_imports() == []
    registry.load()
    assert len(registry.subscribers["graph_a.thing_done"]) == 1


def _demo_addons(tmp_path, **tomls) -> dict:
    for name, extra in tomls.items():
        write_addon(tmp_path, name, f'name = "{name}"\nversion = "1.0"\n{extra}\n')
    return discover([str(tmp_path)], builtin=False, entry_point_group=None)


def test_demo_after_orders_demos_without_being_a_dependency(tmp_path):
    manifests = _demo_addons(tmp_path, aa_sell='demo_after = ["zz_stock", "not_installed"]', zz_stock="",
                             mm_base="", bb_user='depends = ["aa_sell"]')
    assert load_order(manifests) == ["aa_sell", "mm_base", "zz_stock", "bb_user"]  # load order untouched
    assert manifests["aa_sell"].depends == () and manifests["aa_sell"].optional_depends == ()
    assert demo_order(manifests, manifests) == ["mm_base", "zz_stock", "aa_sell", "bb_user"]
    assert demo_order(manifests, ["bb_user", "aa_sell"]) == ["aa_sell", "bb_user"]  # only what is asked
    assert closure(manifests, ["aa_sell"]) == ["aa_sell"]  # enabling it pulls nothing in


def test_a_demo_after_cycle_is_reported_and_checked(tmp_path):
    manifests = _demo_addons(tmp_path, dd_one='demo_after = ["dd_two"]', dd_two='depends = ["dd_one"]')
    with pytest.raises(AddonError) as err:
        demo_order(manifests, manifests)
    (line,) = err.value.problems
    assert "demo order cycle" in line and "dd_one" in line and "dd_two" in line and "demo_after" in line
    problems, _ = check_addons(load_config({"ADDONS_PATH": [str(tmp_path)], "DISABLE_ENTRY_POINTS": True},
                                           environ={}))
    assert any("demo order cycle" in message for _, message in problems)


def test_demo_after_itself_is_a_manifest_error(tmp_path):
    write_addon(tmp_path, "selfish", 'name = "selfish"\nversion = "1.0"\ndemo_after = ["selfish"]\n')
    with pytest.raises(AddonError) as err:
        Registry.discover(extra_paths=[tmp_path], builtin=False, entry_points=False)
    assert "demo_after" in str(err.value.problems) and "itself" in str(err.value.problems)


def test_sales_orders_its_demo_after_warehouse_without_depending_on_it():
    manifests = Registry.discover(entry_points=False).manifests
    assert "warehouse" not in manifests["sales"].depends + manifests["sales"].optional_depends
    assert manifests["sales"].demo_after == ("warehouse",)
    order = demo_order(manifests, manifests)
    assert order.index("warehouse") < order.index("sales")
