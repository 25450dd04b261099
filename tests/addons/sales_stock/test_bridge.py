"""The bridge: confirm reserves all or nothing, cancel releases, complete delivers, returns restock."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from addons.sales import services as sales
from addons.sales_stock import services as bridge
from core.errors import UserError


def _order(shop, qtys, **kw):
    with shop.tx() as s:
        lines = [{"variant_id": v, "qty": str(q)} for v, q in zip(shop.variants, qtys) if q]
        return sales.create_order(s, channel="shopee", partner_id=shop.customer_id, lines=lines, **kw).id


def _do(shop, fn, *args, **kw):
    with shop.tx() as s:
        result = fn(s, *args, **kw)
        return getattr(result, "id", result)


def _state(shop, oid):
    with shop.session() as s:
        return sales.get_order(s, oid).state


def test_bridge_is_auto_enabled_with_sales_and_warehouse(stocked):
    from core.addons import state
    shop = stocked.shop
    with shop.session() as s:
        assert {"sales", "warehouse", "sales_stock"} <= state.enabled_addons(s, shop.id)


def test_confirm_reserves_every_line_in_the_same_transaction(stocked):
    shop = stocked.shop
    oid = _order(shop, (3, 2))
    _do(shop, sales.confirm_order, oid)
    assert stocked.level(shop.variants[0]) == (D(10), D(3))
    assert stocked.level(shop.variants[1]) == (D(5), D(2))
    with shop.session() as s:
        link = bridge.order_link(s, oid)
        assert (link.warehouse_id, link.reserved) == (stocked.main, True)


def test_shortfall_names_each_sku_and_reserves_nothing(stocked):
    shop = stocked.shop
    oid = _order(shop, (3, 6, 1))  # 5 of the second and none of the third on hand
    with shop.session() as s:
        number = sales.get_order(s, oid).number
    with pytest.raises(UserError) as err:
        _do(shop, sales.confirm_order, oid)
    message = str(err.value)
    assert "not enough stock in WH-MAIN" in message
    assert f"{shop.skus[1]} wanted 6, available 5" in message and f"{shop.skus[2]} wanted 1, available 0" in message
    assert shop.skus[0] not in message
    assert stocked.level(shop.variants[0]) == (D(10), D(0))   # the line that fitted is not reserved either
    assert stocked.level(shop.variants[1]) == (D(5), D(0))
    assert _state(shop, oid) == "new"
    with shop.session() as s:
        assert bridge.order_link(s, oid) is None and sales.get_order(s, oid).number == number


def test_cancel_releases_the_reservation(stocked, captured):
    shop = stocked.shop
    oid = _order(shop, (4,))
    _do(shop, sales.confirm_order, oid)
    _do(shop, sales.cancel_order, oid, "out of budget")
    assert stocked.level(shop.variants[0]) == (D(10), D(0))
    with shop.session() as s:
        assert bridge.order_link(s, oid).reserved is False
    # cancelling a New order touches no stock
    other = _order(shop, (1,))
    _do(shop, sales.cancel_order, other)
    assert stocked.level(shop.variants[0]) == (D(10), D(0))


def test_partial_delivery_and_completion_turn_reservations_into_deliveries(stocked):
    from addons.warehouse.models import StockMove
    shop = stocked.shop
    oid = _order(shop, (4, 1))
    _do(shop, sales.confirm_order, oid)
    with shop.session() as s:
        first = sales.get_order(s, oid).lines[0].id
    _do(shop, sales.deliver_order, oid, {first: "1"})
    assert stocked.level(shop.variants[0]) == (D(9), D(3))
    with shop.session() as s:
        total = sales.get_order(s, oid).total
    _do(shop, sales.register_payment, oid, str(total), "ewallet")
    _do(shop, sales.complete_order, oid)
    assert stocked.level(shop.variants[0]) == (D(6), D(0))
    assert stocked.level(shop.variants[1]) == (D(4), D(0))
    with shop.session() as s:
        number = sales.get_order(s, oid).number
        moves = s.execute(select(StockMove.kind, StockMove.variant_id, StockMove.on_hand_delta)
                          .where(StockMove.reference == number).order_by(StockMove.id)).all()
        assert [(k, v, D(q)) for k, v, q in moves if k == "delivery"] == [
            ("delivery", shop.variants[0], D(-1)), ("delivery", shop.variants[0], D(-3)),
            ("delivery", shop.variants[1], D(-1))]
        assert bridge.order_link(s, oid).reserved is False


def test_chosen_warehouse_is_used_and_only_while_new(stocked):
    shop = stocked.shop
    oid = _order(shop, (2,))
    _do(shop, bridge.set_order_warehouse, oid, stocked.branch)
    _do(shop, sales.confirm_order, oid)
    assert stocked.level(shop.variants[0], stocked.branch) == (D(10), D(2))
    assert stocked.level(shop.variants[0], stocked.main) == (D(10), D(0))
    with pytest.raises(UserError, match="the warehouse can only be changed while the order is New"):
        _do(shop, bridge.set_order_warehouse, oid, stocked.main)


def test_return_restocks_or_records_damage(stocked):
    from addons.warehouse.models import StockMove
    shop = stocked.shop
    oid = _order(shop, (3,))
    _do(shop, sales.confirm_order, oid)
    _do(shop, sales.register_payment, oid, "300000", "card")
    _do(shop, sales.complete_order, oid)
    assert stocked.level(shop.variants[0]) == (D(7), D(0))
    with shop.session() as s:
        line = sales.get_order(s, oid).lines[0].id
    rid = _do(shop, sales.create_return, oid, [{"order_line_id": line, "qty": "1"}])
    assert stocked.level(shop.variants[0]) == (D(8), D(0))
    # a damaged unit comes back and is scrapped; a draft return can go to another warehouse
    rid2 = _do(shop, sales.create_return, oid, [{"order_line_id": line, "qty": "1", "damaged": True}], receive=False)
    _do(shop, bridge.set_return_warehouse, rid2, stocked.branch)
    _do(shop, sales.receive_return, rid2)
    assert stocked.level(shop.variants[0]) == (D(8), D(0))
    assert stocked.level(shop.variants[0], stocked.branch) == (D(10), D(0))
    with shop.session() as s:
        from addons.sales.services import get_return
        numbers = [get_return(s, rid).number, get_return(s, rid2).number]
        moves = s.execute(select(StockMove.reference, StockMove.kind, StockMove.warehouse_id, StockMove.on_hand_delta)
                          .where(StockMove.reference.in_(numbers)).order_by(StockMove.id)).all()
    assert [(r, k, w, D(q)) for r, k, w, q in moves] == [
        (numbers[0], "return", stocked.main, D(1)),
        (numbers[1], "return", stocked.branch, D(1)), (numbers[1], "scrap", stocked.branch, D(-1))]
    with pytest.raises(UserError, match="is already received"):
        _do(shop, bridge.set_return_warehouse, rid2, stocked.main)


def test_orders_confirmed_before_the_bridge_existed_reserve_on_delivery(stocked):
    """An order with no reservation (confirmed while the bridge was off) still never takes promised stock."""
    from addons.sales_stock.models import OrderWarehouse
    shop = stocked.shop
    oid = _order(shop, (2,))
    _do(shop, sales.confirm_order, oid)
    with shop.tx() as s:  # as if it had been confirmed without the bridge: no reservation, no link
        from addons.warehouse import services as wh
        wh.release(s, stocked.main, [(shop.variants[0], D(2))], reference="test")
        s.delete(s.scalar(select(OrderWarehouse).where(OrderWarehouse.order_id == oid)))
    _do(shop, sales.register_payment, oid, "200000", "cash")
    _do(shop, sales.complete_order, oid)
    assert stocked.level(shop.variants[0]) == (D(8), D(0))


def test_draft_po_on_shortfall_setting(runtime, stocked):
    from addons.partners.services import create_partner
    from addons.warehouse import services as wh
    from addons.warehouse.models import PurchaseLine, PurchaseOrder
    from core.settings import set_settings
    shop = stocked.shop
    with shop.tx() as s:
        supplier = create_partner(s, name="Công ty TNHH Cung Ứng", country="VN", kind="company",
                                  is_customer=False, is_supplier=True).id
        wh.set_supplier_product(s, supplier, shop.variants[2], unit_cost="20000", preferred=True)
    oid = _order(shop, (1, 0, 4))
    with pytest.raises(UserError, match="wanted 4, available 0"):
        _do(shop, sales.confirm_order, oid)
    with shop.session() as s:   # setting off: nothing drafted
        assert s.scalars(select(PurchaseOrder)).all() == []
    with shop.tx() as s:
        set_settings(s, runtime.registry, "sales_stock", {"draft_po_on_shortfall": True}, runtime.config["SECRET_KEY"])
    with pytest.raises(UserError, match="wanted 4, available 0"):
        _do(shop, sales.confirm_order, oid)
    with shop.session() as s:
        orders = s.scalars(select(PurchaseOrder)).all()
        assert [(po.supplier_id, po.state) for po in orders] == [(supplier, "draft")]
        lines = s.execute(select(PurchaseLine.variant_id, PurchaseLine.quantity)).all()
        assert [(v, D(q)) for v, q in lines] == [(shop.variants[2], D(4))]
    assert _state(shop, oid) == "new" and stocked.level(shop.variants[0]) == (D(10), D(0))


def test_tenancy_warehouse_of_another_business_is_refused(stocked, stocked_factory):
    other = stocked_factory()
    shop = stocked.shop
    oid = _order(shop, (1,))
    with pytest.raises(UserError, match=f"warehouse #{other.main} does not exist"):
        _do(shop, bridge.set_order_warehouse, oid, other.main)
    with other.shop.tx() as s:
        with pytest.raises(UserError, match=f"order #{oid} does not exist"):
            bridge.set_order_warehouse(s, oid, other.main)
