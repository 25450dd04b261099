"""One total: the einvoice document, its CFDI and its PDF carry IEPS and the withholdings alike."""
from __future__ import annotations

from decimal import Decimal

from lxml import etree

from . import sat_rules
from .test_pdf import _text

NS = {"cfdi": "http://www.sat.gob.mx/cfd/4"}


def _doc(mx, doc_id):
    from addons.einvoice.services.documents import get_document
    with mx.session() as s:
        doc = get_document(s, doc_id)
        return doc, doc.taxes, doc.pdf


def test_ieps_8_percent_is_a_tax_line_and_in_the_total(mx):
    from addons.catalog.services import create_product
    from addons.einvoice_mx.services import fiscal
    with mx.tx() as s:
        product = create_product(s, sku=f"{mx.skus[0]}-IEPS8", name="Botana", sale_price="10")
        fiscal.set_product_sat(s, product.id, clave_prod_serv="50181900", clave_unidad="H87", ieps_rate="0.08")
    doc_id = mx.issue(mx.draft(language="es", lines=[
        {"description": "Botana", "sku": f"{mx.skus[0]}-IEPS8", "quantity": "7", "unit_price": "12.35",
         "tax_rate": "0.16", "discount_percent": "10"}]))
    row = mx.cfdi(doc_id)
    sat_rules.assert_valid(row.signed_xml)
    root = etree.fromstring(row.signed_xml)
    mx.run_jobs("einvoice.")
    doc, taxes, pdf = _doc(mx, doc_id)
    # Importe 86.45, Descuento 8.65, base 77.80, IEPS 6.22, IVA 16 % on 84.02 = 13.44; Total 97.46
    assert root.get("Total") == "97.46"
    assert (doc.subtotal, doc.tax_total, doc.total) == (Decimal("77.80"), Decimal("19.66"), Decimal("97.46"))
    assert Decimal(row.total) == doc.total
    assert [(t["category"], t["rate"], t["base"], t["tax"]) for t in taxes] == [
        ("IEPS", Decimal("0.08"), Decimal("77.80"), Decimal("6.22")),
        ("S", Decimal("0.16"), Decimal("84.02"), Decimal("13.44"))]
    assert doc.lines[0].net_amount == Decimal("77.80") and doc.lines[0].tax_amount == Decimal("19.66")
    from addons.einvoice.rendering.ubl import ubl_breakdown
    assert [g["category"] for g in ubl_breakdown(doc)] == ["S"]      # IEPS is no VAT category in a UBL
    text = " ".join(_text(pdf).split())
    assert "97.46" in text and "6.22" in text and "13.44" in text


def test_isr_10_and_two_thirds_of_iva_withheld_are_negative_tax_lines(mx):
    from addons.einvoice_mx.services import fiscal
    from addons.partners.services import create_partner
    with mx.tx() as s:
        pid = create_partner(s, name="Despacho", kind="company", tax_id="KIJ0906199R1", country="MX").id
        fiscal.set_partner_sat(s, pid, legal_name="DESPACHO", regimen_fiscal="601", fiscal_postcode="06000",
                               uso_cfdi="G03", retains_isr_rate="0.10", retains_iva_rate="0.106667")
    buyer = {"kind": "company", "name": "Despacho", "tax_id": "KIJ0906199R1", "country": "MX"}
    doc_id = mx.issue(mx.draft(buyer=buyer, language="es", lines=[
        {"description": "Honorarios", "quantity": "1", "unit_price": "1000", "tax_rate": "0.16"}]))
    row = mx.cfdi(doc_id)
    sat_rules.assert_valid(row.signed_xml)
    root = etree.fromstring(row.signed_xml)
    mx.run_jobs("einvoice.")
    doc, taxes, pdf = _doc(mx, doc_id)
    assert root.get("Total") == "953.33" and root.find("cfdi:Impuestos", NS).get("TotalImpuestosRetenidos") == "206.67"
    assert (doc.subtotal, doc.tax_total, doc.total) == (Decimal("1000.00"), Decimal("-46.67"), Decimal("953.33"))
    assert Decimal(row.total) == doc.total
    assert [(t["category"], t["rate"], t["tax"]) for t in taxes] == [
        ("S", Decimal("0.16"), Decimal("160.00")), ("ISR ret.", Decimal("0.1"), Decimal("-100.00")),
        ("IVA ret.", Decimal("0.106667"), Decimal("-106.67"))]
    text = " ".join(_text(pdf).split())
    assert "953.33" in text and "106.67" in text


def test_a_plain_iva_document_keeps_the_vat_arithmetic_total(mx):
    doc_id = mx.issue(mx.draft(lines=[{"description": "Caja", "quantity": "2", "unit_price": "100",
                                       "tax_rate": "0.16"}]))
    row = mx.cfdi(doc_id)
    doc, taxes, _pdf = _doc(mx, doc_id)
    assert doc.total == Decimal("232.00") == Decimal(row.total)
    assert [(t["category"], t["tax"]) for t in taxes] == [("S", Decimal("32.00"))]
