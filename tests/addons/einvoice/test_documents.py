"""Drafts, validation, totals per rounding regime, documents from orders, corrections."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.einvoice.services import corrections, orders
from addons.einvoice.models import Document
from addons.einvoice.services.documents import create_document
from addons.einvoice.totals import tax_breakdown
from core.audit import history
from core.errors import UserError

from .conftest import VN_BUYER


@pytest.mark.parametrize("buyer, lines, message", [
    (dict(VN_BUYER, tax_id="0312345678"), None, "buyer tax id"),
    (dict(VN_BUYER, country="Vietnam"), None, "buyer country"),
    (dict(VN_BUYER, name=""), None, "buyer name"),
    (VN_BUYER, [{"description": "x", "quantity": 1.5, "unit_price": "1"}], "float"),
    (VN_BUYER, [{"description": "x", "quantity": "0", "unit_price": "1"}], "more than zero"),
    (VN_BUYER, [{"description": "x", "quantity": "1", "unit_price": "-1"}], "negative"),
    (VN_BUYER, [{"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "10"}], "fraction"),
    (VN_BUYER, [{"description": "x", "quantity": "1", "unit_price": "1", "unit": "pieces"}], "UN/ECE"),
    (VN_BUYER, [], "at least one line"),
])
def test_bad_input_is_refused_and_changes_nothing(shop, buyer, lines, message):
    with shop.session() as s:
        before = s.scalar(select(Document.id).order_by(Document.id.desc()).limit(1))
    with pytest.raises(UserError, match=message):
        shop.draft(buyer=buyer, lines=lines if lines is not None else None) if lines != [] else \
            _draft_no_lines(shop, buyer)
    with shop.session() as s:
        assert s.scalar(select(Document.id).order_by(Document.id.desc()).limit(1)) == before


def _draft_no_lines(shop, buyer):
    with shop.tx() as s:
        create_document(s, type="sales_invoice", buyer=buyer, lines=[])


def test_vat_invoice_to_a_company_needs_its_tax_id(shop):
    with pytest.raises(UserError, match="needs the buyer's tax id"):
        shop.draft("vat_invoice", buyer=dict(VN_BUYER, tax_id=None))
    assert shop.draft("vat_invoice", buyer=dict(VN_BUYER, kind="person", tax_id=None))


def test_rounding_line_versus_total(shop_factory):
    lines = [{"description": f"Item {i}", "quantity": "1", "unit_price": "0.15", "tax_rate": "0.10"} for i in range(3)]
    de_buyer = dict(kind="company", name="Kunde GmbH", tax_id="DE136695976", country="DE")
    shop = shop_factory(country="DE")
    line_doc = shop.doc(shop.draft(lines=lines, buyer=de_buyer))
    assert line_doc.currency == "EUR" and line_doc.rounding == "line"
    assert line_doc.subtotal == Decimal("0.45") and line_doc.tax_total == Decimal("0.06")  # 3 x 0.02
    shop.settings(rounding="total")
    total_doc = shop.doc(shop.draft(lines=lines, buyer=de_buyer))
    assert total_doc.rounding == "total"
    assert total_doc.tax_total == Decimal("0.05") and total_doc.total == Decimal("0.50")  # 0.045 -> 0.05


def test_tax_breakdown_per_rate(shop):
    doc = shop.doc(shop.draft(lines=[
        {"description": "A", "quantity": "2", "unit_price": "100000", "tax_rate": "0.10"},
        {"description": "B", "quantity": "1", "unit_price": "50000", "discount_percent": "10", "tax_rate": "0.08"},
        {"description": "C", "quantity": "1", "unit_price": "30000", "tax_rate": "0.10"},
        {"description": "D", "quantity": "1", "unit_price": "20000", "tax_rate": None},
    ]))
    assert [(g["category"], g["rate"], g["base"], g["tax"]) for g in tax_breakdown(doc)] == [
        ("S", Decimal("0.10"), Decimal(230000), Decimal(23000)),
        ("S", Decimal("0.08"), Decimal(45000), Decimal(3600)),
        ("E", None, Decimal(20000), Decimal(0))]
    assert doc.total == 230000 + 45000 + 20000 + 23000 + 3600
    assert doc.taxes == tax_breakdown(doc)


def test_document_from_order(shop):
    order_id = shop.order(qty=("2", "1"), shipping_fee="30000", customer_po="PO-77")
    with shop.tx() as s:
        doc = orders.create_from_order(s, order_id, "vat_invoice")
        from addons.sales.models import Order
        order = s.get(Order, order_id)
        assert doc.order_id == order_id and doc.customer_po == "PO-77" and doc.language == "vi"
        assert doc.buyer["name"] == "Công ty Cổ phần Phần mềm Đông Á" and doc.buyer["tax_id"] == "0312345673"
        assert doc.buyer_country == "VN" and doc.seller["tax_id"] == "0100109106"
        assert [l.description for l in doc.lines][-1] == "Phí vận chuyển"  # in the document's (the buyer's) language
        assert doc.total == order.total and doc.tax_total == order.tax_total
        doc_id = doc.id
    shop.issue(doc_id)
    assert shop.doc(doc_id).state == "issued"


def test_issue_for_order_is_idempotent_and_marks_paid(shop):
    order_id = shop.order(paid=True)
    with shop.tx() as s:
        first = orders.issue_for_order(s, order_id, "receipt", render_pdf=False).id
    with shop.tx() as s:
        assert orders.issue_for_order(s, order_id, "receipt", render_pdf=False).id == first
    doc = shop.doc(first)
    assert doc.state == "paid" and doc.xml is None and doc.display_number.startswith("RCT-")


def test_full_credit_note_cancels_the_original(shop):
    original = shop.draft()
    shop.issue(original, issue_date=date(2026, 4, 1))
    with shop.tx() as s:
        note = corrections.cancel(s, original, reason="Wrong buyer", issue_date=date(2026, 4, 2))
        note_id = note.id
        assert note.type == "credit_note" and note.corrects_id == original and note.full_correction
    doc = shop.doc(original)
    assert doc.state == "cancelled" and doc.cancelled_by_id == note_id
    assert shop.doc(note_id).display_number == "CN-2026-000001" and shop.doc(note_id).total == doc.total
    with pytest.raises(UserError, match="cancelled"):
        with shop.tx() as s:
            corrections.credit_note(s, original, reason="again")
    with shop.session() as s:
        actions = [e.action for e in history(s, Document, original)]
    assert actions[0] == "create" and actions.count("update") >= 2


def test_partial_credit_and_adjustment_leave_the_original(shop):
    original = shop.draft()
    shop.issue(original)
    with shop.tx() as s:
        partial = corrections.credit_note(s, original, reason="1 returned", lines=[
            {"description": "Widget", "quantity": "1", "unit_price": "100000", "tax_rate": "0.10"}]).id
        with pytest.raises(UserError, match="reason"):
            corrections.adjust(s, original, reason=" ", lines=[{"description": "x", "quantity": "1",
                                                                  "unit_price": "1"}])
    shop.issue(partial)
    assert shop.doc(original).state == "issued" and shop.doc(partial).total == 110000


def test_vietnam_corrections_need_the_buyer_agreement(shop):
    original = shop.draft()
    shop.issue(original)
    with shop.tx() as s:
        adj = corrections.adjust(s, original, reason="Price error", lines=[
            {"description": "Widget discount", "quantity": "-1", "unit_price": "10000", "tax_rate": "0.10"}]).id
        rep = corrections.replace(s, original, reason="Wrong address",
                                  buyer=dict(VN_BUYER, address="99 Lê Lợi")).id
    with pytest.raises(UserError, match="buyer's agreement"):
        shop.issue(adj)
    with shop.tx() as s:
        from addons.einvoice.models import Document as D
        for doc_id in (adj, rep):
            d = s.get(D, doc_id)
            d.buyer_agreement_ref, d.buyer_agreement_date = "BB-2026-01", date(2026, 4, 3)
    shop.issue(adj)
    assert shop.doc(adj).total == -11000 and shop.doc(original).state == "issued"
    shop.issue(rep)
    assert shop.doc(original).state == "cancelled" and shop.doc(rep).buyer["address"] == "99 Lê Lợi"


def test_draft_preview_is_rendered_but_never_stored(shop):
    from addons.einvoice.services.documents import preview_pdf
    doc_id = shop.draft()
    with shop.session() as s:
        assert preview_pdf(s, doc_id).startswith(b"%PDF-")
    assert shop.doc(doc_id).pdf is None


def test_one_live_document_per_order_and_type(shop):
    order_id = shop.order()
    with shop.tx() as s:
        orders.create_from_order(s, order_id, "sales_invoice")
    with pytest.raises(UserError, match="duplicate"):
        with shop.tx() as s:  # a second racing job would fail here and find the first on retry
            orders.create_from_order(s, order_id, "sales_invoice")
    with shop.tx() as s:
        first = orders.issue_for_order(s, order_id, "sales_invoice", render_pdf=False)
        assert orders.create_from_order(s, order_id, "receipt").type == "receipt"
        first_id = first.id
    with shop.tx() as s:
        corrections.cancel(s, first_id, reason="re-issue")
    with shop.tx() as s:  # once cancelled, the order may get a new invoice
        assert orders.issue_for_order(s, order_id, "sales_invoice", render_pdf=False).id != first_id
