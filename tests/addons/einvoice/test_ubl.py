"""UBL export: every generated document passes the UBL XSD, EN 16931 and Peppol BIS 3 rules,
and the validator rejects the official invalid samples (so a pass means something)."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from lxml import etree

from addons.einvoice.rendering.ubl import build_ubl, peppol_ready, endpoint, validate_ubl, vat_identifier
from addons.einvoice.rendering.ubl_validate import standards_dir
from core.errors import UserError
from tests.addons.einvoice.pdf_helpers import BUYERS, SELLERS, make_document, make_line

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"cbc": CBC, "cac": CAC}


def xpath(xml: bytes, path: str) -> list[str]:
    return [n.text if hasattr(n, "text") else str(n) for n in etree.fromstring(xml).xpath(path, namespaces=NS)]


def assert_valid(document) -> bytes:
    xml = build_ubl(document)
    problems = validate_ubl(xml)
    assert problems == [], "\n".join(problems) + "\n" + xml.decode()
    return xml


def original():
    return SimpleNamespace(display_number="INV-2026-000100", issue_date=date(2026, 3, 1))


@pytest.mark.parametrize("doc_type", ["vat_invoice", "sales_invoice", "receipt"])
def test_invoice_types_are_valid_peppol_invoices(doc_type):
    xml = assert_valid(make_document("en", type=doc_type))
    assert etree.fromstring(xml).tag.endswith("}Invoice")
    assert xpath(xml, "/*/cbc:InvoiceTypeCode") == ["380"]
    assert xpath(xml, "/*/cbc:CustomizationID") == [
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"]


@pytest.mark.parametrize("doc_type", ["replacement_invoice", "adjustment_invoice"])
def test_corrections_reference_the_corrected_invoice(doc_type):
    doc = make_document("en", type=doc_type, corrects=original(), correction_reason="Wrong quantity")
    xml = assert_valid(doc)
    assert xpath(xml, "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == ["INV-2026-000100"]
    assert xpath(xml, "/*/cbc:Note") == ["Wrong quantity"]


def test_credit_note_is_a_creditnote_with_billing_reference_and_positive_amounts():
    currency = "EUR"
    lines = [make_line(1, "Returned laptop", -1, "899.00", "0.19", currency)]
    doc = make_document("en", type="credit_note", lines=lines, corrects=original(), correction_reason="Return")
    assert doc.total < 0  # stored negative, as a crediting document may be
    xml = assert_valid(doc)
    root = etree.fromstring(xml)
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    assert xpath(xml, "/*/cbc:CreditNoteTypeCode") == ["381"]
    assert xpath(xml, "//cac:CreditNoteLine/cbc:CreditedQuantity") == ["1"]
    assert xpath(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount") == ["1069.81"]
    assert xpath(xml, "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == ["2026-03-01"]
    assert not root.findall(f"{{{CBC}}}DueDate")  # UBL 2.1 credit notes carry it in PaymentMeans
    assert xpath(xml, "//cac:PaymentMeans/cbc:PaymentDueDate") == ["2026-04-13"]


def test_multi_rate_invoice_has_one_subtotal_per_rate_and_discount_allowances():
    xml = assert_valid(make_document("en"))  # 19 % and 7 % lines, one with 5 % discount
    assert sorted(xpath(xml, "//cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent")) == ["19", "7"]
    assert xpath(xml, "//cac:TaxTotal/cbc:TaxAmount") == ["259.57"]
    assert xpath(xml, "//cac:InvoiceLine[cbc:ID='2']/cac:AllowanceCharge/cbc:Amount") == ["2.45"]
    assert xpath(xml, "//cac:PaymentTerms/cbc:Note") == ["Net 30 days; 2% discount if paid within 10 days"]


def test_exempt_line_beside_standard_rated_lines():
    lines = [make_line(1, "Consulting", 2, "100.00", "0.19", "EUR"),
             make_line(2, "Medical training course", 1, "250.00", None, "EUR")]
    xml = assert_valid(make_document("en", lines=lines))
    assert xpath(xml, "//cac:TaxSubtotal[cac:TaxCategory/cbc:ID='E']/cbc:TaxAmount") == ["0.00"]
    assert xpath(xml, "//cac:TaxSubtotal/cac:TaxCategory[cbc:ID='E']/cbc:TaxExemptionReason") == ["Exempt from VAT"]


def test_reverse_charge_to_eu_business_buyer():
    lines = [make_line(1, "Software licence", 3, "400.00", "0", "EUR", tax_category="AE")]
    xml = assert_valid(make_document("en", lines=lines))
    assert xpath(xml, "//cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode") == ["VATEX-EU-AE"]


def test_eu_buyer_vat_id_and_endpoints():
    xml = assert_valid(make_document("en"))
    assert xpath(xml, "//cac:AccountingCustomerParty//cac:PartyTaxScheme/cbc:CompanyID") == ["NL004495445B01"]
    assert xpath(xml, "//cac:AccountingCustomerParty//cbc:EndpointID/@schemeID") == ["9944"]
    assert xpath(xml, "//cac:AccountingSupplierParty//cbc:EndpointID") == ["DE136695976"]


def test_foreign_currency_states_vat_in_the_sellers_currency():
    lines = [make_line(1, "Machine part", 4, "125.50", "0.19", "USD")]
    doc = make_document("en", lines=lines, currency="USD", exchange_rate=Decimal("0.9250"))
    xml = assert_valid(doc)
    assert xpath(xml, "/*/cbc:TaxCurrencyCode") == ["EUR"]
    amounts = dict(zip(xpath(xml, "//cac:TaxTotal/cbc:TaxAmount/@currencyID"), xpath(xml, "//cac:TaxTotal/cbc:TaxAmount")))
    assert amounts == {"USD": "95.38", "EUR": "88.23"}


def test_zero_decimal_currency_with_explicit_peppol_ids():
    seller = dict(SELLERS["KR"], peppol_id="0088:" + gln("579000043597"))
    buyer = dict(BUYERS["ko"], peppol_id="0088:" + gln("730001000000"))
    doc = make_document("ko", seller=seller, buyer=buyer)
    xml = assert_valid(doc)
    assert xpath(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount") == [str(doc.total)]
    assert "." not in xpath(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount")[0]
    assert xpath(xml, "//cac:AccountingSupplierParty//cac:PartyTaxScheme/cbc:CompanyID") == ["KR1048145064"]


def test_total_rounding_is_stated_as_payable_rounding():
    doc = make_document("en")
    doc.total = doc.total + Decimal("0.01")
    doc.rounding = "total"
    xml = assert_valid(doc)
    assert xpath(xml, "//cac:LegalMonetaryTotal/cbc:PayableRoundingAmount") == ["0.01"]


def test_parties_without_a_peppol_address_get_plain_en16931_not_a_false_peppol_claim():
    document = make_document("vi")
    assert not peppol_ready(document)
    xml = build_ubl(document)
    assert b"<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>" in xml
    assert b"ProfileID" not in xml
    assert validate_ubl(xml) == []
    # Forced through the Peppol rules, the missing addresses are what they report.
    problems = validate_ubl(xml, profile="peppol")
    assert any(p.startswith("PEPPOL-EN16931-R020") for p in problems)
    assert any(p.startswith("PEPPOL-EN16931-R010") for p in problems)


def test_a_gln_gives_non_eu_parties_a_peppol_address():
    document = make_document("vi")
    document.seller = dict(document.seller, peppol_id="0088:8935012345677")
    document.buyer = dict(document.buyer, peppol_id="0088:8935098765437")
    assert peppol_ready(document)
    xml = build_ubl(document)
    assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in xml
    assert validate_ubl(xml, profile="peppol") == []


def test_validator_catches_a_tampered_generated_invoice():
    xml = build_ubl(make_document("en"))
    tampered = xml.replace(b"<cbc:PayableAmount currencyID=\"EUR\">1655.12<",
                           b"<cbc:PayableAmount currencyID=\"EUR\">1600.00<")
    assert tampered != xml
    assert any(p.startswith("BR-CO-16") for p in validate_ubl(tampered))


def test_validator_refuses_entities_and_garbage():
    with pytest.raises(UserError):
        validate_ubl(b"<Invoice>")
    xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&e;</Invoice>')
    with pytest.raises(UserError, match="DOCTYPE"):
        validate_ubl(xxe)
    with pytest.raises(UserError):
        validate_ubl(build_ubl(make_document("en")), profile="xrechnung")


def test_build_refuses_documents_it_cannot_express():
    with pytest.raises(UserError):
        build_ubl(make_document("en", lines=[]))
    with pytest.raises(UserError):
        build_ubl(make_document("en", type="pro_forma"))
    with pytest.raises(UserError):
        endpoint({"country": "DE", "peppol_id": "not-a-scheme"})
    assert vat_identifier({"tax_id": "094259216", "country": "GR"}) == "EL094259216"


def _manifest():
    return [e for e in json.loads((standards_dir() / "samples" / "manifest.json").read_text())
            if e["check"] == "ubl"]


@pytest.mark.parametrize("entry", _manifest(), ids=lambda e: e["file"] + " ".join(e.get("args", [])))
def test_official_samples(entry):
    xml = (standards_dir() / "samples" / entry["file"]).read_bytes()
    args = entry.get("args", [])
    profile = args[args.index("--profile") + 1] if "--profile" in args else "auto"
    problems = validate_ubl(xml, profile=profile)
    if entry["expect"] == "PASS":
        assert problems == []
    else:
        assert problems, f"{entry['file']} should fail"
        rule = entry["expect_rule"]
        assert any(p.startswith(rule) for p in problems), problems


def gln(first12: str) -> str:
    """A GS1 GLN with its check digit (Peppol verifies scheme 0088 ids)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(reversed(first12), start=1))
    return first12 + str((10 - total % 10) % 10)


@pytest.mark.parametrize("typed", ["GR094259216", "094259216", "EL094259216"])
def test_greek_buyer_vat_number_carries_el_once_in_company_id_and_endpoint(typed):
    buyer = dict(BUYERS["en"], country="GR", tax_id=typed, city="Athens", postal_code="10431")
    xml = build_ubl(make_document("en", buyer=buyer))
    assert xpath(xml, "//cac:AccountingCustomerParty//cbc:CompanyID") == ["EL094259216"]
    assert xpath(xml, "//cac:AccountingCustomerParty/cac:Party/cbc:EndpointID") == ["EL094259216"]


def test_vat_number_of_another_country_is_refused_not_doubled_into_the_xml():
    buyer = dict(BUYERS["en"], country="DE", tax_id="FR40303265045", city="Berlin", postal_code="10115")
    with pytest.raises(UserError, match="prefix FR, but the country is DE"):
        build_ubl(make_document("en", buyer=buyer))
