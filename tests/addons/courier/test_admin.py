"""The shipment screens: Ship on the order page, the shipment's document page with its timeline,
actions, labels, quotes, the COD statement upload, and the permissions behind them."""
from __future__ import annotations

import io

from sqlalchemy import select

from addons.courier import states
from addons.courier.models import Shipment
from tests.addons.sales.test_document_page import _part
from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures


def test_ship_from_the_order_page_then_walk_it_on_the_shipment_page(runtime, shop, make_user, client_for):  # noqa: F811
    admin = client_for(make_user(shop.business))
    order_id = shop.order(cod=True)
    order_page = admin.get(f"/admin/sales_order/details/?id={order_id}").get_data(as_text=True)
    assert ">Ship<" in _part(order_page, "doc-actions") and "Compare carriers" in order_page
    quotes = admin.post(f"/admin/courier_shipment/quote/?order_id={order_id}").get_data(as_text=True)
    assert "Own delivery staff" in quotes and "Ship with this service" in quotes
    response = admin.post(f"/admin/courier_shipment/create/?order_id={order_id}",
                          {"carrier": "manual", "service": "own", "cod": "999999999", "parcels": "500"})
    assert response.status_code == 302 and "sales_order" in response.headers["Location"]
    assert "more than the order" in admin.get(response.headers["Location"]).get_data(as_text=True)
    response = admin.post(f"/admin/courier_shipment/create/?order_id={order_id}",
                          {"carrier": "manual", "service": "own", "parcels": "700:20x10x10 300",
                           "tracking_number": "WEB-1", "payer": "shop", "required_note": "CHOTHUHANG"})
    assert response.status_code == 302 and "courier_shipment/details" in response.headers["Location"]
    shop.run_jobs()
    with shop.session() as s:
        shipment = s.scalar(select(Shipment).where(Shipment.tracking_number == "WEB-1"))
        shipment_id, number = shipment.id, shipment.number
    url = f"/admin/courier_shipment/details/?id={shipment_id}"
    page = admin.get(url).get_data(as_text=True)
    assert number in _part(page, "doc-number") and "Set state" in _part(page, "doc-actions")
    assert "WEB-1-2" in _part(page, "doc-lines") and "Cash on delivery" in _part(page, "doc-totals")
    admin.post(f"/admin/courier_shipment/act/?id={shipment_id}", {"act": "state", "state": "picked"})
    refused = admin.post(f"/admin/courier_shipment/act/?id={shipment_id}", {"act": "state", "state": "requested"},
                         follow_redirects=True).get_data(as_text=True)
    assert "cannot become Requested" in refused
    page = admin.get(url).get_data(as_text=True)
    assert "Picked up" in page and "Tracking timeline" in page and "By hand" in page
    label = admin.c.get(f"/admin/courier_shipment/label/?id={shipment_id}&size=a5")
    assert label.status_code == 200 and label.data[:4] == b"%PDF"
    chosen = admin.post("/admin/courier_shipment/action/", {"action": "labels", "rowid": str(shipment_id)})
    assert chosen.status_code == 302 and "label/?ids=" in chosen.headers["Location"]
    assert admin.c.get(chosen.headers["Location"]).data[:4] == b"%PDF"
    assert admin.c.get("/admin/courier_shipment/label/?ids=999999").status_code == 404
    order_page = admin.get(f"/admin/sales_order/details/?id={order_id}").get_data(as_text=True)
    assert number in order_page and ">Ship<" not in _part(order_page, "doc-actions")
    listing = admin.get("/admin/courier_shipment/?search=WEB-1").get_data(as_text=True)
    assert number in listing and "Picked up" in listing


def test_a_reader_sees_the_page_but_may_not_act(runtime, shop, make_user, client_for):  # noqa: F811
    shipment_id = shop.ship(shop.order())
    reader = client_for(make_user(shop.business, permissions=["courier.shipment.read", "sales.order.read"]))
    page = reader.get(f"/admin/courier_shipment/details/?id={shipment_id}").get_data(as_text=True)
    assert "Set state" not in page
    assert reader.post(f"/admin/courier_shipment/act/?id={shipment_id}",
                       {"act": "state", "state": "picked"}).status_code == 403
    assert shop.shipment(shipment_id).state == states.REQUESTED
    other = client_for(make_user(shop.business, permissions=["sales.order.read"]))
    assert other.get(f"/admin/courier_shipment/details/?id={shipment_id}").status_code == 403


def test_cod_statement_upload(runtime, shop, make_user, client_for):  # noqa: F811
    from addons.courier.services import tracking
    admin = client_for(make_user(shop.business))
    shipment_id = shop.ship(shop.order(cod=True), tracking_number="UP-1")
    for name in (states.PICKED, states.DELIVERED):
        with shop.tx() as s:
            tracking.set_state(s, shipment_id, name)
    cod = int(shop.shipment(shipment_id).cod_amount)
    data = f"tracking_number,cod,fee\nUP-1,{cod},15000\n".encode()
    page = admin.post("/admin/courier_statement/upload/", {"carrier": "manual", "file": (io.BytesIO(data), "s.csv")},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "1 COD payments registered." in page
    assert "s.csv" in admin.get("/admin/courier_statement/").get_data(as_text=True)
    again = admin.post("/admin/courier_statement/upload/", {"carrier": "manual", "file": (io.BytesIO(data), "s.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "imported before" in again
