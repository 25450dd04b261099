"""``manage.py catalog import|export``: products and variants as CSV."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from core.cli import CliError, business_command
from core.text import decode_utf8

from . import csvio


@click.group("catalog")
def group():
    """Products and variants."""


@group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@business_command
def import_(cli, path, dry_run):
    """Import products and variants from a CSV file (all or nothing)."""
    text = decode_utf8(path.read_bytes(), str(path))   # a UserError is printed as one 'error:' line
    total = csvio.count_rows(text)
    try:
        with cli.transaction() as session:
            with click.progressbar(length=total, label="Importing" if not dry_run else "Checking",
                                   file=sys.stderr, show_pos=True) as bar:
                report = csvio.import_products(session, text, dry_run=dry_run, progress=bar.update)
    except csvio.CsvImportError as exc:
        if cli.as_json:
            cli.emit(exc.report.as_dict())
        else:
            for line, reason in exc.report.errors:
                click.echo(f"line {line}: {reason}", err=True)
        raise CliError(f"{len(exc.report.errors)} bad row(s); nothing was written") from None
    cli.emit(report.as_dict())


@group.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
@click.option("--active-only", is_flag=True, help="Leave out archived products.")
@business_command
def export(cli, output, active_only):
    """Export every product and variant as CSV (the import format); --json prints the same rows as JSON."""
    with cli.session() as session:
        if cli.as_json:
            cli.emit(list(csvio.export_rows(session, active_only=active_only)))
            return
        if output is None:
            csvio.export_products(session, sys.stdout, active_only=active_only)
        else:
            with output.open("w", encoding="utf-8", newline="") as handle:
                csvio.export_products(session, handle, active_only=active_only)
            click.echo(f"written {output}", err=True)
