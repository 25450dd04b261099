"""The Shopee adapter against the fake: signatures, authorisation, token refresh, rate limits,
listings, stock net of reservations after every change, prices, publishing and shipping."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.marketplace.models import Listing, Shop
from addons.marketplace.platforms import PushRejected, PushRequest, RateLimited
from addons.marketplace.services import listings, shops, stock
from core.db import utcnow
from core.errors import UserError

from .fake_shopee import PARTNER_KEY, SHOP_ID


def _shop(seller):
    with seller.session() as s:
        shop = shops.get_shop(s, seller.shop_id)
        s.expunge(shop)
        return shop


def test_connecting_stores_tokens_encrypted_and_every_call_is_signed(seller, fake):
    shop = _shop(seller)
    assert shop.status == "connected" and shop.external_id == str(SHOP_ID) and shop.oauth_state is None
    assert shop.access_token.startswith("enc:") and not any(t in shop.access_token for t in fake.tokens)
    assert shops.unseal(seller.runtime.config["SECRET_KEY"], shop.access_token) in fake.tokens
    assert fake.bad_signs == 0
    # the same Shopee shop connected twice under two names: refused, the first stays
    from .conftest import connect
    with pytest.raises(UserError, match="already connected as GTG Shopee"):
        connect(seller, fake, name="Second name")
    assert _shop(seller).status == "connected"
    # the state is single use: the same callback again is refused
    with pytest.raises(UserError):
        shops.complete_authorisation(seller.runtime, "shopee", {"code": "x", "shop_id": str(SHOP_ID), "state": "x"})


def test_listings_are_matched_by_sku(seller, fake):
    with seller.session() as s:
        rows = list(s.scalars(select(Listing).where(Listing.shop_id == seller.shop_id,
                                                    Listing.item_id == str(seller.item_id)).order_by(Listing.id)))
        assert [(r.sku, r.variant_id) for r in rows] == [(sku, seller.variants[sku]) for sku in seller.skus]
        assert rows[0].model_id == str(seller.item_id * 10 + 1)
    fake.add_item(seller.item_id + 50_000, {0: (f"UNKNOWN-{seller.id}", 1000, 3)}, name="Not ours")
    result = listings.pull_listings(seller.runtime, seller.id, seller.shop_id)
    assert result["matched"] == 0 and result["added"] == 1
    with seller.session() as s:
        unmapped = [u for u in listings.listings(s, shop_id=seller.shop_id, unmapped=True)
                    if u.item_id == str(seller.item_id + 50_000)]
        assert [(u.sku, u.model_id, u.platform_stock) for u in unmapped] == [(f"UNKNOWN-{seller.id}", "", 3)]


def test_stock_pushed_after_every_reservation_is_on_hand_less_reserved_less_buffer(seller, fake):
    from addons.sales.services import cancel_order, confirm_order, create_order
    with seller.tx() as s:
        shops.update_shop(s, seller.shop_id, stock_buffer=1)
    stock.push_stock(seller.runtime, seller.id, seller.shop_id, everything=True)
    key0 = (seller.item_id, seller.item_id * 10 + 1)
    key1 = (seller.item_id, seller.item_id * 10 + 2)
    assert (fake.stock[key0], fake.stock[key1]) == (4, 2)       # 5 - 0 - 1, 3 - 0 - 1
    variant = seller.variants[seller.skus[0]]
    made = []
    for qty in (1, 2, 1):
        with seller.tx() as s:
            order = create_order(s, channel="web", lines=[{"variant_id": variant, "qty": qty}])
            confirm_order(s, order.id)
            made.append(order.id)
        seller.run_jobs()
        on_hand, reserved, _free = seller.balance(seller.skus[0])
        assert fake.stock[key0] == max(int(on_hand - reserved) - 1, 0)
    assert fake.stock[key0] == 0                                 # 5 - 4 - 1
    with seller.tx() as s:
        cancel_order(s, made[1])
    seller.run_jobs()
    assert fake.stock[key0] == 2
    assert fake.stock[key1] == 2                                 # the other variant was not pushed again
    assert [v for i, m, v in fake.stock_log if (i, m) == key1] == [2]


def test_push_stock_batches_dry_run_and_unknown_sku(seller, fake):
    before = len(fake.stock_log)
    result = stock.push_stock(seller.runtime, seller.id, seller.shop_id, skus=[seller.skus[1]], dry_run=True)
    assert result["units"][0]["quantity"] == 3 and len(fake.stock_log) == before
    with pytest.raises(UserError, match="sku"):
        stock.push_stock(seller.runtime, seller.id, seller.shop_id, skus=["NOPE"])


def test_an_expired_token_is_refreshed_and_the_call_retried_once(seller, fake):
    old = _shop(seller).access_token
    fake.expire_tokens()
    result = stock.push_stock(seller.runtime, seller.id, seller.shop_id, everything=True)
    assert result["pushed"] == 2
    shop = _shop(seller)
    assert shop.access_token != old and shop.status == "connected"
    # a refresh due soon is done before the call
    with seller.tx() as s:
        shops.get_shop(s, seller.shop_id).token_expires_at = utcnow() + timedelta(seconds=30)
    calls = len(fake.calls)
    stock.push_stock(seller.runtime, seller.id, seller.shop_id, everything=True)
    assert fake.calls[calls] == "/api/v2/auth/access_token/get"
    # a refresh token refused: the shop says so
    fake.expire_tokens()
    fake.refresh_tokens.clear()
    with pytest.raises(UserError):
        stock.push_stock(seller.runtime, seller.id, seller.shop_id, everything=True)
    assert _shop(seller).status == "token_expired"


def test_a_rate_limit_backs_off_and_the_job_comes_back(seller, fake):
    from core.models import OutboxJob
    fake.rate_limit_next = 1
    with pytest.raises(RateLimited):
        stock.push_stock(seller.runtime, seller.id, seller.shop_id, everything=True)
    shop = _shop(seller)
    assert shop.backoff_until is not None
    with pytest.raises(RateLimited):           # still inside the wait: nothing is sent
        calls = len(fake.calls)
        stock.push_stock(seller.runtime, seller.id, seller.shop_id, everything=True)
    assert len(fake.calls) == calls
    with seller.tx() as s:
        shops.get_shop(s, seller.shop_id).backoff_until = None
        s.execute(select(Listing))
    # through the job: queued again after the wait, not failed
    fake.rate_limit_next = 1
    seller.receive(seller.skus[0], "1")
    states = seller.run_jobs(rounds=1)
    assert states == [("marketplace.push_stock", "skipped")]
    with seller.session() as s:
        again = s.scalars(select(OutboxJob).where(OutboxJob.business_id == seller.id,
                                                  OutboxJob.actor == "marketplace.push_stock",
                                                  OutboxJob.state == "pending")).all()
        assert len(again) == 1
    with seller.tx() as s:
        shops.get_shop(s, seller.shop_id).backoff_until = None
    seller.run_jobs()
    assert fake.stock[(seller.item_id, seller.item_id * 10 + 1)] == 6


def test_prices_follow_the_channel_price_list(seller, fake):
    from addons.catalog.services import create_price_list, set_list_price
    with seller.tx() as s:
        create_price_list(s, "Shopee prices", "shopee")
        set_list_price(s, "shopee", seller.variants[seller.skus[0]], "159000")
    result = stock.push_prices(seller.runtime, seller.id, seller.shop_id)
    assert result["pushed"] == 2
    assert Decimal(str(fake.prices[(seller.item_id, seller.item_id * 10 + 1)])) == Decimal("159000")
    assert Decimal(str(fake.prices[(seller.item_id, seller.item_id * 10 + 2)])) == Decimal("90000")
    assert stock.push_prices(seller.runtime, seller.id, seller.shop_id, changed_only=True)["units"] == []
    with seller.tx() as s:
        set_list_price(s, "shopee", seller.variants[seller.skus[0]], "149000")
    again = stock.push_prices(seller.runtime, seller.id, seller.shop_id, changed_only=True)
    assert again["units"] == [{"sku": seller.skus[0], "price": "149000.0000"}] and again["pushed"] == 1


def _media(seller, path, content):
    from pathlib import Path
    full = Path(seller.runtime.config["INSTANCE_PATH"]) / "media" / path
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes(content)


def test_publishing_a_product_with_variants_uploads_its_images_once(seller, fake):
    from addons.catalog.services import create_product
    from addons.marketplace.models import ImageUpload
    _media(seller, "products/pub-1.jpg", b"\xff\xd8\xff-front")
    _media(seller, "products/pub-1b.jpg", b"\xff\xd8\xff-back")
    with seller.tx() as s:
        product = create_product(s, sku="PUB-1", name="Quần short", sale_price="120000", weight_g=200,
                                 images=["products/pub-1.jpg", "products/pub-1b.jpg"], description="Vải cotton",
                                 attributes={"size": ["S", "M"]})
        again = create_product(s, sku="PUB-1X", name="Quần short 2", sale_price="90000",
                               images=["products/pub-1.jpg"])
        product_id, again_id = product.id, again.id
    uploads = fake.calls.count("/api/v2/media_space/upload_image")
    result = listings.publish(seller.runtime, seller.id, seller.shop_id, product_id)
    assert len(result["units"]) == 2 and all(u["model_id"] for u in result["units"])
    assert fake.calls.count("/api/v2/media_space/upload_image") == uploads + 2 and fake.bad_signs == 0
    item = fake.items[int(result["units"][0]["item_id"])]
    assert item["images"] == [i for i in fake.images if fake.images[i] in (b"\xff\xd8\xff-front", b"\xff\xd8\xff-back")]
    with seller.session() as s:
        mapped = s.scalars(select(Listing).where(Listing.item_id == result["units"][0]["item_id"])).all()
        assert len(mapped) == 2 and all(m.variant_id for m in mapped)
        stored = {r.path: r.ref for r in s.scalars(select(ImageUpload).where(ImageUpload.shop_id == seller.shop_id))}
    assert set(stored) >= {"products/pub-1.jpg", "products/pub-1b.jpg"} and set(stored.values()) <= set(fake.images)
    # the same file for another product of the same shop is not uploaded again; a changed file is
    listings.publish(seller.runtime, seller.id, seller.shop_id, again_id)
    assert fake.calls.count("/api/v2/media_space/upload_image") == uploads + 2
    _media(seller, "products/pub-1.jpg", b"\xff\xd8\xff-front-v2")
    listings.publish(seller.runtime, seller.id, seller.shop_id, again_id)
    assert fake.calls.count("/api/v2/media_space/upload_image") == uploads + 3


def test_a_missing_or_refused_image_publishes_nothing(seller, fake):
    from addons.catalog.services import create_product
    _media(seller, "products/ok.jpg", b"\xff\xd8\xff-ok")
    with seller.tx() as s:
        missing = create_product(s, sku="PUB-2", name="Áo", sale_price="50000",
                                 images=["products/ok.jpg", "products/gone.jpg"]).id
        refused = create_product(s, sku="PUB-3", name="Mũ", sale_price="50000", images=["products/new.png"]).id
    _media(seller, "products/new.png", b"\x89PNG-new")
    calls = len(fake.calls)
    with pytest.raises(UserError, match="products/gone.jpg"):
        listings.publish(seller.runtime, seller.id, seller.shop_id, missing)
    assert len(fake.calls) == calls                   # nothing uploaded, nothing published
    fake.refuse_images = True
    try:
        with pytest.raises(UserError, match="products/new.png.*error_image_format"):
            listings.publish(seller.runtime, seller.id, seller.shop_id, refused)
    finally:
        fake.refuse_images = False
    assert "/api/v2/product/add_item" not in fake.calls[calls:]
    with seller.session() as s:
        assert not s.scalars(select(Listing).where(Listing.sku.in_(["PUB-2", "PUB-3"]))).all()


def test_a_platform_without_uploads_says_so():
    from addons.marketplace.platforms import Platform, PlatformError

    class Bare(Platform):
        name = "Bare"
    for method in ("authorize_url", "exchange_code", "refresh", "updated_orders", "get_orders", "listings",
                   "push_stock", "push_price", "publish", "verify_push", "ship"):
        setattr(Bare, method, lambda *a, **k: None)
    Bare.__abstractmethods__ = frozenset()
    with pytest.raises(PlatformError, match="Bare: this platform cannot take image uploads"):
        Bare().upload_image(None, "a.jpg", b"x")


def test_shipping_in_tessera_tells_shopee(seller, fake):
    from addons.sales.services import deliver_order
    from addons.marketplace.services import orders
    sn = "2612SHIP001"
    fake.add_order(sn, [(seller.item_id, seller.item_id * 10 + 2, seller.skus[1], 1, 90000, 90000)])
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [sn])
    [order] = [o for o in seller.orders() if o.external_ref == sn]
    with seller.tx() as s:
        from addons.marketplace.models import OrderLink
        s.scalar(select(OrderLink).where(OrderLink.external_id == sn)).tracking_number = "SPXVN0123"
        deliver_order(s, order.id, {order.lines[0].id: 1})
    seller.run_jobs()
    assert fake.shipped[-1] == {"order_sn": sn, "non_integrated": {"tracking_number": "SPXVN0123"}}


def test_verify_push_checks_the_documented_signature(seller):
    from addons.marketplace_shopee.platform import ShopeePlatform
    platform = ShopeePlatform({"partner_id": "1", "partner_key": PARTNER_KEY})
    body = b'{"shop_id": 5, "code": 3, "data": {"ordersn": "A1", "status": "SHIPPED", "update_time": 7}}'
    url = "https://erp.example.com/marketplace/push/shopee/1.x"
    import hashlib
    import hmac
    good = hmac.new(PARTNER_KEY.encode(), url.encode() + b"|" + body, hashlib.sha256).hexdigest()
    event = platform.verify_push(PushRequest(url=url, body=body, headers={"Authorization": good}))
    assert event.event_id == "3:5:A1:SHIPPED:7" and event.order_ids == ("A1",) and event.kind == "order"
    for headers in ({}, {"Authorization": good[:-1] + "0"}, {"Authorization": good.upper() + "x"}):
        with pytest.raises(PushRejected):
            platform.verify_push(PushRequest(url=url, body=body, headers=headers))
    with pytest.raises(PushRejected):
        platform.verify_push(PushRequest(url=url + "?x", body=body, headers={"Authorization": good}))
    assert Shop.__tablename__ == "marketplace_shop"


def test_changes_while_a_push_is_pending_queue_one_job_and_batches_keep_the_platform_limit(seller, fake,
                                                                                           monkeypatch):
    from core.models import OutboxJob
    from addons.marketplace_shopee.platform import ShopeePlatform
    seller.settings("marketplace", stock_debounce_seconds=5)
    for _ in range(3):
        seller.receive(seller.skus[0], "1")
        seller.receive(seller.skus[1], "1")
    with seller.session() as s:
        pending = s.scalars(select(OutboxJob.id).where(OutboxJob.business_id == seller.id,
                                                       OutboxJob.actor == "marketplace.push_stock",
                                                       OutboxJob.state == "pending")).all()
    assert len(pending) == 1
    monkeypatch.setattr(ShopeePlatform, "stock_batch", 1)
    calls = len(fake.calls)
    seller.run_jobs()
    assert fake.calls[calls:].count("/api/v2/product/update_stock") == 2
    assert (fake.stock[(seller.item_id, seller.item_id * 10 + 1)],
            fake.stock[(seller.item_id, seller.item_id * 10 + 2)]) == (8, 6)


def test_the_schedule_refreshes_tokens_due(seller, fake):
    with seller.tx() as s:
        shops.get_shop(s, seller.shop_id).token_expires_at = utcnow() + timedelta(seconds=60)
    assert shops.refresh_due(seller.runtime, seller.id) == {"refreshed": 1, "failed": 0}
    assert shops.aware(_shop(seller).token_expires_at) > utcnow() + timedelta(hours=3)
    assert shops.refresh_due(seller.runtime, seller.id) == {"refreshed": 0, "failed": 0}


def test_a_courier_shipment_picked_up_pushes_its_tracking_number(runtime, make_business, fake):
    from addons.courier.services import tracking
    from addons.courier.services.shipments import create_shipment
    from addons.marketplace.services import orders
    from core.addons import state
    from .conftest import build_seller, connect, map_all
    seller = build_seller(runtime, make_business, fake)
    with seller.tx() as s:
        state.enable(s, runtime.registry, seller.id, ["courier"])
    connect(seller, fake)
    map_all(seller)
    sn = f"2612CR{seller.id}"
    fake.add_order(sn, [(seller.item_id, seller.item_id * 10 + 2, seller.skus[1], 1, 90000, 90000)])
    orders.fetch_and_ingest(seller.runtime, seller.id, seller.shop_id, [sn])
    [order] = [o for o in seller.orders() if o.external_ref == sn]
    assert order.shipping_address["province"] == "Hồ Chí Minh"
    with seller.tx() as s:
        shipment = create_shipment(s, order.id, carrier="manual", service="own", tracking_number="GHN-MKT-1",
                                   parcels=[{"weight_g": 300, "length_cm": 10, "width_cm": 10, "height_cm": 5}])
        shipment_id = shipment.id
    seller.run_jobs(prefix="courier.")
    with seller.tx() as s:
        tracking.set_state(s, shipment_id, "picked")
    seller.run_jobs()
    assert fake.shipped[-1] == {"order_sn": sn, "non_integrated": {"tracking_number": "GHN-MKT-1"}}
    assert {link.external_id: link.tracking_number for link in seller.links()}[sn] == "GHN-MKT-1"


def test_a_wrong_partner_key_is_refused_by_the_fake_and_reported(seller, fake):
    from addons.marketplace.platforms import PlatformError
    seller.settings("marketplace_shopee", partner_key="not-the-key")
    before = fake.bad_signs
    with pytest.raises(PlatformError, match="error_sign"):
        listings.pull_listings(seller.runtime, seller.id, seller.shop_id)
    assert fake.bad_signs == before + 1
    fake.bad_signs = before          # counted on purpose: the last test checks the others'


def test_every_request_of_this_module_carried_the_documented_signature(fake):
    """Last in the file: the fake refused none of the signed calls the tests above made."""
    assert fake.calls and fake.bad_signs == 0
