"""An invoice from an order (buyer from the partner, payment text), through the offline provider; the screens."""
from __future__ import annotations

from decimal import Decimal

from lxml import etree

from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures


def test_vat_invoice_from_an_order_through_the_offline_provider(vn):
    from addons.catalog.services import create_product
    from addons.einvoice.services import orders
    from addons.partners.services import create_partner
    from addons.sales.services import create_order, register_payment
    with vn.tx() as s:
        partner = create_partner(s, name="Công ty Cổ phần Phần mềm Đông Á", kind="company", tax_id="0312345673",
                                 country="VN", email="muahang@donga.vn", street="12 Nguyễn Huệ",
                                 city="Hồ Chí Minh")
        product = create_product(s, sku="VN-ORD-1", name="Bàn phím", sale_price="250000")
        order = create_order(s, partner_id=partner.id, lines=[{"variant_id": product.variants[0].id,
                                                               "qty": Decimal(2)}])
        order_id = order.id
        paid = create_order(s, partner_id=partner.id, lines=[{"variant_id": product.variants[0].id,
                                                              "qty": Decimal(1)}])
        register_payment(s, paid.id, paid.total, "cash")
        paid_id = paid.id
    with vn.tx() as s:
        doc_id = orders.issue_for_order(s, order_id, "vat_invoice").id
        paid_doc = orders.issue_for_order(s, paid_id, "vat_invoice").id
    assert etree.fromstring(vn.invoice(paid_doc).xml).findtext("DLHDon/TTChung/HTTToan") == "TM"
    row = vn.invoice(doc_id)
    root = etree.fromstring(row.xml)
    assert root.findtext("DLHDon/NDHDon/NMua/MST") == "0312345673"
    assert root.findtext("DLHDon/NDHDon/NMua/Ten") == "Công ty Cổ phần Phần mềm Đông Á"
    assert "Hồ Chí Minh" in root.findtext("DLHDon/NDHDon/NMua/DChi")
    assert root.findtext("DLHDon/TTChung/HTTToan") == "TM/CK"  # no payment yet: not known
    states = vn.run_jobs("einvoice.submit")
    assert states and all(state == "done" for _actor, state in states), states
    from addons.einvoice.models import Submission
    from sqlalchemy import select
    with vn.session() as s:
        sub = s.scalar(select(Submission).where(Submission.document_id == doc_id))
        assert sub.provider == "offline_vn" and sub.state == "accepted"
    from pathlib import Path
    exported = list(Path(vn.runtime.config["INSTANCE_PATH"]).glob(f"einvoice-export/{vn.id}/*.xml"))
    assert any(p.read_bytes() == row.xml for p in exported)  # the signed Vietnamese XML, for manual upload
    assert any(p.name == f"{row.template}{row.symbol}-{row.number:08d}.xml" for p in exported)


def test_counter_sale_is_a_cash_register_invoice_issued_when_paid(vn):
    from addons.catalog.services import create_product
    from addons.sales.services import create_order, register_payment
    from addons.einvoice.models import Document
    from sqlalchemy import select
    vn.settings(addon="einvoice", auto_issue="receipt")
    try:
        with vn.tx() as s:
            product = create_product(s, sku="VN-POS-1", name="Cà phê", sale_price="29000")
            order = create_order(s, partner_id=None, lines=[{"variant_id": product.variants[0].id, "qty": Decimal(2)}])
            register_payment(s, order.id, order.total, "cash")
            order_id = order.id
        vn.run_jobs("einvoice.issue_for_order")
    finally:
        vn.settings(addon="einvoice", auto_issue="off")
    with vn.session() as s:
        doc_id = s.scalar(select(Document.id).where(Document.order_id == order_id, Document.type == "receipt"))
    row = vn.invoice(doc_id)
    assert row.cash_register and row.symbol[3] == "M"
    root = etree.fromstring(row.xml)
    assert root.findtext("DLHDon/TTChung/HTTToan") == "TM"
    assert root.find("DLHDon/NDHDon/NMua/MST") is None


def test_screens(vn, make_user, client_for):  # noqa: F811
    from tests.addons.sales.test_document_page import _part
    doc_id = vn.issue(vn.draft())
    row = vn.invoice(doc_id)
    client = client_for(make_user(vn.business))
    for url in ("/admin/einvoice_vn_invoice/", "/admin/einvoice_vn_symbol/", "/admin/einvoice_vn_symbol/new/",
                f"/admin/einvoice_vn_invoice/details/?id={row.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/admin/einvoice_document/details/?id={doc_id}").get_data(as_text=True)
    assert f"{row.template}{row.symbol} {row.number:08d}" in _part(page, "doc-related")
    assert "04/SS-HĐĐT" in _part(page, "doc-actions")
    xml = client.get(f"/admin/einvoice_vn_invoice/xml/?id={row.id}")
    assert xml.status_code == 200 and xml.data == row.xml
    refused = client.post(f"/admin/einvoice_vn_invoice/notice/?id={row.id}", data={"action": "explain", "reason": ""})
    assert refused.status_code == 302
    nul = client.post(f"/admin/einvoice_vn_invoice/notice/?id={row.id}", data={"action": "explain", "reason": "a\x00b"})
    assert nul.status_code == 302  # refused with the reason, not a 500
    notice = client.post(f"/admin/einvoice_vn_invoice/notice/?id={row.id}",
                         data={"action": "explain", "reason": "Sai địa chỉ"})
    assert notice.status_code == 200 and b"04/SS-H" in notice.data
    bad = client.post("/admin/einvoice_vn_symbol/new/", data={"doc_type": "vat_invoice", "symbol": "1C26QAA"})
    assert bad.status_code == 200 and "4th character" in bad.get_data(as_text=True)
    good = client.post("/admin/einvoice_vn_symbol/new/", data={"doc_type": "vat_invoice", "symbol": "1K26TZZ"})
    assert good.status_code == 302
    from addons.einvoice_vn.models import VnSymbol
    from sqlalchemy import select
    with vn.session() as s:
        assert s.scalar(select(VnSymbol).where(VnSymbol.mark == "ZZ")).code == "K"


def test_notice_needs_its_permission(vn, make_user, client_for):  # noqa: F811
    row = vn.invoice(vn.issue(vn.draft()))
    client = client_for(make_user(vn.business, permissions=("einvoice_vn.invoice.read", "einvoice.document.read")))
    assert client.post(f"/admin/einvoice_vn_invoice/notice/?id={row.id}",
                       data={"action": "explain", "reason": "x"}).status_code == 403
    assert client.get(f"/admin/einvoice_vn_invoice/xml/?id={row.id}").status_code == 403
