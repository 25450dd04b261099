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
