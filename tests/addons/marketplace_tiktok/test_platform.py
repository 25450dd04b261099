"""The TikTok Shop adapter against a fake TikTok Shop that checks every signature as documented."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from addons.marketplace.platforms import (OutcomeUnknown, PlatformError, PriceUpdate, ProductData, PushRejected,
                                          PushRequest, RateLimited, StockUpdate, TokenExpired)
from addons.marketplace_tiktok.orders import STATUS_MAP
from addons.marketplace_tiktok.platform import TiktokPlatform, sign

from .fake_tiktok import APP_KEY, CIPHER, SHOP_ID, FakeTiktok, webhook_signature


@pytest.fixture(scope="module")
def fake():
    with FakeTiktok() as server:
        yield server


@pytest.fixture(scope="module")
def platform(fake):
    return TiktokPlatform(fake.settings(timeout_seconds=0.5))


@pytest.fixture(scope="module")
def tokens(fake, platform):
    return platform.exchange_code({"code": fake.authorise(), "state": "s"})


def test_the_signature_is_the_documented_one():
    # "Sign your API request": app secret e59af819cc, Get Authorized Shops at 1623812664
    assert sign("e59af819cc", "/authorization/202309/shops", {"app_key": "29a39d", "timestamp": "1623812664"}) == \
        "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    # sign and access_token are left out; the body follows the parameters
    with_body = sign("s", "/p", {"b": "2", "a": "1", "sign": "x", "access_token": "t"}, b'{"k":1}')
    assert with_body == sign("s", "/p", {"a": "1", "b": "2"}, b'{"k":1}') != sign("s", "/p", {"a": "1", "b": "2"})


def test_authorisation_url_tokens_and_the_shop_cipher(fake, platform, tokens):
    url = urlparse(platform.authorize_url("https://erp.example/marketplace/callback/tiktok", "st4te"))
    assert url.path == "/open/authorize"
    assert {k: v[0] for k, v in parse_qs(url.query).items()} == {"service_id": "7431458374265161478",
                                                                 "state": "st4te"}
    assert tokens.shop_id == SHOP_ID and tokens.extra["shop_cipher"] == CIPHER and tokens.region == "VN"
    assert tokens.expires_at > datetime.now(timezone.utc) + timedelta(days=6)      # an instant, not a duration
    fresh = platform.refresh(tokens)
    assert fresh.access_token != tokens.access_token and fresh.extra["shop_cipher"] == CIPHER
    with pytest.raises(PlatformError, match="36004005"):
        platform.refresh(tokens)                     # a refresh token is single use
    with pytest.raises(Exception, match="code"):
        platform.exchange_code({"code": "null", "error": "auth_denied"})


def test_a_wrong_secret_is_refused_by_tiktok(fake, tokens):
    before = fake.bad_signs
    with pytest.raises(PlatformError, match="106001"):
        TiktokPlatform(fake.settings(app_secret="not-the-secret")).get_orders(tokens, ["1"])
    assert fake.bad_signs == before + 1


def test_updated_orders_follow_the_page_tokens(fake, platform, tokens):
    fake.orders.clear()
    now = int(time.time())
    for n in range(230):
        fake.add_order(f"5764{n:06d}", [("1729", "17291", "TT-A", 2, 150000, 10000), ("1729", "17292", "TT-B", 1,
                                                                                      90000, 0)],
                       update_time=now - 3000 + n, seller_discount="30000")
    fake.add_order("5769999999", [("1729", "17291", "TT-A", 1, 150000, 0)], update_time=now - 86400)
    fake.calls.clear()
    found = platform.updated_orders(tokens, datetime.fromtimestamp(now - 3600, timezone.utc),
                                    datetime.now(timezone.utc) + timedelta(seconds=5))
    assert len(found) == 230 and fake.calls.count("/order/202309/orders/search") == 3
    order = next(o for o in found if o.external_id == "5764000000")
    assert order.status == "ready_to_ship" and order.cod and not order.paid and order.currency == "VND"
    a, b = order.lines
    assert (a.sku, a.item_id, a.model_id, a.qty, a.unit_price, a.discount) == \
        ("TT-A", "1729", "17291", 2, Decimal(150000), Decimal(20000))
    assert (b.sku, b.qty) == ("TT-B", 1) and order.voucher == Decimal(10000)
    assert order.address["city"] == "Thành phố Thủ Đức" and order.address["district"] == "Phường Thảo Điền"
    assert order.shipping_fee == Decimal(18000) and order.note == "gọi trước khi giao"


def test_get_orders_in_batches_of_fifty(fake, platform, tokens):
    ids = sorted(fake.orders)[:120]
    fake.calls.clear()
    assert {o.external_id for o in platform.get_orders(tokens, ids)} == set(ids)
    assert fake.calls.count("/order/202309/orders") == 3


@pytest.mark.parametrize("raw,ours", sorted(STATUS_MAP.items()))
def test_every_tiktok_status_maps_to_one_of_ours(fake, platform, tokens, raw, ours):
    fake.add_order("5770000001", [("1729", "17291", "TT-A", 1, 100, 0)], status=raw, cod=False)
    [order] = platform.get_orders(tokens, ["5770000001"])
    assert order.status == ours and order.platform_status == raw and order.paid


def test_an_unknown_status_is_an_error_not_a_guess(fake, platform, tokens):
    fake.add_order("5770000002", [("1729", "17291", "TT-A", 1, 100, 0)], status="TELEPORTED")
    with pytest.raises(PlatformError, match="unknown status"):
        platform.get_orders(tokens, ["5770000002"])


def test_failures_map_to_the_contract(fake, platform, tokens):
    fake.rate_limit_next = 1
    with pytest.raises(RateLimited) as limited:
        platform.get_orders(tokens, ["5770000001"])
    assert limited.value.status == 429
    fake.error_next = (12019002, "The order does not exist")
    with pytest.raises(PlatformError, match="12019002") as refused:
        platform.get_orders(tokens, ["5770000001"])
    assert refused.value.status == 200 and not isinstance(refused.value, (TokenExpired, RateLimited))
    fake.error_next = (36009007, "Request timeout.")
    with pytest.raises(OutcomeUnknown):
        platform.get_orders(tokens, ["5770000001"])
    fake.server_error_next = 1
    with pytest.raises(OutcomeUnknown):
        platform.get_orders(tokens, ["5770000001"])
    fake.hang_next = 1.5
    with pytest.raises(OutcomeUnknown, match="no answer"):
        platform.push_stock(tokens, [StockUpdate("1729", "17291", "TT-A", 3)])
    bare = TiktokPlatform(fake.settings())
    no_cipher = type(tokens)(**{**tokens.__dict__, "extra": {}})
    with pytest.raises(PlatformError, match="106013"):
        bare.get_orders(no_cipher, ["1"])


def test_an_expired_token_is_token_expired(fake, platform):
    stale = platform.exchange_code({"code": fake.authorise()})
    fake.expire_tokens()
    with pytest.raises(TokenExpired, match="105002"):
        platform.listings(stale)


def test_listings_follow_the_page_tokens(fake, platform):
    fresh = platform.exchange_code({"code": fake.authorise()})
    fake.products.clear()
    for n in range(150):
        fake.add_product(str(4000 + n), {str(40000 + n * 2): (f"TT-{n}-S", 100, 5),
                                         str(40001 + n * 2): (f"TT-{n}-M", 110, 0)}, title=f"Áo {n}")
    fake.calls.clear()
    units = platform.listings(fresh)
    assert len(units) == 300 and fake.calls.count("/product/202309/products/search") == 2
    unit = next(u for u in units if u.sku == "TT-7-M")
    assert (unit.item_id, unit.model_id, unit.price, unit.stock) == ("4007", "40015", Decimal(110), 0)


def test_stock_and_prices_go_one_call_per_product(fake, platform):
    fresh = platform.exchange_code({"code": fake.authorise()})
    updates = [StockUpdate(str(4000 + n // 2), str(40000 + n), "x", n) for n in range(10)]
    before = len(fake.calls)
    results = platform.push_stock(fresh, updates)
    assert all(r.ok for r in results) and len(fake.calls) - before == 5
    assert fake.products["4003"]["skus"]["40007"]["quantity"] == 7
    mixed = platform.push_stock(fresh, [StockUpdate("4001", "40003", "x", 4), StockUpdate("4001", "999", "y", 1)])
    assert [(r.model_id, r.ok) for r in mixed] == [("40003", True), ("999", False)] and "12052990" in mixed[1].message
    with pytest.raises(Exception, match="at most 50"):
        platform.push_stock(fresh, updates * 6)
    with_wh = TiktokPlatform(fake.settings(warehouse_id="7068517275539719942"))
    with_wh.push_stock(fresh, [StockUpdate("4001", "40003", "x", 0)])
    assert fake.stock_log[-1] == ("4001", "40003", 0, "7068517275539719942")
    assert platform.push_price(fresh, [PriceUpdate("4001", "40003", "x", Decimal("125000.5"))])[0].ok
    assert fake.price_log[-1] == ("4001", "40003", "125000.5", "VND")


def test_publish_creates_the_product_with_its_variants(fake, platform):
    fresh = platform.exchange_code({"code": fake.authorise()})
    product = ProductData(name="Áo polo", description="<p>Cotton</p>", category_id="600001", weight_g=250,
                          images=("tos-maliva-i-o3syd03w52-us/c668cdf70b7f483c94dbe",),     # not uploaded: refused
                          variants=(("POLO-S", {"Size": "S"}, Decimal("199000"), 3),
                                    ("POLO-M", {"Size": "M"}, Decimal("199000"), 2)))
    with pytest.raises(PlatformError, match="main_images"):
        platform.publish(fresh, product)
    bad = fake.bad_signs
    uri = platform.upload_image(fresh, "polo.jpg", b"\xff\xd8\xff-tiktok-polo")
    assert fake.images[uri] == b"\xff\xd8\xff-tiktok-polo" and fake.bad_signs == bad
    assert fake.calls[-1] == "/product/202309/images/upload"
    product = ProductData(**{**product.__dict__, "images": (uri,)})
    units = platform.publish(fresh, product)
    assert [u.sku for u in units] == ["POLO-S", "POLO-M"] and all(u.item_id and u.model_id for u in units)
    created = fake.products[units[0].item_id]["created"]
    assert created["skus"][1]["sales_attributes"] == [{"name": "Size", "value_name": "M"}]
    assert created["package_weight"] == {"value": "0.25", "unit": "KILOGRAM"}
    assert created["main_images"] == [{"uri": uri}]
    fake.refuse_images = True
    try:
        with pytest.raises(PlatformError, match="image format"):
            platform.upload_image(fresh, "polo.jpg", b"\xff\xd8\xff-tiktok-polo")
    finally:
        fake.refuse_images = False


def test_an_upload_signed_over_the_multipart_body_is_refused(fake, platform):
    """The documented rule is exactly "no body in the signature for multipart": one that signs it fails."""
    from addons.marketplace import http
    fresh = platform.exchange_code({"code": fake.authorise()})
    body, kind = http.multipart({"use_case": "MAIN_IMAGE"}, {"data": ("a.jpg", b"jpeg-bytes-a")})
    query = {"app_key": fake.settings()["app_key"], "timestamp": str(int(time.time()))}
    query["sign"] = sign(fake.settings()["app_secret"], "/product/202309/images/upload", query, body)
    bad = fake.bad_signs
    with pytest.raises(PlatformError, match="106001"):
        http.request("POST", fake.url + "/product/202309/images/upload", params=query, data=body,
                     headers={"Content-Type": kind, "x-tts-access-token": fresh.access_token})
    assert fake.bad_signs == bad + 1


def test_ship_by_tiktok_logistics_or_by_the_seller(fake, platform):
    fresh = platform.exchange_code({"code": fake.authorise()})
    fake.add_order("5780000001", [("1729", "17291", "TT-A", 1, 100, 0)])
    platform.ship(fresh, "5780000001", "", "")
    assert fake.shipped[-1] == ("PKG5780000001", {"handover_method": "PICKUP"})
    fake.add_order("5780000002", [("1729", "17291", "TT-A", 2, 100, 0)], shipping_type="SELLER")
    with pytest.raises(Exception, match="shipping_provider_ids"):
        platform.ship(fresh, "5780000002", "GHN123", "ghn")
    seller = TiktokPlatform(fake.settings(shipping_provider_ids="ghn=6617675021119438849, vtp=1"))
    seller.ship(fresh, "5780000002", "GHN123", "ghn")
    order_id, body = fake.shipped[-1]
    assert order_id == "5780000002" and body["tracking_number"] == "GHN123"
    assert body["shipping_provider_id"] == "6617675021119438849" and len(body["order_line_item_ids"]) == 2
    count = len(fake.shipped)
    seller.ship(fresh, "5780000002", "GHN123", "ghn")           # already in transit: nothing sent
    assert len(fake.shipped) == count


def test_webhooks_are_verified_on_the_raw_body(fake, platform):
    fake.add_order("5790000001", [("1729", "17291", "TT-A", 1, 100, 0)], status="UNPAID")
    body = fake.webhook_body("5790000001", notification="7327112393057371910")
    event = platform.verify_push(PushRequest("https://erp/x", body, {"Authorization": webhook_signature(body)}))
    assert (event.kind, event.order_ids, event.shop_id, event.event_id) == \
        ("order", ("5790000001",), SHOP_ID, "1:7327112393057371910")
    for headers in ({}, {"Authorization": webhook_signature(body, secret="forged")},
                    {"Authorization": webhook_signature(body, key="other-app")},
                    {"Authorization": webhook_signature(body + b"\n")}):
        with pytest.raises(PushRejected):
            platform.verify_push(PushRequest("https://erp/x", body, headers))
    package = json.dumps({"type": 4, "tts_notification_id": "9", "shop_id": SHOP_ID, "data": {
        "package_list": [{"package_id": "1", "order_id_list": ["152523", "532123"]}]}}).encode()
    event = platform.verify_push(PushRequest("u", package, {"Authorization": webhook_signature(package)}))
    assert event.kind == "order" and event.order_ids == ("152523", "532123")
    other = json.dumps({"type": 6, "tts_notification_id": "1", "shop_id": SHOP_ID, "data": {}}).encode()
    assert platform.verify_push(PushRequest("u", other, {"Authorization": webhook_signature(other)})).kind == "other"


def test_missing_settings_are_named():
    with pytest.raises(Exception, match="service_id"):
        TiktokPlatform({"app_key": APP_KEY}).authorize_url("https://x", "s")
    with pytest.raises(Exception, match="app_secret"):
        TiktokPlatform({"app_key": APP_KEY}).exchange_code({"code": "c"})


def test_returns_are_searched_by_order_and_update_time_paged_and_only_goods_back_count(fake, platform):
    tokens = platform.exchange_code({"code": fake.authorise()})       # earlier tests expire the module's
    fake.add_order("9300", [("88", "881", "RT-1", 52, 1000, 0), ("88", "882", "RT-2", 1, 500, 0)], status="DELIVERED")
    ids = [fake.add_return("9300", ["RT-1"]) for _ in range(51)]
    fake.add_return("9300", ["RT-1"], status="AWAITING_BUYER_SHIP")
    fake.add_return("9300", ["RT-2"], kind="REFUND")
    calls = fake.calls.count("/return_refund/202309/returns/search")
    found = platform.returns(tokens, ["9300"])
    assert fake.calls.count("/return_refund/202309/returns/search") - calls == 2      # 51 done returns, 50 a page
    assert sorted(r.return_id for r in found) == sorted(ids) and all(r.order_id == "9300" for r in found)
    assert {(ln.sku, ln.item_id, ln.model_id, ln.qty) for r in found for ln in r.lines} == {("RT-1", "", "881", 1)}
    now = datetime.now(timezone.utc)
    assert len(platform.updated_returns(tokens, now - timedelta(minutes=5), now)) >= 51
    assert platform.updated_returns(tokens, now - timedelta(days=2), now - timedelta(days=1)) == []
    body = fake.return_webhook_body(ids[0])
    event = platform.verify_push(PushRequest("u", body, {"Authorization": webhook_signature(body)}))
    assert event.kind == "order" and event.order_ids == ("9300",)
