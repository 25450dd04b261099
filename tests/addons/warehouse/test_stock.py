from decimal import Decimal

import pytest
from sqlalchemy import select, update

from addons.warehouse import services as wh
from addons.warehouse.models import StockBalance, StockMove
from core.errors import NotFound, UserError

from .conftest import level, put

D = Decimal


def test_reserve_deliver_release_follow_the_ledger(runtime, shop):
    put(runtime, shop, "SKU-1", 10)
    v = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        wh.reserve(session, shop.main, [(v, D(4))], "SO-1")
    assert level(runtime, shop, "SKU-1") == (D(10), D(4))
    with runtime.transaction(shop.business_id) as session:
        wh.deliver(session, shop.main, [(v, D(3))], "SO-1")
        wh.release(session, shop.main, [(v, D(1))], "SO-1")
    assert level(runtime, shop, "SKU-1") == (D(7), D(0))
    with runtime.session(shop.business_id) as session:
        kinds = [m.kind for m in session.scalars(select(StockMove).order_by(StockMove.id))]
        assert kinds == ["receipt", "reserve", "delivery", "release"]
        assert wh.check_balances(session) == []


def test_shortfall_names_every_sku_and_reserves_nothing(runtime, shop):
    put(runtime, shop, "SKU-1", 1)
    a, b = shop.variants["SKU-1"], shop.variants["SKU-2"]
    with pytest.raises(UserError) as err:
        with runtime.transaction(shop.business_id) as session:
            wh.reserve(session, shop.main, [(b, D(5)), (a, D(3))], "SO-2")
    assert str(err.value) == "not enough stock in WH-MAIN: SKU-1 wanted 3, available 1; SKU-2 wanted 5, available 0"
    put(runtime, shop, "SKU-2", 9)
    # a partial shortfall rolls back the lines that fit, even if the caller swallows the error
    with runtime.transaction(shop.business_id) as session:
        with pytest.raises(UserError, match="SKU-1 wanted 3, available 1"):
            wh.reserve(session, shop.main, [(b, D(5)), (a, D(3))], "SO-2")
    assert level(runtime, shop, "SKU-2") == (D(9), D(0))
    with runtime.session(shop.business_id) as session:
        assert session.scalar(select(StockMove).where(StockMove.kind == "reserve")) is None


def test_deliver_and_release_cannot_exceed_reserved(runtime, shop):
    put(runtime, shop, "SKU-1", 5)
    v = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        wh.reserve(session, shop.main, [(v, D(2))], "SO-3")
    with pytest.raises(UserError, match="cannot deliver more than is reserved in WH-MAIN: SKU-1 wanted 3, reserved 2"):
        with runtime.transaction(shop.business_id) as session:
            wh.deliver(session, shop.main, [(v, D(3))], "SO-3")
    with pytest.raises(UserError, match="cannot release"):
        with runtime.transaction(shop.business_id) as session:
            wh.release(session, shop.main, [(v, D(3))], "SO-3")
    assert level(runtime, shop, "SKU-1") == (D(5), D(2))


@pytest.mark.parametrize("qty", [0, -1, 1.5, "abc", "NaN", "Infinity", "0.00001"])
def test_bad_quantities_are_refused(runtime, shop, qty):
    with pytest.raises(UserError):
        with runtime.transaction(shop.business_id) as session:
            wh.receive(session, shop.main, [(shop.variants["SKU-1"], qty)], "bad")


def test_restock_and_damaged_return(runtime, shop):
    v = shop.variants["SKU-2"]
    with runtime.transaction(shop.business_id) as session:
        wh.restock(session, shop.main, [(v, D(2))], "RMA-1")
        wh.restock(session, shop.main, [(v, D(1))], "RMA-2", damaged=True)
    assert level(runtime, shop, "SKU-2") == (D(2), D(0))
    with runtime.session(shop.business_id) as session:
        moves = [(m.kind, m.on_hand_delta, m.reason) for m in session.scalars(
            select(StockMove).where(StockMove.reference == "RMA-2").order_by(StockMove.id))]
    assert moves == [("return", D(1), "returned damaged"), ("scrap", D(-1), "damaged on return")]


def test_transfer_moves_only_unreserved_stock(runtime, shop):
    put(runtime, shop, "SKU-1", 5)
    v = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        wh.reserve(session, shop.main, [(v, D(3))], "SO-4")
    with pytest.raises(UserError, match="SKU-1 wanted 3, available 2"):
        with runtime.transaction(shop.business_id) as session:
            wh.transfer(session, shop.main, shop.second, [(v, D(3))])
    with runtime.transaction(shop.business_id) as session:
        ref = wh.transfer(session, shop.main, shop.second, [(v, D(2))])
    assert ref == "TR WH-MAIN>SHOP2"
    assert level(runtime, shop, "SKU-1") == (D(3), D(3))
    assert level(runtime, shop, "SKU-1", shop.second) == (D(2), D(0))
    with pytest.raises(UserError, match="same warehouse"):
        with runtime.transaction(shop.business_id) as session:
            wh.transfer(session, shop.main, shop.main, [(v, D(1))])


def test_check_constraint_is_the_backstop(runtime, shop):
    put(runtime, shop, "SKU-1", 1)
    with pytest.raises(UserError, match="out of its allowed range"):
        with runtime.transaction(shop.business_id) as session:
            session.execute(update(StockBalance).values(reserved=D(2)))


def test_ledger_is_append_only_and_check_finds_and_repairs_drift(runtime, shop):
    put(runtime, shop, "SKU-1", 4)
    with pytest.raises(UserError, match="ledger"):
        with runtime.transaction(shop.business_id) as session:
            move = session.scalar(select(StockMove))
            move.on_hand_delta = D(40)
    with runtime.transaction(shop.business_id) as session:
        session.execute(update(StockBalance).values(on_hand=D(7)))
    with runtime.transaction(shop.business_id) as session:
        problems = wh.check_balances(session, repair=True)
    assert [(p["sku"], p["ledger_on_hand"], p["balance_on_hand"]) for p in problems] == [("SKU-1", D(4), D(7))]
    with runtime.session(shop.business_id) as session:
        assert wh.check_balances(session) == []
    assert level(runtime, shop, "SKU-1") == (D(4), D(0))


def test_negative_stock_setting(runtime, shop):
    v = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        wh.set_allow_negative_stock(session, True)
    with runtime.transaction(shop.business_id) as session:
        wh.reserve(session, shop.main, [(v, D(2))], "SO-5")
        wh.scrap(session, shop.main, [(shop.variants["SKU-2"], D(1))], None, reason="broken")
    assert level(runtime, shop, "SKU-1") == (D(0), D(2))
    with pytest.raises(UserError, match="SKU-1 in WH-MAIN: on hand 0, reserved 2"):
        with runtime.transaction(shop.business_id) as session:
            wh.set_allow_negative_stock(session, False)
    with runtime.transaction(shop.business_id) as session:
        wh.release(session, shop.main, [(v, D(2))], "SO-5")
        wh.receive(session, shop.main, [(shop.variants["SKU-2"], D(1))], "fix")
        wh.set_allow_negative_stock(session, False)
    with pytest.raises(UserError, match="available 0"):
        with runtime.transaction(shop.business_id) as session:
            wh.reserve(session, shop.main, [(v, D(1))], "SO-6")


def test_default_warehouse_prefers_main(runtime, shop, make_business):
    with runtime.session(shop.business_id) as session:
        assert wh.default_warehouse(session).code == "WH-MAIN"
    empty = make_business(country="VN", addons=["warehouse"])
    with runtime.session(empty.id) as session:
        with pytest.raises(UserError, match="no active warehouse"):
            wh.default_warehouse(session)


def test_tenancy_other_business_cannot_touch_stock(runtime, shop, make_business):
    put(runtime, shop, "SKU-1", 3)
    other = make_business(country="VN", addons=["warehouse"])
    with runtime.transaction(other.id) as session:
        mine = wh.create_warehouse(session, code="WH-MAIN", name="Other main")
    with runtime.session(other.id) as session:
        assert session.scalars(select(StockBalance)).all() == []
        assert session.scalars(select(StockMove)).all() == []
        assert wh.stock_levels(session) == []
    with pytest.raises(NotFound):
        with runtime.transaction(other.id) as session:
            wh.reserve(session, shop.main, [(shop.variants["SKU-1"], D(1))], "x")
    with pytest.raises(NotFound):
        with runtime.transaction(other.id) as session:
            wh.reserve(session, mine.id, [(shop.variants["SKU-1"], D(1))], "x")
    assert level(runtime, shop, "SKU-1") == (D(3), D(0))


def test_a_reservation_that_succeeds_reads_no_variant_and_no_setting(runtime, shop):
    """The confirmation of every order reserves: on the path that succeeds the guarded UPDATE's
    own rows stand for the variants, and the negative-stock setting matters only when short."""
    from sqlalchemy import event
    put(runtime, shop, "SKU-1", 5)
    put(runtime, shop, "SKU-2", 5)
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)
    with runtime.transaction(shop.business_id) as session:
        wh.get_warehouse(session, shop.main)
        event.listen(runtime.db.engine, "before_cursor_execute", record)
        try:
            wh.reserve(session, shop.main, [(shop.variants["SKU-1"], D(2)), (shop.variants["SKU-2"], D(1))], "SO-9")
        finally:
            event.remove(runtime.db.engine, "before_cursor_execute", record)
    assert [s for s in seen if "catalog_variant" in s or "core_setting" in s] == []
    assert any("warehouse_stock_balance" in s for s in seen) and any("warehouse_stock_move" in s for s in seen)
    assert level(runtime, shop, "SKU-1") == (D(5), D(2)) and level(runtime, shop, "SKU-2") == (D(5), D(1))
