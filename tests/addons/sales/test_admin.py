"""Sales admin screens: lists, detail, actions, and tenancy on every one of them."""
from __future__ import annotations

import pytest

from addons.sales import services
from tests.web.conftest import app, client_for, make_user  # noqa: F401  (fixtures)


def _order(shop, ref):
    with shop.tx() as s:
        order = services.create_order(s, channel="shopee", external_ref=ref, partner_id=shop.customer_id,
                                      lines=[{"variant_id": shop.variants[0], "qty": "1"}])
        return order.id, order.number


@pytest.fixture
def two_shops(shop, shop_factory, make_user, client_for):  # noqa: F811
    other = shop_factory()
    mine, theirs = _order(shop, "MINE-1"), _order(other, "THEIRS-1")
    return shop, other, mine, theirs, client_for(make_user(shop.business))


SCREENS = ["sales_order", "sales_payment", "sales_return", "sales_term"]


def test_lists_show_only_own_rows_and_search_is_exact(two_shops):
    shop, other, (mine, my_number), (theirs, their_number), client = two_shops
    for endpoint in SCREENS:
        assert client.get(f"/admin/{endpoint}/").status_code == 200
    page = client.get("/admin/sales_order/").get_data(as_text=True)
    assert my_number in page and "MINE-1" in page and "THEIRS-1" not in page
    assert my_number in client.get("/admin/sales_order/?search=MINE-1").get_data(as_text=True)
    assert their_number not in client.get("/admin/sales_order/?search=THEIRS-1").get_data(as_text=True)
    assert my_number in client.get("/admin/sales_order/?flt0_0=new").get_data(as_text=True)


def test_detail_and_actions_of_another_business_are_404(runtime, two_shops):
    shop, other, (mine, _), (theirs, _), client = two_shops
    assert client.get(f"/admin/sales_order/details/?id={mine}").status_code == 200
    assert client.get(f"/admin/sales_order/details/?id={theirs}").status_code == 404
    for url, data in ((f"/admin/sales_order/transition/?id={theirs}", {"transition": "confirm"}),
                      (f"/admin/sales_order/pay/?id={theirs}", {"amount": "1", "method": "cash"}),
                      (f"/admin/sales_order/return/?id={theirs}", {})):
        assert client.post(url, data).status_code == 404
    assert client.post("/admin/sales_order/action/", {"action": "confirm", "rowid": [str(mine), str(theirs)]}
                       ).status_code == 404
    with other.session() as s:
        assert services.get_order(s, theirs).state == "new"
    with shop.session() as s:
        assert services.get_order(s, mine).state == "new"


def test_detail_actions_confirm_pay_complete_and_refusal_is_flashed(two_shops):
    shop, _other, (mine, number), _theirs, client = two_shops
    page = client.get(f"/admin/sales_order/details/?id={mine}").get_data(as_text=True)
    assert "Register payment" in page and shop.skus[0] in page
    response = client.post(f"/admin/sales_order/transition/?id={mine}", {"transition": "complete"},
                           follow_redirects=True)
    assert f"order {number} is New; only Processing orders can be completed" in response.get_data(as_text=True)
    client.post(f"/admin/sales_order/transition/?id={mine}", {"transition": "confirm"})
    client.post(f"/admin/sales_order/pay/?id={mine}", {"amount": "100000", "method": "cash", "paid_on": ""})
    client.post("/admin/sales_order/action/", {"action": "complete", "rowid": [str(mine)]})
    with shop.session() as s:
        order = services.get_order(s, mine)
        assert (order.state, order.payment_status) == ("completed", "paid")
        line_id = order.lines[0].id
    client.post(f"/admin/sales_order/return/?id={mine}", {f"qty_{line_id}": "1", "reason": "broken"})
    with shop.session() as s:
        assert services.get_order(s, mine).fulfilment_status == "returned"


def test_screens_need_the_permission(shop, make_user, client_for):  # noqa: F811
    client = client_for(make_user(shop.business, permissions=["sales.payment.read"]))
    assert client.get("/admin/sales_order/").status_code == 403
    assert client.get("/admin/sales_payment/").status_code == 200


def test_the_order_list_costs_the_same_statements_for_one_order_or_many(runtime, shop, make_user,
                                                                        client_for):  # noqa: F811
    """The list loads only its listed columns (``list_load_only``): nothing it shows may be left for
    a per-row query, so five orders cost the statements one order costs, and every column shows."""
    from sqlalchemy import event
    client = client_for(make_user(shop.business))
    seen = []

    def count(*_args):
        seen.append(1)

    first = _order(shop, "LOADONLY-1")
    client.get("/admin/sales_order/")   # warm: compiled statements, the menu's first reads
    event.listen(runtime.db.engine, "before_cursor_execute", count)
    try:
        page = client.get("/admin/sales_order/").get_data(as_text=True)
        one = len(seen)
        numbers = [first[1]] + [_order(shop, f"LOADONLY-{i}")[1] for i in range(2, 6)]
        del seen[:]
        many = client.get("/admin/sales_order/").get_data(as_text=True)
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", count)
    assert len(seen) == one
    assert first[1] in page and all(n in many for n in numbers)
    assert "Nguyễn Văn A" in many and "LOADONLY-5" in many and "Shopee" in many   # customer, ref, channel label
    assert "tessera-status" in many and "₫" in many                               # status badge, amount


def test_list_cells_read_as_flask_admins_own_value_path(app, runtime, shop):  # noqa: F811
    """``list_values`` (one call per row, type formatters looked up per value class) gives, cell for
    cell, what ``get_list_value`` gives through Flask-Admin's own ``_get_list_value``."""
    from addons.sales.models import Order
    order_id, _number = _order(shop, "CELLS-1")
    view = next(v for admin in app.extensions["admin"] for v in admin._views
                if getattr(v, "endpoint", None) == "sales_order")
    with app.test_request_context("/admin/sales_order/"), runtime.session(shop.id) as s:
        order = s.get(Order, order_id)
        fast = view.list_values(None, order, view._list_columns)
        slow = [(c, view.get_list_value(None, order, c)) for c, _name in view._list_columns]
    assert fast == slow
    assert [c for c, _v in fast] == list(view.column_list)
