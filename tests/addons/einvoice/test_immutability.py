"""Issued documents cannot be changed or deleted: by the ORM guard and by the database triggers."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from addons.einvoice.immutability import ImmutableDocumentError
from addons.einvoice.models import DocumentLine
from addons.einvoice.services.documents import get_document, mark_paid, update_draft
from core.errors import UserError


@pytest.fixture
def issued(shop):
    doc_id = shop.draft()
    shop.issue(doc_id, issue_date=date(2026, 4, 1))
    return doc_id


def test_orm_refuses_content_change(shop, issued):
    with pytest.raises(ImmutableDocumentError, match="cannot be changed .*total"):
        with shop.tx() as s:
            get_document(s, issued).total = 1
    with pytest.raises(ImmutableDocumentError, match="cannot be deleted"):
        with shop.tx() as s:
            s.delete(get_document(s, issued))
    with pytest.raises(ImmutableDocumentError, match="lines of an issued document"):
        with shop.tx() as s:
            get_document(s, issued).lines[0].quantity = 5
    with pytest.raises(ImmutableDocumentError, match="lines of an issued document"):
        with shop.tx() as s:
            s.add(DocumentLine(document_id=issued, position=9, description="x", quantity=1, unit_price=1))
    with pytest.raises(UserError, match="only drafts can be edited"):
        with shop.tx() as s:
            update_draft(s, issued, notes="changed")
    assert shop.doc(issued).total == 220000


@pytest.mark.parametrize("sql", [
    "UPDATE einvoice_document SET total = 1 WHERE id = :id",
    "UPDATE einvoice_document SET buyer_name = 'Someone else' WHERE id = :id",
    "UPDATE einvoice_document SET state = 'draft' WHERE id = :id",
    "UPDATE einvoice_document SET xml = NULL WHERE id = :id",
    "DELETE FROM einvoice_document WHERE id = :id",
    "UPDATE einvoice_document_line SET unit_price = 1 WHERE document_id = :id",
    "DELETE FROM einvoice_document_line WHERE document_id = :id",
    "INSERT INTO einvoice_document_line (business_id, document_id, position, description, quantity, unit, "
    "unit_price, discount_percent, tax_category, net_amount, tax_amount) "
    "SELECT business_id, id, 99, 'extra', 1, 'C62', 1, 0, 'S', 1, 0 FROM einvoice_document WHERE id = :id",
])
def test_database_refuses_raw_sql(shop, issued, sql):
    with pytest.raises(UserError, match="issued document"):
        with shop.tx() as s:
            s.execute(text(sql), {"id": issued})
    doc = shop.doc(issued)
    assert doc.total == 220000 and doc.state == "issued" and len(doc.lines) == 1 and doc.xml


def test_lifecycle_moves_forward_and_pdf_is_write_once(shop, issued):
    with shop.tx() as s:
        s.execute(text("UPDATE einvoice_document SET pdf = :pdf WHERE id = :id"), {"pdf": b"%PDF-first", "id": issued})
    with pytest.raises(UserError, match="issued document"):
        with shop.tx() as s:
            s.execute(text("UPDATE einvoice_document SET pdf = :pdf WHERE id = :id"), {"pdf": b"%PDF-2", "id": issued})
    with shop.tx() as s:
        mark_paid(s, issued)
    doc = shop.doc(issued)
    assert doc.state == "paid" and doc.paid_at is not None and doc.pdf == b"%PDF-first"
    with pytest.raises(UserError):
        with shop.tx() as s:
            s.execute(text("UPDATE einvoice_document SET state = 'sent' WHERE id = :id"), {"id": issued})
    with pytest.raises(ImmutableDocumentError, match="cannot go back"):
        with shop.tx() as s:
            get_document(s, issued).state = "issued"


def test_drafts_stay_editable_and_deletable(shop):
    doc_id = shop.draft()
    with shop.tx() as s:
        update_draft(s, doc_id, lines=[{"description": "Pho", "quantity": "3", "unit_price": "50000",
                                        "tax_rate": "0.08"}], notes="edited")
    doc = shop.doc(doc_id)
    assert doc.total == 162000 and doc.notes == "edited"
    with shop.tx() as s:
        s.execute(text("DELETE FROM einvoice_document_line WHERE document_id = :id"), {"id": doc_id})
        s.execute(text("DELETE FROM einvoice_document WHERE id = :id"), {"id": doc_id})
