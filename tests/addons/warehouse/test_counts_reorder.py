from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.warehouse import services as wh
from addons.warehouse.services.counts import CountImportError
from addons.warehouse.models import PurchaseOrder, StockCount, StockMove
from core.errors import NotFound, UserError

from .conftest import level, put

D = Decimal


def counting(runtime, shop):
    put(runtime, shop, "SKU-1", 10)
    put(runtime, shop, "SKU-2", 4)
    with runtime.transaction(shop.business_id) as session:
        count = wh.create_count(session, shop.main, note="year end")
        wh.start_count(session, count.id)
    return count


def test_count_enter_import_variance_apply(runtime, shop):
    count = counting(runtime, shop)
    a, b = shop.variants["SKU-1"], shop.variants["SKU-2"]
    with runtime.transaction(shop.business_id) as session:
        wh.record_counts(session, count.id, [(a, D(8))])
        wh.import_counts(session, count.id, "sku,counted\nSKU-2,6\nTEE-S,1\n")
    # stock moves during the count: the variance is against on hand at apply time
    put(runtime, shop, "SKU-1", 1)
    with runtime.session(shop.business_id) as session:
        report = {r["sku"]: r for r in wh.variance_report(session, count.id)}
    assert (report["SKU-1"]["expected"], report["SKU-1"]["counted"], report["SKU-1"]["on_hand"],
            report["SKU-1"]["variance"]) == (D(10), D(8), D(11), D(-3))
    assert report["SKU-2"]["variance"] == D(2) and report["TEE-S"]["variance"] == D(1)
    with runtime.transaction(shop.business_id) as session:
        wh.apply_count(session, count.id)
    assert level(runtime, shop, "SKU-1") == (D(8), D(0))
    assert level(runtime, shop, "SKU-2") == (D(6), D(0))
    assert level(runtime, shop, "TEE-S") == (D(1), D(0))
    with runtime.session(shop.business_id) as session:
        moves = session.scalars(select(StockMove).where(StockMove.reference == count.number)).all()
        assert {m.kind for m in moves} == {"adjustment"} and len(moves) == 3
        assert wh.check_balances(session) == []


def test_count_import_with_bad_rows_records_nothing(runtime, shop):
    count = counting(runtime, shop)
    with pytest.raises(CountImportError) as err:
        with runtime.transaction(shop.business_id) as session:
            wh.import_counts(session, count.id, "sku,counted\nSKU-1,7\nNOPE,1\nSKU-2,-1\nSKU-1,3\n")
    assert [line for line, _ in err.value.errors] == [3, 4, 5]
    with runtime.session(shop.business_id) as session:
        assert all(r["counted"] is None for r in wh.variance_report(session, count.id))


def test_apply_cannot_drop_below_reserved(runtime, shop):
    count = counting(runtime, shop)
    a = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        wh.reserve(session, shop.main, [(a, D(5))], "SO-9")
        wh.record_counts(session, count.id, [(a, D(2))])
    with pytest.raises(UserError, match="below what is reserved"):
        with runtime.transaction(shop.business_id) as session:
            wh.apply_count(session, count.id)
    with runtime.session(shop.business_id) as session:
        assert wh.get_count(session, count.id).state == "counting"


COUNT_ACTIONS = {"start": {"draft"}, "record": {"counting"}, "apply": {"counting"}, "cancel": {"draft", "counting"}}


def count_in_state(runtime, shop, target):
    put(runtime, shop, "SKU-1", 3)
    with runtime.transaction(shop.business_id) as session:
        count = wh.create_count(session, shop.main)
        if target != "draft":
            wh.start_count(session, count.id)
            wh.record_counts(session, count.id, [(shop.variants["SKU-1"], D(2))])
        if target == "applied":
            wh.apply_count(session, count.id)
        if target == "cancelled":
            wh.cancel_count(session, count.id)
    return count


@pytest.mark.parametrize("start", ["draft", "counting", "applied", "cancelled"])
@pytest.mark.parametrize("action", sorted(COUNT_ACTIONS))
def test_every_count_transition_allowed_or_refused(runtime, shop, start, action):
    count = count_in_state(runtime, shop, start)
    v = shop.variants["SKU-1"]
    calls = {"start": lambda s: wh.start_count(s, count.id), "record": lambda s: wh.record_counts(s, count.id, [(v, 1)]),
             "apply": lambda s: wh.apply_count(s, count.id), "cancel": lambda s: wh.cancel_count(s, count.id)}
    if start in COUNT_ACTIONS[action]:
        with runtime.transaction(shop.business_id) as session:
            calls[action](session)
        expected = {"start": "counting", "record": "counting", "apply": "applied", "cancel": "cancelled"}[action]
    else:
        with pytest.raises(UserError, match=f"stock count {count.number} is"):
            with runtime.transaction(shop.business_id) as session:
                calls[action](session)
        expected = start
    with runtime.session(shop.business_id) as session:
        assert wh.get_count(session, count.id).state == expected


def test_one_open_count_per_warehouse(runtime, shop):
    with runtime.transaction(shop.business_id) as session:
        wh.create_count(session, shop.main)
    with pytest.raises(UserError, match="already has an open count"):
        with runtime.transaction(shop.business_id) as session:
            wh.create_count(session, shop.main)
    with runtime.transaction(shop.business_id) as session:
        wh.create_count(session, shop.second)


def test_reorder_lists_below_point_and_drafts_to_preferred_supplier(runtime, shop):
    a, b = shop.variants["SKU-1"], shop.variants["SKU-2"]
    put(runtime, shop, "SKU-1", 2)
    with runtime.transaction(shop.business_id) as session:
        wh.set_reorder_point(session, shop.main, a, D(5), D(20))
        wh.set_reorder_point(session, shop.main, b, D(1), D(3))
        wh.set_supplier_product(session, shop.supplier, a, unit_cost="29000", min_qty=D(24), preferred=True)
    with runtime.session(shop.business_id) as session:
        below = wh.below_reorder_points(session)
    assert [(r["sku"], r["forecast"], r["suggested"], r["supplier_id"]) for r in below] == [
        ("SKU-1", D(2), D(24), shop.supplier), ("SKU-2", D(0), D(3), None)]
    with runtime.transaction(shop.business_id) as session:
        orders, skipped = wh.draft_reorder_purchases(session)
        assert [o.state for o in orders] == ["draft"] and [s["sku"] for s in skipped] == ["SKU-2"]
        assert [(line.variant_id, line.quantity, line.unit_cost) for line in orders[0].lines] == [(a, D(24), D(29000))]
    # the draft counts as incoming: running again orders nothing more for SKU-1
    with runtime.transaction(shop.business_id) as session:
        orders, _ = wh.draft_reorder_purchases(session)
        assert orders == []
        assert len(session.scalars(select(PurchaseOrder)).all()) == 1


def test_reorder_point_validation_and_shortfall_draft(runtime, shop):
    a, b = shop.variants["SKU-1"], shop.variants["SKU-2"]
    with pytest.raises(UserError, match="at least min_qty"):
        with runtime.transaction(shop.business_id) as session:
            wh.set_reorder_point(session, shop.main, a, D(5), D(2))
    with runtime.transaction(shop.business_id) as session:
        wh.set_supplier_product(session, shop.supplier, a, unit_cost="29000", min_qty=D(10), preferred=True)
        assert wh.draft_purchase_for_shortfall(session, b, D(3)) is None
        first = wh.draft_purchase_for_shortfall(session, a, D(3))
        again = wh.draft_purchase_for_shortfall(session, a, D(12))
        assert first.id == again.id and first.lines[0].quantity == D(22)


def test_tenancy_counts(runtime, shop, make_business):
    count = counting(runtime, shop)
    other = make_business(country="VN", addons=["warehouse"])
    with runtime.session(other.id) as session:
        assert session.scalars(select(StockCount)).all() == []
        with pytest.raises(NotFound):
            wh.variance_report(session, count.id)
