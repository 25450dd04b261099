"""Lazada reverse orders (GetReverseOrdersForSeller, msg_type 10) open Tessera's return flow, each unit once."""
from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.marketplace.models import PushEvent
from addons.marketplace.services import listings, orders, push
from addons.sales.models import Return
from core.db import utcnow

from tests.web.conftest import app  # noqa: F401  fixture

from .conftest import build_seller, connect
from .fake_lazada import push_signature

_ids = itertools.count(62000001)


@pytest.fixture
def client(app):  # noqa: F811
    return app.test_client()


@pytest.fixture
def seller(runtime, make_business, fake, client):
    s = build_seller(runtime, make_business, fake)
    connect(s, fake, client)
    listings.pull_listings(s.runtime, s.id, s.shop_id)
    return s


def _delivered_order(seller, fake, qty=(2, 1)):
    order_id = str(next(_ids))
    item = seller.item_id
    fake.add_order(order_id, [(item, item * 10 + 1, seller.skus[0], qty[0], 150000, 0),
                              (item, item * 10 + 2, seller.skus[1], qty[1], 90000, 0)],
                   status="delivered", payment="MIXEDCARD")
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [order_id])
    return order_id


def _push(client, seller, body):
    path = f"/marketplace/push/lazada/{push.push_token(seller.runtime, seller.id, 'lazada')}"
    return client.post(path, data=body, content_type="application/json", headers={"Authorization": push_signature(body)})


def _sku(seller, variant_id):
    return next(k for k, v in seller.variants.items() if v == variant_id)


def _returns(seller, order_id):
    [order] = [o for o in seller.orders() if o.external_ref == order_id]
    with seller.session() as s:
        rets = s.scalars(select(Return).where(Return.order_id == order.id).order_by(Return.id)).all()
        return [(r.state, sorted((_sku(seller, ln.variant_id), ln.qty) for ln in r.lines)) for r in rets], order


def _link(seller, order_id):
    return next(lk for lk in seller.links() if lk.external_id == order_id)


def _returned_item(fake, order_id, sku):
    next(i for i in fake.orders[order_id]["items"] if i["sku"] == sku and i["status"] != "returned")["status"] = \
        "returned"


def test_one_unit_returned_opens_one_unit_once_pushed_and_pulled(seller, fake, client):
    order_id = _delivered_order(seller, fake)
    assert seller.balance(seller.skus[0])[0] == 3
    reverse_id = fake.add_reverse(order_id, [seller.skus[0]], status="RTM_INIT")
    assert _push(client, seller, fake.reverse_push_body(reverse_id)).status_code == 200
    seller.run_jobs()
    assert _returns(seller, order_id)[0] == []                      # asked for, not back yet: nothing moves
    fake.set_reverse_status(reverse_id, "RTM_RECEIVE_ITEM")
    _returned_item(fake, order_id, seller.skus[0])                  # Lazada marks the order item returned
    body = fake.reverse_push_body(reverse_id)
    assert {_push(client, seller, body).status_code for _ in range(5)} == {200}
    with seller.session() as s:
        assert len(s.scalars(select(PushEvent)).all()) == 2         # two real events, each stored once
    seller.run_jobs()
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=utcnow() - timedelta(hours=1))
    rets, order = _returns(seller, order_id)
    assert rets == [("received", [(seller.skus[0], Decimal(1))])]
    assert sorted((ln.qty, ln.qty_returned) for ln in order.lines) == [(1, 0), (2, 1)]
    assert seller.balance(seller.skus[0])[0] == 4
    assert _link(seller, order_id).status == "completed"            # not the whole order
    assert "/reverse/getreverseordersforseller" in fake.calls and fake.bad_signs == 0


def test_refund_only_and_cancel_move_nothing_and_the_whole_order_returned_is_never_counted_twice(seller, fake):
    order_id = _delivered_order(seller, fake, qty=(2, 1))
    fake.add_reverse(order_id, [seller.skus[1]], status="REFUND_SUCCESS", request_type="ONLY_REFUND")
    fake.add_reverse(order_id, [seller.skus[0]], status="RTM_RECEIVE_ITEM", request_type="CANCEL")
    fake.add_reverse(order_id, [seller.skus[0]], status="RTM_SHIPPING_BACK")
    since = utcnow() - timedelta(hours=1)
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    assert _returns(seller, order_id)[0] == []
    first = fake.add_reverse(order_id, [seller.skus[0]], status="RTW_REFUND_PENDING")
    _returned_item(fake, order_id, seller.skus[0])
    assert orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)["units_returned"] == 1
    fake.set_reverse_status(first, "REFUND_SUCCESS")                # a later status of the same return
    fake.add_reverse(order_id, [seller.skus[0], seller.skus[1]], status="RTM_RECEIVE_ITEM")
    for sku in seller.skus[:2]:
        _returned_item(fake, order_id, sku)                         # every item returned: the order is
    fake.set_status(order_id, "returned")
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [order_id])
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    rets, order = _returns(seller, order_id)
    assert len(rets) == 2 and all(state == "received" for state, _lines in rets)
    assert all(ln.qty_returned == ln.qty for ln in order.lines)
    assert _link(seller, order_id).status == "returned"
    assert (seller.balance(seller.skus[0])[0], seller.balance(seller.skus[1])[0]) == (5, 3)
