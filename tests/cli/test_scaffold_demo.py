"""``addons new`` produces an addon that migrates, enables and passes its own tests;
``demo`` and ``run --demo`` seed idempotently and print the admin login; real subprocess runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import GOOD_ADDONS, fresh_database_url

from .conftest import PROJECT, Cli, cli_env, run_manage


def test_scaffolded_addon_works_end_to_end(tmp_path, tmp_path_factory):
    folder = tmp_path / "third_party"
    folder.mkdir()
    url = fresh_database_url(tmp_path_factory, "scaffold")
    env = cli_env(url, addons_path=(folder,))
    created = run_manage("addons", "new", "gizmos", "--summary", "Gizmos for the test", env=env)
    assert created.returncode == 0, created.stderr
    addon = folder / "gizmos"
    files = {str(p.relative_to(addon)) for p in addon.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    [revision] = (addon / "migrations" / "versions").glob("*.py")
    assert files == {"addon.toml", "__init__.py", "models.py", "services.py", "admin.py", "jobs.py", "events.py",
                     "cli.py", "demo.py", "dashboard.py", "README.md", "tests/test_gizmos.py", "migrations/__init__.py",
                     "templates/gizmos/out_of_stock.en.subject.txt", "templates/gizmos/out_of_stock.en.txt",
                     str(revision.relative_to(addon))}  # exactly the README's addon shape
    assert "op.create_table('gizmos_item'" in revision.read_text()

    assert run_manage("addons", "check", "gizmos", env=env).returncode == 0
    assert run_manage("migrate", env=env).returncode == 0
    assert run_manage("business", "create", "--name", "G", "--slug", "gshop", "--country", "KR",
                      env=env).returncode == 0
    enabled = run_manage("addons", "enable", "gizmos", "--business", "gshop", "--json", env=env)
    assert json.loads(enabled.stdout)["enabled"] == ["gizmos"], enabled.stderr
    added = run_manage("gizmos", "add", "Spanner", "--quantity", "4", "--business", "gshop", "--json", env=env)
    assert json.loads(added.stdout)["name"] == "Spanner", added.stderr
    refused = run_manage("gizmos", "add", "Bad", "--quantity", "-1", "--business", "gshop", env=env)
    assert refused.returncode == 1 and refused.stderr.strip().startswith("error: quantity")

    # its own generated tests pass
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", str(addon / "tests")],
                         cwd=addon, capture_output=True, text=True, timeout=600,
                         env={k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")} | {"PYTHONPATH": str(PROJECT)})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "7 passed" in run.stdout


def test_scaffold_refuses_bad_names_and_unknown_folders(tmp_path):
    cli = Cli(cli_env("sqlite://", addons_path=(tmp_path,)))
    assert "addon name" in cli.fails("addons", "new", "Bad-Name")
    assert "addon name" in cli.fails("addons", "new", "class")
    assert "not an addon folder" in cli.fails("addons", "new", "okname", "--path", str(tmp_path / "elsewhere"))
    assert not (tmp_path / "okname").exists()


def test_demo_is_idempotent_and_prints_login(tmp_path_factory):
    url = fresh_database_url(tmp_path_factory, "demo")
    cli = Cli(cli_env(url, addons_path=(GOOD_ADDONS,)))
    cli("migrate")
    first = cli.json("demo")
    assert first["business"] == "demo" and first["email"] == "admin@example.com"
    assert first["password"] and len(first["password"]) >= 12
    second = cli.json("demo")
    assert second["password"] is None and second["seeded"] == [] and second["business_id"] == first["business_id"]
    out = cli("demo").output
    assert "admin login: admin@example.com" in out and "user password admin@example.com" in out
    from core.auth import authenticate
    from core.runtime import build_runtime
    rt = build_runtime({"DATABASE_URL": url, "ADDONS_PATH": [str(GOOD_ADDONS)], "DISABLE_ENTRY_POINTS": True},
                       load=False, make_current=False)
    try:
        with rt.transaction(all_businesses=True) as session:
            assert authenticate(session, "admin@example.com", first["password"]) is not None
    finally:
        rt.db.dispose()
    enabled = {r["name"] for r in cli.json("addons", "list", "--business", "demo") if r["enabled"]}
    builtin = {r["name"] for r in cli.json("addons", "list") if r["path"].startswith(str(PROJECT / "addons"))}
    assert builtin <= enabled


def test_real_subprocess_help_json_and_errors(cli_db):
    env = cli_env(cli_db.db.url)
    helped = run_manage("--help", env=env)
    assert helped.returncode == 0 and "addons" in helped.stdout
    listed = run_manage("business", "list", "--json", env=env)
    assert listed.returncode == 0 and isinstance(json.loads(listed.stdout), list)
    bad = run_manage("business", "create", "--name", "", "--slug", "x", "--country", "VN", env=env)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and bad.stderr.startswith("error: ")
