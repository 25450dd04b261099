"""Shopee returns (get_return_list / get_return_detail) open Tessera's return flow, each unit once."""
from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.marketplace.models import ReturnLink
from addons.marketplace.services import orders, push
from addons.sales.models import Return
from core.db import utcnow

from tests.web.conftest import app  # noqa: F401  fixture

_sn = itertools.count(1)


@pytest.fixture
def client(app):  # noqa: F811
    return app.test_client()


def _delivered_order(seller, fake, qty=(2, 1)):
    sn = f"2612{next(_sn):06d}RET"
    item = seller.item_id
    fake.add_order(sn, [(item, item * 10 + 1, seller.skus[0], qty[0], 150000, 150000),
                        (item, item * 10 + 2, seller.skus[1], qty[1], 90000, 90000)], status="COMPLETED")
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [sn])
    return sn


def _push(client, seller, fake, sn):
    path = f"/marketplace/push/shopee/{push.push_token(seller.runtime, seller.id, 'shopee')}"
    body = fake.push_body(sn)
    return client.post(path, data=body, content_type="application/json",
                       headers={"Authorization": fake.push_signature(seller.runtime.config["BASE_URL"] + path, body)})


def _sku(seller, variant_id):
    return next(k for k, v in seller.variants.items() if v == variant_id)


def _returns(seller, sn):
    [order] = [o for o in seller.orders() if o.external_ref == sn]
    with seller.session() as s:
        rets = s.scalars(select(Return).where(Return.order_id == order.id).order_by(Return.id)).all()
        return [(r.state, sorted((_sku(seller, ln.variant_id), ln.qty) for ln in r.lines)) for r in rets], order


def _link(seller, sn):
    return next(lk for lk in seller.links() if lk.external_id == sn)


def _pull(seller):
    return orders.pull(seller.runtime, seller.id, seller.shop_id, since=utcnow() - timedelta(hours=1))


def test_a_partial_return_pushed_then_pulled_opens_once_with_its_units(seller, fake, client):
    sn = _delivered_order(seller, fake)
    assert seller.balance(seller.skus[0])[0] == 3                   # 5 on hand, 2 delivered
    model = seller.item_id * 10 + 1
    return_sn = fake.add_return(sn, [(model, 1)])
    fake.set_status(sn, "TO_RETURN")
    assert {_push(client, seller, fake, sn).status_code for _ in range(5)} == {200}
    seller.run_jobs()
    _pull(seller)
    fake.set_return(return_sn, "ACCEPTED")                          # seen again at a later update: still once
    _pull(seller)
    rets, order = _returns(seller, sn)
    assert rets == [("received", [(seller.skus[0], Decimal(1))])]
    assert seller.balance(seller.skus[0])[0] == 4                   # the returned unit is back in stock
    assert sorted((ln.qty, ln.qty_returned) for ln in order.lines) == [(1, 0), (2, 1)]
    assert _link(seller, sn).status == "completed"                  # a partial return leaves the order on
    with seller.session() as s:
        [row] = s.scalars(select(ReturnLink).where(ReturnLink.external_id == return_sn)).all()
        assert row.opened == {f"{seller.item_id}/{model}": "1"} and row.platform_status == "ACCEPTED"
    assert "/api/v2/returns/get_return_detail" in fake.calls and fake.bad_signs == 0


def test_open_refused_and_refund_only_returns_move_nothing_an_accepted_full_return_returns_the_order(
        seller, fake, monkeypatch):
    from addons.marketplace_shopee import returns as shopee_returns
    monkeypatch.setattr(shopee_returns, "RETURN_PAGE", 2)          # pages by page_no until `more` is false
    sn = _delivered_order(seller, fake)
    m0, m1 = seller.item_id * 10 + 1, seller.item_id * 10 + 2
    for status in ("REQUESTED", "PROCESSING", "JUDGING", "SELLER_DISPUTE", "CANCELLED", "CLOSED"):
        fake.add_return(sn, [(m0, 2), (m1, 1)], status=status)
    fake.add_return(sn, [(m0, 2)], solution=1)                      # refund only: the goods stay with the buyer
    fake.set_status(sn, "TO_RETURN")                                # asked, not back: the order moves no stock
    result = _pull(seller)
    assert result["returns_failed"] == 0 and result["units_returned"] == 0
    assert _returns(seller, sn)[0] == [] and _link(seller, sn).status == "completed"
    assert seller.balance(seller.skus[0])[0] == 3
    first = fake.add_return(sn, [(m0, 1)])
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [sn])
    fake.set_return(first, "ACCEPTED")
    fake.add_return(sn, [(m0, 1), (m1, 1)])
    result = _pull(seller)
    assert result["units_returned"] == 2 and result["returns_failed"] == 0
    rets, order = _returns(seller, sn)
    assert rets == [("received", [(seller.skus[0], Decimal(1))]),
                    ("received", [(seller.skus[0], Decimal(1)), (seller.skus[1], Decimal(1))])]
    assert all(ln.qty_returned == ln.qty for ln in order.lines)
    assert _link(seller, sn).status == "returned"
    assert (seller.balance(seller.skus[0])[0], seller.balance(seller.skus[1])[0]) == (5, 3)
    _pull(seller)
    assert len(_returns(seller, sn)[0]) == 2


def test_an_accepted_return_that_names_no_items_returns_the_whole_order(seller, fake):
    sn = _delivered_order(seller, fake)
    fake.add_return(sn, [], items=False)
    result = orders.pull(seller.runtime, seller.id, seller.shop_id, since=utcnow() - timedelta(days=20))
    assert "returns_error" not in result                            # two windows of at most 15 days
    assert result["units_returned"] == 3
    rets, order = _returns(seller, sn)
    assert rets == [("received", [(seller.skus[0], Decimal(2)), (seller.skus[1], Decimal(1))])]
    assert _link(seller, sn).status == "returned"
    _pull(seller)
    assert len(_returns(seller, sn)[0]) == 1
