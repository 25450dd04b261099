"""``manage.py pos_print receipt|reprint|find|printers|test-page|jobs|retry|set-pin``: thin callers of the services.

``receipt`` and ``reprint`` write the bytes to ``--out`` (what the printer gets) and,
with ``--printer`` (or the ``default_printer`` setting for ``receipt``), queue them
on that printer through the outbox; the CLI acts as the system (no cashier name)
unless ``--as EMAIL`` names the clerk. Listings take ``--json``.
"""
from __future__ import annotations

from pathlib import Path

import click

from addons.sales.services import find_order
from core.cli import CliError, business_command
from core.formatting import code_label

from . import services

PRINTER_COLUMNS = ["id", "name", "kind", "address", "profile", "paper_width", "chars", "code_page", "cutter",
                   "drawer", "active", "status", "paper"]
REASONS = click.Choice(["customer_request", "paper_jam", "vat_invoice", "return", "other"])


@click.group("pos_print")
def group():
    """ESC/POS receipts: print, reprint, find, printers, test page."""


def _write(out: str, content: bytes) -> None:
    try:
        Path(out).write_bytes(content)
    except OSError as exc:
        raise CliError(f"--out: cannot write {out}: {exc.strerror or exc}") from None


def _acting(cli, email: str | None):
    """The user the command acts as (``--as``), for the cashier name, the reprint's 'who' and the audit log."""
    from core.audit import acting_as
    from contextlib import nullcontext
    if not email:
        return nullcontext()
    from sqlalchemy import select
    from core.models import User
    with cli.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == email.strip().lower())
                                 .execution_options(all_businesses=True))
    if user_id is None:
        raise CliError(f"--as: no user {email}")
    return acting_as(user_id)


def _receipt_row(receipt) -> dict:
    order = receipt.order
    return {"code": receipt.code, "order": order.number, "total": str(order.total), "currency": order.currency,
            "language": receipt.language, "printed_at": receipt.created_at.isoformat(),
            "cashier": receipt.cashier_name, "printer": receipt.printer.name if receipt.printer else None,
            "reprints": receipt.reprint_count, "bytes": len(receipt.content), "sha256": receipt.digest}


@group.command("receipt")
@click.argument("order_number")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="File the receipt bytes go to.")
@click.option("--printer", "printer", default=None, help="Printer name (default: the default_printer setting).")
@click.option("--tendered", default=None, help="Cash handed over, for the change line (first print only).")
@click.option("--as", "as_user", default=None, help="E-mail of the clerk printing (the cashier on the receipt).")
@business_command
def receipt(cli, order_number, out, printer, tendered, as_user):
    """The receipt of a paid order: rendered and stored at first print, the stored bytes after."""
    with _acting(cli, as_user), cli.transaction() as session:
        row, job = services.print_receipt(session, find_order(session, order_number).id,
                                          printer_name=printer, tendered=tendered)
        data = {"code": row.code, "bytes": len(row.content)}
        content = row.content
        job_id = job.id if job else None
    _write(out, content)
    if cli.as_json:
        cli.emit(data)
    else:
        click.echo(data["code"])
        if job_id:
            click.echo(f"queued as print job #{job_id}", err=True)


@group.command("reprint")
@click.argument("receipt_code")
@click.option("--reason", required=True, type=REASONS, help="Why the copy is printed.")
@click.option("--note", default=None, help="What happened (required with --reason other).")
@click.option("--pin", default=None, help="A supervisor's PIN (required when the require_pin setting is on).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="File the copy's bytes go to.")
@click.option("--printer", "printer", default=None, help="Also queue the copy on this printer.")
@click.option("--as", "as_user", default=None, help="E-mail of the clerk reprinting (printed on the copy).")
@business_command
def reprint(cli, receipt_code, reason, note, pin, out, printer, as_user):
    """A copy of a receipt: its stored bytes with the copy mark, counted and audited."""
    with _acting(cli, as_user), cli.transaction() as session:
        receipt = services.find_receipt(session, receipt_code)
        target_printer = services.find_printer(session, printer) if printer else None
        row, content = services.reprint(session, receipt.code, reason=reason, note=note, pin=pin,
                                        printer=target_printer or receipt.printer)
        job = services.queue_print(session, target_printer, "reprint", content, receipt_id=receipt.id,
                                   reprint_id=row.id) if target_printer else None
        data = {"code": receipt.code, "copy": row.number, "bytes": len(content), "job": job.id if job else None}
    _write(out, content)
    if cli.as_json:
        cli.emit(data)
    else:
        click.echo(f"{data['code']} copy {data['copy']}")


@group.command("find")
@click.argument("code_or_qr_payload")
@business_command
def find(cli, code_or_qr_payload):
    """A receipt by its code or the payload its QR code carries (a forged payload is refused)."""
    with cli.session() as session:
        data = _receipt_row(services.find_receipt(session, code_or_qr_payload))
    cli.emit(data)


@group.command("printers")
@business_command
def printers(cli):
    """The business's printers, with the last status read from each."""
    with cli.session() as session:
        rows = []
        for p in services.list_printers(session):
            address = {"network": f"{p.host}:{p.port}", "usb": f"{p.usb_vendor}:{p.usb_product}",
                       "serial": p.serial_device, "file": p.file_name}[p.kind]
            aim = services.target(p, "en")
            rows.append({"id": p.id, "name": p.name, "kind": p.kind, "address": address, "profile": p.profile,
                         "paper_width": p.paper_width, "chars": aim.geometry.chars, "dots": aim.geometry.dots,
                         "code_page": p.code_page, "cutter": p.has_cutter, "drawer": p.has_drawer,
                         "active": p.active, "status": p.status, "paper": p.paper,
                         "status_at": p.status_at.isoformat() if p.status_at else None})
    cli.emit(rows, columns=PRINTER_COLUMNS)


@group.command("test-page")
@click.argument("printer")
@business_command
def test_page(cli, printer):
    """Queue a test page on PRINTER (settings, a width ruler, the code page, Hangul and Han, a QR code, the cut)."""
    with cli.transaction() as session:
        job = services.queue_test_page(session, services.find_printer(session, printer).id)
        data = {"job": job.id, "printer": printer, "state": job.state, "bytes": len(job.content)}
    cli.emit(data)


@group.command("jobs")
@click.option("--state", type=click.Choice(["queued", "sent", "printed", "failed"]), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@business_command
def jobs(cli, state, limit):
    """Print jobs, newest first."""
    from sqlalchemy import select
    from .models import PrintJob
    with cli.session() as session:
        query = select(PrintJob).order_by(PrintJob.id.desc()).limit(limit)
        if state:
            query = query.where(PrintJob.state == state)
        rows = [{"id": j.id, "printer": j.printer.name, "kind": j.kind, "state": j.state, "attempt": j.attempt,
                 "retry_of": j.retry_of_id, "bytes": len(j.content), "bytes_sent": j.bytes_sent, "error": j.error}
                for j in session.scalars(query)]
    cli.emit(rows, columns=["id", "printer", "kind", "state", "attempt", "retry_of", "bytes", "bytes_sent", "error"])


@group.command("retry")
@click.argument("job_id", type=int)
@business_command
def retry(cli, job_id):
    """Send a failed print job again (a new, recorded attempt)."""
    with cli.transaction() as session:
        job = services.retry_print(session, job_id)
        data = {"job": job.id, "retry_of": job.retry_of_id, "attempt": job.attempt, "state": job.state}
    cli.emit(data)


@group.command("set-pin")
@click.argument("email")
@click.option("--pin", prompt=True, hide_input=True, help="4 to 8 digits.")
@business_command
def set_pin(cli, email, pin):
    """Give a supervisor (who holds pos_print.reprint.approve) a reprint PIN."""
    from sqlalchemy import select
    from core.models import User
    with cli.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.email == email.strip().lower())
                                 .execution_options(all_businesses=True))
        if user_id is None:
            raise CliError(f"no user {email}")
        services.set_pin(session, user_id, pin)
    cli.emit({"user": email, "pin": "set"})


@group.command("reprints")
@click.option("--day", default=None, help="YYYY-MM-DD in the business's time zone (default: every day).")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 1000))
@business_command
def reprints(cli, day, limit):
    """Reprints per day and cashier, newest first (the manager's list)."""
    from datetime import date
    try:
        wanted = date.fromisoformat(day) if day else None
    except ValueError:
        raise CliError("--day: a date as YYYY-MM-DD") from None
    with cli.session() as session:
        rows = [{"day": r.day.isoformat(), "code": r.receipt.code, "copy": r.number, "reason": r.reason,
                 "reason_label": str(code_label("reprint_reason", r.reason)), "note": r.note, "user": r.user_name,
                 "supervisor_id": r.supervisor_id, "at": r.created_at.isoformat()}
                for r in services.reprints_by_day(session, wanted, limit=limit)]
    cli.emit(rows, columns=["day", "at", "code", "copy", "reason", "note", "user"])
