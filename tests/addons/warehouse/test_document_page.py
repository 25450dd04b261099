"""Purchase order and stock count document pages (core.admin_document)."""
from __future__ import annotations

import re
from decimal import Decimal

from addons.warehouse import services as wh
from tests.addons.sales.test_document_page import _part
from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures

from .conftest import put
from .test_admin import admin, business  # noqa: F401  fixture


def test_purchase_order_page_parts_receipts_and_timeline(runtime, shop, admin):  # noqa: F811
    a = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        po = wh.create_purchase_order(session, shop.supplier, [(a, Decimal(6))])
    url = f"/admin/warehouse_purchase_order/details/?id={po.id}"
    page = admin.get(url).get_data(as_text=True)
    assert ">Send<" in _part(page, "doc-actions") and "Add a line" in page
    admin.post(f"/admin/warehouse_purchase_order/transition/?id={po.id}", {"transition": "send"})
    admin.post(f"/admin/warehouse_purchase_order/transition/?id={po.id}",
               {"transition": "receive", f"qty_{a}": "2", "supplier_reference": "DN-778"})
    page = admin.get(url).get_data(as_text=True)
    assert po.number in _part(page, "doc-number") and "Sao Mai" in _part(page, "doc-party")
    assert re.search(r'tessera-stage-current"[^>]*>Partially received<', page)
    assert "Cancel backorder" in _part(page, "doc-actions") and ">Send<" not in _part(page, "doc-actions")
    assert "SKU-1" in _part(page, "doc-lines") and "DN-778" in page
    assert "Total" in _part(page, "doc-totals")
    assert "Purchase order is now Partially received" in _part(page, "doc-timeline")


def test_refusal_message_and_receive_permission(runtime, shop, make_user, client_for):  # noqa: F811
    a = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        po = wh.create_purchase_order(session, shop.supplier, [(a, Decimal(6))])
        wh.send_purchase_order(session, po.id)
    clerk = client_for(make_user(business(runtime, shop), permissions=["warehouse.purchase.read",
                                                                       "warehouse.purchase.edit"]))
    page = clerk.get(f"/admin/warehouse_purchase_order/details/?id={po.id}").get_data(as_text=True)
    assert "Receive goods" not in page and "Cancel" in _part(page, "doc-actions")
    refused = clerk.post(f"/admin/warehouse_purchase_order/transition/?id={po.id}", {"transition": "receive"},
                         follow_redirects=True).get_data(as_text=True)
    assert "you may not receive purchase orders" in refused and 'id="doc-number"' in refused
    bad = clerk.post(f"/admin/warehouse_purchase_order/line/?id={po.id}", {"sku": "SKU-1", "quantity": "1"},
                     follow_redirects=True).get_data(as_text=True)
    assert "alert-danger" in bad and 'id="doc-stages"' in bad      # lines are added to drafts only
    with runtime.session(shop.business_id) as session:
        assert wh.get_purchase_order(session, po.id).state == "sent"


def test_stock_count_page(runtime, shop, admin):  # noqa: F811
    put(runtime, shop, "SKU-1", 3)
    with runtime.transaction(shop.business_id) as session:
        count = wh.create_count(session, shop.main)
    admin.post(f"/admin/warehouse_stock_count/transition/?id={count.id}", {"transition": "start"})
    page = admin.get(f"/admin/warehouse_stock_count/details/?id={count.id}").get_data(as_text=True)
    assert count.number in _part(page, "doc-number") and "WH-MAIN" in _part(page, "doc-party")
    assert re.search(r'tessera-stage-current"[^>]*>Counting<', page)
    actions = _part(page, "doc-actions")
    assert "Apply as adjustments" in actions and 'enctype="multipart/form-data"' in actions
    assert "SKU-1" in _part(page, "doc-lines")
    assert "Stock count is now Counting" in _part(page, "doc-timeline")
