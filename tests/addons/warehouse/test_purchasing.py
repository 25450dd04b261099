from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.catalog import services as catalog
from addons.partners.services import create_partner
from addons.warehouse import services as wh
from addons.warehouse.models import PurchaseOrder, Receipt, StockMove
from core.errors import NotFound, UserError

from .conftest import level, put

D = Decimal


def make_po(runtime, shop, lines=None, send=True):
    a, b = shop.variants["SKU-1"], shop.variants["SKU-2"]
    with runtime.transaction(shop.business_id) as session:
        po = wh.create_purchase_order(session, shop.supplier, lines or [(a, D(10), "32000"), (b, D(5))])
        if send:
            wh.send_purchase_order(session, po.id)
    return po


def state(runtime, shop, po_id):
    with runtime.session(shop.business_id) as session:
        return wh.get_purchase_order(session, po_id).state


def test_partial_receipt_leaves_a_backorder_then_full_receipt(runtime, shop):
    a, b = shop.variants["SKU-1"], shop.variants["SKU-2"]
    po = make_po(runtime, shop)
    assert po.number.startswith("PO-") and po.state == "sent"
    with runtime.transaction(shop.business_id) as session:
        receipt = wh.receive_purchase_order(session, po.id, [(a, D(4))], supplier_reference="DN-77")
        assert receipt.number.startswith("GR-")
    assert state(runtime, shop, po.id) == "partial"
    with runtime.session(shop.business_id) as session:
        order = wh.get_purchase_order(session, po.id)
        assert [(line.received_qty, line.backorder_qty) for line in order.lines] == [(D(4), D(6)), (D(0), D(5))]
    with runtime.transaction(shop.business_id) as session:
        wh.receive_purchase_order(session, po.id)  # everything outstanding
    assert state(runtime, shop, po.id) == "received"
    assert level(runtime, shop, "SKU-1") == (D(10), D(0))
    assert level(runtime, shop, "SKU-2") == (D(5), D(0))
    with runtime.session(shop.business_id) as session:
        assert len(session.scalars(select(Receipt).where(Receipt.order_id == po.id)).all()) == 2
        assert wh.check_balances(session) == []


def test_receipt_updates_moving_average_cost(runtime, shop):
    a = shop.variants["SKU-1"]
    put(runtime, shop, "SKU-1", 10)  # 10 at the catalog cost 30000
    po = make_po(runtime, shop, [(a, D(5), "36000")])
    with runtime.transaction(shop.business_id) as session:
        wh.receive_purchase_order(session, po.id)
    with runtime.session(shop.business_id) as session:
        # (10 x 30000 + 5 x 36000) / 15 = 32000
        assert catalog.get_variant(session, a).effective_cost == D("32000")
        move = session.scalar(select(StockMove).where(StockMove.reference.like("GR-%")))
        assert move.unit_cost == D("36000")


def test_over_receipt_and_unknown_variant_are_refused(runtime, shop):
    a, b = shop.variants["SKU-1"], shop.variants["SKU-2"]
    po = make_po(runtime, shop, [(a, D(3))])
    with pytest.raises(UserError, match="SKU-1 received 4, only 3 outstanding"):
        with runtime.transaction(shop.business_id) as session:
            wh.receive_purchase_order(session, po.id, [(a, D(4))])
    with pytest.raises(UserError, match="SKU-2 is not on this order"):
        with runtime.transaction(shop.business_id) as session:
            wh.receive_purchase_order(session, po.id, [(b, D(1))])
    assert state(runtime, shop, po.id) == "sent"
    assert level(runtime, shop, "SKU-1") == (D(0), D(0))


TRANSITIONS = {
    # action -> states it is allowed from
    "send": {"draft"},
    "receive": {"sent", "partial"},
    "cancel": {"draft", "sent", "partial"},
    "edit": {"draft"},
}


def po_in_state(runtime, shop, target):
    a = shop.variants["SKU-1"]
    po = make_po(runtime, shop, [(a, D(4))], send=False)
    with runtime.transaction(shop.business_id) as session:
        if target in ("sent", "partial", "received"):
            wh.send_purchase_order(session, po.id)
        if target == "partial":
            wh.receive_purchase_order(session, po.id, [(a, D(1))])
        if target == "received":
            wh.receive_purchase_order(session, po.id)
        if target == "cancelled":
            wh.cancel_purchase_order(session, po.id)
    assert state(runtime, shop, po.id) == target
    return po


def run(action, session, po, shop):
    if action == "send":
        wh.send_purchase_order(session, po.id)
    elif action == "receive":
        wh.receive_purchase_order(session, po.id, [(shop.variants["SKU-1"], D(1))])
    elif action == "cancel":
        wh.cancel_purchase_order(session, po.id, reason="supplier out of stock")
    elif action == "edit":
        wh.add_purchase_line(session, po.id, shop.variants["SKU-2"], D(1))


@pytest.mark.parametrize("start", ["draft", "sent", "partial", "received", "cancelled"])
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_purchase_order_transition_allowed_or_refused(runtime, shop, start, action):
    po = po_in_state(runtime, shop, start)
    before = level(runtime, shop, "SKU-1")
    if start in TRANSITIONS[action]:
        with runtime.transaction(shop.business_id) as session:
            run(action, session, po, shop)
        # receiving 1 of 4 leaves a backorder, so the order is (still) partially received
        expected = {"send": "sent", "cancel": "cancelled", "edit": "draft", "receive": "partial"}[action]
        assert state(runtime, shop, po.id) == expected
    else:
        with pytest.raises(UserError, match=f"purchase order {po.number} is"):
            with runtime.transaction(shop.business_id) as session:
                run(action, session, po, shop)
        assert state(runtime, shop, po.id) == start
        assert level(runtime, shop, "SKU-1") == before


def test_send_needs_lines_and_supplier_must_be_a_supplier(runtime, shop):
    with runtime.transaction(shop.business_id) as session:
        po = wh.create_purchase_order(session, shop.supplier)
    with pytest.raises(UserError, match="has no lines"):
        with runtime.transaction(shop.business_id) as session:
            wh.send_purchase_order(session, po.id)
    with runtime.transaction(shop.business_id) as session:
        customer = create_partner(session, name="Nguyễn Văn An", country="VN")
    with pytest.raises(UserError, match="not marked as a supplier"):
        with runtime.transaction(shop.business_id) as session:
            wh.create_purchase_order(session, customer.id, [(shop.variants["SKU-1"], D(1))])


def test_tenancy_purchase_orders(runtime, shop, make_business):
    po = make_po(runtime, shop)
    other = make_business(country="VN", addons=["warehouse"])
    with runtime.session(other.id) as session:
        assert session.scalars(select(PurchaseOrder)).all() == []
        with pytest.raises(NotFound):
            wh.get_purchase_order(session, po.id)
    with pytest.raises(NotFound):
        with runtime.transaction(other.id) as session:
            wh.receive_purchase_order(session, po.id)
