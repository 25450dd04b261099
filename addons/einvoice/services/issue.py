"""Issuing: the fiscal act that numbers, freezes and stores a draft, and the rules it checks first.

Corrections (credit notes, adjustments, replacements) are checked here too:
they are issued like any document, and a full credit note or a replacement
cancels the document it corrects in the same transaction. Never commits.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from addons.sales.terms import Term, notation

from core import events
from core.db import utcnow
from core.errors import NotFound, UserError

from ..models import Document
from ..totals import recompute
from . import numbering
from .documents import (XML_TYPES, business_of, business_today, clean_buyer, mark_paid, render_pdf_bytes,
                        seller_snapshot, settings)
from .submission import request_submission


def issue_document(session, document_id: int, *, issue_date: date | None = None, render_pdf: bool | None = None,
                   submit: bool = True) -> Document:
    """Number, freeze and store a draft: the fiscal act.

    Everything that can fail is checked before the number is taken, and the
    number is taken as late as possible (the counter row stays locked until
    commit). ``render_pdf=False`` leaves the PDF to be written once later
    (bulk issue); the XML is always built here so the stored XML is the issued one.
    """
    doc = session.scalar(select(Document).where(Document.id == document_id).with_for_update())
    if doc is None:
        raise NotFound(f"no e-invoice document #{document_id} in this business")
    if doc.state != "draft":
        raise UserError(f"{doc.label} is already {doc.state}")
    conf = settings(session)
    if not doc.lines:
        raise UserError(f"{doc.label}: a document needs at least one line")
    corrected = _check_correction(session, doc, conf)
    clean_buyer(doc.buyer, doc.type)
    doc.seller = seller_snapshot(session)  # the seller as it issues, tax id included
    _check_seller_tax_id(doc)
    recompute(doc)
    issue_date = issue_date or business_today(session)
    _default_terms(doc, issue_date, conf)
    session.flush()  # amounts and terms are written while the document is still a draft
    series = numbering.series_for(session, doc.type, doc.series)
    number, display = numbering.take_number(session, series, issue_date.year)
    _check_chronology(session, series.code, issue_date, number)
    doc.series, doc.year, doc.number, doc.display_number = series.code, issue_date.year, number, display
    doc.issue_date, doc.issued_at, doc.state = issue_date, utcnow(), "issued"
    if doc.type in XML_TYPES and conf["store_xml"]:
        from ..rendering.ubl import build_ubl
        doc.xml = build_ubl(doc)
    if render_pdf if render_pdf is not None else conf["render_pdf_on_issue"]:
        doc.pdf = render_pdf_bytes(session, doc)
    session.flush()
    if corrected is not None and (doc.type == "replacement_invoice" or
                                  (doc.type == "credit_note" and doc.full_correction)):
        _cancel_by(session, corrected, doc)
    events.publish(session, "einvoice.document_issued", document_id=doc.id, type=doc.type,
                   number=doc.display_number, order_id=doc.order_id)
    if doc.order_id is not None and _order_paid(session, doc.order_id) and doc.type != "credit_note":
        mark_paid(session, doc.id)
    if submit:
        request_submission(session, doc)
    return doc


def _check_seller_tax_id(doc: Document) -> None:
    """A document that charges tax (or, in UBL, names any VAT category) must show the seller's tax id.

    EN 16931 BR-S-02 and its siblings for Z, E, AE, K, G, L, M: only "O" (not
    subject to VAT) needs none; a receipt, which has no UBL, only when it charges tax.
    """
    if (doc.seller or {}).get("tax_id"):
        return
    if any(line.tax_category != "O" and (doc.type in XML_TYPES or line.tax_rate) for line in doc.lines):
        raise UserError(f"{doc.label}: the seller tax id is missing, and a document that charges tax must show "
                        f"it; fill in 'Tax id' in the business settings (Admin > Business) and issue again")


def _default_terms(doc: Document, issue_date: date, conf: dict) -> None:
    """An amount due always has a due date or terms (EN 16931 BR-CO-25): the business default fills a gap."""
    if doc.total <= 0 or doc.due_date is not None or (doc.payment_terms or "").strip():
        return
    days = conf["payment_days"]
    if days < 0:
        raise UserError(f"setting payment_days (Default payment term): {days} is negative; "
                        f"use 0 (due on receipt) or a number of days")
    doc.due_date = issue_date + timedelta(days=days)
    doc.payment_terms = notation(Term(days))  # 'net 14', 'due on receipt': printed in words per language


def _check_chronology(session, code: str, issue_date: date, number: int):
    """Numbers follow dates within a series: no document dated before the one numbered before it."""
    if number <= 1:
        return
    previous = session.scalar(select(Document.issue_date).where(
        Document.series == code, Document.year == issue_date.year, Document.number == number - 1))
    if previous is not None and previous > issue_date:
        raise UserError(f"series {code}: issue date {issue_date} is before {previous}, the date of number "
                        f"{number - 1}; numbers must follow dates")


def _check_correction(session, doc: Document, conf: dict):
    if doc.type not in ("credit_note", "adjustment_invoice", "replacement_invoice"):
        return None
    if doc.corrects_id is None:
        raise UserError(f"{doc.label}: a {doc.type.replace('_', ' ')} must name the document it corrects")
    original = session.scalar(select(Document).where(Document.id == doc.corrects_id).with_for_update())
    if original is None or original.state in ("draft", "cancelled"):
        state = "missing" if original is None else original.state
        raise UserError(f"{doc.label}: the corrected document is {state}; only issued documents can be corrected")
    if not (doc.correction_reason or "").strip():
        raise UserError(f"{doc.label}: a correction needs its reason")
    if original.currency != doc.currency:
        raise UserError(f"{doc.label}: a correction is in the currency of the document it corrects "
                        f"({original.currency})")
    if needs_buyer_agreement(session, doc.type, conf) and not (doc.buyer_agreement_ref and doc.buyer_agreement_date):
        raise UserError(f"{doc.label}: this correction needs the buyer's agreement (reference and date)")
    return original


def needs_buyer_agreement(session, doc_type: str, conf: dict | None = None) -> bool:
    """Vietnam (Decree 123) wants a written agreement for adjustments and replacements; a setting adds it elsewhere."""
    conf = conf or settings(session)
    if doc_type not in ("adjustment_invoice", "replacement_invoice", "credit_note"):
        return False
    if conf["require_buyer_agreement"]:
        return True
    return business_of(session).country == "VN" and doc_type != "credit_note"


def _cancel_by(session, original: Document, by: Document):
    original.state = "cancelled"
    original.cancelled_at = utcnow()
    original.cancelled_by_id = by.id
    session.flush()
    events.publish(session, "einvoice.document_cancelled", document_id=original.id, number=original.display_number,
                   by_document_id=by.id)


def _order_paid(session, order_id: int) -> bool:
    from addons.sales.models import Order
    return session.scalar(select(Order.payment_status).where(Order.id == order_id)) == "paid"
