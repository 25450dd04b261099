"""What an accountant signs: corrections equal what they correct, documents equal the order,
every amount due has a due date or terms, and no tax is charged without the seller's tax id."""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select

from addons.einvoice.rendering.ubl import validate_ubl
from addons.einvoice.services import corrections, orders
from addons.einvoice.models import Document
from addons.einvoice.services.documents import create_document, get_document
from addons.einvoice.services.issue import issue_document
from addons.einvoice.totals import tax_breakdown
from addons.sales.models import Order
from core.errors import UserError
from core.sequences import peek

from .random_docs import SELLERS, make_shop, random_free_lines, random_order

CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
BUYER = dict(kind="company", name="Kunde GmbH", tax_id="DE136695976", country="DE", address="Ring 2",
             city="Köln", postal_code="50667")


def _amounts(doc) -> tuple:
    return (doc.subtotal, doc.tax_total, doc.total, [(l.net_amount, l.tax_amount) for l in doc.lines],
            [(g["category"], g["rate"], g["base"], g["tax"]) for g in tax_breakdown(doc)])


def _issue_free(shop, lines, buyer=BUYER, **kw) -> int:
    with shop.tx() as s:
        doc = create_document(s, type="sales_invoice", buyer=buyer, lines=lines, **kw)
        return issue_document(s, doc.id, render_pdf=False, submit=False).id


def _get(shop, doc_id) -> Document:
    with shop.session() as s:
        doc = get_document(s, doc_id)
        doc.xml, doc.corrects  # load while the session is open
        return doc


# ---------------------------------------------------------------- item 3: corrections

def test_full_credit_note_equals_the_invoice_it_cancels(runtime, make_business):
    """Issued under "total" rounding, credited after the setting moved to "line": equal to the last unit."""
    rng = random.Random(3)
    shop = make_shop(runtime, make_business, "DE")
    shop.settings(rounding="total")
    originals = [_issue_free(shop, random_free_lines(rng, shop, 6)) for _ in range(12)]
    shop.settings(rounding="line")
    line_rounded = 0
    for original_id in originals:
        with shop.tx() as s:
            note = corrections.cancel(s, original_id, reason="Cancelled order")
            note_id = note.id
        original, note = _get(shop, original_id), _get(shop, note_id)
        assert note.rounding == original.rounding == "total"
        assert _amounts(note) == _amounts(original)
        assert original.state == "cancelled"
        # the same lines rounded per line would not have added up to this invoice
        line_rounded += sum(l.tax_amount.quantize(Decimal("0.01")) for l in original.lines) != original.tax_total
    assert line_rounded, "no document of the seed depends on the rounding mode; the test proves nothing"


def test_replacement_and_adjustment_keep_the_original_rounding_and_values(runtime, make_business):
    rng = random.Random(4)
    shop = make_shop(runtime, make_business, "DE")
    shop.settings(rounding="total")
    original_id = _issue_free(shop, random_free_lines(rng, shop, 5))
    shop.settings(rounding="line")
    with shop.tx() as s:
        replacement = corrections.replace(s, original_id, reason="Wrong address").id
        adjustment = corrections.adjust(s, original_id, reason="Price", lines=random_free_lines(rng, shop, 2)).id
    for doc_id in (adjustment, replacement):  # the replacement cancels the original: last
        with shop.tx() as s:
            issue_document(s, doc_id, render_pdf=False, submit=False)
    original = _get(shop, original_id)
    assert _amounts(_get(shop, replacement)) == _amounts(original)
    assert _get(shop, adjustment).rounding == "total"


# ---------------------------------------------------------------- item 4: document == order

@pytest.mark.parametrize("country", sorted(SELLERS))
def test_document_total_equals_what_the_customer_was_charged(runtime, make_business, country):
    """Random orders, tax-inclusive and not, in every currency: the issued document equals the order."""
    rng = random.Random(f"order-{country}")
    shop = make_shop(runtime, make_business, country)
    shop.settings(rounding="total")  # free documents would round per rate; the order's own rounding wins
    inclusive = 0
    for _ in range(12):
        order_id = random_order(rng, shop)
        with shop.tx() as s:
            draft = orders.create_from_order(s, order_id, "sales_invoice")
            doc = issue_document(s, draft.id, render_pdf=False, submit=False)
            order = s.get(Order, order_id)
            inclusive += order.prices_include_tax
            assert doc.prices_include_tax == order.prices_include_tax
            assert (doc.total, doc.tax_total) == (order.total, order.tax_total), order.number
            xml = etree.fromstring(doc.xml)
            assert Decimal(xml.findtext(f".//{CBC}PayableAmount")) == order.total
            assert validate_ubl(doc.xml) == []
    assert inclusive, "the seed made no tax-inclusive order"


# ---------------------------------------------------------------- item 5: due dates and terms

def _due_and_terms(shop, doc_id):
    doc = _get(shop, doc_id)
    return doc.due_date, doc.payment_terms


def test_every_document_with_an_amount_due_has_a_due_date_and_terms(runtime, make_business):
    rng = random.Random(5)
    shop = make_shop(runtime, make_business, "DE")
    shop.settings(payment_days=14)
    issued_on = date(2026, 5, 4)
    with shop.tx() as s:
        draft = create_document(s, type="sales_invoice", buyer=BUYER, lines=[
            {"description": "Service", "quantity": "1", "unit_price": "100", "tax_rate": "0.19"}])
        free = issue_document(s, draft.id, issue_date=issued_on, render_pdf=False, submit=False).id
    assert _due_and_terms(shop, free) == (issued_on + timedelta(days=14), "net 14")
    order_id = random_order(rng, shop, payment_term_code=None)
    with shop.tx() as s:
        from_order = issue_document(s, orders.create_from_order(s, order_id, "sales_invoice").id, render_pdf=False,
                                    submit=False).id
    due, terms = _due_and_terms(shop, from_order)
    assert due is not None and terms == "net 14"
    with shop.tx() as s:
        note = corrections.credit_note(s, free, reason="Partial", lines=[
            {"description": "Service", "quantity": "1", "unit_price": "10", "tax_rate": "0.19"}]).id
        adjustment = corrections.adjust(s, free, reason="Extra", lines=[
            {"description": "Extra hour", "quantity": "1", "unit_price": "50", "tax_rate": "0.19"}]).id
        replacement = corrections.replace(s, free, reason="Wrong PO").id
    for doc_id in (note, adjustment, replacement):
        with shop.tx() as s:
            issue_document(s, doc_id, issue_date=issued_on + timedelta(days=3), render_pdf=False, submit=False)
        assert _due_and_terms(shop, doc_id) == (issued_on + timedelta(days=14), "net 14")
        assert validate_ubl(_get(shop, doc_id).xml) == []


def test_a_negative_payment_days_setting_is_refused_at_issue(runtime, make_business):
    shop = make_shop(runtime, make_business, "DE")
    shop.settings(payment_days=-1)
    with pytest.raises(UserError, match="payment_days"):
        _issue_free(shop, [{"description": "Service", "quantity": "1", "unit_price": "100", "tax_rate": "0.19"}])


# ---------------------------------------------------------------- item 6: seller tax id

def test_no_tax_document_without_the_seller_tax_id(runtime, make_business):
    business = make_business(country="DE", addons=["einvoice"], legal_name="Ohne Steuer GmbH")
    with runtime.transaction(business.id) as s:
        draft = create_document(s, type="sales_invoice", buyer=BUYER, lines=[
            {"description": "Taxed", "quantity": "1", "unit_price": "100", "tax_rate": "0.19"}]).id
        not_subject = create_document(s, type="receipt", buyer=dict(kind="person", name="Anna", country="DE"),
                                      lines=[{"description": "Outside VAT", "quantity": "1", "unit_price": "5",
                                              "tax_category": "O"}]).id
    with pytest.raises(UserError, match=r"seller tax id.*Tax id.*business"):
        with runtime.transaction(business.id) as s:
            issue_document(s, draft, render_pdf=False)
    with runtime.session(business.id) as s:
        doc = s.get(Document, draft)
        assert doc.state == "draft" and doc.number is None
        assert peek(s, "einvoice.INV", date.today().year) == 1  # no number was taken
    with runtime.transaction(business.id) as s:
        assert issue_document(s, not_subject, render_pdf=False).state in ("issued", "paid")


def test_line_rounded_dong_document_states_the_en16931_tax_and_still_asks_what_was_charged(runtime, make_business):
    """Two lines whose 10 % tax ends in .5 (rounded up each) drift 1 VND from base x rate: BR-CO-17's limit."""
    shop = make_shop(runtime, make_business, "VN")
    lines = [{"description": f"Item {i}", "quantity": "1", "unit_price": "12345", "tax_rate": "0.10"} for i in (1, 2)]
    doc_id = _issue_free(shop, lines, buyer=dict(kind="person", name="Lan", country="VN"))
    doc = _get(shop, doc_id)
    assert doc.rounding == "line" and doc.tax_total == 2470 and doc.total == 27160  # 2 x 1235 (1234.5 up)
    xml = etree.fromstring(doc.xml)
    assert xml.findtext(f"./{CAC}TaxTotal/{CBC}TaxAmount") == "2469"
    assert xml.findtext(f".//{CBC}PayableRoundingAmount") == "1"
    assert xml.findtext(f".//{CBC}PayableAmount") == "27160"
    assert validate_ubl(doc.xml, profile="en16931") == []
