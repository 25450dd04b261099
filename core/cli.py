"""What every command is built with: output, errors, the business context.

The root group and the entry point are in ``core.cli_main``; core commands
live in ``core/cli_*.py``; each addon's click group (manifest
``commands = ".cli:group"``) mounts as ``manage.py <addon> ...``. All of them
import this module, which imports none of them. Listings (``addons list``,
``addons check``) read manifests only, so this module and the command modules
import nothing heavy at the top: Flask, Flask-Admin and the PDF stack are
imported inside the commands that need them.

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
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import click

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
    if getattr(exc, "cli_hint", None):        # a UserError's command-line way out (core.errors)
        text = f"{text}; {exc.cli_hint}"
    return " ".join(text.split()) or type(exc).__name__


class CliError(click.ClickException):
    """Printed as ``error: <message>`` on stderr; exit status 1 (2 for usage errors)."""

    def __init__(self, message, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None):
        click.echo(f"error: {self.message}", err=True, file=file)


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

    def manifests(self):
        """(config, registry of discovered manifests): no database, no SQLAlchemy, no addon code.
        For commands that answer from manifests alone (``addons list``)."""
        if self._runtime is not None:
            return self._runtime.config, self._runtime.registry
        from .addons.registry import Registry
        from .config import load_config
        config = load_config(self.overrides)
        return config, Registry.discover(config)

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
