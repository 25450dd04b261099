"""Goods receipt and stock transfer lists and document pages: formatting, buttons by state and permission,
tenancy, CSRF, and the Transfer stock screen writing a transfer document."""
from __future__ import annotations

import html
import re
from decimal import Decimal

from sqlalchemy import func, select

from addons.warehouse import services as wh
from addons.warehouse.models import Receipt, StockTransfer
from tests.addons.sales.test_document_page import _part
from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures

from .conftest import level, put
from .test_admin import admin, business  # noqa: F401  fixture

D = Decimal


def _received(runtime, shop, admin, qty="1000000", cost="30000"):  # noqa: F811
    """A PO sent and received through the page (so the receipt knows who received it)."""
    a = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        po = wh.create_purchase_order(session, shop.supplier, [(a, D(qty) * 2, D(cost))])
        wh.send_purchase_order(session, po.id)
    admin.post(f"/admin/warehouse_purchase_order/transition/?id={po.id}",
               {"transition": "receive", f"qty_{a}": qty, "supplier_reference": "DN-42"})
    with runtime.session(shop.business_id) as session:
        receipt = session.scalar(select(Receipt).where(Receipt.order_id == po.id))
        return po.id, po.number, receipt.id, receipt.number


def test_receipt_list_and_page(runtime, shop, admin):  # noqa: F811
    po_id, po_number, receipt_id, number = _received(runtime, shop, admin)
    listing = admin.get("/admin/warehouse_receipt/").get_data(as_text=True)
    assert number in listing and "Sao Mai" in listing and "WH-MAIN" in listing and "DN-42" in listing
    assert f'href="/admin/warehouse_purchase_order/details/?id={po_id}">{po_number}</a>' in listing
    assert re.search(r'badge-warning tessera-status">Partially received<', listing)
    assert listing.count("tessera-status") == 1 and ">partial<" not in listing
    page = admin.get(f"/admin/warehouse_receipt/details/?id={receipt_id}").get_data(as_text=True)
    assert number in _part(page, "doc-number") and "Sao Mai" in _part(page, "doc-party")
    dates = _part(page, "doc-dates")
    assert "@example.com" in dates and "WH-MAIN" in dates and po_number in dates and "DN-42" in dates
    assert re.search(r'tessera-stage-current"[^>]*>Received<', page)
    assert 'id="doc-actions"' not in page                 # posted stock: no buttons
    lines = _part(page, "doc-lines")
    assert "SKU-1" in lines and "1,000,000" in lines and "₫30,000<" in lines
    assert "E+" not in page and ".0000" not in page and "30000.0000" not in page
    assert "₫30,000,000,000" in _part(page, "doc-totals")
    assert f'href="/admin/warehouse_purchase_order/details/?id={po_id}">{po_number}</a>' in _part(page, "doc-related")
    timeline = _part(page, "doc-timeline")
    assert "receipt created" in timeline and "@example.com" in timeline
    po_page = admin.get(f"/admin/warehouse_purchase_order/details/?id={po_id}").get_data(as_text=True)
    assert f'href="/admin/warehouse_receipt/details/?id={receipt_id}">{number}</a>' in _part(po_page, "doc-related")


def test_transfer_page_buttons_follow_the_state(runtime, shop, admin):  # noqa: F811
    put(runtime, shop, "SKU-1", 2000000)
    with runtime.transaction(shop.business_id) as session:
        transfer = wh.create_transfer(session, shop.main, shop.second, [(shop.variants["SKU-1"], D("1250000.5"))],
                                      note="for the new shop")
    url = f"/admin/warehouse_stock_transfer/details/?id={transfer.id}"
    page = admin.get(url).get_data(as_text=True)
    assert transfer.number in _part(page, "doc-number") and "WH-MAIN" in _part(page, "doc-party")
    assert "SHOP2" in _part(page, "doc-dates") and "for the new shop" in page
    assert re.search(r'tessera-stage-current"[^>]*>Draft<', page)
    actions = _part(page, "doc-actions")
    assert ">Confirm<" in actions and "Cancel" in actions and 'name="reason"' in actions
    assert 'name="csrf_token"' in actions and "data-tessera-confirm" in actions
    assert "1,250,000.5" in _part(page, "doc-lines") and "E+" not in page and ".0000" not in page
    assert "Available to move now" in page and "2,000,000" in _part(page, "doc-lines")
    assert "Nothing moved yet." in page
    listing = admin.get("/admin/warehouse_stock_transfer/").get_data(as_text=True)
    assert transfer.number in listing and re.search(r'badge-info tessera-status">Draft<', listing)
    assert 'href="/admin/warehouse_transfer/">New transfer<' in listing
    admin.post(f"/admin/warehouse_stock_transfer/transition/?id={transfer.id}", {"transition": "confirm"})
    page = admin.get(url).get_data(as_text=True)
    assert re.search(r'tessera-stage-current"[^>]*>Done<', page) and 'id="doc-actions"' not in page
    assert "Available to move now" not in page
    moves = _part(page, "doc-section-1")
    assert "-1,250,000.5" in moves and "SHOP2" in moves and "WH-MAIN" in moves
    assert f"/admin/warehouse_stock_move/?search={transfer.number}" in _part(page, "doc-related")
    assert "Stock transfer is now Done" in _part(page, "doc-timeline")
    assert level(runtime, shop, "SKU-1", shop.second) == (D("1250000.5"), D(0))
    ledger = admin.get(f"/admin/warehouse_stock_move/?search={transfer.number}").get_data(as_text=True)
    assert ledger.count(transfer.number) >= 2 and "Transfer" in ledger


def test_cancel_needs_a_reason_and_shows_it(runtime, shop, admin):  # noqa: F811
    with runtime.transaction(shop.business_id) as session:
        transfer = wh.create_transfer(session, shop.main, shop.second, [(shop.variants["SKU-1"], 1)])
    url = f"/admin/warehouse_stock_transfer/transition/?id={transfer.id}"
    refused = admin.post(url, {"transition": "cancel", "reason": ""}, follow_redirects=True).get_data(as_text=True)
    assert "reason: say why" in refused and 'id="doc-number"' in refused
    page = admin.post(url, {"transition": "cancel", "reason": "van broke down"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Cancelled: van broke down" in page and 'tessera-stage-off' in page and 'id="doc-actions"' not in page
    shortage = admin.post(url, {"transition": "confirm"}, follow_redirects=True).get_data(as_text=True)
    assert "is Cancelled; it can only be confirmed when Draft" in shortage


def test_confirm_needs_its_permission_and_the_csrf_token(runtime, shop, make_user, client_for):  # noqa: F811
    put(runtime, shop, "SKU-1", 5)
    with runtime.transaction(shop.business_id) as session:
        transfer = wh.create_transfer(session, shop.main, shop.second, [(shop.variants["SKU-1"], 2)])
    clerk = client_for(make_user(business(runtime, shop), permissions=["warehouse.transfer.read",
                                                                       "warehouse.transfer.edit"]))
    page = clerk.get(f"/admin/warehouse_stock_transfer/details/?id={transfer.id}").get_data(as_text=True)
    assert ">Confirm<" not in page and "Cancel" in _part(page, "doc-actions")
    url = f"/admin/warehouse_stock_transfer/transition/?id={transfer.id}"
    assert clerk.post(url, {"transition": "confirm"}).status_code == 403
    assert clerk.get("/admin/warehouse_receipt/").status_code == 403      # no warehouse.receipt.read
    owner = client_for(make_user(business(runtime, shop)))
    assert owner.post(url, {"transition": "confirm"}, csrf=False).status_code == 400
    with runtime.session(shop.business_id) as session:
        assert wh.get_transfer(session, transfer.id).state == "draft"
    assert level(runtime, shop, "SKU-1") == (D(5), D(0))
    reader = client_for(make_user(business(runtime, shop), permissions=["warehouse.receipt.read"]))
    assert reader.get("/admin/warehouse_receipt/").status_code == 200
    assert reader.get("/admin/warehouse_stock_transfer/").status_code == 403


def test_another_business_gets_404(runtime, shop, admin, make_business, make_user, client_for):  # noqa: F811
    _po_id, _po_number, receipt_id, receipt_number = _received(runtime, shop, admin, qty="2")
    put(runtime, shop, "SKU-1", 5)
    with runtime.transaction(shop.business_id) as session:
        transfer = wh.create_transfer(session, shop.main, shop.second, [(shop.variants["SKU-1"], 1)])
    intruder = client_for(make_user(make_business(country="VN", addons=["warehouse"])))
    assert intruder.get(f"/admin/warehouse_receipt/details/?id={receipt_id}").status_code == 404
    assert intruder.get(f"/admin/warehouse_stock_transfer/details/?id={transfer.id}").status_code == 404
    assert intruder.post(f"/admin/warehouse_stock_transfer/transition/?id={transfer.id}",
                         {"transition": "confirm"}).status_code == 404
    for endpoint, secret in (("warehouse_receipt", receipt_number), ("warehouse_stock_transfer", transfer.number)):
        assert secret not in intruder.get(f"/admin/{endpoint}/").get_data(as_text=True)
    with runtime.session(shop.business_id) as session:
        assert wh.get_transfer(session, transfer.id).state == "draft"


def _transfers(runtime, shop):
    with runtime.session(shop.business_id) as session:
        return session.scalars(select(StockTransfer).order_by(StockTransfer.id)).all()


def test_transfer_screen_writes_a_document(runtime, shop, admin, make_user, client_for):  # noqa: F811
    put(runtime, shop, "SKU-1", 5)
    form = {"source": str(shop.main), "target": str(shop.second), "lines": "SKU-1 2\n\nSKU-2 1",
            "scheduled_date": "2026-12-24", "note": "weekly top-up"}
    screen = admin.get("/admin/warehouse_transfer/").get_data(as_text=True)
    assert 'name="confirm"' in screen and 'name="scheduled_date"' in screen
    saved = admin.post("/admin/warehouse_transfer/", form, follow_redirects=True).get_data(as_text=True)
    draft, = _transfers(runtime, shop)
    assert draft.state == "draft" and str(draft.scheduled_date) == "2026-12-24" and draft.note == "weekly top-up"
    assert f"{draft.number} saved as a draft" in saved and 'id="doc-number"' in saved
    short = admin.post("/admin/warehouse_transfer/", {**form, "confirm": "on"}).get_data(as_text=True)
    assert "SKU-2 wanted 1, available 0" in short and "weekly top-up" in short   # form kept as typed
    assert len(_transfers(runtime, shop)) == 1                                 # nothing half-written
    for bad, message in (({"lines": "SKU-1"}, "line 1: write 'SKU quantity'"), ({"lines": "NOPE 1"}, "NOPE"),
                         ({"lines": ""}, "at least one"), ({"target": str(shop.main)}, "same warehouse"),
                         ({"scheduled_date": "31/31/2026"}, "scheduled date"), ({"lines": "SKU-1 0"}, "more than zero"),
                         ({"target": "x"}, "to warehouse")):
        page = admin.post("/admin/warehouse_transfer/", {**form, **bad}).get_data(as_text=True)
        assert message in html.unescape(page), bad
    assert len(_transfers(runtime, shop)) == 1
    done = admin.post("/admin/warehouse_transfer/", {**form, "lines": "SKU-1 2", "confirm": "on"},
                      follow_redirects=True).get_data(as_text=True)
    assert re.search(r'tessera-stage-current"[^>]*>Done<', done)
    assert level(runtime, shop, "SKU-1") == (D(3), D(0)) and len(_transfers(runtime, shop)) == 2
    drafter = client_for(make_user(business(runtime, shop), permissions=["warehouse.transfer.read",
                                                                         "warehouse.transfer.create"]))
    assert 'name="confirm"' not in drafter.get("/admin/warehouse_transfer/").get_data(as_text=True)
    refused = drafter.post("/admin/warehouse_transfer/", {**form, "confirm": "on"}).get_data(as_text=True)
    assert "you may not confirm stock transfers" in refused and len(_transfers(runtime, shop)) == 2
    with runtime.session(shop.business_id) as session:
        assert session.scalar(select(func.count()).select_from(StockTransfer)
                              .where(StockTransfer.state == "done")) == 1


def test_warehouse_lists_show_one_status_badge_and_labels_not_codes(runtime, shop, admin):  # noqa: F811
    put(runtime, shop, "SKU-1", 3)
    with runtime.transaction(shop.business_id) as session:
        count = wh.create_count(session, shop.main)
        wh.start_count(session, count.id)
        wh.confirm_transfer(session, wh.create_transfer(session, shop.main, shop.second,
                                                        [(shop.variants["SKU-1"], 1)]).id)
    def page(url):   # cells without the template's indentation
        return re.sub(r"\s+<", "<", re.sub(r">\s+", ">", admin.get(url).get_data(as_text=True)))
    counts = page("/admin/warehouse_stock_count/")
    assert re.search(r'badge-warning tessera-status">Counting<', counts) and ">counting<" not in counts
    assert ">State<" not in counts and ">Status<" in counts
    warehouses = page("/admin/warehouse_warehouse/")
    assert ">Main<" in warehouses and ">Branch<" in warehouses and ">main<" not in warehouses
    moves = page("/admin/warehouse_stock_move/")
    assert ">Transfer<" in moves and ">Receipt<" in moves and ">transfer<" not in moves
    for endpoint in ("warehouse_purchase_order", "warehouse_stock_transfer", "warehouse_stock_count"):
        assert ">State<" not in page(f"/admin/{endpoint}/"), endpoint
