"""Alembic branches: a fresh database migrates on SQLite (and PostgreSQL when
TESSERA_TEST_DATABASE_URL is set), pending revisions stop production processes,
and ``addons revision`` writes only the named addon's tables into its branch."""
from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import inspect, select, text

from tests.conftest import FIXTURE_ADDONS, GOOD_ADDONS, fresh_database_url

from .conftest import Cli, cli_env, run_manage


def light_runtime(url, paths=(GOOD_ADDONS,)):
    from core.addons.registry import Registry
    from core.config import load_config
    from core.db import Database
    from core.runtime import Runtime
    config = load_config({"ENV": "test", "DATABASE_URL": url, "ADDONS_PATH": [str(p) for p in paths],
                          "DISABLE_ENTRY_POINTS": True})
    return Runtime(config=config, db=Database(url), registry=Registry.discover(config))


def test_fresh_database_migrates_every_branch(tmp_path_factory):
    from core.addons import migrate
    from core.models import InstalledAddon
    rt = light_runtime(fresh_database_url(tmp_path_factory, "mig"))
    try:
        todo = migrate.pending(rt)
        assert todo[0].startswith("core:")
        assert any(line.startswith("tfx_notes:") for line in todo)
        assert migrate.install_all(rt) == todo
        assert migrate.pending(rt) == []
        assert migrate.install_all(rt) == []  # idempotent
        tables = set(inspect(rt.db.engine).get_table_names())
        assert {"alembic_version", "core_business", "core_job", "tfx_notes_note"} <= tables
        script = migrate.script_directory(rt.registry)
        heads = migrate.current_heads(rt.db.url)
        assert heads and heads <= set(script.get_heads())
        with rt.db.engine.connect() as conn:  # ONE shared version table for every branch
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == len(heads)
        with rt.session(all_businesses=True) as session:
            installed = dict(session.execute(select(InstalledAddon.name, InstalledAddon.version)).all())
        assert installed == {name: m.version for name, m in rt.registry.manifests.items()}
    finally:
        rt.db.dispose()


def _up_to_date(rt) -> bool:
    from core.addons import heads, migrate
    folders = [migrate.CORE_VERSIONS] + [migrate.versions_dir(m) for m in rt.registry.manifests.values()]
    return heads.up_to_date(rt, folders, migrate.VERSION_TABLE)


def test_up_to_date_agrees_with_alembic(tmp_path_factory):
    """The start-up check reads the revision files and the version table without Alembic; it
    says "up to date" after a full migration, and not before it nor once the version table no
    longer holds exactly the heads on disk (then Alembic is asked)."""
    from core.addons import migrate
    rt = light_runtime(fresh_database_url(tmp_path_factory, "utd"))
    try:
        assert not _up_to_date(rt) and migrate.pending(rt)  # nothing applied yet
        migrate.install_all(rt)
        assert _up_to_date(rt) and migrate.pending(rt) == []
        heads = sorted(migrate.current_heads(rt.db.url))
        with rt.db.engine.begin() as conn:  # one branch's head recorded as an older revision
            conn.execute(text("UPDATE alembic_version SET version_num = 'feedfacecafe' WHERE version_num = :v"),
                         {"v": heads[0]})
        assert not _up_to_date(rt)
    finally:
        rt.db.dispose()


def test_revision_graph_read_from_file_heads_is_alembics(tmp_path):
    """graph_on_disk parses only the lines above a revision file's first definition: for every
    built-in branch it finds the parents Alembic finds, and a file whose head is cut inside a
    string, or names no revision above upgrade(), is read whole."""
    from core.addons import heads, migrate
    from core.addons.registry import Registry
    registry = Registry.discover(None)
    folders = [migrate.CORE_VERSIONS] + [migrate.versions_dir(m) for m in registry.manifests.values()]
    script = migrate.script_directory(registry)
    alembic = {rev.revision: set(rev._all_down_revisions) for rev in script.walk_revisions("base", "heads")}
    assert heads.graph_on_disk(folders) == alembic
    odd = tmp_path / "versions"
    odd.mkdir()
    (odd / "a_odd.py").write_text('"""doc\nclass of change\n"""\nrevision = "a1"\ndown_revision = None\n'
                                  "def upgrade():\n    pass\n", encoding="utf-8")
    (odd / "b_late.py").write_text("def upgrade():\n    pass\nrevision = 'b2'\ndown_revision = 'a1'\n",
                                   encoding="utf-8")
    assert heads.graph_on_disk([odd]) == {"a1": set(), "b2": {"a1"}}


def test_branches_are_labelled_by_owner(tmp_path_factory):
    from core.addons import migrate
    rt = light_runtime("sqlite://")
    script = migrate.script_directory(rt.registry)
    assert script.get_revision("core@head") is not None
    assert script.get_revision("tfx_notes@head") is not None
    assert migrate.owner_of("core_job", ["sales", "sales_stock"]) == "core"
    assert migrate.owner_of("sales_stock_move", ["sales", "sales_stock"]) == "sales_stock"
    assert migrate.owner_of("sales_order", ["sales", "sales_stock"]) == "sales"
    assert migrate.owner_of("salesman", ["sales"]) is None


@pytest.mark.parametrize("command", ["worker", "web", "scheduler"])
def test_production_processes_refuse_pending_migrations(tmp_path_factory, command):
    url = fresh_database_url(tmp_path_factory, f"pend{command}")
    line = Cli(cli_env(url)).fails(command)
    assert "pending migration" in line and "python manage.py migrate" in line


def test_revision_writes_only_that_addons_tables(tmp_path, tmp_path_factory):
    folder = tmp_path / "addons"
    shutil.copytree(FIXTURE_ADDONS / "revision_pair", folder)
    env = cli_env("sqlite:///" + str(tmp_path / "unused.db"), addons_path=(folder,))

    refused = run_manage("addons", "revision", "rvp_child", "-m", "initial", env=env)
    assert refused.returncode == 1 and "run 'python manage.py addons revision rvp_base -m initial' first" in \
        refused.stderr and "Traceback" not in refused.stderr

    base = _revise(env, folder, "rvp_base", "initial")
    assert touched(base) == {"rvp_base_crate"} and "rvp_child" not in base
    assert "branch_labels: Union[str, Sequence[str], None] = ('rvp_base',)" in base
    base_rev = re.search(r"^revision: str = '(\w+)'", base, re.M).group(1)

    child = _revise(env, folder, "rvp_child", "initial")
    assert touched(child) == {"rvp_child_label"}
    assert f"depends_on: Union[str, Sequence[str], None] = '{base_rev}'" in child  # implied core dropped

    # both models change; a revision of one addon carries only its own change
    for name, table in (("rvp_base", "Crate"), ("rvp_child", "Label")):
        path = folder / name / "models.py"
        path.write_text(path.read_text() + "    note: Mapped[str | None] = mapped_column(String(20))\n"
                        .replace("String(20)", "sa_String(20)") + "")
        path.write_text(path.read_text().replace("from sqlalchemy.orm", "from sqlalchemy import String as sa_String\n"
                                                 "from sqlalchemy.orm"))
    added = _revise(env, folder, "rvp_base", "add note")
    assert "batch_op.add_column(sa.Column('note'" in added and touched(added) == {"rvp_base_crate"}
    assert f"down_revision: Union[str, Sequence[str], None] = '{base_rev}'" in added
    again = run_manage("addons", "revision", "rvp_base", "-m", "nothing", env=env)
    assert again.returncode == 0 and "no changes" in again.stdout

    # a real database: migrate, then the child's new column is pending and stops the worker
    url = fresh_database_url(tmp_path_factory, "rvp")
    env = cli_env(url, addons_path=(folder,))
    migrated = run_manage("migrate", "--json", env=env)
    assert migrated.returncode == 0, migrated.stderr
    _revise(env, folder, "rvp_child", "add note")
    worker = run_manage("worker", env=env)
    assert worker.returncode == 1 and "rvp_child:" in worker.stderr and "python manage.py migrate" in worker.stderr
    assert run_manage("migrate", env=env).returncode == 0
    check = run_manage("addons", "check", "rvp_base", "rvp_child", env=env)
    assert check.returncode == 0, check.stdout


def touched(revision_text: str) -> set[str]:
    """Tables a revision creates, alters or drops."""
    return set(re.findall(r"(?:create_table|batch_alter_table|drop_table)\('(\w+)'", revision_text))


def _revise(env, folder, addon, message) -> str:
    before = set((folder / addon / "migrations" / "versions").glob("*.py")) \
        if (folder / addon / "migrations" / "versions").exists() else set()
    result = run_manage("addons", "revision", addon, "-m", message, env=env)
    assert result.returncode == 0, result.stderr
    new = set((folder / addon / "migrations" / "versions").glob("*.py")) - before
    assert len(new) == 1, result.stdout
    return new.pop().read_text()
