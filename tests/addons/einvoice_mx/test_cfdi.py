"""The CFDI of an issued document: built, sealed, stamped offline, and valid by SAT's own XSDs and XSLT."""
from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from core.errors import UserError

from . import sat_rules
from .conftest import CUSTOMER_RFC, RFC

NS = sat_rules.NS


def _root(xml):
    return etree.fromstring(xml)


def test_invoice_is_signed_at_issue_and_valid(mx):
    doc_id = mx.issue(mx.draft())
    row = mx.cfdi(doc_id)
    assert row.state == "signed" and row.tipo == "I" and row.uuid is None
    sat_rules.assert_valid(row.signed_xml)
    root = _root(row.signed_xml)
    assert root.get("Version") == "4.0" and root.get("TipoDeComprobante") == "I"
    assert root.find("cfdi:Emisor", NS).attrib == {"Rfc": RFC, "Nombre": "ESCUELA KEMPER URGATE",
                                                    "RegimenFiscal": "601"}
    receptor = root.find("cfdi:Receptor", NS)
    assert (receptor.get("Rfc"), receptor.get("DomicilioFiscalReceptor"), receptor.get("RegimenFiscalReceptor"),
            receptor.get("UsoCFDI")) == (CUSTOMER_RFC, "86991", "601", "G03")
    concept = root.find("cfdi:Conceptos/cfdi:Concepto", NS)
    assert (concept.get("ClaveProdServ"), concept.get("ClaveUnidad"), concept.get("ObjetoImp")) == \
        ("43211503", "H87", "02")
    assert (root.get("SubTotal"), root.get("Total"), root.get("LugarExpedicion")) == ("200.00", "232.00", "42501")
    assert root.get("NoCertificado") == row.certificate_number == "30001000000500003416"
    from addons.einvoice.services.documents import get_document
    with mx.session() as s:
        doc = get_document(s, doc_id)
        assert (doc.subtotal, doc.total) == (Decimal(root.get("SubTotal")), Decimal(root.get("Total")))


def test_cadena_original_is_sat_xslt_output(mx):
    """satcfdi's cadena (what we sign) is byte for byte what SAT's cadenaoriginal_4_0.xslt makes."""
    from satcfdi.cfdi import CFDI
    row = mx.cfdi(mx.issue(mx.draft()))
    ours = CFDI.from_string(row.signed_xml).cadena_original()
    assert ours == sat_rules.cadena_original(row.signed_xml)
    assert ours.startswith("||4.0|") and f"|{RFC}|ESCUELA KEMPER URGATE|601|" in ours


def test_offline_stamp_adds_a_valid_timbre(mx):
    doc_id = mx.issue(mx.draft())
    mx.run_jobs("einvoice.submit")
    row = mx.cfdi(doc_id)
    assert row.state == "stamped" and len(row.uuid) == 36 and row.pac == "mx_offline"
    sat_rules.assert_valid(row.stamped_xml)
    tfd = _root(row.stamped_xml).find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    assert tfd.get("UUID") == row.uuid and tfd.get("SelloCFD") == _root(row.signed_xml).get("Sello")
    # the stamp's own seal verifies over SAT's TFD cadena
    assert sat_rules.cadena_tfd(row.stamped_xml).startswith(f"||1.1|{row.uuid}|")


def test_taxes_iva_rates_exento_ieps_and_withholdings(mx):
    from addons.einvoice_mx.services import fiscal
    from addons.catalog.services import create_product
    with mx.tx() as s:
        product = create_product(s, sku=f"{mx.skus[0]}-IEPS", name="Snack", sale_price="10")
        fiscal.set_product_sat(s, product.id, clave_prod_serv="50181900", clave_unidad="H87", ieps_rate="0.08")
    lines = [{"description": "Border", "sku": mx.skus[1], "quantity": "3", "unit_price": "33.33", "tax_rate": "0.08"},
             {"description": "Book", "quantity": "1", "unit_price": "99.99", "tax_rate": "0"},
             {"description": "Tuition", "quantity": "1", "unit_price": "1000", "tax_rate": None, "tax_category": "E"},
             {"description": "Snack", "sku": f"{mx.skus[0]}-IEPS", "quantity": "7", "unit_price": "12.35",
              "tax_rate": "0.16", "discount_percent": "10"}]
    row = mx.cfdi(mx.issue(mx.draft(lines=lines)))
    sat_rules.assert_valid(row.signed_xml)
    root = _root(row.signed_xml)
    taxes = {(t.get("Impuesto"), t.get("TipoFactor"), t.get("TasaOCuota")): (t.get("Base"), t.get("Importe"))
             for t in root.findall("cfdi:Impuestos/cfdi:Traslados/cfdi:Traslado", NS)}
    # snack: Importe 86.45, Descuento 8.65 (8.645 half up), base 77.80, IEPS 6.22, IVA on 84.02 = 13.44
    assert taxes == {("002", "Tasa", "0.080000"): ("99.99", "8.00"), ("002", "Tasa", "0.000000"): ("99.99", "0.00"),
                     ("002", "Exento", None): ("1000.00", None), ("003", "Tasa", "0.080000"): ("77.80", "6.22"),
                     ("002", "Tasa", "0.160000"): ("84.02", "13.44")}
    assert root.get("Descuento") == "8.65"
    assert Decimal(root.get("Total")) == Decimal("1286.43") - Decimal("8.65") + Decimal("27.66")


def test_withholdings_of_a_buyer_who_withholds(mx):
    from addons.partners.services import create_partner
    from addons.einvoice_mx.services import fiscal
    with mx.tx() as s:
        pid = create_partner(s, name="Kiosko", kind="company", tax_id="KIJ0906199R1", country="MX").id
        fiscal.set_partner_sat(s, pid, legal_name="KIOSKO JUAREZ", regimen_fiscal="601", fiscal_postcode="06000",
                               uso_cfdi="G03", retains_isr_rate="0.10", retains_iva_rate="0.106667")
    buyer = {"kind": "company", "name": "Kiosko", "tax_id": "KIJ0906199R1", "country": "MX"}
    row = mx.cfdi(mx.issue(mx.draft(buyer=buyer, lines=[{"description": "Consulting", "quantity": "1",
                                                          "unit_price": "1000", "tax_rate": "0.16"}])))
    sat_rules.assert_valid(row.signed_xml)
    root = _root(row.signed_xml)
    held = {r.get("Impuesto"): r.get("Importe") for r in root.findall("cfdi:Impuestos/cfdi:Retenciones/cfdi:Retencion",
                                                                        NS)}
    assert held == {"001": "100.00", "002": "106.67"}
    assert root.get("Total") == "953.33"  # 1000 + 160 - 100 - 106.67


def test_public_in_general_and_foreigner_rules(mx):
    counter = mx.cfdi(mx.issue(mx.draft(buyer={"kind": "person", "name": "Cliente mostrador", "country": "MX"})))
    receptor = _root(counter.signed_xml).find("cfdi:Receptor", NS)
    assert receptor.attrib == {"Rfc": "XAXX010101000", "Nombre": "PUBLICO EN GENERAL",
                               "DomicilioFiscalReceptor": "42501", "RegimenFiscalReceptor": "616", "UsoCFDI": "S01"}
    foreign = mx.cfdi(mx.issue(mx.draft(buyer={"kind": "company", "name": "Acme Inc", "country": "US"})))
    receptor = _root(foreign.signed_xml).find("cfdi:Receptor", NS)
    assert (receptor.get("Rfc"), receptor.get("UsoCFDI"), receptor.get("RegimenFiscalReceptor"),
            receptor.get("DomicilioFiscalReceptor")) == ("XEXX010101000", "S01", "616", "42501")
    for row in (counter, foreign):
        sat_rules.assert_valid(row.signed_xml)


def test_credit_note_is_type_e_related_to_its_stamped_invoice(mx):
    from addons.einvoice.services.corrections import credit_note
    invoice_id = mx.issue(mx.draft())
    with pytest.raises(UserError, match="no stamped CFDI yet"), mx.tx() as s:
        from addons.einvoice.services.issue import issue_document
        credit = credit_note(s, invoice_id, reason="returned")
        issue_document(s, credit.id, render_pdf=False)
    mx.run_jobs("einvoice.submit")
    with mx.tx() as s:
        credit_id = credit_note(s, invoice_id, reason="returned").id
    credit = mx.cfdi(mx.issue(credit_id))
    invoice = mx.cfdi(invoice_id)
    sat_rules.assert_valid(credit.signed_xml)
    root = _root(credit.signed_xml)
    assert root.get("TipoDeComprobante") == "E" and root.get("MetodoPago") == "PUE"
    rel = root.find("cfdi:CfdiRelacionados", NS)
    assert rel.get("TipoRelacion") == "01"
    assert [r.get("UUID") for r in rel.findall("cfdi:CfdiRelacionado", NS)] == [invoice.uuid]


def test_ppd_when_paid_later(mx):
    from datetime import date, timedelta
    row = mx.cfdi(mx.issue(mx.draft(due_date=date.today() + timedelta(days=30)), issue_date=date.today()))
    root = _root(row.signed_xml)
    assert (root.get("MetodoPago"), root.get("FormaPago")) == ("PPD", "99")
    sat_rules.assert_valid(row.signed_xml)
