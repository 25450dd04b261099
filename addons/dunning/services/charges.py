"""The reminder's fee and interest, booked as a charge document only once the customer paid them.

A reminder states its fee and interest; they are never added to an invoice's
receivable. When the customer pays them (a clerk books it on the reminder, or a
payment / statement line brings exactly that much more than the open invoices),
einvoice issues a sales invoice for the charge, numbered gaplessly in its own
series like every other document, and the money is set against it at once, so
it opens and closes in the same transaction. The reminder keeps the link
(``charge_document_id``, unique: a charge is booked once).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.errors import UserError
from core.i18n import _, in_language

from addons.einvoice.models import Document
from addons.einvoice.services.documents import create_document
from addons.einvoice.services.issue import issue_document
from addons.partners.models import Partner
from addons.partners.services import partner_snapshot

from ..models import ReceivedPayment, Receivable, Reminder
from . import context, receivables


def charge_amount(reminder: Reminder) -> Decimal:
    return (reminder.fee or Decimal(0)) + (reminder.interest or Decimal(0))


def _lines(reminder: Reminder, language: str) -> list[dict]:
    """The charge's lines in the customer's language: out of the scope of VAT (category O: a fee and
    interest for late payment are compensation, not a supply)."""
    lines = []
    with in_language(language):
        if reminder.fee:
            lines.append({"description": _("Reminder fee (%(level)s, %(day)s)", level=reminder.level_name,
                                           day=reminder.as_of.isoformat()),
                          "quantity": "1", "unit_price": str(reminder.fee), "tax_category": "O"})
        if reminder.interest:
            numbers = ", ".join(i["number"] for i in reminder.invoices or [])
            lines.append({"description": _("Late-payment interest on %(invoices)s", invoices=numbers),
                          "quantity": "1", "unit_price": str(reminder.interest), "tax_category": "O"})
    return lines


def book_charge(session, reminder_id: int, *, payment_id: int | None = None, paid_on: date | None = None,
                reference: str | None = None) -> Document:
    """The customer paid the reminder's fee and interest: issue the charge document and pay it.

    ``payment_id``: money already received (its unallocated part pays the charge); else a manual
    payment of exactly the charge is recorded.
    """
    from .sending import get_reminder
    reminder = get_reminder(session, reminder_id)
    total = charge_amount(reminder)
    if reminder.charge_document_id is not None:
        doc = session.get(Document, reminder.charge_document_id)
        raise UserError(_("reminder: its fee and interest are already booked (%(number)s)",
                          number=doc.display_number if doc else reminder.charge_document_id))
    if reminder.state != "sent":
        raise UserError(_("reminder: only a sent reminder's fee and interest can be charged"))
    if total <= 0:
        raise UserError(_("reminder: it states no fee and no interest"))
    payment = None
    if payment_id is not None:
        payment = session.scalar(select(ReceivedPayment).where(ReceivedPayment.id == payment_id))
        if payment is None:
            raise UserError(_("payment: no payment #%(id)s in this business", id=payment_id))
        if payment.kind != "payment" or payment.partner_id != reminder.partner_id:
            raise UserError(_("payment: #%(id)s is not money from this customer", id=payment_id))
        if payment.currency != reminder.currency or payment.unallocated < total:
            raise UserError(_("payment: #%(id)s has %(left)s %(currency)s left, the charge is %(total)s %(own)s",
                              id=payment_id, left=payment.unallocated, currency=payment.currency, total=total,
                              own=reminder.currency))
    partner = session.get(Partner, reminder.partner_id)
    snap = partner_snapshot(partner)
    buyer = {k: v for k, v in snap.items() if v is not None}
    paid_on = paid_on or (payment.paid_on if payment is not None else context.today(session))
    draft = create_document(session, type="sales_invoice", buyer=buyer, lines=_lines(reminder, reminder.language),
                            currency=reminder.currency, language=reminder.language, due_date=paid_on,
                            notes=_("Fee and interest of the payment reminder of %(day)s",
                                    day=reminder.as_of.isoformat()))
    doc = issue_document(session, draft.id, render_pdf=False)
    reminder.charge_document_id = doc.id
    session.flush()
    rec = session.scalar(select(Receivable).where(Receivable.document_id == doc.id))
    if rec is None:
        raise UserError(_("reminder: the charge document %(number)s opened no receivable", number=doc.display_number))
    if rec.state == "open":  # the customer's unallocated money may already have paid it at issue
        if payment is None:
            receivables.pay_invoice(session, rec.number, rec.open_amount, paid_on=paid_on, reference=reference)
        elif payment.unallocated >= rec.open_amount:
            receivables.allocate_by_hand(session, payment.id, rec.id, rec.open_amount)
        else:  # its money went to the customer's older open invoices first (the allocation rule)
            raise UserError(_("payment: #%(id)s went to the customer's open invoices; nothing is left for the "
                              "charge", id=payment.id))
    return doc


def take_excess(session, payment: ReceivedPayment) -> Document | None:
    """Money left over after the open invoices that is exactly the fee and interest of the customer's
    latest sent, uncharged reminder pays that charge; any other excess stays the customer's credit."""
    if payment.unallocated <= 0 or payment.kind != "payment" or payment.partner_id is None:
        return None
    reminder = session.scalar(select(Reminder).where(
        Reminder.partner_id == payment.partner_id, Reminder.state == "sent", Reminder.charge_document_id.is_(None),
        Reminder.currency == payment.currency).order_by(Reminder.as_of.desc(), Reminder.id.desc()).limit(1))
    if reminder is None or charge_amount(reminder) != payment.unallocated:
        return None
    return book_charge(session, reminder.id, payment_id=payment.id)
