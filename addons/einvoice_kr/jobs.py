"""Jobs of einvoice_kr ("einvoice_kr.<name>"), each safe to run twice."""
from __future__ import annotations

from datetime import date

from core.jobs import SkipJob

from .services import automation, issuing, mailing, taxinvoices, taxmail


def issue_receipt(ctx, receipt_id: int):
    """Send one cash receipt to its provider (lookup by mgtKey first on a repeat)."""
    return issuing.run_issue(ctx.runtime, ctx.business_id, receipt_id)


def receipt_for_order(ctx, order_id: int):
    """The cash receipt an order's customer asked for, once its payment by a receipt method is in."""
    with ctx.runtime.transaction(ctx.business_id) as session:
        row = automation.receipt_for_order(session, order_id)
        return row.number if row else None


def cancel_for_return(ctx, return_id: int):
    with ctx.runtime.transaction(ctx.business_id) as session:
        row = automation.cancel_for_return(session, return_id)
        return row.number if row else None


def mail_receipt(ctx, receipt_id: int):
    with ctx.runtime.transaction(ctx.business_id) as session:
        mailing.mail_receipt(session, receipt_id)


def self_issue(ctx, as_of: str | None = None):
    if ctx.business_id is None:
        raise SkipJob("self_issue runs per business")
    with ctx.runtime.transaction(ctx.business_id) as session:
        from .services.common import today
        return automation.self_issue(session, date.fromisoformat(as_of) if as_of else today(session))


def pull_receipts(ctx):
    if ctx.business_id is None:
        raise SkipJob("pull_receipts runs per business")
    return issuing.pull_status(ctx.runtime, ctx.business_id)


def issue_tax_invoice(ctx, tax_invoice_id: int):
    return taxinvoices.run_issue(ctx.runtime, ctx.business_id, tax_invoice_id)


def mail_tax_invoice(ctx, tax_invoice_id: int):
    """The issued e-tax invoice to the buyer's e-mail (ours with the PDF and XML, or Popbill's)."""
    with ctx.runtime.transaction(ctx.business_id) as session:
        taxmail.mail_tax_invoice(session, tax_invoice_id)
