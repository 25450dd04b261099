"""Corrections: credit notes, adjustments, replacements, and cancelling through them.

An issued document never changes. It is corrected by a new document that
points at it (``corrects_id``), carries the reason and, where the regime wants
it, the buyer's agreement (reference and date). A full credit note or a
replacement cancels the original when it is issued; an adjustment leaves the
original standing and adds or removes amounts.
"""
from __future__ import annotations

from datetime import date

from core.errors import UserError
from core.i18n import _

from ..models import Document, state_word
from ..rendering.labels import labels_for
from . import documents, issue


def _original(session, document_id: int) -> Document:
    doc = documents.get_document(session, document_id)
    if doc.state in ("draft", "cancelled"):
        raise UserError(_("%(doc)s is %(state)s; only issued documents can be corrected", doc=doc.label,
                          state=state_word(doc.state)))
    if doc.type == "credit_note":
        raise UserError(_("%(doc)s is a credit note; correct the invoice it credits instead", doc=doc.label))
    return doc


def _copy_lines(doc: Document) -> list[dict]:
    return [{"description": l.description, "sku": l.sku, "quantity": l.quantity, "unit": l.unit,
             "unit_price": l.unit_price, "discount_percent": l.discount_percent, "tax_rate": l.tax_rate,
             "tax_category": l.tax_category} for l in doc.lines]


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("a correction needs its reason"))
    return reason[:500]


def _draft_correction(session, original: Document, doc_type: str, *, reason, lines, full: bool,
                      agreement_ref, agreement_date, buyer=None) -> Document:
    """The correction computes like the original (its frozen rounding and tax-inclusive flag, not
    today's settings) and carries its due date and terms, so a full credit note equals it exactly."""
    return documents.create_document(
        session, type=doc_type, buyer=buyer or original.buyer, lines=lines, currency=original.currency,
        language=original.language, order_id=original.order_id, due_date=original.due_date,
        payment_terms=original.payment_terms, early_discount_percent=original.early_discount_percent,
        early_discount_days=original.early_discount_days, customer_po=original.customer_po,
        exchange_rate=original.exchange_rate, payment_method=original.payment_method, corrects_id=original.id,
        correction_reason=_reason(reason), full_correction=full, buyer_agreement_ref=agreement_ref,
        buyer_agreement_date=agreement_date, notes=f"{labels_for(original.language)['corrects']} {original.display_number}",
        rounding=original.rounding, prices_include_tax=original.prices_include_tax)


def credit_note(session, document_id: int, *, reason: str, lines: list[dict] | None = None,
                agreement_ref: str | None = None, agreement_date: date | None = None) -> Document:
    """A draft credit note: all lines (cancels the original when issued) or the ``lines`` given (partial)."""
    original = _original(session, document_id)
    full = lines is None
    return _draft_correction(session, original, "credit_note", reason=reason,
                             lines=_copy_lines(original) if full else lines, full=full,
                             agreement_ref=agreement_ref, agreement_date=agreement_date)


def adjust(session, document_id: int, *, reason: str, lines: list[dict], agreement_ref: str | None = None,
           agreement_date: date | None = None) -> Document:
    """A draft adjustment invoice: ``lines`` add (positive quantity) or remove (negative) amounts."""
    original = _original(session, document_id)
    if not lines:
        raise UserError(_("an adjustment needs the lines that change (negative quantities decrease)"))
    return _draft_correction(session, original, "adjustment_invoice", reason=reason, lines=lines, full=False,
                             agreement_ref=agreement_ref, agreement_date=agreement_date)


def replace(session, document_id: int, *, reason: str, lines: list[dict] | None = None, buyer: dict | None = None,
            agreement_ref: str | None = None, agreement_date: date | None = None) -> Document:
    """A draft replacement: a copy of the original (edit it while draft); issuing it cancels the original."""
    original = _original(session, document_id)
    return _draft_correction(session, original, "replacement_invoice", reason=reason,
                             lines=lines or _copy_lines(original), full=True, agreement_ref=agreement_ref,
                             agreement_date=agreement_date, buyer=buyer)


def cancel(session, document_id: int, *, reason: str, agreement_ref: str | None = None,
           agreement_date: date | None = None, issue_date: date | None = None) -> Document:
    """Cancel an issued document the only lawful way: issue a full credit note for it now."""
    note = credit_note(session, document_id, reason=reason, agreement_ref=agreement_ref,
                       agreement_date=agreement_date)
    return issue.issue_document(session, note.id, issue_date=issue_date)
