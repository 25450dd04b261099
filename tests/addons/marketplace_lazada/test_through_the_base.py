"""Lazada through the marketplace base: the callback, pushes stored once, the pull, stock pushed."""
from __future__ import annotations

import itertools
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from addons.marketplace.models import Listing, PushEvent
from addons.marketplace.services import listings, orders, push, shops, stock
from core.db import utcnow

from tests.web.conftest import app  # noqa: F401  fixture

from .conftest import build_seller, connect
from .fake_lazada import SELLER_ID, push_signature

_ids = itertools.count(61000001)


@pytest.fixture
def client(app):  # noqa: F811
    return app.test_client()


@pytest.fixture
def seller(runtime, make_business, fake, client):
    s = build_seller(runtime, make_business, fake)
    connect(s, fake, client)
    listings.pull_listings(s.runtime, s.id, s.shop_id)
    return s


def _order(seller, fake, qty=(2, 1), **kw):
    order_id = str(next(_ids))
    item = seller.item_id
    fake.add_order(order_id, [(item, item * 10 + 1, seller.skus[0], qty[0], 150000, 10000),
                              (item, item * 10 + 2, seller.skus[1], qty[1], 90000, 0)], **kw)
    return order_id


def _push(client, seller, body, signature=None):
    path = f"/marketplace/push/lazada/{push.push_token(seller.runtime, seller.id, 'lazada')}"
    headers = {"Authorization": signature if signature is not None else push_signature(body)}
    return client.post(path, data=body, content_type="application/json", headers=headers)


def _count(seller, model):
    with seller.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_the_callback_connects_the_shop_and_listings_match_by_sku(seller, fake):
    with seller.session() as s:
        shop = shops.get_shop(s, seller.shop_id)
        assert shop.status == "connected" and shop.external_id == SELLER_ID and shop.region == "VN"
        assert shop.access_token.startswith("enc:") and not any(t in shop.access_token for t in fake.tokens)
        rows = s.scalars(select(Listing).where(Listing.shop_id == seller.shop_id).order_by(Listing.id)).all()
        assert [(r.sku, r.variant_id) for r in rows] == [(k, seller.variants[k]) for k in seller.skus]
    assert fake.bad_signs == 0


def test_a_push_replayed_lands_once_and_a_forged_one_changes_nothing(seller, fake, client):
    order_id = _order(seller, fake)
    body = fake.push_body(order_id)
    assert _push(client, seller, body, signature=push_signature(body, secret="forged")).status_code == 401
    assert _push(client, seller, body, signature="").status_code == 401
    assert _count(seller, PushEvent) == 0
    assert {_push(client, seller, body).status_code for _ in range(20)} == {200}
    assert _count(seller, PushEvent) == 1
    seller.run_jobs()
    [link] = [lk for lk in seller.links() if lk.external_id == order_id]
    assert link.status == "ready_to_ship"
    [order] = [o for o in seller.orders() if o.external_ref == order_id]
    assert sorted((line.qty for line in order.lines)) == [1, 2]
    _on_hand, reserved, _free = seller.balance(seller.skus[0])
    assert reserved == 2


def test_the_pull_catches_what_no_push_announced_and_statuses_move_on(seller, fake):
    order_id = _order(seller, fake, qty=(1, 1))
    since = utcnow() - timedelta(hours=1)
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    assert [lk.status for lk in seller.links() if lk.external_id == order_id] == ["ready_to_ship"]
    fake.set_status(order_id, "canceled")
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    assert [lk.status for lk in seller.links() if lk.external_id == order_id] == ["cancelled"]
    assert seller.balance(seller.skus[0])[1] == 0              # the cancellation released the reservation


def test_stock_pushed_is_on_hand_less_reserved_less_buffer(seller, fake):
    from addons.sales.services import confirm_order, create_order
    with seller.tx() as s:
        shops.update_shop(s, seller.shop_id, stock_buffer=1)
    stock.push_stock(seller.runtime, seller.id, seller.shop_id, everything=True)
    skus = fake.products[str(seller.item_id)]["skus"]
    first, second = str(seller.item_id * 10 + 1), str(seller.item_id * 10 + 2)
    assert (skus[first]["quantity"], skus[second]["quantity"]) == (4, 2)
    with seller.tx() as s:
        order = create_order(s, channel="web", lines=[{"variant_id": seller.variants[seller.skus[0]], "qty": 3}])
        confirm_order(s, order.id)
    seller.run_jobs()
    assert skus[first]["quantity"] == 1                        # 5 - 3 - 1
    fake.expire_tokens()                                       # the stale token is refreshed and the call retried
    stock.push_stock(seller.runtime, seller.id, seller.shop_id, everything=True)
    assert "/auth/token/refresh" in fake.calls and fake.bad_signs == 0


def test_delivering_in_tessera_packs_and_readies_the_order_at_lazada(seller, fake):
    from addons.sales.services import deliver_order
    order_id = _order(seller, fake, qty=(1, 0))
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [order_id])
    [order] = [o for o in seller.orders() if o.external_ref == order_id]
    with seller.tx() as s:
        deliver_order(s, order.id, {order.lines[0].id: 1})
    seller.run_jobs()
    items = fake.orders[order_id]["items"]
    assert {i["status"] for i in items} == {"ready_to_ship"} and all(i["package_id"] for i in items)
    assert fake.calls.count("/order/fulfill/pack") >= 1 and "/order/package/rts" in fake.calls


def test_publishing_uploads_the_images_from_the_media_folder_once(seller, fake):
    from pathlib import Path
    from addons.catalog.services import create_product
    from core.errors import UserError
    media = Path(seller.runtime.config["INSTANCE_PATH"]) / "media" / "lz"
    media.mkdir(parents=True, exist_ok=True)
    (media / "polo.jpg").write_bytes(b"\xff\xd8\xff-lazada-polo")
    with seller.tx() as s:
        first = create_product(s, sku="LZPUB-1", name="Áo polo", sale_price="199000", images=["lz/polo.jpg"],
                               attributes={"size": ["S", "M"]}).id
        second = create_product(s, sku="LZPUB-2", name="Áo polo 2", sale_price="99000", images=["lz/polo.jpg"]).id
        broken = create_product(s, sku="LZPUB-3", name="Áo polo 3", sale_price="99000",
                                images=["lz/polo.jpg", "lz/none.jpg"]).id
    uploads = fake.calls.count("/image/upload")
    result = listings.publish(seller.runtime, seller.id, seller.shop_id, first, category_id="10002019")
    assert len(result["units"]) == 2 and fake.calls.count("/image/upload") == uploads + 1
    [url] = fake.products[result["units"][0]["item_id"]]["created"]["Images"]["Image"]
    assert fake.images[url] == b"\xff\xd8\xff-lazada-polo"
    listings.publish(seller.runtime, seller.id, seller.shop_id, second, category_id="10002019")
    assert fake.calls.count("/image/upload") == uploads + 1        # the shop has it already
    creates = fake.calls.count("/product/create")
    with pytest.raises(UserError, match="lz/none.jpg"):
        listings.publish(seller.runtime, seller.id, seller.shop_id, broken, category_id="10002019")
    assert fake.calls.count("/product/create") == creates


def test_the_cli_prints_lazada_s_authorisation_link_and_pulls(runtime, seller, fake, tmp_path):
    from core.models import Business
    from tests.cli.conftest import Cli, cli_env
    from tests.conftest import GOOD_ADDONS
    cli = Cli(cli_env(runtime.db.url, addons_path=(GOOD_ADDONS,), instance=tmp_path))
    with runtime.session(all_businesses=True) as s:
        slug = s.get(Business, seller.id).slug
    out = cli("marketplace", "connect", "lazada", "--shop", "GTG Lazada 2", "--business", slug).stdout.strip()
    url = urlparse(out)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert out.startswith(fake.url + "/oauth/authorize?") and query["client_id"] == fake.settings()["app_key"]
    assert urlparse(query["redirect_uri"]).path == "/marketplace/callback/lazada" and query["state"]
    order_id = _order(seller, fake, qty=(1, 1))
    since = (utcnow() - timedelta(hours=1)).isoformat()
    pulled = cli.json("marketplace", "pull-orders", "--shop", seller.shop_id, "--since", since, "--business", slug)
    assert pulled[0]["orders"] >= 1 and order_id in {link.external_id for link in seller.links()}
