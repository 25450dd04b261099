"""Returns credit the invoice: a return received on an invoiced order gets its credit note.

Sales publishes ``sales.return_received`` and knows nothing of invoices. The
sync handler records a ``ReturnCredit`` row (return -> the order's live
invoice) in the return's transaction and, when the setting ``credit_on_return``
is on (default), enqueues the job that issues the credit note for the
returned lines. Issuing is a job, not part of the return: a failure (a missing
seller tax id, a buyer agreement the regime wants) must not undo the return;
until the credit note exists, the order's page says the invoice is not yet
corrected (``pending_text``).
"""
from __future__ import annotations

from sqlalchemy import select

from addons.sales.services import get_return
from core.errors import UserError
from core.i18n import _
from core.jobs import enqueue

from ..models import Document, ReturnCredit
from ..rendering.labels import labels_for
from . import corrections, documents, issue

INVOICE_TYPES = ("vat_invoice", "sales_invoice", "receipt")


def invoice_of_order(session, order_id: int) -> Document | None:
    """The order's live (issued, not cancelled) invoice, or its receipt when it has no invoice."""
    docs = list(session.scalars(select(Document).where(
        Document.order_id == order_id, Document.type.in_(INVOICE_TYPES),
        Document.state.not_in(("draft", "cancelled")))))
    docs.sort(key=lambda d: (INVOICE_TYPES.index(d.type), d.id))
    return docs[0] if docs else None


def record_return(session, return_id: int, order_id: int) -> ReturnCredit | None:
    """Note that the order's invoice needs correcting for this return; enqueue the credit when the setting says so."""
    invoice = invoice_of_order(session, order_id)
    if invoice is None:
        return None  # nothing issued yet: a later invoice is made from the order as it is then
    credit = ReturnCredit(return_id=return_id, return_number=get_return(session, return_id).number,
                          order_id=order_id, invoice_id=invoice.id)
    session.add(credit)
    session.flush()
    if documents.settings(session)["credit_on_return"]:
        enqueue(session, "einvoice.credit_return", return_credit_id=credit.id)
    return credit


def returned_lines(session, credit: ReturnCredit, invoice: Document) -> list[dict]:
    """The invoice's lines for the returned order lines, with the returned quantities.

    Documents from an order list its lines in the order's sequence (``orders.lines_from_order``),
    so the n-th order line is the invoice line at position n.
    """
    ret = get_return(session, credit.return_id)
    order_line_ids = [line.id for line in ret.order.lines]
    by_position = {line.position: line for line in invoice.lines}
    lines = []
    for returned in ret.lines:
        line = by_position.get(order_line_ids.index(returned.order_line_id) + 1)
        if line is None:
            raise UserError(_("return %(ret)s: invoice %(invoice)s has no line for %(sku)s; issue the credit note "
                              "by hand", ret=ret.number, invoice=invoice.display_number, sku=returned.order_line.sku))
        lines.append({"description": line.description, "sku": line.sku, "quantity": returned.qty,
                      "unit": line.unit, "unit_price": line.unit_price, "discount_percent": line.discount_percent,
                      "tax_rate": line.tax_rate, "tax_category": line.tax_category})
    return lines


def credit_return(session, return_credit_id: int) -> Document | None:
    """Issue the credit note of one recorded return (once: a second run finds it done)."""
    credit = session.scalar(select(ReturnCredit).where(ReturnCredit.id == return_credit_id).with_for_update())
    if credit is None:
        raise UserError(_("no return credit #%(id)s in this business", id=return_credit_id))
    if credit.credit_note_id is not None:
        return session.get(Document, credit.credit_note_id)
    invoice = documents.get_document(session, credit.invoice_id)
    if invoice.state == "cancelled":
        return None  # cancelled as a whole since: nothing is left to credit
    agreement = {}
    if issue.needs_buyer_agreement(session, "credit_note"):
        # The received return is the buyer's written request for this credit.
        agreement = {"agreement_ref": credit.return_number, "agreement_date": documents.business_today(session)}
    note = corrections.credit_note(session, invoice.id, reason=f"{labels_for(invoice.language)['return']} {credit.return_number}",
                                   lines=returned_lines(session, credit, invoice), **agreement)
    note = issue.issue_document(session, note.id)
    credit.credit_note_id = note.id
    session.flush()
    return note


def pending_text(session, order) -> str | None:
    """What the order's page says while an invoice of the order is not corrected for a return."""
    rows = session.execute(select(ReturnCredit.return_number, Document.display_number)
                           .join(Document, Document.id == ReturnCredit.invoice_id)
                           .where(ReturnCredit.order_id == order.id, ReturnCredit.credit_note_id.is_(None),
                                  Document.state != "cancelled")
                           .order_by(ReturnCredit.id)).all()
    if not rows:
        return None
    return "; ".join(_("Invoice %(number)s is not yet corrected for return %(ret)s: draft a credit note "
                       "on the invoice's page (Invoicing › Invoices and receipts)", number=number, ret=ret)
                     for ret, number in rows)
