"""``manage.py addons ...``: list, inspect, enable, disable, check, scaffold and migrate addons.

``list`` and ``check`` read manifests, source files and the state tables only:
they import no addon code and none of the Flask/admin/PDF stack.
"""
from __future__ import annotations

from pathlib import Path

import click

from .cli import CliError, CliContext, business_option, emit, json_option, pass_context


@click.group()
def addons():
    """Addons: what is there, what is enabled, and tools for writing one."""


def _state(cli_ctx: CliContext, business_slug: str | None):
    """(installed {name: version}, enabled set or None) — or (None, None) on a database not yet migrated."""
    from sqlalchemy import inspect
    runtime = cli_ctx.light_runtime()
    url = runtime.db.url
    if url.startswith("sqlite") and ":memory:" not in url and not Path(url.split("///", 1)[-1]).exists():
        if business_slug:
            raise CliError("the database does not exist yet; run 'python manage.py migrate'")
        return None, None
    if "core_addon" not in inspect(runtime.db.engine).get_table_names():
        if business_slug:
            raise CliError("the database is not migrated; run 'python manage.py migrate'")
        return None, None
    from .addons import state
    with runtime.session(all_businesses=True) as session:
        installed = state.installed(session)
        enabled = None
        if business_slug:
            enabled = set(state.enabled_addons(session, cli_ctx.business.id))
    return installed, enabled


@addons.command("list")
@business_option
@json_option
@pass_context
def list_(cli_ctx):
    """Every discovered addon in load order, with installed version and (with --business) enabled state."""
    if cli_ctx.business_slug:
        registry = cli_ctx.light_runtime().registry
        installed, enabled = _state(cli_ctx, cli_ctx.business_slug)
    else:
        # The everyday listing reads the installed versions with the bare driver (see
        # core.addons.installed): no SQLAlchemy, so it answers in a fraction of the time.
        from .addons.installed import NotLight, installed_versions
        config, registry = cli_ctx.manifests()
        try:
            installed, enabled = installed_versions(config.database_url), None
        except NotLight:
            installed, enabled = _state(cli_ctx, None)
    rows = []
    for name, m in registry.manifests.items():
        rows.append({"name": name, "version": m.version, "summary": m.summary,
                     "depends": list(m.depends), "optional_depends": list(m.optional_depends),
                     "auto_install": m.auto_install,
                     "installed": None if installed is None else installed.get(name),
                     "enabled": None if enabled is None else name in enabled,
                     "path": str(m.path)})
    columns = ["name", "version", "installed"] + (["enabled"] if enabled is not None else []) + ["summary"]
    emit(rows, cli_ctx.as_json, columns)


@addons.command()
@click.argument("name")
@json_option
@pass_context
def info(cli_ctx, name):
    """Everything an addon's manifest declares."""
    from .addons.graph import dependents
    registry = cli_ctx.light_runtime().registry
    m = registry[name]
    data = {
        "name": m.name, "version": m.version, "summary": m.summary, "path": str(m.path), "package": m.package,
        "requires_core": m.requires_core, "depends": list(m.depends), "optional_depends": list(m.optional_depends),
        "demo_after": list(m.demo_after), "auto_install": m.auto_install, "provides": dict(m.provides),
        "dependents": dependents(registry.manifests, name, set(registry.names)),
        "schedules": [{"name": s.name, "cron": s.cron, "job": s.job} for s in m.schedules],
        "publishes": list(m.publishes),
        "subscribes": [{"event": s.event, "handler": s.handler, "mode": s.mode} for s in m.subscribes],
        "permissions": list(m.permissions),
        "settings": [{"key": s.key, "type": s.type, "default": s.default, "label": s.label} for s in m.settings],
        "providers": [{"kind": p.kind, "code": p.code, "target": p.target, "label": p.label} for p in m.providers],
    }
    emit(data, cli_ctx.as_json)


@addons.command()
@click.argument("names", nargs=-1, required=True)
@business_option
@json_option
@pass_context
def enable(cli_ctx, names):
    """Enable addons for a business, with their dependencies and bridges."""
    from .addons import state
    runtime, business = cli_ctx.runtime, cli_ctx.business
    with runtime.transaction(business.id) as session:
        new = state.enable(session, runtime.registry, business.id, list(names))
    if cli_ctx.as_json:
        emit({"business": business.slug, "enabled": new}, True)
    elif new:
        click.echo(f"enabled for {business.slug}: {', '.join(new)}")
    else:
        click.echo(f"already enabled for {business.slug}: {', '.join(names)}")


@addons.command()
@click.argument("name")
@click.option("--with-dependents", is_flag=True, help="Also disable the enabled addons that need it.")
@business_option
@json_option
@pass_context
def disable(cli_ctx, name, with_dependents):
    """Disable an addon for a business (its data stays)."""
    from .addons import state
    runtime, business = cli_ctx.runtime, cli_ctx.business
    with runtime.transaction(business.id) as session:
        off = state.disable(session, runtime.registry, business.id, name, with_dependents=with_dependents)
    if cli_ctx.as_json:
        emit({"business": business.slug, "disabled": off}, True)
    else:
        click.echo(f"disabled for {business.slug}: {', '.join(off)}")


@addons.command()
@click.argument("names", nargs=-1)
@json_option
@pass_context
def check(cli_ctx, names):
    """Check manifests, import strings, declared dependencies and migrations, without importing addons."""
    from .addons.check import check_addons
    from .config import load_config
    config = load_config(cli_ctx.overrides)
    problems, checked = check_addons(config, only=names or None)
    if cli_ctx.as_json:
        emit({"ok": not problems, "checked": checked,
              "problems": [{"addon": a, "message": msg} for a, msg in problems]}, True)
    else:
        for addon, message in problems:
            click.echo(f"{addon}: {message}")
        click.echo(f"{len(checked)} addon(s) checked, {len(problems)} problem(s)")
    if problems:
        click.get_current_context().exit(1)


@addons.command()
@click.argument("name")
@click.option("--path", "folder", type=click.Path(file_okay=False), default=None,
              help="Folder to create the addon in (default: the first TESSERA_ADDONS_PATH entry, else addons/).")
@click.option("--summary", default="", help="One-line description for addon.toml.")
@click.option("--depends", multiple=True, help="Addon it depends on (repeatable).")
@pass_context
def new(cli_ctx, name, folder, summary, depends):
    """Scaffold a working addon (models, services, admin, jobs, CLI, migration, tests)."""
    from .addons.scaffold import scaffold
    from .config import load_config
    config = load_config(cli_ctx.overrides)
    path = scaffold(config, name, folder=folder, summary=summary, depends=list(depends))
    click.echo(f"created {path}")
    click.echo(f"next: python manage.py migrate && python manage.py addons enable {name} --business SLUG")


@addons.command()
@click.argument("name")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.option("--empty", is_flag=True, help="Write an empty revision instead of autogenerating.")
@pass_context
def revision(cli_ctx, name, message, empty):
    """Autogenerate a migration for one addon's tables (or 'core') into its own branch."""
    from .addons.migrate import make_revision
    registry = cli_ctx.light_runtime().registry
    if name != "core":
        registry[name]
    path = make_revision(registry, name, message, autogenerate=not empty)
    if path is None:
        click.echo(f"{name}: no changes detected; no revision written")
    else:
        click.echo(f"{name}: wrote {path}")


COMMANDS = (addons,)  # attached to the root group by core.cli_main
