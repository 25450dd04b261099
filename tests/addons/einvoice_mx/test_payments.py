"""PPD invoices get a payment complement (CFDI P, Pagos 2.0) for each payment registered against them."""
from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select

from . import sat_rules

NS = dict(sat_rules.NS)


@pytest.fixture(scope="module")
def ppd(mx):
    """An order of 2 x 100.00 + IVA 16 % invoiced unpaid (PPD), its CFDI stamped offline."""
    from addons.catalog.services import create_product
    from addons.einvoice.services.issue import issue_document
    from addons.einvoice.services.orders import create_from_order
    from addons.sales.services import confirm_order, create_order
    with mx.tx() as s:
        product = create_product(s, sku=f"{mx.skus[0]}-PPD", name="Printer", sale_price="100.00",
                                 tax_class_code="iva16")
        order = create_order(s, partner_id=mx.customer_id, lines=[{"variant_id": product.variants[0].id,
                                                                   "qty": Decimal(2)}])
        confirm_order(s, order.id)
        doc = issue_document(s, create_from_order(s, order.id, "sales_invoice").id, render_pdf=False)
        order_id, doc_id = order.id, doc.id
    mx.run_jobs("einvoice.submit")
    return order_id, doc_id


def _complements(mx, invoice_cfdi_id):
    from sqlalchemy.orm import undefer
    from addons.einvoice_mx.models import Cfdi
    with mx.session() as s:
        return list(s.scalars(select(Cfdi).where(Cfdi.related_cfdi_id == invoice_cfdi_id)
                              .options(undefer(Cfdi.signed_xml), undefer(Cfdi.stamped_xml)).order_by(Cfdi.id)))


def _docto(xml):
    root = etree.fromstring(xml)
    return root, root.find("cfdi:Complemento/pago20:Pagos/pago20:Pago/pago20:DoctoRelacionado", NS)


def test_each_payment_gets_its_complement(mx, ppd):
    from addons.sales.services import register_payment
    from core.jobs import enqueue
    order_id, doc_id = ppd
    invoice = mx.cfdi(doc_id)
    assert invoice.metodo_pago == "PPD" and invoice.uuid and invoice.total == Decimal("232.00")
    with mx.tx() as s:
        register_payment(s, order_id, Decimal("100.00"), "bank_transfer")
    assert _complements(mx, invoice.id) == []          # a partial payment waits for the schedule
    with mx.tx() as s:
        enqueue(s, "einvoice_mx.complement_payments")
    mx.run_jobs("einvoice_mx.")
    first, = _complements(mx, invoice.id)
    assert (first.tipo, first.partiality, first.amount_paid, first.state) == ("P", 1, Decimal("100.00"), "stamped")
    with mx.tx() as s:
        register_payment(s, order_id, Decimal("132.00"), "card")   # the last one: order_paid complements it now
    mx.run_jobs("einvoice_mx.")
    first, second = _complements(mx, invoice.id)
    for row in (first, second):
        sat_rules.assert_valid(row.stamped_xml)
    root, docto = _docto(first.stamped_xml)
    assert (root.get("TipoDeComprobante"), root.get("Moneda"), root.get("Total"), root.get("SubTotal")) == \
        ("P", "XXX", "0", "0")
    assert root.find("cfdi:Receptor", NS).get("UsoCFDI") == "CP01"
    assert (docto.get("IdDocumento"), docto.get("NumParcialidad"), docto.get("ImpSaldoAnt"), docto.get("ImpPagado"),
            docto.get("ImpSaldoInsoluto"), docto.get("MetodoDePagoDR") if docto.get("MetodoDePagoDR") else "PPD") == \
        (invoice.uuid, "1", "232.00", "100.00", "132.00", "PPD")
    pago = root.find("cfdi:Complemento/pago20:Pagos/pago20:Pago", NS)
    assert (pago.get("FormaDePagoP"), pago.get("Monto")) == ("03", "100.00")
    _root2, docto2 = _docto(second.stamped_xml)
    assert (docto2.get("NumParcialidad"), docto2.get("ImpSaldoAnt"), docto2.get("ImpPagado"),
            docto2.get("ImpSaldoInsoluto")) == ("2", "132.00", "132.00", "0.00")
    # the payment's taxes in proportion: 100 of 232 pays 86.21 of base and 13.79 of IVA
    tr = docto.find("pago20:ImpuestosDR/pago20:TrasladosDR/pago20:TrasladoDR", NS)
    assert (tr.get("BaseDR"), tr.get("ImporteDR"), tr.get("TasaOCuotaDR")) == ("86.21", "13.79", "0.160000")
    totales = root.find("cfdi:Complemento/pago20:Pagos/pago20:Totales", NS)
    assert (totales.get("MontoTotalPagos"), totales.get("TotalTrasladosImpuestoIVA16")) == ("100.00", "13.79")
    assert [r.folio for r in (first, second)] == ["1", "2"] and first.serie == "P"


def test_pue_invoice_gets_none(mx):
    doc_id = mx.issue(mx.draft())
    assert mx.cfdi(doc_id).metodo_pago == "PUE"
