"""The global invoice: the period's counter receipts that no nominative CFDI covered, to the public in general."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from . import sat_rules

NS = sat_rules.NS
COUNTER = {"kind": "person", "name": "Mostrador", "country": "MX"}


def test_periods():
    from addons.einvoice_mx.services.global_invoice import last_closed_period, period_of
    assert period_of("daily", date(2026, 12, 1)) == (date(2026, 12, 1), date(2026, 12, 1))
    assert period_of("weekly", date(2026, 12, 3)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert period_of("monthly", date(2026, 2, 10)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert last_closed_period("monthly", date(2026, 12, 1)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert last_closed_period("weekly", date(2026, 12, 3)) == (date(2026, 11, 23), date(2026, 11, 29))


def test_global_invoice_of_the_month(mx):
    from addons.catalog.services import create_product
    from addons.einvoice.services.issue import issue_document
    from addons.einvoice.services.orders import create_from_order
    from addons.einvoice_mx.services.global_invoice import covered, issue_global
    from addons.sales.services import confirm_order, create_order
    day = date.today()
    r1 = mx.issue(mx.draft(type="receipt", buyer=COUNTER, lines=[
        {"description": "Café", "quantity": "2", "unit_price": "35.00", "tax_rate": "0.16"},
        {"description": "Libro", "quantity": "1", "unit_price": "120.00", "tax_rate": "0"}]), issue_date=day)
    r2 = mx.issue(mx.draft(type="receipt", buyer=COUNTER, lines=[
        {"description": "Pan", "quantity": "3", "unit_price": "10.10", "tax_rate": "0.16"}]), issue_date=day)
    assert mx.cfdi(r1) is None                  # a receipt is no CFDI of its own
    with mx.tx() as s:                          # a receipt whose order was also invoiced by name stays out
        product = create_product(s, sku=f"{mx.skus[0]}-GL", name="Mesa", sale_price="500", tax_class_code="iva16")
        order = create_order(s, partner_id=mx.customer_id, lines=[{"variant_id": product.variants[0].id,
                                                                   "qty": Decimal(1)}])
        confirm_order(s, order.id)
        receipt = issue_document(s, create_from_order(s, order.id, "receipt").id, render_pdf=False, issue_date=day)
        issue_document(s, create_from_order(s, order.id, "sales_invoice").id, render_pdf=False, issue_date=day)
        invoiced_receipt = receipt.display_number
    start, end = day.replace(day=1), day
    with mx.tx() as s:
        row = issue_global(s, "monthly", start, end)
        numbers = covered(s, row.id)
        cfdi_id = row.id
    with mx.tx() as s:
        assert issue_global(s, "monthly", start, end) is None     # each receipt in one global invoice only
    mx.run_jobs("einvoice_mx.stamp_cfdi")
    from sqlalchemy import select
    from sqlalchemy.orm import undefer
    from addons.einvoice_mx.models import Cfdi
    with mx.session() as s:
        row = s.scalar(select(Cfdi).where(Cfdi.id == cfdi_id).options(undefer(Cfdi.stamped_xml)))
        assert row.state == "stamped"
        xml = row.stamped_xml
    sat_rules.assert_valid(xml)
    assert invoiced_receipt not in numbers and len(numbers) >= 2
    root = etree.fromstring(xml)
    info = root.find("cfdi:InformacionGlobal", NS)
    assert (info.get("Periodicidad"), info.get("Meses"), info.get("Año")) == ("04", f"{day.month:02d}", str(day.year))
    receptor = root.find("cfdi:Receptor", NS)
    assert (receptor.get("Rfc"), receptor.get("Nombre"), receptor.get("UsoCFDI"), receptor.get("RegimenFiscalReceptor"),
            receptor.get("DomicilioFiscalReceptor")) == ("XAXX010101000", "PUBLICO EN GENERAL", "S01", "616", "42501")
    concepts = [(c.get("NoIdentificacion"), c.get("ClaveProdServ"), c.get("ClaveUnidad"), c.get("Descripcion"),
                 c.get("ValorUnitario")) for c in root.findall("cfdi:Conceptos/cfdi:Concepto", NS)]
    mine = [c for c in concepts if c[0] in numbers[-2:]]
    assert sorted(c[4] for c in mine) == ["120.00", "30.30", "70.00"]
    assert {c[1:4] for c in mine} == {("01010101", "ACT", "Venta")}
