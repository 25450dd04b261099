"""Documents from sales orders: the lines, the buyer (the order's customer), the terms.

The buyer snapshot comes from the customer partner and its tax id is validated
again for the buyer's country (a partner edited since may no longer pass). A
customer-paid shipping fee becomes a zero-rated line so the document adds up
to what the customer was charged.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, exists, or_, select

from addons.sales.terms import Term, notation
from addons.sales.totals import ROUNDING as ORDER_ROUNDING
from core.errors import UserError
from core.i18n import _

from ..models import Document
from ..rendering.labels import labels_for
from . import documents, issue

PAYMENT_METHOD_MAP = {"ewallet": "e_wallet", "return_credit": "bank_transfer", "virtual_account": "bank_transfer"}


def _order(session, order_id: int):
    from addons.sales.services import get_order
    return get_order(session, order_id)


def buyer_from_order(session, order) -> dict:
    from addons.partners.models import Partner
    from addons.partners.services import partner_snapshot
    if order.partner_id is None:
        return anonymous_buyer(session, order)
    partner = session.get(Partner, order.partner_id)
    snap = partner_snapshot(partner)
    return {"kind": snap["kind"], "name": snap["name"], "tax_id": snap["tax_id"], "country": snap["country"],
            "address": snap["street"], "city": snap["city"], "region": snap["region"],
            "postal_code": snap["postal_code"], "email": snap["email"], "phone": snap["phone"],
            "partner_id": snap["partner_id"], "language": snap["language"], "peppol_id": snap["peppol_id"]}


def anonymous_buyer(session, order) -> dict:
    """A walk-in buyer: no partner, only the country the goods go to (else the shop's), named in the
    language that country reads ("Khách lẻ" for a Vietnamese one), which the document is then written in."""
    business = documents.business_of(session)
    country = str((order.shipping_address or {}).get("country") or business.country or "").upper()
    language = documents.document_language(business, {"country": country})
    return {"kind": "person", "name": labels_for(language)["retail_customer"], "country": country,
            "language": language}


def lines_from_order(order, language: str = "en") -> list[dict]:
    """The order's lines as it priced them: the document computes them with the order's own
    rounding and tax-inclusive flag (frozen on it), so its total is what the customer was charged."""
    lines = [{"description": line.description, "sku": line.sku, "quantity": line.qty,
              "unit_price": line.unit_price, "discount_percent": line.discount_percent, "tax_rate": line.tax_rate}
             for line in order.lines]
    if order.shipping_fee and order.shipping_paid_by == "customer":
        lines.append({"description": labels_for(language)["shipping"], "quantity": Decimal(1), "unit_price": order.shipping_fee,
                      "tax_rate": Decimal(0), "tax_category": "Z", "unit": "C62"})
    return lines


def _payment_method(order) -> str:
    methods = [p.method for p in order.payments if p.kind == "payment"]
    if not methods:
        return "cod" if order.cod_amount else "bank_transfer"
    method = methods[-1]
    return PAYMENT_METHOD_MAP.get(method, method)


def create_from_order(session, order_id: int, doc_type: str, *, series: str | None = None) -> Document:
    """A draft for the order: its lines, its customer as buyer, its terms and PO number."""
    order = _order(session, order_id)
    if order.state == "cancelled":
        raise UserError(_("order %(number)s is cancelled; there is nothing to invoice", number=order.number))
    if not order.lines:
        raise UserError(_("order %(number)s has no lines", number=order.number))
    buyer = buyer_from_order(session, order)
    language = documents.document_language(documents.business_of(session), buyer, buyer.get("language"))
    terms = ""
    if order.payment_term_code:
        terms = notation(Term(order.term_days, order.term_discount_percent or Decimal(0), order.term_discount_days or 0))
    due = order.due_date or (order.order_date + timedelta(days=order.term_days) if order.term_days else None)
    return documents.create_document(
        session, type=doc_type, buyer=buyer, lines=lines_from_order(order, language), currency=order.currency,
        language=language, series=series, order_id=order.id, due_date=due, payment_terms=terms,
        early_discount_percent=order.term_discount_percent or None,
        early_discount_days=order.term_discount_days or None, customer_po=order.customer_po,
        payment_method=_payment_method(order), notes=f"{labels_for(language)['order']} {order.number}", rounding=ORDER_ROUNDING,
        prices_include_tax=order.prices_include_tax)


def existing_for_order(session, order_id: int, doc_type: str) -> Document | None:
    """The live (not cancelled) document of this type for the order, if one exists."""
    return session.scalar(select(Document).where(Document.order_id == order_id, Document.type == doc_type,
                                                 Document.state != "cancelled").order_by(Document.id).limit(1))


def live_document_for_order(session, order_id: int) -> Document | None:
    """The order's live fiscal document of any kind (an invoice, a receipt, a replacement or an
    adjustment; not a cancelled one, not a credit note, which only takes value back), if any."""
    return session.scalar(select(Document).where(Document.order_id == order_id, Document.state != "cancelled",
                                                 Document.type != "credit_note").order_by(Document.id).limit(1))


def issue_for_order(session, order_id: int, doc_type: str, *, render_pdf: bool | None = None) -> Document:
    """Issue the order's document once: a second call (a redelivered job) returns the first."""
    from addons.sales.models import Order
    # Two jobs for one order take turns on its row (PostgreSQL); the partial unique
    # index on (order, type) is the backstop everywhere.
    if session.scalar(select(Order.id).where(Order.id == order_id).with_for_update()) is None:
        raise UserError(_("order #%(id)s does not exist", id=order_id))
    existing = existing_for_order(session, order_id, doc_type)
    if existing is not None and existing.state != "draft":
        return existing
    doc = existing or create_from_order(session, order_id, doc_type)
    return issue.issue_document(session, doc.id, render_pdf=render_pdf)


def to_invoice():
    """The condition on sales orders that still need an invoice: confirmed (Processing or Completed) or
    paid, not cancelled, and with no document of this order other than cancelled ones. The home page's
    "Orders to invoice" tile counts these and the Invoicing › Orders to invoice list shows them; NOT
    EXISTS runs on the (business_id, order_id) index of documents."""
    from addons.sales import states
    from addons.sales.models import Order
    invoiced = exists().where(Document.order_id == Order.id, Document.state != "cancelled")
    return and_(Order.state != states.CANCELLED,
                or_(Order.state.in_((states.PROCESSING, states.COMPLETED)), Order.payment_status == states.PAID),
                ~invoiced)
