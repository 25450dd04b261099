"""Orders in: signed pushes stored once, forged ones refused, out-of-order updates, the pull,
cancellations, a shortfall flagged for a clerk, and the last unit sold on two channels at once."""
from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from addons.marketplace.models import OrderLink, PushEvent
from core.errors import UserError
from addons.marketplace.services import orders, push

from tests.web.conftest import app  # noqa: F401  fixture

_sn = itertools.count(1)


@pytest.fixture
def client(app):  # noqa: F811
    return app.test_client()       # no login, no CSRF: what Shopee sends


def _sn_new():
    return f"2612{next(_sn):06d}MKT"


def _push(client, seller, fake, sn, *, key=None, body=None):
    path = f"/marketplace/push/shopee/{push.push_token(seller.runtime, seller.id, 'shopee')}"
    body = body if body is not None else fake.push_body(sn)
    signature = fake.push_signature(seller.runtime.config["BASE_URL"] + path, body, **({"key": key} if key else {}))
    return client.post(path, data=body, content_type="application/json", headers={"Authorization": signature})


def _order(seller, fake, sn=None, qty=(2, 1), **kw):
    sn = sn or _sn_new()
    item = seller.item_id
    fake.add_order(sn, [(item, item * 10 + 1, seller.skus[0], qty[0], 150000, 140000),
                        (item, item * 10 + 2, seller.skus[1], qty[1], 90000, 90000)], **kw)
    return sn


def _count(seller, model, **where):
    with seller.session() as s:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return s.scalar(query)


def test_a_push_replayed_100_times_creates_one_order(seller, fake, client):
    sn = _order(seller, fake, voucher=10000)
    answers = {_push(client, seller, fake, sn).status_code for _ in range(100)}
    assert answers == {200}
    assert _count(seller, PushEvent) == 1
    seller.run_jobs()
    links = seller.links()
    assert len(links) == 1 and links[0].external_id == sn and links[0].status == "ready_to_ship"
    [order] = seller.orders()
    assert order.channel == "shopee" and order.external_ref == sn and order.state == "processing"
    # 2 x 140000 (seller discount 2 x 10000) + 90000, less the 10000 seller voucher, plus 15000 shipping
    assert sum(line.total_amount for line in order.lines) == Decimal("360000")
    assert order.shipping_fee == Decimal("15000") and order.total == Decimal("375000")
    assert links[0].discount == Decimal("30000") and links[0].voucher == Decimal("10000")
    assert order.payment_status == "paid" and order.shipping_address["district"] == "Quận 1"
    on_hand, reserved, _free = seller.balance(seller.skus[0])
    assert (on_hand, reserved) == (Decimal(5), Decimal(2))
    # a second run of the jobs, another push: still one order
    _push(client, seller, fake, sn)
    seller.run_jobs()
    assert len(seller.orders()) == 1


def test_forged_and_unsigned_pushes_change_nothing(seller, fake, client):
    sn = _order(seller, fake)
    assert _push(client, seller, fake, sn, key="not-the-partner-key").status_code == 401
    path = f"/marketplace/push/shopee/{push.push_token(seller.runtime, seller.id, 'shopee')}"
    assert client.post(path, data=fake.push_body(sn), content_type="application/json").status_code == 401
    tampered = json.loads(fake.push_body(sn))
    good = fake.push_signature(seller.runtime.config["BASE_URL"] + path, fake.push_body(sn))
    # signed over the URL Flask sees (a proxy's internal host), not the registered one: refused
    internal = fake.push_signature("http://localhost" + path, fake.push_body(sn))
    assert client.post(path, data=fake.push_body(sn), content_type="application/json",
                       headers={"Authorization": internal}).status_code == 401
    tampered["data"]["ordersn"] = "OTHER"
    assert client.post(path, data=json.dumps(tampered), content_type="application/json",
                       headers={"Authorization": good}).status_code == 401
    assert client.post(f"/marketplace/push/shopee/{seller.id}.forged", data=fake.push_body(sn),
                       headers={"Authorization": good}).status_code == 404
    assert _count(seller, PushEvent) == 0
    assert seller.run_jobs() == [] and seller.links() == [] and seller.orders() == []


def test_statuses_move_forward_only_and_a_late_push_changes_nothing(seller, fake, client):
    sn = _order(seller, fake, update_time=1_900_000_000)
    _push(client, seller, fake, sn)
    seller.run_jobs()
    fake.set_status(sn, "SHIPPED", update_time=1_900_000_100)
    _push(client, seller, fake, sn)
    seller.run_jobs()
    assert seller.links()[0].status == "shipped"
    [order] = seller.orders()
    assert all(line.qty_delivered == line.qty for line in order.lines)
    assert seller.balance(seller.skus[0])[:2] == (Decimal(3), Decimal(0))
    # an older state arriving late (pushed out of order, or read from a stale page): ignored
    fake.set_status(sn, "READY_TO_SHIP", update_time=1_900_000_050)
    _push(client, seller, fake, sn)
    seller.run_jobs()
    assert seller.links()[0].status == "shipped"
    fake.set_status(sn, "COMPLETED", update_time=1_900_000_200)
    _push(client, seller, fake, sn)
    seller.run_jobs()
    assert seller.links()[0].status == "completed" and seller.orders()[0].state == "completed"
    assert orders.can_move("completed", "returned") and not orders.can_move("cancelled", "shipped")


def test_a_cancellation_releases_the_reservation(seller, fake, client):
    sn = _order(seller, fake, cod=True)
    _push(client, seller, fake, sn)
    seller.run_jobs()
    [order] = seller.orders()
    assert order.cod_amount == order.total and order.payment_status == "unpaid"
    assert seller.balance(seller.skus[0])[1] == Decimal(2)
    fake.set_status(sn, "CANCELLED")
    _push(client, seller, fake, sn)
    seller.run_jobs()
    assert seller.orders()[0].state == "cancelled" and seller.links()[0].status == "cancelled"
    assert seller.balance(seller.skus[0])[:2] == (Decimal(5), Decimal(0))


def test_an_order_that_cannot_be_reserved_is_flagged_not_dropped_and_retried(seller, fake, client):
    sn = _order(seller, fake, qty=(9, 1))          # 9 wanted, 5 on hand
    _push(client, seller, fake, sn)
    seller.run_jobs()
    [link] = seller.links()
    assert link.needs_attention and "reserved" in link.problem and link.order_id
    [order] = seller.orders()
    assert order.state == "new"
    assert seller.balance(seller.skus[0])[1] == Decimal(0)
    seller.receive(seller.skus[0], "10")            # stock comes in; the next update confirms it
    fake.set_status(sn, "READY_TO_SHIP")
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [sn])
    assert seller.orders()[0].state == "processing" and not seller.links()[0].needs_attention


def test_an_unmapped_sku_is_flagged_and_the_order_made_once_mapped(seller, fake, client):
    from addons.marketplace.services import listings
    sn = _sn_new()
    fake.add_order(sn, [(555, 5551, "NOT-OURS", 1, 50000, 50000)])
    _push(client, seller, fake, sn)
    seller.run_jobs()
    [link] = seller.links()
    assert link.needs_attention and "NOT-OURS" in link.problem and link.order_id is None
    from addons.catalog.services import create_product
    with seller.tx() as s:
        sku = create_product(s, sku=f"OURS-{seller.id}", name="Mũ", sale_price="50000").sku
    with seller.tx() as s:
        with pytest.raises(UserError, match="already mapped"):
            listings.map_sku(s, seller.skus[1], seller.shop_id, "555", "5551")
    with seller.tx() as s:
        listings.map_sku(s, sku, seller.shop_id, "555", "5551")
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [sn])
    [link] = seller.links()
    assert link.order_id and seller.orders()[0].lines[0].sku == sku
    assert link.needs_attention and "reserved" in link.problem      # mapped now, but none in stock


def test_the_pull_catches_missed_pushes(seller, fake):
    from datetime import datetime, timezone
    from addons.marketplace.services import shops
    import time
    base = int(time.time()) - 600
    sns = [_order(seller, fake, update_time=base + i) for i in range(3)]
    result = orders.pull(seller.runtime, seller.id, seller.shop_id,
                         since=datetime.fromtimestamp(base - 5, tz=timezone.utc))
    assert result["orders"] >= 3
    mine = {link.external_id for link in seller.links()}
    assert set(sns) <= mine
    assert len([o for o in seller.orders() if o.external_ref in sns]) == 3
    again = orders.pull(seller.runtime, seller.id, seller.shop_id,
                        since=datetime.fromtimestamp(base - 5, tz=timezone.utc))
    assert again["orders"] == result["orders"]
    assert len([o for o in seller.orders() if o.external_ref in sns]) == 3
    with seller.session() as s:
        shop = shops.get_shop(s, seller.shop_id)
        assert shop.last_sync_at is not None and shop.orders_pulled_until is not None
    # 20 days back: two windows of at most 15 days each (Shopee refuses longer ones)
    calls = len(fake.calls)
    wide = orders.pull(seller.runtime, seller.id, seller.shop_id,
                       since=datetime.fromtimestamp(base - 20 * 86400, tz=timezone.utc))
    assert fake.calls[calls:].count("/api/v2/order/get_order_list") >= 2 and wide["orders"] >= 3


def test_the_last_unit_on_two_channels_is_reserved_once_and_the_other_flagged(runtime, make_business, fake, client):
    """The last unit is bought on Shopee and on the web shop at the same moment: one reservation wins,
    the other order is kept and flagged (or, for the web order, refused by the normal confirm path)."""
    import threading
    from addons.sales.services import confirm_order, create_order
    from .conftest import build_seller, connect, map_all
    seller = build_seller(runtime, make_business, fake, stock=("1", "0"))
    connect(seller, fake)
    map_all(seller)
    sn = _sn_new()
    fake.add_order(sn, [(seller.item_id, seller.item_id * 10 + 1, seller.skus[0], 1, 150000, 150000)])
    with seller.tx() as s:
        web = create_order(s, channel="web", lines=[{"variant_id": seller.variants[seller.skus[0]], "qty": 1}]).id
    outcome = {}
    start = threading.Barrier(2)

    def web_confirm():
        start.wait()
        try:
            with seller.tx() as s:
                confirm_order(s, web)
            outcome["web"] = "confirmed"
        except UserError:
            outcome["web"] = "short"

    def shopee_ingest():
        start.wait()
        orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [sn])
        outcome["shopee"] = "done"

    threads = [threading.Thread(target=web_confirm), threading.Thread(target=shopee_ingest)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    on_hand, reserved, free = seller.balance(seller.skus[0])
    assert (on_hand, reserved, free) == (Decimal(1), Decimal(1), Decimal(0))
    [link] = seller.links()
    shopee_order = next(o for o in seller.orders() if o.channel == "shopee")
    if outcome["web"] == "confirmed":
        assert link.needs_attention and shopee_order.state == "new"
    else:
        assert not link.needs_attention and shopee_order.state == "processing"
    assert _count(seller, OrderLink) == 1


def test_a_return_opens_and_receives_the_return(seller, fake, client):
    sn = _order(seller, fake, update_time=1_900_000_000)
    _push(client, seller, fake, sn)
    fake.set_status(sn, "COMPLETED", update_time=1_900_000_100)
    _push(client, seller, fake, sn)
    seller.run_jobs()
    assert seller.orders()[0].state == "completed"
    assert seller.balance(seller.skus[0])[:2] == (Decimal(3), Decimal(0))
    fake.set_status(sn, "TO_RETURN", update_time=1_900_000_200)
    _push(client, seller, fake, sn)
    seller.run_jobs()
    assert seller.links()[0].status == "completed"             # asked for, not back: nothing moves
    assert seller.balance(seller.skus[0])[:2] == (Decimal(3), Decimal(0))
    fake.add_return(sn, [(seller.item_id * 10 + 1, 2), (seller.item_id * 10 + 2, 1)])
    fake.set_status(sn, "TO_RETURN", update_time=1_900_000_300)
    _push(client, seller, fake, sn)
    seller.run_jobs()
    assert seller.links()[0].status == "returned"
    assert all(line.qty_returned == line.qty for line in seller.orders()[0].lines)
    assert seller.balance(seller.skus[0])[:2] == (Decimal(5), Decimal(0))


def test_the_last_unit_ordered_on_two_shops_at_once_is_reserved_once(runtime, make_business, fake):
    """Two marketplace shops sell the same variant; both orders for its last unit are ingested at the
    same moment: one is reserved, the other is kept New and flagged for a clerk."""
    import threading
    from addons.marketplace.services import listings
    from .conftest import SHOP_ID, build_seller, connect, map_all
    seller = build_seller(runtime, make_business, fake, stock=("1", "0"))
    first = connect(seller, fake)
    map_all(seller)
    second = connect(seller, fake, name="GTG Shopee 2", platform_shop=SHOP_ID + 1)
    with seller.tx() as s:
        listings.map_sku(s, seller.skus[0], second, "8001", "")
    sns = [_sn_new(), _sn_new()]
    fake.add_order(sns[0], [(seller.item_id, seller.item_id * 10 + 1, seller.skus[0], 1, 150000, 150000)])
    fake.add_order(sns[1], [(8001, 0, seller.skus[0], 1, 150000, 150000)])
    start = threading.Barrier(2)

    def ingest(shop_id, sn):
        start.wait()
        orders.fetch_and_ingest(seller.runtime, seller.id, shop_id, [sn])

    threads = [threading.Thread(target=ingest, args=(first, sns[0])), threading.Thread(target=ingest,
                                                                                      args=(second, sns[1]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seller.balance(seller.skus[0]) == (Decimal(1), Decimal(1), Decimal(0))
    links = seller.links()
    assert len(links) == 2 and sorted(link.needs_attention for link in links) == [False, True]
    assert sorted(o.state for o in seller.orders()) == ["new", "processing"]


def test_every_request_of_this_module_carried_the_documented_signature(fake):
    """Last in the file: the fake refused none of the signed calls the tests above made."""
    assert fake.calls and fake.bad_signs == 0
