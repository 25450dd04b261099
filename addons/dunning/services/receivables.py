"""Receivables: what each issued invoice still owes, and the money set against it.

open amount = total - credit notes - payments allocated + refunds. Every change
goes through ``_post`` (one allocation row and the cached ``open_amount`` in the
same flush), so the ledger and the cache never disagree. Money comes in three
ways: an order's payment (the ``sales.payment_registered`` event; it goes to
the order's invoices, oldest first), a bank statement line (``statements``),
or a payment entered by hand on an invoice without an order. Payments on an
order's invoice go through the order (sales' ``register_payment``), so the
order and the invoice can never tell two stories.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.db import utcnow
from core.errors import NotFound, UserError
from core.i18n import _, buyer_language
from core.mail import queue_mail
from core.money import fit_column, quantize
from core.numbers import parse_decimal
from core.text import clean_text

from addons.einvoice.models import Document
from addons.einvoice.services import documents
from addons.partners.models import Partner
from addons.sales.models import Order
from addons.sales.models import Payment as SalesPayment

from ..models import Allocation, ReceivedPayment, Receivable
from . import context

# Documents that make a customer owe money (a positive adjustment is owed like an invoice).
OWED_TYPES = ("vat_invoice", "sales_invoice", "receipt", "replacement_invoice", "adjustment_invoice")
PAID_TEMPLATE = "dunning/mail/paid"
MAX_MATCH = 200  # receivables one payment is spread over at most


# ---------------------------------------------------------------- lookups

def get_receivable(session, receivable_id: int) -> Receivable:
    rec = session.scalar(select(Receivable).where(Receivable.id == receivable_id))
    if rec is None:
        raise NotFound(_("no receivable #%(id)s in this business", id=receivable_id))
    return rec


def find_receivable(session, number: str) -> Receivable:
    """By the invoice's number ("INV-2026-000012"), as staff type it."""
    text = str(number or "").strip()
    rec = session.scalar(select(Receivable).where(Receivable.number == text).order_by(Receivable.id.desc()))
    if rec is None:
        raise NotFound(_("invoice: no issued invoice numbered %(number)s in this business", number=repr(text)))
    return rec


def open_receivables(session, *, partner_id=None, order_id=None, currency=None) -> list[Receivable]:
    """Open receivables, oldest due first: where automatic allocation puts money."""
    query = select(Receivable).where(Receivable.state == "open")
    if order_id is not None:
        query = query.where(Receivable.order_id == order_id)
    if partner_id is not None:
        query = query.where(Receivable.partner_id == partner_id)
    if currency is not None:
        query = query.where(Receivable.currency == currency)
    return list(session.scalars(query.order_by(Receivable.due_date, Receivable.id).limit(MAX_MATCH)))


# ---------------------------------------------------------------- the ledger

def _post(session, rec: Receivable, kind: str, amount: Decimal, day: date, *, payment: ReceivedPayment | None = None,
          credit_document_id: int | None = None) -> Allocation:
    """One ledger entry; keeps open_amount and the state in step and tells the sending job that money moved."""
    entry = Allocation(receivable_id=rec.id, kind=kind, amount=amount, entry_date=day,
                       payment_id=payment.id if payment is not None else None,
                       credit_document_id=credit_document_id)
    session.add(entry)
    rec.open_amount = rec.open_amount - amount
    rec.changed_at = utcnow()
    _refresh_state(session, rec)
    return entry


def _refresh_state(session, rec: Receivable) -> None:
    if rec.state == "cancelled":
        return
    if rec.open_amount <= 0 and rec.state == "open":
        rec.state, rec.paid_at = "paid", utcnow()
        _became_paid(session, rec)
    elif rec.open_amount > 0 and rec.state == "paid":
        rec.state, rec.paid_at = "open", None


def _became_paid(session, rec: Receivable) -> None:
    """Mark the invoice paid (an order's is marked by einvoice on sales.order_paid) and thank the customer."""
    doc = session.get(Document, rec.document_id)
    if rec.order_id is None and doc.state in ("issued", "sent", "delivered"):
        documents.mark_paid(session, doc.id)
    if context.settings(session)["payment_confirmation"]:
        send_confirmation(session, rec, doc)


def send_confirmation(session, rec: Receivable, doc: Document) -> None:
    """The payment confirmation, in the customer's language; no address, no mail (nothing to refuse)."""
    partner = session.get(Partner, rec.partner_id) if rec.partner_id else None
    to = (partner.email if partner is not None else None) or doc.buyer.get("email")
    if not to:
        return
    business = context.business_of(session)
    language = buyer_language(partner.language if partner else doc.buyer.get("language"),
                              doc.buyer.get("country"), (business.languages or ["en"])[0])
    from ..wording import day_in, money_in
    ctx = {"name": partner.name if partner else doc.buyer_name, "number": rec.number,
           "amount": money_in(rec.total, rec.currency, language), "seller": business.legal_name or business.name,
           "date": day_in(context.today(session), language)}
    queue_mail(session, to, PAID_TEMPLATE, ctx, language, reference=f"dunning:paid:{rec.id}",
               reply_to=context.settings(session)["reply_to"] or None)


# ---------------------------------------------------------------- documents

def record_document(session, document_id: int) -> Receivable | None:
    """An issued document: a new receivable (an invoice), or a credit on the one it corrects."""
    doc = session.get(Document, document_id)
    if doc is None or doc.state == "draft":
        return None
    if doc.type == "credit_note" or (doc.type == "adjustment_invoice" and doc.total < 0):
        return _credit(session, doc)
    if doc.type not in OWED_TYPES or doc.total <= 0:
        return None
    existing = session.scalar(select(Receivable).where(Receivable.document_id == doc.id))
    if existing is not None:
        return existing
    partner_id = doc.buyer.get("partner_id")
    if partner_id is None and doc.order_id is not None:
        partner_id = session.scalar(select(Order.partner_id).where(Order.id == doc.order_id))
    if partner_id is None:
        partner_id = _buyer_partner(session, doc.buyer)
    rec = Receivable(document_id=doc.id, partner_id=partner_id, order_id=doc.order_id, number=doc.display_number,
                     customer_name=doc.buyer_name or "", currency=doc.currency,
                     exchange_rate=doc.exchange_rate or Decimal(1), issue_date=doc.issue_date,
                     due_date=doc.due_date or doc.issue_date, total=doc.total, open_amount=doc.total,
                     state="open", changed_at=utcnow())
    session.add(rec)
    session.flush()
    # Money that arrived before the invoice (a paid order, a transfer booked early) is set against it now.
    if doc.order_id is not None:
        sync_order_payments(session, doc.order_id)
    for payment in unallocated_payments(session, order_id=doc.order_id, partner_id=partner_id,
                                        currency=doc.currency):
        auto_allocate(session, payment)
    return rec


def backfill(session) -> int:
    """Receivables for issued documents that have none (the addon enabled after invoicing began):
    invoices first, oldest first, then their corrections, so credits find their invoice."""
    known = select(Receivable.document_id)
    ids = list(session.scalars(select(Document.id).where(
        Document.state.in_(("issued", "sent", "delivered", "paid")), Document.type.in_(OWED_TYPES),
        Document.id.not_in(known)).order_by(Document.issue_date, Document.id)))
    for doc_id in ids:
        record_document(session, doc_id)
    credited = select(Allocation.credit_document_id).where(Allocation.credit_document_id.is_not(None))
    for doc_id in session.scalars(select(Document.id).where(
            Document.state != "draft", Document.type.in_(("credit_note", "adjustment_invoice")),
            Document.corrects_id.is_not(None), Document.id.not_in(credited)).order_by(Document.id)):
        record_document(session, doc_id)
    return len(ids)


def _buyer_partner(session, buyer: dict) -> int | None:
    """A hand-made invoice's customer: the one partner with the buyer's tax id (in its country) or e-mail."""
    if buyer.get("tax_id") and buyer.get("country"):
        found = session.scalars(select(Partner.id).where(Partner.tax_id == buyer["tax_id"],
                                                         Partner.country == buyer["country"]).limit(2)).all()
        if len(found) == 1:
            return found[0]
    if buyer.get("email"):
        found = session.scalars(select(Partner.id).where(Partner.email == buyer["email"]).limit(2)).all()
        if len(found) == 1:
            return found[0]
    return None


def _credit(session, doc: Document) -> Receivable | None:
    if doc.corrects_id is None:
        return None
    rec = session.scalar(select(Receivable).where(Receivable.document_id == doc.corrects_id))
    if rec is None or rec.state == "cancelled":
        return rec
    already = session.scalar(select(Allocation.id).where(Allocation.credit_document_id == doc.id,
                                                         Allocation.receivable_id == rec.id))
    if already is None:
        _post(session, rec, "credit", abs(doc.total), doc.issue_date, credit_document_id=doc.id)
    return rec


def cancel_document(session, document_id: int) -> None:
    """A cancelled invoice owes nothing; the money set against it is free again for its successor."""
    rec = session.scalar(select(Receivable).where(Receivable.document_id == document_id))
    if rec is None or rec.state == "cancelled":
        return
    for entry in session.scalars(select(Allocation).where(Allocation.receivable_id == rec.id,
                                                          Allocation.payment_id.is_not(None))):
        release(session, entry)
    rec.state, rec.open_amount, rec.changed_at = "cancelled", Decimal(0), utcnow()


# ---------------------------------------------------------------- payments

def sync_order_payments(session, order_id: int) -> list[ReceivedPayment]:
    """Take in the order's sales payments not yet known here, and set them against its invoices."""
    known = select(ReceivedPayment.sales_payment_id).where(ReceivedPayment.sales_payment_id.is_not(None),
                                                   ReceivedPayment.order_id == order_id)
    new = list(session.scalars(select(SalesPayment).where(SalesPayment.order_id == order_id,
                                                          SalesPayment.id.not_in(known))
                               .order_by(SalesPayment.id)))
    if not new:
        return []
    order = session.get(Order, order_id)
    out = []
    for sp in new:
        payment = ReceivedPayment(source="order", kind=sp.kind, sales_payment_id=sp.id, order_id=order_id,
                          partner_id=order.partner_id, currency=order.currency, amount=sp.amount,
                          unallocated=sp.amount, paid_on=sp.paid_on, reference=sp.reference)
        session.add(payment)
        out.append(payment)
    session.flush()
    for payment in out:
        auto_allocate(session, payment)
    return out


def unallocated_payments(session, *, order_id=None, partner_id=None, currency=None) -> list[ReceivedPayment]:
    query = select(ReceivedPayment).where(ReceivedPayment.unallocated > 0)
    if order_id is not None:
        query = query.where((ReceivedPayment.order_id == order_id) | ((ReceivedPayment.order_id.is_(None)) &
                                                               (ReceivedPayment.partner_id == partner_id)))
    elif partner_id is not None:
        query = query.where(ReceivedPayment.partner_id == partner_id, ReceivedPayment.order_id.is_(None))
    else:
        return []
    if currency is not None:
        query = query.where(ReceivedPayment.currency == currency)
    return list(session.scalars(query.order_by(ReceivedPayment.paid_on, ReceivedPayment.id)))


def auto_allocate(session, payment: ReceivedPayment, first: Receivable | None = None) -> Decimal:
    """Spread what is left of a payment over ``first``, then the order's, then the customer's oldest
    open invoices in its currency; a refund takes back from the order's paid invoices. Returns the rest."""
    if payment.unallocated <= 0:
        return Decimal(0)
    if payment.kind == "refund":
        return _allocate_refund(session, payment)
    targets = [first] if first is not None else []
    if payment.order_id is not None:
        targets += open_receivables(session, order_id=payment.order_id, currency=payment.currency)
    elif payment.partner_id is not None:
        targets += open_receivables(session, partner_id=payment.partner_id, currency=payment.currency)
    seen = set()
    for rec in targets:
        if rec.id in seen or rec.state != "open" or payment.unallocated <= 0:
            continue
        seen.add(rec.id)
        take = min(rec.open_amount, payment.unallocated)
        if take <= 0:
            continue
        payment.unallocated = payment.unallocated - take
        _post(session, rec, "payment", take, payment.paid_on, payment=payment)
    session.flush()
    return payment.unallocated


def _allocate_refund(session, payment: ReceivedPayment) -> Decimal:
    if payment.order_id is None:
        return payment.unallocated
    recs = session.scalars(select(Receivable).where(Receivable.order_id == payment.order_id,
                                                    Receivable.state != "cancelled")
                           .order_by(Receivable.due_date.desc(), Receivable.id.desc()))
    for rec in recs:
        if payment.unallocated <= 0:
            break
        paid = -(rec.open_amount - rec.total)  # what was set against it, credits included
        take = min(paid, payment.unallocated)
        if take <= 0:
            continue
        payment.unallocated = payment.unallocated - take
        _post(session, rec, "refund", -take, payment.paid_on, payment=payment)
    session.flush()
    return payment.unallocated


def release(session, entry: Allocation) -> None:
    """Undo one payment allocation: the money goes back to the payment, the invoice owes it again."""
    if entry.payment_id is None:
        raise UserError(_("allocation: a credit note cannot be released; issue a correction instead"))
    payment = session.get(ReceivedPayment, entry.payment_id)
    rec = session.get(Receivable, entry.receivable_id)
    payment.unallocated = payment.unallocated + (entry.amount if entry.kind == "payment" else -entry.amount)
    rec.open_amount = rec.open_amount + entry.amount
    rec.changed_at = utcnow()
    session.delete(entry)
    _refresh_state(session, rec)
    session.flush()


def release_allocation(session, allocation_id: int) -> None:
    entry = session.scalar(select(Allocation).where(Allocation.id == allocation_id))
    if entry is None:
        raise NotFound(_("no allocation #%(id)s in this business", id=allocation_id))
    release(session, entry)


def allocate_by_hand(session, payment_id: int, receivable_id: int, amount=None) -> Allocation:
    """Set (part of) a payment's unallocated money against one invoice of the same currency."""
    payment = session.scalar(select(ReceivedPayment).where(ReceivedPayment.id == payment_id))
    if payment is None:
        raise NotFound(_("payment: no payment #%(id)s in this business", id=payment_id))
    rec = get_receivable(session, receivable_id)
    if payment.kind != "payment":
        raise UserError(_("payment: a refund is set against its order's invoices automatically"))
    if rec.state != "open":
        raise UserError(_("invoice: %(number)s owes nothing", number=rec.number))
    if rec.currency != payment.currency:
        raise UserError(_("invoice: %(number)s is in %(currency)s, the payment in %(other)s", number=rec.number,
                          currency=rec.currency, other=payment.currency))
    value = min(payment.unallocated, rec.open_amount) if amount in (None, "") else _amount(amount, rec.currency)
    if value <= 0 or value > payment.unallocated:
        raise UserError(_("amount: at most %(left)s of this payment is not allocated yet",
                          left=payment.unallocated))
    if value > rec.open_amount:
        raise UserError(_("amount: %(number)s owes only %(open)s", number=rec.number, open=rec.open_amount))
    payment.unallocated = payment.unallocated - value
    if payment.partner_id is None:
        payment.partner_id = rec.partner_id
    entry = _post(session, rec, "payment", value, payment.paid_on, payment=payment)
    session.flush()
    return entry


def _amount(raw, currency: str, field: str = "amount") -> Decimal:
    value = parse_decimal(raw, field=field) if not isinstance(raw, Decimal) else raw
    value = fit_column(value, ReceivedPayment.__table__.c.amount, field)
    if quantize(value, currency) != value:
        raise UserError(_("%(field)s: %(value)s has more decimals than %(currency)s allows", field=field,
                          value=value, currency=currency))
    if value <= 0:
        raise UserError(_("%(field)s: must be greater than 0", field=field))
    return value


def pay_invoice(session, number: str, amount, *, method: str = "bank_transfer", paid_on: date | None = None,
                reference: str | None = None) -> ReceivedPayment | None:
    """A payment received for one invoice. An order's invoice is paid through its order (sales), so the
    order's balance moves too; a manual invoice gets a payment of its own here."""
    rec = find_receivable(session, number)
    if rec.state != "open":
        raise UserError(_("invoice: %(number)s owes nothing", number=rec.number))
    value = _amount(amount, rec.currency)
    if value > rec.open_amount:
        raise UserError(_("amount: %(number)s owes only %(open)s; overpayments are refused", number=rec.number,
                          open=rec.open_amount))
    paid_on = paid_on or context.today(session)
    if rec.order_id is not None:
        from addons.sales.services import register_payment
        register_payment(session, rec.order_id, value, method, paid_on=paid_on, reference=reference)
        session.flush()
        return session.scalar(select(ReceivedPayment).where(ReceivedPayment.order_id == rec.order_id)
                              .order_by(ReceivedPayment.id.desc()).limit(1))
    payment = ReceivedPayment(source="manual", kind="payment", partner_id=rec.partner_id, currency=rec.currency,
                      amount=value, unallocated=value, paid_on=paid_on,
                      reference=clean_text(reference, "reference", max_len=200))
    session.add(payment)
    session.flush()
    auto_allocate(session, payment, first=rec)
    return payment


def acknowledged(session, document_ids: list[int]) -> dict:
    """{document_id: when the buyer first confirmed receipt} through einvoice's signed confirm-receipt link."""
    from sqlalchemy import func
    from addons.einvoice.models import Delivery
    if not document_ids:
        return {}
    return dict(session.execute(select(Delivery.document_id, func.min(Delivery.confirmed_at))
                                .where(Delivery.document_id.in_(document_ids), Delivery.confirmed_at.is_not(None))
                                .group_by(Delivery.document_id)).all())


# ---------------------------------------------------------------- disputes

def set_dispute(session, number: str, disputed: bool = True, note: str | None = None) -> Receivable:
    """A disputed invoice is left out of every reminder until the dispute is cleared."""
    rec = find_receivable(session, number)
    rec.disputed = bool(disputed)
    rec.dispute_note = clean_text(note, "note", max_len=300) if disputed else None
    rec.changed_at = utcnow()
    session.flush()
    return rec
