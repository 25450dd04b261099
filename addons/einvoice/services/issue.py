"""Issuing: the fiscal act that numbers, freezes and stores a draft, and the rules it checks first.

Corrections (credit notes, adjustments, replacements) are checked here too:
they are issued like any document, and a full credit note or a replacement
cancels the document it corrects in the same transaction. Never commits.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from addons.sales.terms import Term, notation

from core import events
from core.audit import flush_one
from core.db import utcnow
from core.errors import NotFound, UserError
from core.i18n import _
from core.models import Business

from ..models import DOC_TYPE_LABELS, Document, state_word
from ..totals import recompute
from . import numbering
from .documents import (BUSINESS_FACTS, XML_TYPES, business_facts, business_today, clean_buyer, mark_paid,
                        note_business_facts, render_pdf_bytes, seller_snapshot, settings)
from .submission import request_submission


# The draft, its lines and what the seller snapshot reads of the business in one statement, the
# draft row locked (PostgreSQL: FOR UPDATE OF the document only; the lines need no lock, the line
# guard refuses changes once it is issued). Built once: the statement and its compiled form are
# reused by every issue.
_LOCK_DRAFT = (select(Document, *BUSINESS_FACTS).join(Business, Business.id == Document.business_id)
               .where(Document.id == bindparam("document_id"))
               .options(joinedload(Document.lines)).with_for_update(of=Document))


def issue_document(session, document_id: int, *, issue_date: date | None = None, render_pdf: bool | None = None,
                   submit: bool = True) -> Document:
    """Number, freeze and store a draft: the fiscal act.

    Everything that can fail is checked before the number is taken, and the
    number is taken as late as possible (the counter row stays locked until
    commit). ``render_pdf=False`` leaves the PDF to be written once later
    (bulk issue); the XML is always built here so the stored XML is the issued one.
    """
    row = session.execute(_LOCK_DRAFT, {"document_id": document_id}).unique().one_or_none()
    if row is None:
        raise NotFound(_("no e-invoice document #%(id)s in this business", id=document_id))
    doc = row[0]
    note_business_facts(session, row)
    if doc.state != "draft":
        raise UserError(_("%(doc)s is already %(state)s", doc=doc.label, state=state_word(doc.state)))
    conf = settings(session)
    if not doc.lines:
        raise UserError(_("%(doc)s: a document needs at least one line", doc=doc.label))
    corrected = _check_correction(session, doc, conf)
    clean_buyer(doc.buyer, doc.type)
    doc.seller = seller_snapshot(session)  # the seller as it issues, tax id included
    _check_seller_tax_id(doc)
    recompute(doc)
    issue_date = issue_date or business_today(session)
    _default_terms(doc, issue_date, conf)
    if any(session.is_modified(line) for line in doc.lines):
        # Changed line amounts are written while the document is still a draft: the database
        # refuses line changes of an issued document. The document's own columns need no
        # separate write: its guard lets the draft row change in the UPDATE that issues it.
        session.flush()
    with session.no_autoflush:  # the draft's pending columns go with the issuing UPDATE below
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
    # The one issuing UPDATE, guarded by the state it was checked in (the row is locked), with
    # its audit entry; the issued-document guard has nothing to refuse in a draft's change.
    if flush_one(session, doc, expect={"state": "draft"}) != 1:  # (the lock makes this a backstop)
        session.refresh(doc)
        raise UserError(_("%(doc)s is already %(state)s", doc=doc.label, state=state_word(doc.state)))
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
        raise UserError(_("%(doc)s: the seller tax id is missing, and a document that charges tax must show it; "
                          "fill in 'Tax id' in the business settings (Admin > Business) and issue again", doc=doc.label))


def _default_terms(doc: Document, issue_date: date, conf: dict) -> None:
    """An amount due always has a due date or terms (EN 16931 BR-CO-25): the business default fills a gap."""
    if doc.total <= 0 or doc.due_date is not None or (doc.payment_terms or "").strip():
        return
    days = conf["payment_days"]
    if days < 0:
        raise UserError(_("setting payment_days (Default payment term): %(days)s is negative; "
                          "use 0 (due on receipt) or a number of days", days=days))
    doc.due_date = issue_date + timedelta(days=days)
    doc.payment_terms = notation(Term(days))  # 'net 14', 'due on receipt': printed in words per language


def _check_chronology(session, code: str, issue_date: date, number: int):
    """Numbers follow dates within a series: no document dated before the one numbered before it."""
    if number <= 1:
        return
    previous = session.connection().execute(_PREVIOUS_DATE, {
        "prev_business": session.info["business_id"], "prev_series": code, "prev_year": issue_date.year,
        "prev_number": number - 1}).scalar()
    if previous is not None and previous > issue_date:
        raise UserError(_("series %(code)s: issue date %(date)s is before %(previous)s, the date of number "
                          "%(number)s; numbers must follow dates", code=code, date=issue_date, previous=previous,
                          number=number - 1))


_documents = Document.__table__
# Core, with the business bound explicitly (the fence of a Core statement), built once.
_PREVIOUS_DATE = select(_documents.c.issue_date).where(
    _documents.c.business_id == bindparam("prev_business"), _documents.c.series == bindparam("prev_series"),
    _documents.c.year == bindparam("prev_year"), _documents.c.number == bindparam("prev_number"))


def _check_correction(session, doc: Document, conf: dict):
    if doc.type not in ("credit_note", "adjustment_invoice", "replacement_invoice"):
        return None
    if doc.corrects_id is None:
        raise UserError(_("%(doc)s: a %(type)s must name the document it corrects", doc=doc.label,
                          type=str(DOC_TYPE_LABELS.get(doc.type, doc.type)).lower()))
    original = session.scalar(select(Document).where(Document.id == doc.corrects_id).with_for_update())
    if original is None or original.state in ("draft", "cancelled"):
        state = _("missing") if original is None else state_word(original.state)
        raise UserError(_("%(doc)s: the corrected document is %(state)s; only issued documents can be corrected",
                          doc=doc.label, state=state))
    if not (doc.correction_reason or "").strip():
        raise UserError(_("%(doc)s: a correction needs its reason", doc=doc.label))
    if original.currency != doc.currency:
        raise UserError(_("%(doc)s: a correction is in the currency of the document it corrects (%(currency)s)",
                          doc=doc.label, currency=original.currency))
    if needs_buyer_agreement(session, doc.type, conf) and not (doc.buyer_agreement_ref and doc.buyer_agreement_date):
        raise UserError(_("%(doc)s: this correction needs the buyer's agreement (reference and date)",
                          doc=doc.label))
    return original


def needs_buyer_agreement(session, doc_type: str, conf: dict | None = None) -> bool:
    """Vietnam (Decree 123) wants a written agreement for adjustments and replacements; a setting adds it elsewhere."""
    conf = conf or settings(session)
    if doc_type not in ("adjustment_invoice", "replacement_invoice", "credit_note"):
        return False
    if conf["require_buyer_agreement"]:
        return True
    return business_facts(session).country == "VN" and doc_type != "credit_note"


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
