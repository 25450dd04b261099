"""The command line: ``python manage.py ...`` (also installed as ``tessera``).

Core commands live in ``core/cli_*.py``; each addon's click group (manifest
``commands = ".cli:group"``) mounts as ``manage.py <addon> ...``. Listings
(``addons list``, ``addons check``) read manifests only, so this module and the
command modules import nothing heavy at the top: Flask, Flask-Admin and the PDF
stack are imported inside the commands that need them.

For addon authors:

    from core.cli import business_command

    @group.command("import")
    @click.argument("path")
    @business_command
    def import_(cli, path):
        with cli.transaction() as session:
            rows = services.import_file(session, path)
        cli.emit([{"id": r.id, "name": r.name} for r in rows])

``business_command`` adds ``--business SLUG`` and ``--json`` and passes a
``CliContext`` (runtime, business, session/transaction helpers, emit). Errors
raised as UserError, ConfigError or AddonError end the command with one line
``error: ...`` and exit status 1, never a traceback.
"""
from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import click

from .errors import TesseraError

ADDON_META = "tessera.addon"


# ---------------------------------------------------------------- output

def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")  # never exponent form: 375000, not 3.75E+5
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    return str(value)


def emit(data, as_json: bool = False, columns: list[str] | None = None):
    """Print a listing: JSON (stable keys, sorted) or a plain text table/record."""
    if as_json:
        click.echo(json.dumps(data, default=_json_default, ensure_ascii=False, indent=2, sort_keys=True))
        return
    if isinstance(data, list):
        if not data:
            click.echo("(none)")
            return
        if isinstance(data[0], dict):
            columns = columns or list(data[0])
            rows = [[_cell(row.get(c)) for c in columns] for row in data]
            widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
            click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip())
            for row in rows:
                click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
            return
        for item in data:
            click.echo(_cell(item))
        return
    if isinstance(data, dict):
        width = max((len(k) for k in data), default=0)
        for key, value in data.items():
            click.echo(f"{key.ljust(width)}  {_cell(value)}")
        return
    click.echo(_cell(data))


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(_cell(v) for v in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items()) or "-"
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    # A table row stays one line: a stored traceback shows its last line (the error itself).
    return text.strip().splitlines()[-1] + " (…)" if "\n" in text.strip() else text


def one_line(exc: BaseException) -> str:
    """An error as a single line: multi-problem errors are joined with '; '."""
    problems = getattr(exc, "problems", None)
    text = "; ".join(problems) if problems else str(exc)
    return " ".join(text.split()) or type(exc).__name__


class CliError(click.ClickException):
    """Printed as ``error: <message>`` on stderr; exit status 1 (2 for usage errors)."""

    def __init__(self, message, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None):
        click.echo(f"error: {self.message}", err=True, file=file)


def usage_error(exc: click.UsageError) -> CliError:
    """click's usage errors print usage, a hint and the error on several lines; make them one."""
    command = exc.ctx.command_path if exc.ctx is not None else "manage.py"
    return CliError(f"{one_line(click.ClickException(exc.format_message()))} (see '{command} --help')", 2)


# ---------------------------------------------------------------- context

@dataclass
class CliContext:
    """What a command needs: configuration overrides, the runtime, the chosen business."""
    overrides: dict = field(default_factory=dict)
    business_slug: str | None = None
    as_json: bool = False
    _runtime: object = None
    _business: object = None
    _opened: list = field(default_factory=list)

    @property
    def runtime(self):
        """The runtime with every addon loaded (built once per command)."""
        if self._runtime is None or not self._runtime.registry.loaded:
            from .runtime import build_runtime
            self._runtime = build_runtime(self.overrides, load=True)
            self._opened.append(self._runtime)
        return self._runtime

    def light_runtime(self):
        """Config, database and manifests only: no addon code is imported."""
        if self._runtime is None:
            # Not build_runtime: that also sets up the job broker, which listings never need.
            from .addons.registry import Registry
            from .config import load_config
            from .db import Database
            from .runtime import Runtime
            config = load_config(self.overrides)
            self._runtime = Runtime(config=config, db=Database(config.database_url),
                                    registry=Registry.discover(config))
            self._opened.append(self._runtime)
        return self._runtime

    def close(self):
        """Give back every database connection this command opened (a pool would keep them)."""
        while self._opened:
            self._opened.pop().db.dispose()

    @property
    def business(self):
        """The business named by --business; a clear error when none or unknown."""
        if self._business is None:
            if not self.business_slug:
                raise CliError("this command needs --business SLUG (see 'python manage.py business list')")
            from .business import get_business
            with self.light_runtime().session(all_businesses=True) as session:
                self._business = get_business(session, self.business_slug)
        return self._business

    @property
    def business_id(self) -> int:
        return self.business.id

    def session(self, **kw):
        """A read session bound to the selected business."""
        return self.runtime.session(self.business_id, **kw)

    def transaction(self):
        """A write transaction bound to the selected business: commits all or nothing."""
        return self.runtime.transaction(self.business_id)

    def emit(self, data, columns=None):
        emit(data, self.as_json, columns)


pass_context = click.make_pass_decorator(CliContext, ensure=True)


def business_option(fn):
    """Add ``--business SLUG`` (defaulting to the root option) to a core command."""
    @click.option("--business", "business_slug", metavar="SLUG", default=None,
                  help="Business to act for (its slug).")
    @functools.wraps(fn)
    def wrapper(*args, business_slug=None, **kwargs):
        cli = click.get_current_context().find_object(CliContext)
        if business_slug:
            cli.business_slug = business_slug
            cli._business = None
        return fn(*args, **kwargs)
    return wrapper


def json_option(fn):
    """Add ``--json``: machine-readable output with stable keys."""
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
    @functools.wraps(fn)
    def wrapper(*args, as_json=False, **kwargs):
        cli = click.get_current_context().find_object(CliContext)
        cli.as_json = cli.as_json or as_json
        return fn(*args, **kwargs)
    return wrapper


def business_command(fn):
    """For addon (and core) commands that act for one business.

    Adds ``--business SLUG`` and ``--json``, resolves the business, refuses to run
    when the command belongs to an addon that is not enabled for it, and calls
    ``fn(cli, *args, **kwargs)`` with the ``CliContext``.
    """
    @business_option
    @json_option
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        cli = ctx.find_object(CliContext)
        addon = ctx.meta.get(ADDON_META)
        business = cli.business
        if addon:
            from .addons import state
            with cli.runtime.session(business.id) as session:
                if not state.is_enabled(session, business.id, addon):
                    raise CliError(f"addon '{addon}' is not enabled for business '{business.slug}'; run "
                                   f"'python manage.py addons enable {addon} --business {business.slug}'")
        return fn(cli, *args, **kwargs)
    return wrapper


# ---------------------------------------------------------------- the root group

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


from . import cli_addons, cli_admin, cli_serve  # noqa: E402,F401  register the core commands

if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
