"""Stock transfer documents (services.transfers): happy path, every refusal changes nothing, the state machine."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from addons.warehouse import services as wh
from addons.warehouse.models import Receipt, StockMove, StockTransfer
from core.audit import history
from core.errors import NotFound, UserError

from .conftest import level, put

D = Decimal


def _counts(runtime, shop):
    """(transfers, transfer moves) of the shop's business: what a refused call must leave alone."""
    with runtime.session(shop.business_id) as session:
        return (session.scalar(select(func.count()).select_from(StockTransfer)),
                session.scalar(select(func.count()).select_from(StockMove).where(StockMove.kind == "transfer")))


def test_draft_moves_nothing_confirm_moves_every_line_with_the_number(runtime, shop):
    a, b = shop.variants["SKU-1"], shop.variants["SKU-2"]
    put(runtime, shop, "SKU-1", 10)
    put(runtime, shop, "SKU-2", 4)
    with runtime.transaction(shop.business_id) as session:
        draft = wh.create_transfer(session, shop.main, shop.second, [(a, "3"), (b, D("1.5")), (a, 2)],
                                   scheduled_date=date(2026, 12, 24), note="  for the Christmas shelf ")
        number, transfer_id = draft.number, draft.id
        assert [(line.variant_id, line.quantity) for line in draft.lines] == [(a, D(5)), (b, D("1.5"))]
        assert draft.state == "draft" and draft.note == "for the Christmas shelf"
    assert number.startswith(f"TR-{date.today().year}-") and number.endswith("00001")
    assert level(runtime, shop, "SKU-1") == (D(10), D(0)) and _counts(runtime, shop)[1] == 0
    with runtime.transaction(shop.business_id) as session:
        done = wh.confirm_transfer(session, transfer_id)
        assert done.state == "done" and done.done_at is not None
        moves = wh.transfer_moves(session, done)
        assert sorted((m.warehouse_id, m.variant_id, m.on_hand_delta) for m in moves) == sorted(
            [(shop.main, a, D(-5)), (shop.second, a, D(5)), (shop.main, b, D("-1.5")), (shop.second, b, D("1.5"))])
        assert {m.reference for m in moves} == {number}
        assert [e.action for e in history(session, StockTransfer, transfer_id)] == ["create", "update"]
        assert wh.check_balances(session) == []
    assert level(runtime, shop, "SKU-1") == (D(5), D(0))
    assert level(runtime, shop, "SKU-1", shop.second) == (D(5), D(0))
    assert level(runtime, shop, "SKU-2", shop.second) == (D("1.5"), D(0))
    with runtime.transaction(shop.business_id) as session:
        assert wh.create_transfer(session, shop.second, shop.main, [(a, 1)]).number.endswith("00002")


@pytest.mark.parametrize("case", ["same warehouse", "zero", "negative", "float", "junk", "too many decimals",
                                  "no lines", "unknown variant", "unknown warehouse", "archived warehouse",
                                  "bad date", "NUL in note", "variant id text"])
def test_bad_input_is_refused_by_name_and_changes_nothing(runtime, shop, make_business, case):
    a = shop.variants["SKU-1"]
    put(runtime, shop, "SKU-1", 5)
    other = make_business(country="VN", addons=["warehouse"])
    from addons.catalog import services as catalog
    with runtime.transaction(other.id) as session:
        foreign = catalog.create_product(session, sku="SKU-1", name="Other's", sale_price=1, cost_price=1)
        foreign_variant = foreign.variants[0].id
    args = {"same warehouse": (shop.main, shop.main, [(a, 1)], {}),
            "zero": (shop.main, shop.second, [(a, 0)], {}),
            "negative": (shop.main, shop.second, [(a, "-2")], {}),
            "float": (shop.main, shop.second, [(a, 1.5)], {}),
            "junk": (shop.main, shop.second, [(a, "two")], {}),
            "too many decimals": (shop.main, shop.second, [(a, "0.00001")], {}),
            "no lines": (shop.main, shop.second, [], {}),
            "unknown variant": (shop.main, shop.second, [(foreign_variant, 1)], {}),
            "unknown warehouse": (shop.main, 999999, [(a, 1)], {}),
            "archived warehouse": (shop.main, shop.second, [(a, 1)], {}),
            "bad date": (shop.main, shop.second, [(a, 1)], {"scheduled_date": "tomorrow"}),
            "NUL in note": (shop.main, shop.second, [(a, 1)], {"note": "a\x00b"}),
            "variant id text": (shop.main, shop.second, [("SKU-1", 1)], {})}[case]
    if case == "archived warehouse":
        with runtime.transaction(shop.business_id) as session:
            wh.update_warehouse(session, shop.second, active=False)
    words = {"same warehouse": "same warehouse", "zero": "more than zero", "negative": "more than zero",
             "float": "quantity", "junk": "quantity", "too many decimals": "more than 4 decimal", "no lines": "no lines",
             "unknown variant": "not found", "unknown warehouse": "not found", "archived warehouse": "archived",
             "bad date": "scheduled date", "NUL in note": "note", "variant id text": "whole number"}
    with runtime.transaction(shop.business_id) as session:
        with pytest.raises(UserError) as refused:
            wh.create_transfer(session, *args[:3], **args[3])
    assert words[case] in str(refused.value)
    assert _counts(runtime, shop) == (0, 0)
    with runtime.transaction(shop.business_id) as session:   # no number was burnt by the refusal
        wh.update_warehouse(session, shop.second, active=True)
        assert wh.create_transfer(session, shop.main, shop.second, [(a, 1)]).number.endswith("00001")


def test_shortage_refuses_every_line_and_the_transfer_stays_a_draft(runtime, shop):
    a, b = shop.variants["SKU-1"], shop.variants["SKU-2"]
    put(runtime, shop, "SKU-1", 10)
    put(runtime, shop, "SKU-2", 3)
    with runtime.transaction(shop.business_id) as session:
        wh.reserve(session, shop.main, [(b, D(2))], "SO-1")          # reserved stock does not travel
        transfer_id = wh.create_transfer(session, shop.main, shop.second, [(a, 4), (b, 2)]).id
    with runtime.transaction(shop.business_id) as session:
        with pytest.raises(UserError) as refused:
            wh.confirm_transfer(session, transfer_id)
    assert str(refused.value) == "not enough unreserved stock to transfer from WH-MAIN: SKU-2 wanted 2, available 1"
    with runtime.session(shop.business_id) as session:
        assert wh.get_transfer(session, transfer_id).state == "draft"
    assert level(runtime, shop, "SKU-1") == (D(10), D(0)) and level(runtime, shop, "SKU-1", shop.second) == (0, 0)
    assert _counts(runtime, shop) == (1, 0)


def test_state_machine(runtime, shop):
    a = shop.variants["SKU-1"]
    put(runtime, shop, "SKU-1", 5)
    with runtime.transaction(shop.business_id) as session:
        done_id = wh.create_transfer(session, shop.main, shop.second, [(a, 1)]).id
        wh.confirm_transfer(session, done_id)
        cancelled = wh.create_transfer(session, shop.main, shop.second, [(a, 1)])
        with pytest.raises(UserError, match="reason: say why"):
            wh.cancel_transfer(session, cancelled.id, "  ")
        assert cancelled.state == "draft"
        wh.cancel_transfer(session, cancelled.id, "van broke down")
        cancelled_id, number = cancelled.id, cancelled.number
    for call, target, message in ((wh.confirm_transfer, done_id, "is Done; it can only be confirmed when Draft"),
                                  (wh.confirm_transfer, cancelled_id, "is Cancelled; it can only be confirmed"),
                                  (wh.cancel_transfer, done_id, "is Done; it can only be cancelled when Draft"),
                                  (wh.cancel_transfer, cancelled_id, "is Cancelled; it can only be cancelled")):
        with runtime.transaction(shop.business_id) as session:
            with pytest.raises(UserError, match=message):
                call(session, target, *(("again",) if call is wh.cancel_transfer else ()))
    with runtime.session(shop.business_id) as session:
        kept = wh.get_transfer(session, cancelled_id)
        assert (kept.state, kept.cancel_reason) == ("cancelled", "van broke down")
        assert wh.transfer_by_number(session, number).id == cancelled_id
        with pytest.raises(NotFound):
            wh.get_transfer(session, 987654)
    assert level(runtime, shop, "SKU-1") == (D(4), D(0))       # only the confirmed one moved stock


def test_another_business_cannot_see_or_confirm_a_transfer(runtime, shop, make_business):
    put(runtime, shop, "SKU-1", 5)
    with runtime.transaction(shop.business_id) as session:
        transfer_id = wh.create_transfer(session, shop.main, shop.second, [(shop.variants["SKU-1"], 1)]).id
    other = make_business(country="VN", addons=["warehouse"])
    with runtime.transaction(other.id) as session:
        with pytest.raises(NotFound):
            wh.confirm_transfer(session, transfer_id)
    with runtime.session(shop.business_id) as session:
        assert wh.get_transfer(session, transfer_id).state == "draft"


def test_goods_receipts_are_audited(runtime, shop):
    a = shop.variants["SKU-1"]
    with runtime.transaction(shop.business_id) as session:
        po = wh.create_purchase_order(session, shop.supplier, [(a, D(4))])
        wh.send_purchase_order(session, po.id)
        receipt = wh.receive_purchase_order(session, po.id, [(a, D(1))], supplier_reference="DN-1")
        receipt_id = receipt.id
    with runtime.session(shop.business_id) as session:
        entries = history(session, Receipt, receipt_id)
        assert [e.action for e in entries] == ["create"] and entries[0].after["supplier_reference"] == "DN-1"
