"""The order-warehouse screen: choose the warehouse of a New order, refused once confirmed, fenced by business."""
from __future__ import annotations

from sqlalchemy import select

from addons.sales import services as sales
from addons.sales_stock.models import OrderWarehouse
from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)


def _new_order(stocked, ref):
    shop = stocked.shop
    with shop.tx() as s:
        return sales.create_order(s, channel="web", external_ref=ref, partner_id=shop.customer_id,
                                  lines=[{"variant_id": shop.variants[0], "qty": "1"}]).id


def test_choose_the_warehouse_of_a_new_order_then_confirm_reserves_there(stocked, make_user, client_for):  # noqa: F811
    shop = stocked.shop
    client = client_for(make_user(shop.business))
    order_id = _new_order(stocked, "WH-PICK-1")
    assert client.get("/admin/sales_stock_order_warehouse/").status_code == 200
    response = client.post("/admin/sales_stock_order_warehouse/new/",
                           {"order": str(order_id), "warehouse": str(stocked.branch)}, follow_redirects=True)
    assert response.status_code == 200
    with shop.session() as s:
        link = s.scalar(select(OrderWarehouse).where(OrderWarehouse.order_id == order_id))
        assert link.warehouse_id == stocked.branch
    with shop.tx() as s:
        sales.confirm_order(s, order_id)
    assert stocked.level(shop.variants[0], stocked.branch)[1] == 1   # reserved in the chosen branch
    assert stocked.level(shop.variants[0], stocked.main)[1] == 0
    page = client.post(f"/admin/sales_stock_order_warehouse/edit/?id={link.id}",
                       {"order": str(order_id), "warehouse": str(stocked.main)}, follow_redirects=True)
    assert "the warehouse can only be changed while the order is New" in page.get_data(as_text=True)
    with shop.session() as s:
        assert s.get(OrderWarehouse, link.id).warehouse_id == stocked.branch


def test_another_business_order_cannot_be_linked_or_seen(stocked, stocked_factory, make_user,  # noqa: F811
                                                         client_for):  # noqa: F811
    other = stocked_factory()
    theirs = _new_order(other, "WH-THEIRS")
    client = client_for(make_user(stocked.shop.business))
    lookup = client.get("/admin/sales_stock_order_warehouse/ajax/lookup/?name=order&query=SO")
    assert lookup.status_code == 200
    assert str(theirs) not in [str(row[0]) for row in lookup.get_json()]
    client.post("/admin/sales_stock_order_warehouse/new/", {"order": str(theirs), "warehouse": str(stocked.main)})
    with other.shop.session() as s:
        assert s.scalar(select(OrderWarehouse).where(OrderWarehouse.order_id == theirs)) is None
