"""``addons check``: broken import strings, undeclared imports, subscriptions and table
references, unprefixed and unmigrated tables — each fixture scenario in its own folder."""
from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURE_ADDONS

from .conftest import Cli, cli_env


def check(scenario, *names):
    cli = Cli(cli_env("sqlite://", addons_path=(FIXTURE_ADDONS / scenario,)))
    result = cli("addons", "check", *names, "--json", ok=False)
    data = json.loads(result.stdout)
    assert result.exit_code == (0 if data["ok"] else 1)
    assert sorted(data["checked"]) == sorted(n for n in names if n != "nope")
    return data["problems"]


def messages(problems, addon):
    return [p["message"] for p in problems if p["addon"] == addon]


def test_undeclared_import_fails():
    problems = check("check_import", "ckimp_base", "ckimp_user")
    assert messages(problems, "ckimp_base") == []
    [line] = messages(problems, "ckimp_user")
    assert line.startswith("services.py:2: imports from 'ckimp_base'") and "depends" in line


def test_undeclared_subscription_fails():
    problems = check("check_event", "ckev_pub", "ckev_sub")
    assert messages(problems, "ckev_sub") == [
        "subscribes to 'ckev_pub.done' of 'ckev_pub' but does not declare 'ckev_pub' in depends or optional_depends"]
    assert messages(problems, "ckev_pub") == []


def test_undeclared_table_reference_fails():
    problems = check("check_table", "cktab_owner", "cktab_refs")
    [line] = messages(problems, "cktab_refs")
    assert "references table 'cktab_owner_box' of 'cktab_owner'" in line
    assert messages(problems, "cktab_owner") == []


def test_every_broken_import_string_is_reported():
    problems = messages(check("check_broken", "ckbrk"), "ckbrk")
    text = "\n".join(problems)
    assert "provides.admin = '.admin:register': 'ckbrk.admin' has no attribute 'register'" in text
    assert "provides.jobs = '.nojobs': module 'ckbrk.nojobs' not found" in text
    assert "provides.demo = '.demo:load': demo.py line 1: syntax error" in text
    assert "handler '.events:missing_handler': 'ckbrk.events' has no attribute 'missing_handler'" in text
    assert "schedule 'nightly' runs 'cleanup'" in text


def test_models_without_migration_and_unprefixed_tables():
    problems = messages(check("check_unmigrated", "cknomig"), "cknomig")
    assert any("has models (cknomig_thing, stray_table) but no migration" in p
               and "addons revision cknomig -m initial" in p for p in problems)
    assert any("table 'stray_table' must be prefixed" in p for p in problems)


def test_declared_dependencies_pass():
    assert check("check_ok", "ckok_base", "ckok_user") == []


def test_text_output_and_exit_status():
    cli = Cli(cli_env("sqlite://", addons_path=(FIXTURE_ADDONS / "check_event",)))
    bad = cli("addons", "check", "ckev_sub", ok=False)
    assert bad.exit_code == 1
    assert bad.stdout.splitlines()[-1] == "1 addon(s) checked, 1 problem(s)"
    assert cli("addons", "check", "ckev_pub").stdout.strip() == "1 addon(s) checked, 0 problem(s)"


def test_unknown_addon_and_broken_manifests_are_reported():
    problems = check("check_event", "nope")
    assert problems[0]["addon"] == "nope" and "not found" in problems[0]["message"]
    cli = Cli(cli_env("sqlite://", addons_path=(FIXTURE_ADDONS / "broken_cycle",)))
    result = cli("addons", "check", "--json", ok=False)
    assert result.exit_code == 1 and "dependency cycle" in result.stdout


def test_the_good_fixture_addons_pass():
    from tests.conftest import GOOD_ADDONS
    cli = Cli(cli_env("sqlite://", addons_path=(GOOD_ADDONS,)))
    result = cli("addons", "check", "tfx_notes", "tfx_jobs", "tfx_jobs_base", ok=False)
    assert result.exit_code == 0, result.stdout


MISPLACED = """
name = "shapeless"
version = "1.0.0"
[provides]
models = ".tables"
on_enable = ".enable:on_enable"
admin = ".views:register"
jobs = ".tasks"
commands = ".commands:group"
demo = ".sample:load"
events = ".events"
[events]
publishes = ["shapeless.done"]
[[events.subscribe]]
event = "shapeless.done"
handler = ".services:on_done"
"""
TIDY = """
name = "tidy"
version = "1.0.0"
[provides]
models = ".models"
on_enable = ".services.setup:on_enable"
admin = ".admin:register"
commands = ".cli:group"
[events]
publishes = ["tidy.done"]
[[events.subscribe]]
event = "tidy.done"
handler = ".events.handlers:on_done"
"""


def _check_written(tmp_path, name, toml):
    from core.addons.check import check_addons
    from core.config import load_config
    from tests.core.test_manifest import write_addon
    write_addon(tmp_path, name, toml)
    problems, _ = check_addons(load_config({"ADDONS_PATH": [str(tmp_path)], "DISABLE_ENTRY_POINTS": True},
                                           environ={}), only=[name])
    return [message for addon, message in problems if addon == name]


def test_a_kind_of_thing_under_another_name_is_reported_with_the_fix(tmp_path):
    shape = [m for m in _check_written(tmp_path, "shapeless", MISPLACED) if "belongs in" in m]
    expected = {
        "provides.models = '.tables'": "write models = '.models'",
        "provides.on_enable = '.enable:on_enable'": "write on_enable = '.services:on_enable'",
        "provides.admin = '.views:register'": "write admin = '.admin:register'",
        "provides.jobs = '.tasks'": "write jobs = '.jobs'",
        "provides.commands = '.commands:group'": "write commands = '.cli:group'",
        "provides.demo = '.sample:load'": "write demo = '.demo:load'",
        "events.subscribe shapeless.done handler '.services:on_done'": "write handler = '.events:on_done'",
    }
    assert len(shape) == len(expected), shape
    for start, fix in expected.items():
        [line] = [m for m in shape if m.startswith(start)]
        assert line.endswith(fix) and "move it there" in line
    assert any("an on_enable belongs in services.py (or a services/ package), not in enable" in m for m in shape)


def test_a_module_grown_into_a_package_of_the_same_name_is_in_place(tmp_path):
    assert not [m for m in _check_written(tmp_path, "tidy", TIDY) if "belongs in" in m or "must live" in m]


def test_an_import_string_outside_the_addon_is_misplaced(tmp_path):
    toml = 'name = "borrower"\nversion = "1.0.0"\n[provides]\non_enable = "addons.sales.services:on_enable"\n'
    [line] = [m for m in _check_written(tmp_path, "borrower", toml) if "must live in the addon" in m]
    assert line.startswith("provides.on_enable") and line.endswith("write on_enable = '.services:on_enable'")
