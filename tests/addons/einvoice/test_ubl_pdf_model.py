"""The renderers on real issued documents (ORM Document through the documents service)."""
from __future__ import annotations

from datetime import date

from addons.einvoice.rendering.labels import LABELS
from addons.einvoice.rendering.ubl import validate_ubl
from tests.addons.einvoice.pdf_helpers import pdf_text

NL_BUYER = dict(kind="company", name="Acme Trading B.V.", tax_id="NL004495445B01", country="NL",
                address="Keizersgracht 1", city="Amsterdam", postal_code="1015 CJ", email="ap@acme.nl")
LINES = [{"description": "Laptop computer 15 inch", "quantity": "2", "unit_price": "899.00", "tax_rate": "0.19"},
         {"description": "USB-C cable", "quantity": "3", "unit_price": "9.90", "tax_rate": "0.07",
          "discount_percent": "10"}]


def test_issued_invoice_and_credit_note_store_valid_ubl_and_readable_pdf(shop_factory):
    shop = shop_factory(country="DE")
    shop.settings(seller_city="Berlin", seller_postal_code="10115", seller_bank_name="Deutsche Bank",
                  seller_bank_account="DE89370400440532013000", seller_bic="DEUTDEFF")
    invoice_id = shop.issue(shop.draft("vat_invoice", lines=LINES, buyer=NL_BUYER, customer_po="PO-99",
                                       language="en", payment_terms="Net 30 days", early_discount_percent="2",
                                       early_discount_days=10, due_date=date(2026, 5, 31)),
                            issue_date=date(2026, 5, 1), render_pdf=True)
    invoice = shop.doc(invoice_id)
    assert invoice.xml and validate_ubl(invoice.xml) == [], validate_ubl(invoice.xml)
    text = pdf_text(invoice.pdf)
    assert "Acme Trading B.V." in text and "USB-C cable" in text and invoice.display_number in text
    assert LABELS["en"]["vat_invoice"] in text

    credit_id = shop.issue(shop.draft("credit_note", lines=LINES[:1], buyer=NL_BUYER, corrects_id=invoice_id,
                                      correction_reason="Returned laptop", language="en"),
                           issue_date=date(2026, 5, 10), render_pdf=True)
    credit = shop.doc(credit_id)
    assert validate_ubl(credit.xml) == [], validate_ubl(credit.xml)
    assert invoice.display_number.encode() in credit.xml  # BillingReference to the credited invoice
    assert "Returned laptop" in pdf_text(credit.pdf)
