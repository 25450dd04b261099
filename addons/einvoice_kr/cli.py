"""``manage.py einvoice_kr cashreceipt|cancel|brn-status|self-issue|taxinvoice|amend|receipts|demo``.

Thin callers of the services. ``cashreceipt`` and ``cancel`` record the document and
enqueue the job that sends it to Popbill (its state moves from ``requested`` to
``issued`` when the worker has run it). Identity numbers print masked.
"""
from __future__ import annotations

import click

from core.cli import business_command

from .models import CANCEL_REASONS


@click.group("einvoice_kr")
def group():
    """Korea: cash receipts (현금영수증), business-number status, e-tax invoices (전자세금계산서)."""


@group.command("cashreceipt")
@click.argument("order_number")
@click.option("--identity", default=None, metavar="VALUE",
              help="Mobile (010-…), cash-receipt/credit card, business or resident number; default: the one "
                   "the customer gave at checkout.")
@click.option("--purpose", type=click.Choice(["deduction", "proof"]), default=None,
              help="deduction: 소득공제용 (income deduction); proof: 지출증빙용 (expense proof).")
@business_command
def cashreceipt(cli, order_number, identity, purpose):
    """Issue the cash receipt of an order's cash and bank-transfer payments."""
    from addons.sales.services.orders import find_order
    from .services import receipts
    with cli.transaction() as session:
        order = find_order(session, order_number)
        row = receipts.request_receipt(session, order.id, value=identity, purpose=purpose)
        data = receipts.describe(row)
    cli.emit(data)


@group.command("cancel")
@click.argument("document_number")
@click.option("--amount", default=None, metavar="KRW", help="Cancel only this much (partial); default: what is left.")
@click.option("--reason", required=True, type=click.Choice(tuple(CANCEL_REASONS)),
              help="1 deal cancelled, 2 issued in error, 3 other.")
@business_command
def cancel(cli, document_number, amount, reason):
    """Cancel a cash receipt (취소거래) in full or in part."""
    from .services import receipts
    with cli.transaction() as session:
        original = receipts.find_receipt(session, document_number)
        row = receipts.request_cancel(session, original.id, reason=reason, amount=amount)
        data = receipts.describe(row)
    cli.emit(data)


@group.command("brn-status")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--start-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Start date of the business (validate call, with --representative).")
@click.option("--representative", default=None, help="Representative's name (validate call).")
@business_command
def brn_status(cli, numbers, start_date, representative):
    """The NTS status of business registration numbers: active, suspended, closed or unknown."""
    from .services import brn
    with cli.transaction() as session:
        data = brn.check(session, list(numbers), start_date=start_date.date() if start_date else None,
                         representative=representative)
    cli.emit(data, columns=["number", "status", "tax_type", "closed_on", "checked_on", "cached"])


@group.command("self-issue")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day the schedule runs for (default: today in the business's time zone).")
@business_command
def self_issue(cli, as_of):
    """Self-issue receipts (to 010-000-1234) for designated-trade cash payments of 100,000 KRW or more."""
    from .services import automation, common
    with cli.transaction() as session:
        data = automation.self_issue(session, as_of.date() if as_of else common.today(session))
    cli.emit(data)


@group.command("receipts")
@click.argument("order_number")
@business_command
def receipts_cmd(cli, order_number):
    """The chain of cash receipts of an order (approvals and cancellations)."""
    from addons.sales.services.orders import find_order
    from .services import receipts
    with cli.session() as session:
        order = find_order(session, order_number)
        data = [receipts.describe(r) for r in receipts.chain(session, order.id)]
    cli.emit(data, columns=["number", "trade_type", "state", "identity", "confirm_num", "total", "original"])


@group.command("taxinvoice")
@click.argument("document_number")
@click.option("--purpose", type=click.Choice(["receipt", "charge"]), default="receipt", show_default=True,
              help="receipt: 영수 (paid); charge: 청구 (to be paid).")
@business_command
def taxinvoice(cli, document_number, purpose):
    """Issue the e-tax invoice of an issued einvoice document to a Korean business."""
    from addons.einvoice.services.documents import find_document
    from .services import taxinvoices
    with cli.transaction() as session:
        row = taxinvoices.from_document(session, find_document(session, document_number).id, purpose=purpose)
        data = taxinvoices.describe(row)
    cli.emit(data)


@group.command("amend")
@click.argument("number")
@click.option("--reason", required=True, type=click.Choice([str(n) for n in range(1, 7)]),
              help="NTS amendment reason: 1 correction, 2 supply value change, 3 return, 4 contract cancelled, "
                   "5 local L/C opened afterwards, 6 issued twice.")
@click.option("--line", "lines", multiple=True, metavar="NAME:QTY:UNIT_PRICE",
              help="A line of the amendment (reasons 1, 2, 3); repeat for more.")
@business_command
def amend(cli, number, reason, lines):
    """Issue the amended tax invoice(s) (수정세금계산서) of an issued one."""
    from core.cli import CliError
    from .services import taxinvoices
    parsed = []
    for text in lines:
        parts = text.rsplit(":", 2)
        if len(parts) != 3:
            raise CliError(f"--line {text!r}: write NAME:QTY:UNIT_PRICE")
        parsed.append({"name": parts[0], "quantity": parts[1], "unit_price": parts[2]})
    with cli.transaction() as session:
        original = taxinvoices.find(session, number)
        rows = taxinvoices.amend(session, original.id, int(reason), lines=parsed or None)
        data = [taxinvoices.describe(r) for r in rows]
    cli.emit(data)


@group.command("demo")
@click.option("--slug", default="demo-kr", show_default=True, help="The Korean demo business's slug.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def demo_cmd(ctx, slug, as_json):
    """Create or top up the Korean demo business: receipts, a cancellation, a tax invoice and its amendment."""
    from core.cli import CliContext, emit
    from .demo import seed_business
    cli = ctx.find_object(CliContext)
    emit(seed_business(cli.runtime, slug), as_json or cli.as_json)
