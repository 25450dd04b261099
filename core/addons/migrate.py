"""Schema migrations: one Alembic environment, one branch per addon.

The core branch lives in ``migrations/versions`` (branch label ``core``); each
addon keeps its branch in ``<addon>/migrations/versions`` (branch label = addon
name). All branches share one version table, ``alembic_version``, and the
database is always upgraded to ``heads``. ``version_locations`` lists every
discovered addon, disabled ones too, because enabling is per business while the
schema is per database.

Tables are prefixed with their owner's name (``core_``, ``catalog_``...), which
lets ``addons revision NAME`` autogenerate only NAME's tables: the environment
filters every other table out (see ``owner_of``).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..config import PROJECT_ROOT
from ..errors import ConfigError, UserError
from . import heads
from .errors import AddonError

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
CORE_VERSIONS = MIGRATIONS_DIR / "versions"
CORE_BRANCH = "core"
VERSION_TABLE = "alembic_version"
FILE_TEMPLATE = "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s"


def _prune_implied_dependencies():
    """Make Alembic ignore a ``depends_on`` entry that another entry already implies.

    A revision depending on core *and* on catalog (which itself depends on core)
    makes Alembic try to remove core from the version table twice (KeyError
    during upgrade). Branch-per-addon revisions naturally list such chains, so
    the implied entries are dropped when the revision map is built. Idempotent.
    """
    from alembic.script.revision import RevisionMap
    if getattr(RevisionMap, "_tessera_pruned", False):
        return
    original = RevisionMap._normalize_depends_on

    def normalize(self, revisions, map_):
        original(self, revisions, map_)
        for revision in revisions:
            deps = revision._normalized_resolved_dependencies
            if len(deps) < 2:
                continue
            implied = set()
            for dep in deps:
                for ancestor in self._get_ancestor_nodes([map_[dep]], include_dependencies=True, map_=map_):
                    if ancestor.revision != dep:
                        implied.add(ancestor.revision)
            revision._normalized_resolved_dependencies = tuple(d for d in deps if d not in implied)

    RevisionMap._normalize_depends_on = normalize
    RevisionMap._tessera_pruned = True


def versions_dir(manifest) -> Path:
    return manifest.path / "migrations" / "versions"


def owner_of(table_name: str, names) -> str | None:
    """The addon (or 'core') owning a table: the longest name that prefixes it.

    Longest wins so that ``sales_stock_move`` belongs to ``sales_stock``, not ``sales``.
    """
    best = None
    for name in list(names) + [CORE_BRANCH]:
        if (table_name == name or table_name.startswith(name + "_")) and (best is None or len(name) > len(best)):
            best = name
    return best


def alembic_config(registry, database_url: str, *, connection=None, target: str | None = None):
    """An Alembic Config built in code: no alembic.ini to keep in sync with discovery."""
    from alembic.config import Config
    import argparse
    _prune_implied_dependencies()
    cfg = Config()
    cfg.cmd_opts = argparse.Namespace(quiet=True)  # the CLI prints its own one-line summary
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [str(CORE_VERSIONS)]
    for manifest in registry.manifests.values():
        folder = versions_dir(manifest)
        if folder.is_dir():
            locations.append(str(folder))
    # Alembic splits version_locations on a separator; os.pathsep is unambiguous for paths.
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.set_main_option("file_template", FILE_TEMPLATE)
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    cfg.attributes["owners"] = list(registry.manifests)
    cfg.attributes["target"] = target
    return cfg


def migration_engine(url: str):
    """An engine for DDL. SQLite gets transactional DDL and foreign keys off, because
    batch migrations copy and drop tables that others still reference."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool
    engine = create_engine(url, poolclass=NullPool)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            dbapi_conn.execute("PRAGMA foreign_keys=OFF")
            dbapi_conn.execute("PRAGMA busy_timeout=30000")

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


def script_directory(registry, database_url: str = "sqlite://"):
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError
    try:
        return ScriptDirectory.from_config(alembic_config(registry, database_url))
    except CommandError as exc:
        raise ConfigError(f"migrations: {exc}") from None


def _revision_map_errors(fn):
    """Alembic reports unknown or broken revisions with its own exceptions; make them one clear line."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError
    try:
        return fn()
    except (CommandError, RevisionError) as exc:
        raise ConfigError(f"migrations: {exc} (is an addon whose revisions were applied missing from the "
                          f"addon path?)") from None


def upgrade(registry, database_url: str, target: str = "heads", *, app_role: str | None = None):
    """Upgrade the database to ``target`` (all branch heads by default).

    On PostgreSQL the same transaction then grants ``app_role`` (the role the app
    connects as, when it is not the migrating one) its DML rights and gives new
    business-scoped tables their row-level security policy (``core.rls``).
    """
    from alembic import command
    from .. import rls
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection:
            cfg = alembic_config(registry, database_url, connection=connection)
            cfg.attributes["after_upgrade"] = lambda conn: rls.after_upgrade(conn, app_role)
            _revision_map_errors(lambda: command.upgrade(cfg, target))
            if database_url.startswith("sqlite"):
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise ConfigError(f"migrations left rows with broken foreign keys: {broken[:5]}")
    finally:
        engine.dispose()


def current_heads(database_url: str) -> set[str]:
    """Revisions recorded in the shared version table (empty for a new database)."""
    from alembic.runtime.migration import MigrationContext
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def pending(runtime) -> list[str]:
    """Revisions on disk not yet applied, oldest first, as 'branch:revision (message)'."""
    folders = [CORE_VERSIONS] + [versions_dir(m) for m in runtime.registry.manifests.values()]
    if heads.up_to_date(runtime, folders, VERSION_TABLE):
        return []  # the common case at every start-up, answered without importing Alembic
    script = script_directory(runtime.registry, runtime.db.url)
    applied_heads = current_heads(runtime.db.url)

    def collect():
        applied, todo = set(), list(applied_heads)
        while todo:
            rev = script.get_revision(todo.pop())
            if rev is None or rev.revision in applied:
                continue
            applied.add(rev.revision)
            todo.extend(rev._all_down_revisions)
        ordered = list(script.walk_revisions("base", "heads"))
        return [rev for rev in reversed(ordered) if rev.revision not in applied]

    return [f"{_branch(rev)}:{rev.revision} ({rev.doc})" for rev in _revision_map_errors(collect)]


def _branch(rev) -> str:
    if rev.branch_labels:
        return sorted(rev.branch_labels)[0]
    path = Path(rev.path).resolve()
    return path.parent.parent.parent.name if path.parent != CORE_VERSIONS.resolve() else CORE_BRANCH


def assert_migrated(runtime):
    """Refuse to run a long-lived process on an old schema; name the command that fixes it."""
    todo = pending(runtime)
    if todo:
        shown = ", ".join(todo[:3]) + (f" and {len(todo) - 3} more" if len(todo) > 3 else "")
        raise ConfigError(f"the database has {len(todo)} pending migration(s) ({shown}); "
                          f"run 'python manage.py migrate' first")


def install_all(runtime) -> list[str]:
    """Upgrade to heads and record every discovered addon as installed (version refreshed).

    Returns the revisions that were applied. When the registry is loaded, models
    whose tables no migration created are an error naming the command to run.
    """
    from ..models import InstalledAddon
    before = pending(runtime)
    upgrade(runtime.registry, runtime.config.migrate_database_url, app_role=app_role(runtime.config))
    if runtime.registry.loaded:
        missing = unmigrated_tables(runtime)
        if missing:
            raise AddonError([f"{addon}: tables {', '.join(tables)} have no migration; run "
                              f"'python manage.py addons revision {addon} -m \"...\"'"
                              for addon, tables in sorted(missing.items())])
    with runtime.transaction(all_businesses=True) as session:
        rows = {a.name: a for a in session.query(InstalledAddon)}
        for name, manifest in runtime.registry.manifests.items():
            if name not in rows:
                session.add(InstalledAddon(name=name, version=manifest.version))
            elif rows[name].version != manifest.version:
                rows[name].version = manifest.version
    return before


def app_role(config) -> str | None:
    """The PostgreSQL role the app connects as, when migrations connect as another one."""
    from sqlalchemy.engine import make_url
    app, owner = make_url(config.database_url), make_url(config.migrate_database_url)
    if app.get_backend_name() != "postgresql" or app.username == owner.username:
        return None
    return app.username


def unmigrated_tables(runtime) -> dict[str, list[str]]:
    """Tables in the loaded metadata that the database lacks, by owning addon."""
    from sqlalchemy import inspect
    from ..db import Base
    existing = set(inspect(runtime.db.engine).get_table_names())
    names = runtime.registry.names
    out: dict[str, list[str]] = {}
    for table in Base.metadata.tables.values():
        owner = owner_of(table.name, names)
        if table.name not in existing and owner is not None and (owner == CORE_BRANCH or owner in names):
            out.setdefault(owner, []).append(table.name)
    return out


# ---------------------------------------------------------------- new revisions

def import_models(registry, names) -> list[str]:
    """Import ``provides.models`` of ``names`` (plus core); return problems, one line each."""
    import importlib
    from . import registry as registry_module
    problems = []
    for module in core_model_modules():
        importlib.import_module(module)
    for name in names:
        manifest = registry[name]
        target = manifest.provides.get("models")
        if target:
            try:
                registry_module.import_string(manifest.resolve(target))
            except Exception as exc:  # the addon's bug, reported with the addon's name
                problems.append(f"{name}: provides.models = {target!r} cannot be imported "
                                f"({type(exc).__name__}: {exc})")
    return problems


def core_model_modules() -> list[str]:
    """Core modules that declare tables (core.models, and any other core module with a __tablename__)."""
    core_dir = PROJECT_ROOT / "core"
    found = ["core.models"]
    for path in sorted(core_dir.glob("*.py")):
        if path.stem != "models" and "__tablename__" in path.read_text(encoding="utf-8"):
            found.append(f"core.{path.stem}")
    return found


def _dependency_closure(registry, name) -> list[str]:
    seen, todo = [], [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in registry:
            continue
        seen.append(current)
        manifest = registry[current]
        todo.extend(manifest.depends + manifest.optional_depends)
    return seen


def make_revision(registry, addon: str, message: str, *, autogenerate: bool = True) -> Path | None:
    """Write a new revision for ``addon`` (or 'core') into its own branch.

    Autogenerate compares against a scratch SQLite database upgraded to heads, so
    the real database is never touched and the diff holds only ``addon``'s
    tables. The first revision of a branch creates it (branch label = addon name)
    and depends on the current heads of core and of the addon's dependencies.
    Returns the new file, or None when there was nothing to change.
    """
    if not message or not message.strip():
        raise UserError("a revision needs a message: -m \"what changed\"")
    folder, deps = _revision_folder(registry, addon)
    script = script_directory(registry)
    existing = {rev.revision for rev in script.walk_revisions()}
    has_branch = _revision_map_errors(lambda: _branch_exists(script, addon))
    if not has_branch and addon != CORE_BRANCH:
        missing = [d for d in registry[addon].depends
                   if registry[d].provides.get("models") and not _branch_exists(script, d)]
        if missing:
            raise UserError(f"{addon} depends on {', '.join(missing)}, which has no migrations yet; run "
                            f"'python manage.py addons revision {missing[0]} -m initial' first")
    options = dict(message=message.strip(), autogenerate=autogenerate, version_path=str(folder))
    if has_branch:
        options["head"] = f"{addon}@head"
    else:
        options.update(head="base", branch_label=addon)
        depends = _minimal([_head_of(script, d) for d in deps if _branch_exists(script, d)], script)
        if depends:
            options["depends_on"] = depends
    _autogenerate(registry, addon, options)
    script = script_directory(registry)
    new = [rev for rev in script.walk_revisions() if rev.revision not in existing]
    return Path(new[0].path) if new else None


def _revision_folder(registry, addon: str) -> tuple[Path, list[str]]:
    """The branch's versions folder (created if needed) and the branches a new branch would depend on,
    after importing the models of ``addon`` and its dependencies (what autogenerate compares)."""
    if addon == CORE_BRANCH:
        folder, deps = CORE_VERSIONS, []
    else:
        folder = versions_dir(registry[addon])
        deps = [CORE_BRANCH] + [d for d in _dependency_closure(registry, addon)[1:]]
    problems = import_models(registry, [n for n in _dependency_closure(registry, addon) if n != CORE_BRANCH]
                             if addon != CORE_BRANCH else [])
    if problems:
        raise AddonError(problems)
    folder.mkdir(parents=True, exist_ok=True)
    init = folder.parent / "__init__.py"
    if addon != CORE_BRANCH and not init.exists():
        init.write_text('"""Alembic revisions of this addon\'s branch (loaded by path, not imported)."""\n')
    return folder, deps


def _autogenerate(registry, addon: str, options: dict) -> None:
    """Run Alembic's revision command against a scratch SQLite database upgraded to heads."""
    from alembic import command
    from alembic.util import CommandError
    with tempfile.TemporaryDirectory() as tmp:
        url = "sqlite:///" + str(Path(tmp) / "scratch.db")
        upgrade(registry, url)
        engine = migration_engine(url)
        try:
            with engine.connect() as connection:
                cfg = alembic_config(registry, url, connection=connection, target=addon)
                cfg.attributes["autogenerate"] = options["autogenerate"]
                try:
                    command.revision(cfg, **options)
                except CommandError as exc:
                    raise UserError(f"revision for {addon}: {exc}") from None
        finally:
            engine.dispose()


def _minimal(revisions: list[str], script) -> list[str]:
    """Drop revisions that are ancestors of another one in the list (implied dependencies)."""
    implied = set()
    for rev in revisions:
        todo = list(script.get_revision(rev)._all_down_revisions)
        while todo:
            current = script.get_revision(todo.pop())
            if current.revision not in implied:
                implied.add(current.revision)
                todo.extend(current._all_down_revisions)
    return [r for r in dict.fromkeys(revisions) if r not in implied]


def _branch_exists(script, label: str) -> bool:
    return any(label in (rev.branch_labels or ()) for rev in script.walk_revisions())


def _head_of(script, label: str) -> str:
    return script.get_revision(f"{label}@head").revision
