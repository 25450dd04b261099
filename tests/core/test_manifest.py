"""Manifests and discovery: every problem named with its addon, its field and the fix."""
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from core.addons.discovery import discover
from core.addons.errors import AddonError
from core.addons.manifest import read_manifest
from core.addons.registry import Registry
from core.config import load_config

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "addons"
FIX_WORDS = ("must", "remove", "rename", "fix", "add ", "install", "write", "upgrade", "declare", "needs one")


def problems_of(*paths) -> list[str]:
    with pytest.raises(AddonError) as err:
        Registry.discover(extra_paths=list(paths), builtin=False, entry_points=False)
    return err.value.problems


def write_addon(root: Path, name: str, toml: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "addon.toml").write_text(textwrap.dedent(toml))
    return folder


def assert_actionable(lines, addon):
    for line in lines:
        assert line.startswith(addon), line
        assert any(word in line for word in FIX_WORDS), f"no fix offered: {line}"


def test_a_good_manifest_is_read_without_importing(tmp_path):
    manifest = Registry.discover(extra_paths=[FIXTURES / "graph"], builtin=False, entry_points=False)["graph_a"]
    assert manifest.version == "1.0.0" and manifest.package == "graph_a"
    assert manifest.resolve(".hooks:on_enable") == "graph_a.hooks:on_enable"
    assert manifest.resolve("pkg.mod:attr") == "pkg.mod:attr"
    assert manifest.setting("rate").default == Decimal("0.10")
    assert manifest.setting("mode").default == "safe"
    assert manifest.permissions == ("graph_a.thing.read",)
    assert manifest.publishes == ("graph_a.thing_done",)
    with pytest.raises(KeyError):
        manifest.setting("nope")


def test_invalid_fields_are_all_reported_with_the_fix():
    lines = problems_of(FIXTURES / "broken_field")
    assert_actionable(lines, "bad_field")
    for field in ("'version'", "'depends'", "'auto_install'", "'requires_core'", "'permissions'",
                  "'provides.models'", "'settings.colour.type'", "'settings.limit.default'",
                  "'settings.level.choices'"):
        assert sum(field in line for line in lines) == 1, (field, lines)
    assert len(lines) == 9


def test_unknown_keys_are_errors():
    lines = problems_of(FIXTURES / "broken_unknown_key")
    assert_actionable(lines, "unknown_key")
    assert any("'colour' is unknown" in line for line in lines)
    assert any("'provides.widgets' is unknown" in line for line in lines)


def test_bad_cron_names_the_schedule():
    lines = problems_of(FIXTURES / "broken_cron")
    assert_actionable(lines, "bad_cron")
    assert ["schedules[0].cron" in lines[0], "schedules[1].cron" in lines[1]] == [True, True]
    assert "'61 * * * *'" in lines[0]


@pytest.mark.parametrize("expr", [
    "*/15 * * * *", "0 6 * * *", "0 2 * * 1-5", "5,35 */2 1-15/3 1,6,12 0-6", "59 23 31 12 6", "00 06 * * *",
    "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "*/0 * * * *", "* * * * 7", "5-1 * * * *",
    "0 0 L * *", "0 0 * * MON", "0 0 * * mon-fri", "@daily", "* * * *", "* * * * * *", "1-2-3 * * * *"])
def test_cron_check_without_croniter_agrees_with_croniter(expr):
    """Plain expressions are checked without importing croniter (start-up time); what the quick
    check accepts croniter accepts, and everything else is still croniter's answer."""
    from croniter import croniter
    from core.addons.manifest import _plain_cron, _valid_cron
    five = len(expr.split()) == 5
    assert _valid_cron(expr) == (five and croniter.is_valid(expr))
    if five and _plain_cron(expr):
        assert croniter.is_valid(expr)


def test_invalid_toml_and_name_mismatch():
    (line,) = problems_of(FIXTURES / "broken_toml")
    assert line.startswith("bad_toml") and "not valid TOML" in line and "line 2" in line
    (line,) = problems_of(FIXTURES / "broken_name")
    assert_actionable([line], "wrong_folder")
    assert "'other_name'" in line and "'name'" in line


def test_duplicate_names_across_folders():
    (line,) = problems_of(FIXTURES / "broken_duplicate" / "first", FIXTURES / "broken_duplicate" / "second")
    assert line.startswith("dupe: duplicate addon name")
    assert "first" in line and "second" in line and "rename" in line


@pytest.mark.parametrize("toml, field", [
    ('settings = "x"', "'settings'"),
    ('schedules = "x"', "'schedules'"),
    ('providers = {kind = "a"}', "'providers'"),
    ('[events]\nsubscribe = "x"', "'events.subscribe'"),
    ('[events]\nlisten = []', "'events'"),
    ('[settings.level]\ntype = "choice"\nchoices = "ab"', "'settings.level.choices'"),
    ('requires_core = "latest"', "'requires_core'"),
    ('[[events.subscribe]]\nevent = "x.y"\nhandler = "no_colon"', "'events.subscribe[0].handler'"),
    ('[[events.subscribe]]\nevent = "x.y"\nhandler = ".h:f"\nmode = "later"', "'events.subscribe[0].mode'"),
    ('[[providers]]\nkind = "courier"\ncode = "x"\ntarget = "not valid"', "'providers[0].target'"),
    ('[[schedules]]\nname = "n"\ncron = "0 3 * * *"', "'schedules[0]'"),
])
def test_wrong_shapes_are_reported_not_crashed_on(tmp_path, toml, field):
    write_addon(tmp_path, "shape", 'name = "shape"\nversion = "1.0"\n' + toml + "\n")
    lines = problems_of(tmp_path)
    assert_actionable(lines, "shape")
    assert any(field in line for line in lines), lines


def test_a_missing_manifest_file_is_a_problem_not_a_crash(tmp_path):
    with pytest.raises(AddonError, match="addon.toml cannot be read"):
        read_manifest(tmp_path / "ghost" / "addon.toml", "ghost")


def test_an_addon_folder_must_be_a_package(tmp_path):
    folder = write_addon(tmp_path, "nopkg", 'name = "nopkg"\nversion = "1.0"\n')
    (folder / "__init__.py").unlink()
    (line,) = problems_of(tmp_path)
    assert line.startswith("nopkg") and "__init__.py" in line


def test_addons_path_from_the_environment(tmp_path):
    write_addon(tmp_path / "extra", "envaddon", 'name = "envaddon"\nversion = "1.0"\n')
    config = load_config({"ENV": "test"}, config_dir=tmp_path, environ={"TESSERA_ADDONS_PATH": str(tmp_path / "extra"),
                                                                      "TESSERA_DISABLE_ENTRY_POINTS": "1"})
    registry = Registry.discover(config, builtin=False)
    assert registry.names == ["envaddon"]
    missing = load_config({"ENV": "test", "ADDONS_PATH": [str(tmp_path / "nowhere")]}, config_dir=tmp_path, environ={})
    with pytest.raises(AddonError, match="is not a folder"):
        Registry.discover(missing, builtin=False, entry_points=False)


def test_builtin_addons_are_discovered():
    """Whatever ships in addons/ reads cleanly (the folder may be filled by other addons)."""
    found = discover([], builtin=True, entry_point_group=None)
    for name, manifest in found.items():
        assert manifest.package == f"addons.{name}"


def make_dist(root: Path, dist: str, entries: dict):
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entries.items())
    (info / "entry_points.txt").write_text(f"[tessera.addons]\n{lines}")


def test_entry_point_addons_are_found_without_import(tmp_path, monkeypatch):
    write_addon(tmp_path, "ep_addon", 'name = "ep_addon"\nversion = "1.0"\n')
    (tmp_path / "ep_addon" / "__init__.py").write_text("raise RuntimeError('discovery must not import me')\n")
    make_dist(tmp_path, "tessera_ep_addon", {"ep_addon": "ep_addon"})
    monkeypatch.syspath_prepend(str(tmp_path))
    found = discover([], builtin=False, entry_point_group="tessera.addons")
    assert found["ep_addon"].path == tmp_path / "ep_addon"
    assert found["ep_addon"].package == "ep_addon"
    assert "ep_addon" in Registry.discover(None, builtin=False, extra_paths=[], entry_points=True)
    assert "ep_addon" not in Registry.discover(None, builtin=False, extra_paths=[], entry_points=False)


def test_an_entry_point_to_a_missing_package_is_reported(tmp_path, monkeypatch):
    make_dist(tmp_path, "tessera_ep_gone", {"gone": "not_installed_pkg.sub", "gone2": "nowhere_pkg"})
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AddonError) as err:
        discover([], builtin=False, entry_point_group="tessera.addons")
    assert len(err.value.problems) == 2
    assert all("package not found; reinstall it" in line for line in err.value.problems)


def test_label_and_dashboard_are_manifest_keys(tmp_path):
    from core.addons.check_shape import misplaced_kinds
    folder = write_addon(tmp_path, "gizmos", """
        name = "gizmos"
        label = "Gizmo lending"
        version = "1.0.0"
        [provides]
        dashboard = ".views:tiles"
    """)
    manifest = read_manifest(folder / "addon.toml", "gizmos")
    assert manifest.title == "Gizmo lending" and manifest.provides["dashboard"] == ".views:tiles"
    assert misplaced_kinds(manifest) == ["provides.dashboard = '.views:tiles': the dashboard tiles belongs in "
                                         "dashboard.py (or a dashboard/ package), not in views; move it there; "
                                         "write dashboard = '.dashboard:tiles'"]
    plain = write_addon(tmp_path, "gizmo_kit", 'name = "gizmo_kit"\nversion = "1.0.0"\n')
    assert read_manifest(plain / "addon.toml", "gizmo_kit").title == "Gizmo kit"
    bad = write_addon(tmp_path, "gizmo_bad", 'name = "gizmo_bad"\nlabel = 3\nversion = "1.0.0"\n')
    with pytest.raises(AddonError, match="field 'label' must be a string"):
        read_manifest(bad / "addon.toml", "gizmo_bad")
