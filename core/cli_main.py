"""The command line's root: ``python manage.py ...`` (also installed as ``tessera``).

The core commands (``core/cli_serve.py``, ``cli_addons.py``, ``cli_admin.py``, ``cli_api.py``, ``cli_i18n.py``)
are attached here, and each addon's click group is mounted on demand; they all
build on ``core.cli``. Nothing imports this module but the entry points.
"""
from __future__ import annotations

import sys

import click

from . import cli_addons, cli_admin, cli_api, cli_i18n, cli_serve
from .cli import ADDON_META, CliContext, CliError, one_line
from .errors import TesseraError


def usage_error(exc: click.UsageError) -> CliError:
    """click's usage errors print usage, a hint and the error on several lines; make them one."""
    command = exc.ctx.command_path if exc.ctx is not None else "manage.py"
    return CliError(f"{one_line(click.ClickException(exc.format_message()))} (see '{command} --help')", 2)


class TesseraGroup(click.Group):
    """Core commands plus one group per addon that provides ``commands``; errors become one line."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise usage_error(exc) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise usage_error(exc) from None
        except TesseraError as exc:
            raise CliError(one_line(exc)) from None
        except OSError as exc:
            # An unreachable file is the operator's to fix: say which and why, like a shell would.
            where = f"{exc.filename}: " if exc.filename else ""
            raise CliError(f"{where}{exc.strerror or one_line(exc)}") from None
        except ImportError as exc:
            raise CliError(f"{type(exc).__name__}: {one_line(exc)}") from None
        except Exception as exc:
            from sqlalchemy.exc import OperationalError, ProgrammingError
            if isinstance(exc, (OperationalError, ProgrammingError)):
                raise CliError(f"database: {one_line(exc.orig or exc)} (check TESSERA_DATABASE_URL; "
                               f"run 'python manage.py migrate')") from None
            raise

    def _addon_manifests(self, ctx):
        try:
            from .addons.registry import Registry
            from .config import load_config
            root = ctx.find_root()
            overrides = root.params.get("database_url") and {"DATABASE_URL": root.params["database_url"]} or {}
            return {n: m for n, m in Registry.discover(load_config(overrides)).manifests.items()
                    if m.provides.get("commands")}
        except TesseraError:
            return {}

    def list_commands(self, ctx):
        core = super().list_commands(ctx)
        return core + sorted(n for n in self._addon_manifests(ctx) if n not in core)

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        manifest = self._addon_manifests(ctx).get(name)
        if manifest is None:
            return None
        from .addons.registry import import_string
        try:
            group = import_string(manifest.resolve(manifest.provides["commands"]))
        except Exception as exc:
            raise CliError(f"{name}: provides.commands cannot be imported ({type(exc).__name__}: {exc})") from None
        if not isinstance(group, click.Command):
            raise CliError(f"{name}: provides.commands must be a click group or command, got {type(group).__name__}")
        ctx.meta[ADDON_META] = name
        return group


@click.group("manage.py", cls=TesseraGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", metavar="URL", default=None,
              help="Database URL (overrides TESSERA_DATABASE_URL).")
@click.option("--business", "business_slug", metavar="SLUG", default=None,
              help="Default business for commands that act for one.")
@click.pass_context
def cli(ctx, database_url, business_slug):
    """Tessera: a modular back office. Configuration comes from TESSERA_* variables."""
    obj = ctx.ensure_object(CliContext)
    ctx.call_on_close(obj.close)
    if database_url:
        obj.overrides["DATABASE_URL"] = database_url
    obj.business_slug = business_slug


def main(argv=None):
    """Console entry point (``tessera``) and ``manage.py``."""
    cli.main(args=argv, prog_name="manage.py")


for _command in (*cli_serve.COMMANDS, *cli_addons.COMMANDS, *cli_admin.COMMANDS, *cli_api.COMMANDS,
                 *cli_i18n.COMMANDS):
    cli.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
