"""``addons list`` and ``addons check`` answer from manifests and source text: no addon code and
no Flask/admin/PDF/printer stack is imported (checked inside a real process)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import GOOD_ADDONS

from .conftest import PROJECT, cli_env

HEAVY = ("flask_admin", "xhtml2pdf", "escpos", "reportlab", "flask")
PROBE = """
import json, sys, time
start = time.perf_counter()
from core.cli_main import cli
try:
    cli.main(args=sys.argv[1:], prog_name="manage.py", standalone_mode=False)
except SystemExit:
    pass
elapsed = time.perf_counter() - start
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(%r))
addon_modules = sorted(m for m in sys.modules if m.startswith(("addons.", "tfx_")))
print("PROBE" + json.dumps({"elapsed": elapsed, "heavy": loaded, "addon_modules": addon_modules}))
""" % (HEAVY,)


@pytest.mark.parametrize("args", [("addons", "list", "--json"), ("addons", "check", "--json")])
def test_listing_imports_nothing_heavy(args, tmp_path):
    env = {k: v for k, v in cli_env("sqlite:///" + str(tmp_path / "none.db"), addons_path=(GOOD_ADDONS,)).items()
           if v is not None}
    import os
    full = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_") or k.startswith("TESSERA_TEST_")}
    full.update(env)
    runs = []
    for _ in range(2):  # the second run is the honest one: bytecode is cached
        done = subprocess.run([sys.executable, "-c", PROBE, *args], env=full, capture_output=True, text=True,
                              cwd=PROJECT, timeout=60)
        line = next(l for l in done.stdout.splitlines() if l.startswith("PROBE"))
        runs.append(json.loads(line[len("PROBE"):]))
        payload = done.stdout.split("PROBE")[0]
        json.loads(payload)  # the command's own output is valid JSON
    probe = runs[-1]
    assert probe["heavy"] == [], probe
    assert probe["addon_modules"] == [], probe
    # How long it takes is measured by bench/ (the ``startup`` benchmark, against a floor in the
    # same run), not asserted here: a timed test fails on a loaded machine and proves nothing on
    # an idle one. What makes it fast is asserted above: no heavy stack, no addon code imported.


def _probe(args, env_overrides, watched):
    import os
    full = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_") or k.startswith("TESSERA_TEST_")}
    full.update({k: v for k, v in env_overrides.items() if v is not None})
    code = PROBE.replace(repr(HEAVY), repr(tuple(watched)))
    done = subprocess.run([sys.executable, "-c", code, *args], env=full, capture_output=True, text=True,
                          cwd=PROJECT, timeout=60)
    assert done.returncode == 0, done.stderr
    out, _, probe = done.stdout.rpartition("PROBE")
    return json.loads(out), json.loads(probe)


def test_addons_list_reads_installed_versions_without_sqlalchemy(cli_db, tmp_path):
    """On a migrated database (SQLite or PostgreSQL) the plain listing shows every installed
    version, read with the bare driver: SQLAlchemy is never imported."""
    from core.addons import state
    with cli_db.session(all_businesses=True) as session:
        expected = state.installed(session)
    assert expected  # the fixture database is migrated: there is something to show
    env = cli_env(cli_db.db.url, instance=tmp_path)
    rows, probe = _probe(("addons", "list", "--json"), env, HEAVY + ("sqlalchemy", "alembic", "psycopg2"))
    assert probe["heavy"] == [], probe
    assert probe["addon_modules"] == [], probe
    assert {r["name"]: r["installed"] for r in rows if r["installed"]} == expected
    assert {r["name"] for r in rows} >= set(expected)


def test_addons_list_on_a_database_not_created_imports_no_sqlalchemy(tmp_path):
    env = cli_env("sqlite:///" + str(tmp_path / "none.db"), addons_path=(GOOD_ADDONS,))
    rows, probe = _probe(("addons", "list", "--json"), env, ("sqlalchemy",))
    assert probe["heavy"] == [], probe
    assert rows and all(r["installed"] is None for r in rows)
    assert not (tmp_path / "none.db").exists()  # listing creates no database


def test_addons_list_names_an_unreachable_database(tmp_path):
    """A database that cannot be reached is one line naming it, not a traceback."""
    from .conftest import run_manage
    env = cli_env("postgresql://nobody@127.0.0.1:9/none", addons_path=(GOOD_ADDONS,))
    done = run_manage("addons", "list", env=env)
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: database:") and "TESSERA_DATABASE_URL" in lines[0], lines
