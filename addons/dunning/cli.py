"""``manage.py dunning run|aging|pause|resume|dispute|pay|charge|letter|import-statement|collections`` — thin callers.

Customers are named by code (C00042), id, tax id, e-mail or exact name; invoices by their number.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from core.cli import business_command
from core.money import quantize

from .services import aging as aging_service
from .services import charges, context, letter, policies, receivables, runs, statements
from .services.collections import collections_rows


@click.group("dunning")
def group():
    """Receivables, reminders, bank statements and the aging report."""


def _day(cli, value, field):
    return None if value is None else context.parse_day(value, field)


@group.command("run")
@click.option("--dry-run", is_flag=True, help="Show who would be reminded of what; write and send nothing.")
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="The run's day (YYYY-MM-DD; default today).")
@business_command
def run(cli, dry_run, as_of):
    """Remind every customer with invoices due for a reminder (one message each), or preview it."""
    day = _day(cli, as_of, "as-of")

    def bar(length):
        return click.progressbar(length=length, label="Writing reminders", file=sys.stderr, show_pos=True)

    if dry_run:
        with cli.session() as session:
            result = runs.run(session, day, dry_run=True)
    else:
        with cli.transaction() as session:
            result = runs.run(session, day, progress=bar)
    plan = result.pop("_plan")
    if cli.as_json:
        cli.emit(result)
        return
    verb = "would remind" if dry_run else "reminding"
    by_level: dict = {}
    for item, cand in zip(result["reminders"], plan.reminders):
        by_level.setdefault((item["level"], cand.level_name), []).append(item)
    click.echo(f"dunning run as of {plan.as_of.isoformat()} ({'dry run' if dry_run else 'sending'})")
    for (number, name), items in sorted(by_level.items()):
        click.echo(f"level {number} — {name}: {verb} {len(items)} customer(s)")
        for item in items:
            click.echo(f"  {item['customer']}: {item['amount']} {plan.currency} — {', '.join(item['invoices'])}")
    for item in result["skipped"]:
        click.echo(f"skipped {item['customer']}: {item['reason']}")
    click.echo(f"sent {result['sent']}")


@group.command("aging")
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="Day of the report (YYYY-MM-DD; default today).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (the screen's export) instead of a table.")
@business_command
def aging(cli, as_of, as_csv):
    """Open receivables per customer in buckets: not yet due, 1-30, 31-60, 61-90, over 90 days."""
    day = _day(cli, as_of, "as-of")
    with cli.session() as session:
        report = aging_service.aging(session, day)
    if as_csv:
        click.echo(aging_service.as_csv(report), nl=False)
        return
    data = aging_service.as_json(report)
    if cli.as_json:
        cli.emit(data)
        return
    rows = [{"customer": r["customer"] or "-", **{b: r[b] for b in aging_service.BUCKETS}, "total": r["total"]}
            for r in data["customers"]]
    rows.append({"customer": "TOTAL", **{b: data["totals"][b] for b in aging_service.BUCKETS},
                 "total": data["totals"]["total"]})
    click.echo(f"aging as of {data['as_of']} in {data['currency']}")
    cli.emit(rows)


@group.command("pause")
@click.argument("customer")
@click.option("--until", "until", required=True, metavar="DATE", help="Last day without reminders (YYYY-MM-DD).")
@click.option("--amount", default=None, help="Amount the customer promised to pay.")
@click.option("--note", default=None)
@business_command
def pause(cli, customer, until, amount, note):
    """A promise to pay: no reminders for CUSTOMER until DATE."""
    with cli.transaction() as session:
        account = policies.pause(session, customer, until, amount=amount, note=note)
        row = {"customer": account.partner.name, "paused_until": account.paused_until,
               "promise_amount": account.promise_amount}
    cli.emit(row if cli.as_json else f"{row['customer']}: no reminders until {row['paused_until'].isoformat()}")


@group.command("resume")
@click.argument("customer")
@business_command
def resume(cli, customer):
    """End a pause (promise to pay) early."""
    with cli.transaction() as session:
        account = policies.resume(session, customer)
        name = account.partner.name
    cli.emit({"customer": name, "paused_until": None} if cli.as_json else f"{name}: reminders resumed")


@group.command("dispute")
@click.argument("invoice_number")
@click.option("--clear", is_flag=True, help="The dispute is settled: remind again.")
@click.option("--note", default=None, help="What the customer disputes.")
@business_command
def dispute(cli, invoice_number, clear, note):
    """Flag an invoice as disputed (left out of every reminder), or clear the flag."""
    with cli.transaction() as session:
        rec = receivables.set_dispute(session, invoice_number, not clear, note)
        row = {"invoice": rec.number, "disputed": rec.disputed, "note": rec.dispute_note}
    cli.emit(row if cli.as_json else f"{row['invoice']}: {'disputed' if row['disputed'] else 'dispute cleared'}")


@group.command("pay")
@click.argument("invoice_number")
@click.option("--amount", required=True)
@click.option("--method", default="bank_transfer", show_default=True)
@click.option("--date", "paid_on", default=None, metavar="DATE")
@click.option("--reference", default=None)
@business_command
def pay(cli, invoice_number, amount, method, paid_on, reference):
    """Record a payment received for an invoice (an order's invoice is paid through its order)."""
    day = _day(cli, paid_on, "date")
    with cli.transaction() as session:
        receivables.pay_invoice(session, invoice_number, amount, method=method, paid_on=day, reference=reference)
        rec = receivables.find_receivable(session, invoice_number)
        row = {"invoice": rec.number, "open": quantize(rec.open_amount, rec.currency), "currency": rec.currency,
               "state": rec.state}
    cli.emit(row if cli.as_json else f"{row['invoice']}: {row['open']} {row['currency']} still open ({row['state']})")


@group.command("import-statement")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["camt053", "csv"]), default=None,
              help="Default: CAMT.053 for XML files, else CSV.")
@click.option("--dry-run", is_flag=True, help="Match and report; write nothing.")
@business_command
def import_statement(cli, path, fmt, dry_run):
    """Import a bank statement (ISO 20022 CAMT.053 or CSV) and match its lines to open invoices."""
    content = path.read_bytes()
    if dry_run:
        with cli.session() as session:
            try:
                result = statements.import_statement(session, content, filename=path.name, fmt=fmt)
            finally:
                session.rollback()
    else:
        with cli.transaction() as session:
            result = statements.import_statement(session, content, filename=path.name, fmt=fmt)
    result["dry_run"] = bool(dry_run)
    if dry_run:
        result["statement"] = None
    if cli.as_json:
        cli.emit(result)
        return
    click.echo(f"{result['lines']} line(s), {result['duplicates']} already imported, "
               f"{len(result['matched'])} matched, {len(result['unmatched'])} to match by hand"
               + (" (dry run: nothing written)" if dry_run else ""))
    for m in result["matched"]:
        click.echo(f"  matched {m['date']} {m['amount']} {m['currency']} -> {', '.join(m['invoices']) or '-'}"
                   f" (by {m['by']})")
    for u in result["unmatched"]:
        click.echo(f"  to match {u['date']} {u['amount']} {u['currency']} {u['reference']!r} {u['counterparty']}")


@group.command("collections")
@business_command
def collections(cli):
    """Customers handed to collections, with their open invoices (the agency's export; --json or CSV)."""
    with cli.session() as session:
        rows = collections_rows(session)
    if cli.as_json:
        cli.emit(rows)
        return
    from .services.collections import as_csv
    click.echo(as_csv(rows), nl=False)



@group.command("charge")
@click.argument("reminder_id", type=int)
@click.option("--date", "paid_on", default=None, metavar="DATE", help="When the customer paid (default: today).")
@click.option("--reference", default=None)
@business_command
def charge(cli, reminder_id, paid_on, reference):
    """The customer paid the reminder's fee and interest: issue the charge document, paid."""
    day = _day(cli, paid_on, "date")
    with cli.transaction() as session:
        doc = charges.book_charge(session, reminder_id, paid_on=day, reference=reference)
        row = {"reminder": reminder_id, "document": doc.display_number, "amount": quantize(doc.total, doc.currency),
               "currency": doc.currency}
    cli.emit(row if cli.as_json else f"reminder {reminder_id}: {row['document']} {row['amount']} {row['currency']}")


@group.command("letter")
@click.argument("reminder_id", type=int)
@click.option("--output", "-o", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the PDF.")
@business_command
def letter_command(cli, reminder_id, output):
    """Write the reminder's printable letter (its policy's letter setting on) as a PDF."""
    with cli.session() as session:
        name, pdf = letter.letter_pdf(session, reminder_id)
    Path(output).write_bytes(pdf)
    cli.emit({"reminder": reminder_id, "file": output, "bytes": len(pdf)} if cli.as_json
             else f"reminder {reminder_id}: {output} ({len(pdf)} bytes)")
