"""The New order screen through the Flask test client: the same payload as the CLI, posted by a form."""
from __future__ import annotations

from decimal import Decimal

import pytest

from addons.sales import services
from addons.sales.models import Order
from tests.addons.sales_stock.conftest import stock_shop
from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)

CLERK = ["sales.order.read", "sales.order.create", "sales.order.edit"]


def form(shop, *lines, **fields):
    data = {"channel": "phone", "customer_name": "Lê Văn C", "customer_phone": "0901234567",
            "customer_district": "Quận 1", "shipping_fee": "20000", "save": "new",
            "line_sku": [], "line_qty": [], "line_price": [], "line_discount": []}
    for sku, qty, price, discount in lines:
        data["line_sku"].append(sku)
        data["line_qty"].append(qty)
        data["line_price"].append(price)
        data["line_discount"].append(discount)
    data.update(fields)
    return data


def orders(shop):
    with shop.session() as s:
        return s.query(Order).order_by(Order.id).all()


def test_list_has_create_and_the_screen_loads_its_static_script(shop, make_user, client_for):  # noqa: F811
    client = client_for(make_user(shop.business, permissions=CLERK))
    listing = client.get("/admin/sales_order/").get_data(as_text=True)
    assert "/admin/sales_order/new/" in listing
    page = client.get("/admin/sales_order/new/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="entry-scan"' in html and "Save and Confirm" in html
    assert "/admin/sales_order/static/order_entry.js" in html
    assert "<script>" not in html.split('id="order-entry"')[1] and " onclick=" not in html
    script = client.get("/admin/sales_order/static/order_entry.js")
    assert script.status_code == 200 and b"addLine" in script.data


def test_create_from_the_form_and_confirm(runtime, make_business, make_user, client_for):  # noqa: F811
    stocked = stock_shop(runtime, make_business)
    shop = stocked.shop
    client = client_for(make_user(shop.business, permissions=CLERK))
    response = client.post("/admin/sales_order/new/", form(shop, (shop.skus[0], "2", "100000", "5"),
                                                           (shop.skus[1], "1", "", ""), save="confirm",
                                                           cod="y", customer_po="PO-1"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with shop.session() as s:
        (order,) = s.query(Order).all()
        assert (order.state, order.customer_po, order.partner.name) == ("processing", "PO-1", "Lê Văn C")
        assert order.total == Decimal(190000 + 250000 + 20000) == order.cod_amount
        assert order.shipping_address["district"] == "Quận 1"
    assert stocked.level(shop.variants[0]) == (Decimal(10), Decimal(2))
    assert f"order {order.number} saved" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_errors_are_shown_on_the_form_with_the_input_kept(shop, make_user, client_for):  # noqa: F811
    client = client_for(make_user(shop.business, permissions=CLERK))
    page = client.post("/admin/sales_order/new/", form(shop, (shop.skus[0], "0", "", ""), ("NOPE", "1", "", ""),
                                                       customer_email="not-an-email"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="entry-errors"' in html
    assert "lines[0].qty: must be greater than 0" in html and "lines[1].sku: no product with SKU &#39;NOPE&#39;" in html
    assert "customer.email: &#39;not-an-email&#39; is not an e-mail address" in html
    assert 'value="not-an-email"' in html and 'value="Lê Văn C"' in html and 'value="NOPE"' in html
    assert 'is-invalid" id="customer_email"' in html
    assert orders(shop) == []


def test_price_override_refused_without_the_permission(shop, make_user, client_for):  # noqa: F811
    clerk = client_for(make_user(shop.business, permissions=CLERK))
    html = clerk.post("/admin/sales_order/new/", form(shop, (shop.skus[0], "1", "1", ""))).get_data(as_text=True)
    assert "lines[0].unit_price: 1 differs from the catalog price 100000; changing a price needs the permission " \
           "sales.order.override_price" in html
    assert orders(shop) == []
    manager = client_for(make_user(shop.business, permissions=CLERK + [services.OVERRIDE_PRICE]))
    assert manager.post("/admin/sales_order/new/", form(shop, (shop.skus[0], "1", "1", ""))).status_code == 302
    assert orders(shop)[0].total == Decimal(1 + 20000)


def test_shortfall_on_confirm_is_a_message_and_nothing_is_saved(runtime, make_business, make_user,
                                                                client_for):  # noqa: F811
    stocked = stock_shop(runtime, make_business)
    shop = stocked.shop
    client = client_for(make_user(shop.business, permissions=CLERK))
    html = client.post("/admin/sales_order/new/", form(shop, (shop.skus[2], "1", "", ""), save="confirm")
                       ).get_data(as_text=True)
    assert 'id="entry-errors"' in html and shop.skus[2] in html.split('id="entry-errors"')[1].split("</div>")[0]
    assert orders(shop) == []


def test_lookup_is_fenced_limited_and_needs_the_permission(shop, shop_factory, make_user, client_for):  # noqa: F811
    other = shop_factory()
    client = client_for(make_user(shop.business, permissions=CLERK))
    mine = client.get(f"/admin/sales_order/entry/lookup/?q={shop.skus[0]}&channel=phone").get_json()["results"]
    assert mine[0]["sku"] == shop.skus[0] and mine[0]["exact"] and mine[0]["price"] == "100000"
    assert client.get(f"/admin/sales_order/entry/lookup/?q={other.skus[0]}").get_json()["results"] == []
    by_name = client.get("/admin/sales_order/entry/lookup/?q=product").get_json()["results"]
    assert {r["sku"] for r in by_name} == set(shop.skus)
    customers = client.get("/admin/sales_order/entry/customers/?q=nguy").get_json()["results"]
    assert [c["code"] for c in customers] == [f"C{shop.customer_id:05d}"]
    assert client.get(f"/admin/sales_order/entry/customers/?q=C{other.customer_id:05d}").get_json()["results"] == []
    reader = client_for(make_user(shop.business, permissions=["sales.order.read"]))
    assert reader.get("/admin/sales_order/entry/lookup/?q=x").status_code == 403
    assert reader.get("/admin/sales_order/new/").status_code == 403
    # Another business's SKU posted to the form is not found either.
    html = client.post("/admin/sales_order/new/", form(shop, (other.skus[0], "1", "", ""))).get_data(as_text=True)
    assert f"lines[0].sku: no product with SKU &#39;{other.skus[0]}&#39;" in html


def test_edit_a_new_order_then_lines_are_locked_once_confirmed(shop, make_user, client_for):  # noqa: F811
    client = client_for(make_user(shop.business, permissions=CLERK))
    with shop.tx() as s:
        order = services.create_order_from_entry(s, {"customer": {"code": f"C{shop.customer_id:05d}"},
                                                     "lines": [{"sku": shop.skus[0], "qty": "1"}]}).order
        order_id, number = order.id, order.number
    page = client.get(f"/admin/sales_order/edit/?id={order_id}").get_data(as_text=True)
    assert f'value="{shop.skus[0]}"' in page and "Nguyễn Văn A" in page
    edited = form(shop, (shop.skus[0], "3", "100000", ""), (shop.skus[2], "1", "", ""), shipping_fee="0",
                  save="confirm")
    assert client.post(f"/admin/sales_order/edit/?id={order_id}", edited).status_code == 302
    with shop.session() as s:
        order = services.get_order(s, order_id)
        assert (order.state, order.total, len(order.lines)) == ("processing", Decimal(349000), 2)
    locked = client.get(f"/admin/sales_order/edit/?id={order_id}").get_data(as_text=True)
    assert 'id="entry-locked"' in locked and f"Order {number} is Processing, so its lines are locked" in locked
    assert 'id="order-entry"' not in locked and "₫349,000" in locked   # the currency's format, no decimals
    client.post(f"/admin/sales_order/edit/?id={order_id}", form(shop, (shop.skus[0], "9", "", "")))
    with shop.session() as s:
        assert services.get_order(s, order_id).lines[0].qty == 3


def test_form_without_csrf_token_is_refused(shop, make_user, client_for):  # noqa: F811
    client = client_for(make_user(shop.business, permissions=CLERK))
    response = client.post("/admin/sales_order/new/", form(shop, (shop.skus[0], "1", "", "")), csrf=False)
    assert response.status_code == 400
    assert orders(shop) == []
