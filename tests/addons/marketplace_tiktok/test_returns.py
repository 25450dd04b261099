"""TikTok Shop returns (Return and Refund API) open Tessera's return flow, each unit once."""
from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.marketplace.models import ReturnLink
from addons.marketplace.services import listings, orders, push
from addons.sales.models import Return
from core.db import utcnow

from tests.web.conftest import app  # noqa: F401  fixture

from .conftest import build_seller, connect
from .fake_tiktok import webhook_signature

_ids = itertools.count(577700000001)


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
                   status="DELIVERED", cod=False)
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [order_id])
    return order_id


def _push(client, seller, body):
    path = f"/marketplace/push/tiktok/{push.push_token(seller.runtime, seller.id, 'tiktok')}"
    return client.post(path, data=body, content_type="application/json",
                       headers={"Authorization": webhook_signature(body)})


def _returns(seller, order_id):
    [order] = [o for o in seller.orders() if o.external_ref == order_id]
    with seller.session() as s:
        rets = s.scalars(select(Return).where(Return.order_id == order.id).order_by(Return.id)).all()
        return [(r.state, sorted((str(seller_sku(seller, ln.variant_id)), ln.qty) for ln in r.lines))
                for r in rets], order


def seller_sku(seller, variant_id):
    return next(k for k, v in seller.variants.items() if v == variant_id)


def _link(seller, order_id):
    return next(lk for lk in seller.links() if lk.external_id == order_id)


def test_a_partial_return_pushed_then_pulled_opens_once_with_its_units(seller, fake, client):
    order_id = _delivered_order(seller, fake)
    assert seller.balance(seller.skus[0])[0] == 3                   # 5 on hand, 2 delivered
    return_id = fake.add_return(order_id, [seller.skus[0]])
    body = fake.return_webhook_body(return_id)
    assert {_push(client, seller, body).status_code for _ in range(5)} == {200}
    assert _push(client, seller, fake.return_webhook_body(return_id)).status_code == 200   # another event, same return
    seller.run_jobs()
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=utcnow() - timedelta(hours=1))
    rets, order = _returns(seller, order_id)
    assert rets == [("received", [(seller.skus[0], Decimal(1))])]
    assert seller.balance(seller.skus[0])[0] == 4                   # the returned unit is back in stock
    assert sorted((ln.qty, ln.qty_returned) for ln in order.lines) == [(1, 0), (2, 1)]
    assert _link(seller, order_id).status == "completed"            # a partial return leaves the order on
    with seller.session() as s:
        [row] = s.scalars(select(ReturnLink).where(ReturnLink.external_id == return_id)).all()
        assert row.opened == {f"/{seller.item_id * 10 + 1}": "1"}
    assert "/return_refund/202309/returns/search" in fake.calls and fake.bad_signs == 0


def test_requests_refund_only_and_refused_returns_move_nothing_the_rest_returns_the_order(seller, fake):
    order_id = _delivered_order(seller, fake, qty=(2, 1))
    fake.add_return(order_id, [seller.skus[1]], status="RETURN_OR_REFUND_REQUEST_PENDING")
    fake.add_return(order_id, [seller.skus[0]], kind="REFUND")
    fake.add_return(order_id, [seller.skus[0]], status="REFUND_OR_RETURN_REQUEST_REJECT")
    since = utcnow() - timedelta(hours=1)
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    assert _returns(seller, order_id)[0] == []
    first = fake.add_return(order_id, [seller.skus[0]])
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [order_id])
    fake.returns[first]["update_time"] += 1                         # seen again at a later update: still once
    fake.add_return(order_id, [seller.skus[0], seller.skus[1]], status="RETURN_OR_REFUND_REQUEST_SUCCESS")
    result = orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    assert result["units_returned"] == 2 and result["returns_failed"] == 0
    rets, order = _returns(seller, order_id)
    assert rets == [("received", [(seller.skus[0], Decimal(1))]),
                    ("received", [(seller.skus[0], Decimal(1)), (seller.skus[1], Decimal(1))])]
    assert all(ln.qty_returned == ln.qty for ln in order.lines)
    assert _link(seller, order_id).status == "returned"
    assert (seller.balance(seller.skus[0])[0], seller.balance(seller.skus[1])[0]) == (5, 3)
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    assert len(_returns(seller, order_id)[0]) == 2
