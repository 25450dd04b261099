"""Demo e-invoices: documents for the demo's paid orders, buyers in KR, VN, MX, CN, RU and DE.

Runs after the sales demo and pays nothing itself. Paid orders are issued in
date order (numbers follow dates): a VAT invoice with the Vietnamese template
symbol for Vietnamese companies, a sales invoice for foreign companies, a
receipt for people. Where
the paid orders miss one of the showcase countries, a hand-made invoice with
free lines covers it. A few documents are e-mailed (through the mail outbox)
and one is cancelled by a credit note, so every screen has something to show.
Auto-issue is switched on last: paying an order afterwards issues and e-mails its invoice.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.errors import UserError
from core.settings import set_settings

from .models import Document, Series
from .services import corrections, documents, issue, numbering, orders, sending

SHOWCASE = ("KR", "VN", "MX", "CN", "RU", "DE")
MAX_ORDERS = 80


def _doc_type(buyer: dict, seller_country: str) -> str:
    if buyer.get("kind") != "company":
        return "receipt"
    return "vat_invoice" if buyer.get("country") == seller_country else "sales_invoice"


# Seller details the Business row has no column for; a GLN gives a non-EU seller a Peppol address.
DEMO_SELLER_SETTINGS = {"seller_city": "Hồ Chí Minh", "seller_postal_code": "700000",
                        "seller_bank_name": "Vietcombank", "seller_bank_account": "0071001234567",
                        "seller_peppol_id": "0088:8935012345677"}


def _seller_details(session):
    have = documents.settings(session)
    missing = {k: v for k, v in DEMO_SELLER_SETTINGS.items() if not have.get(k)}
    if missing:
        runtime = documents.runtime_of(session)
        set_settings(session, runtime.registry, "einvoice", missing, runtime.config["SECRET_KEY"])


def load(session, business_id, rng) -> dict:
    numbering.ensure_default_series(session)
    business = documents.business_of(session)
    _seller_details(session)
    if business.country == "VN":
        _vietnamese_template_series(session)
    issued = _issue_paid_orders(session, business.country)
    today = max([d.issue_date for d in issued], default=date.today())
    issued += _showcase_invoices(session, business.country, {d.buyer_country for d in issued}, today, rng)
    sent = _send_some(session, issued[-6:])
    cancelled = _cancel_one(session, issued, today)
    _auto_issue(session, business.country)
    session.flush()
    total = session.scalar(select(Document.id).order_by(Document.id.desc()).limit(1))
    return {"documents": len(issued) + (1 if cancelled else 0), "countries": sorted({d.buyer_country for d in issued}),
            "sent": sent, "last_id": total, "amount": str(sum((d.total for d in issued), Decimal(0)))}


def _auto_issue(session, seller_country: str) -> None:
    """From now on, paying one of the demo's orders issues its invoice and e-mails it (a job): the
    newcomer's order -> confirm -> pay -> invoice -> e-mail needs no extra click. Set last, so the
    documents made above stay the hand-picked ones."""
    runtime = documents.runtime_of(session)
    set_settings(session, runtime.registry, "einvoice",
                 {"auto_issue": "invoice", "invoice_type": "vat_invoice" if seller_country == "VN" else "sales_invoice"},
                 runtime.config["SECRET_KEY"])


def _vietnamese_template_series(session) -> None:
    """VAT invoices of a Vietnamese seller are numbered under this year's template symbol (1C26TAA)."""
    symbol = f"1C{date.today().year % 100:02d}TAA"
    if session.scalar(select(Series.id).where(Series.code == symbol)):
        return
    vat = session.scalar(select(Series).where(Series.code == "VAT"))
    if vat is not None:
        vat.active = False
    numbering.create_series(session, doc_type="vat_invoice", code=symbol, number_format="{series}-{number:08d}",
                            name="Hóa đơn GTGT có mã (template 1)")


def _issue_paid_orders(session, seller_country: str) -> list[Document]:
    """One document per paid order (at most MAX_ORDERS), issued in payment date order so numbers follow dates."""
    from addons.sales.models import Order, Payment
    paid = session.execute(
        select(Order.id, Payment.paid_on).join(Payment, Payment.order_id == Order.id)
        .where(Order.payment_status == "paid", Payment.kind == "payment")
        .order_by(Payment.paid_on, Order.id)).all()
    seen, issued = set(), []
    for order_id, paid_on in paid:
        if order_id in seen or len(issued) >= MAX_ORDERS:
            continue
        seen.add(order_id)
        buyer = orders.buyer_from_order(session, session.get(Order, order_id))
        try:
            with session.begin_nested():
                draft = orders.create_from_order(session, order_id, _doc_type(buyer, seller_country))
                doc = issue.issue_document(session, draft.id, issue_date=paid_on, render_pdf=False, submit=False)
        except UserError:
            continue  # e.g. a date before the series' last document: that order stays without one
        issued.append(doc)
    return issued


def _showcase_invoices(session, seller_country: str, covered: set, today: date, rng) -> list[Document]:
    """A free-line invoice to a company of each showcase country the paid orders missed."""
    from addons.partners.models import Partner
    from addons.partners.services import partner_snapshot
    issued = []
    for country in SHOWCASE:
        if country in covered:
            continue
        partner = session.scalar(select(Partner).where(Partner.country == country, Partner.kind == "company")
                                 .order_by(Partner.id).limit(1))
        if partner is None:
            continue
        snap = partner_snapshot(partner)
        buyer = {k: snap[k] for k in ("kind", "name", "tax_id", "country", "email", "phone", "city", "postal_code",
                                      "peppol_id")}
        buyer["address"] = snap["street"]
        draft = documents.create_document(
            session, type=_doc_type(buyer, seller_country), buyer=buyer, language=snap["language"],
            lines=[{"description": "Consulting services", "quantity": "4", "unit": "HUR",
                    "unit_price": str(rng.choice((250000, 400000, 650000))), "tax_rate": "0.10"},
                   {"description": "Sample kit", "quantity": "2", "unit_price": "180000", "tax_rate": "0.10",
                    "discount_percent": "5"}],
            payment_terms="Net 30", payment_method="bank_transfer", notes="Demo invoice with free lines")
        issued.append(issue.issue_document(session, draft.id, issue_date=today, render_pdf=False, submit=False))
    return issued


def _send_some(session, candidates: list[Document]) -> int:
    """E-mail the documents (through the mail outbox) whose buyer has an address; how many were sent."""
    sent = 0
    for doc in candidates:
        if doc.buyer.get("email") and doc.state != "cancelled":
            sending.send_document(session, doc.id)
            sent += 1
    return sent


def _cancel_one(session, issued: list[Document], today: date) -> Document | None:
    """Cancel the first sales invoice with a full credit note, so the correction screens have an example."""
    target = next((d for d in issued if d.type == "sales_invoice" and d.state != "cancelled"), None)
    if target is None:
        return None
    return corrections.cancel(session, target.id, reason="Ordered by mistake (demo)",
                              agreement_ref="EMAIL-2026-001", agreement_date=today, issue_date=today)
