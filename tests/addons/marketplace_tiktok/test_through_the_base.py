"""TikTok Shop through the marketplace base: the callback, webhooks stored once, the pull, stock pushed."""
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
from .fake_tiktok import CIPHER, SHOP_ID, webhook_signature

_ids = itertools.count(576400000001)


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
    path = f"/marketplace/push/tiktok/{push.push_token(seller.runtime, seller.id, 'tiktok')}"
    headers = {"Authorization": signature if signature is not None else webhook_signature(body)}
    return client.post(path, data=body, content_type="application/json", headers=headers)


def _count(seller, model):
    with seller.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_the_callback_connects_the_shop_with_its_cipher_and_listings_match(seller, fake):
    with seller.session() as s:
        shop = shops.get_shop(s, seller.shop_id)
        assert shop.status == "connected" and shop.external_id == SHOP_ID and shop.region == "VN"
        assert shop.token_extra["shop_cipher"] == CIPHER
        assert shop.access_token.startswith("enc:") and not any(t in shop.access_token for t in fake.tokens)
        rows = s.scalars(select(Listing).where(Listing.shop_id == seller.shop_id).order_by(Listing.id)).all()
        assert [(r.sku, r.variant_id) for r in rows] == [(k, seller.variants[k]) for k in seller.skus]
    assert fake.bad_signs == 0


def test_a_webhook_replayed_lands_once_and_a_forged_one_changes_nothing(seller, fake, client):
    order_id = _order(seller, fake)
    body = fake.webhook_body(order_id, notification="7327112393057371910" + order_id[-3:])
    assert _push(client, seller, body, signature=webhook_signature(body, secret="forged")).status_code == 401
    assert _push(client, seller, body, signature="").status_code == 401
    assert _count(seller, PushEvent) == 0
    assert {_push(client, seller, body).status_code for _ in range(20)} == {200}
    assert _count(seller, PushEvent) == 1
    seller.run_jobs()
    [link] = [lk for lk in seller.links() if lk.external_id == order_id]
    assert link.status == "ready_to_ship"
    [order] = [o for o in seller.orders() if o.external_ref == order_id]
    assert sorted(line.qty for line in order.lines) == [1, 2]
    assert seller.balance(seller.skus[0])[1] == 2


def test_the_pull_catches_what_no_webhook_announced_and_statuses_move_on(seller, fake):
    order_id = _order(seller, fake, qty=(1, 1))
    since = utcnow() - timedelta(hours=1)
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    assert [lk.status for lk in seller.links() if lk.external_id == order_id] == ["ready_to_ship"]
    fake.set_status(order_id, "CANCELLED")
    orders.pull(seller.runtime, seller.id, seller.shop_id, since=since)
    assert [lk.status for lk in seller.links() if lk.external_id == order_id] == ["cancelled"]
    assert seller.balance(seller.skus[0])[1] == 0


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
    assert skus[first]["quantity"] == 1
    fake.expire_tokens()
    stock.push_stock(seller.runtime, seller.id, seller.shop_id, everything=True)
    assert "/auth/api/v2/token/refresh" in fake.calls and fake.bad_signs == 0


def test_delivering_in_tessera_ships_the_package_with_tiktok(seller, fake):
    from addons.sales.services import deliver_order
    order_id = _order(seller, fake, qty=(1, 0))
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [order_id])
    [order] = [o for o in seller.orders() if o.external_ref == order_id]
    with seller.tx() as s:
        deliver_order(s, order.id, {order.lines[0].id: 1})
    seller.run_jobs()
    assert fake.shipped[-1] == ("PKG" + order_id, {"handover_method": "PICKUP"})
    assert fake.orders[order_id]["status"] == "AWAITING_COLLECTION"


def test_the_cli_prints_tiktok_s_authorisation_link_and_pulls(runtime, seller, fake, tmp_path):
    from core.models import Business
    from tests.cli.conftest import Cli, cli_env
    from tests.conftest import GOOD_ADDONS
    cli = Cli(cli_env(runtime.db.url, addons_path=(GOOD_ADDONS,), instance=tmp_path))
    with runtime.session(all_businesses=True) as s:
        slug = s.get(Business, seller.id).slug
    out = cli("marketplace", "connect", "tiktok", "--shop", "GTG TikTok 2", "--business", slug).stdout.strip()
    query = {k: v[0] for k, v in parse_qs(urlparse(out).query).items()}
    assert out.startswith(fake.url + "/open/authorize?") and query["service_id"] and query["state"]
    order_id = _order(seller, fake, qty=(1, 1))
    since = (utcnow() - timedelta(hours=1)).isoformat()
    pulled = cli.json("marketplace", "pull-orders", "--shop", seller.shop_id, "--since", since, "--business", slug)
    assert pulled[0]["orders"] >= 1 and order_id in {link.external_id for link in seller.links()}


def test_publishing_uploads_the_images_from_the_media_folder_once(seller, fake):
    from pathlib import Path
    from addons.catalog.services import create_product
    from core.errors import UserError
    media = Path(seller.runtime.config["INSTANCE_PATH"]) / "media" / "tt"
    media.mkdir(parents=True, exist_ok=True)
    (media / "hat.png").write_bytes(b"\x89PNG-tiktok-hat")
    (media / "hat-2.png").write_bytes(b"\x89PNG-tiktok-hat-2")
    with seller.tx() as s:
        first = create_product(s, sku="TTPUB-1", name="Mũ", sale_price="99000",
                               images=["tt/hat.png", "tt/hat-2.png"], attributes={"Color": ["Red", "Blue"]}).id
        second = create_product(s, sku="TTPUB-2", name="Mũ 2", sale_price="99000", images=["tt/hat.png"]).id
        third = create_product(s, sku="TTPUB-3", name="Mũ 3", sale_price="99000", images=["tt/hat-3.png"]).id
    uploads = fake.calls.count("/product/202309/images/upload")
    result = listings.publish(seller.runtime, seller.id, seller.shop_id, first, category_id="600001")
    assert len(result["units"]) == 2 and fake.calls.count("/product/202309/images/upload") == uploads + 2
    created = fake.products[result["units"][0]["item_id"]]["created"]
    assert [fake.images[i["uri"]] for i in created["main_images"]] == [b"\x89PNG-tiktok-hat", b"\x89PNG-tiktok-hat-2"]
    listings.publish(seller.runtime, seller.id, seller.shop_id, second, category_id="600001")
    assert fake.calls.count("/product/202309/images/upload") == uploads + 2
    (media / "hat-3.png").write_bytes(b"\x89PNG-tiktok-hat-3")
    fake.refuse_images = True
    creates = fake.calls.count("/product/202309/products")
    try:
        with pytest.raises(UserError, match="tt/hat-3.png"):
            listings.publish(seller.runtime, seller.id, seller.shop_id, third, category_id="600001")
    finally:
        fake.refuse_images = False
    assert fake.calls.count("/product/202309/products") == creates
    with seller.session() as s:
        assert not s.scalars(select(Listing).where(Listing.sku == "TTPUB-3")).all()
