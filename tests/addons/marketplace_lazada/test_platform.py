"""The Lazada adapter against a fake Lazada that checks every signature as documented."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from addons.marketplace.platforms import (OutcomeUnknown, PlatformError, PriceUpdate, ProductData, PushRejected,
                                          PushRequest, RateLimited, StockUpdate, TokenExpired)
from addons.marketplace_lazada.orders import STATUS_MAP, order_status
from addons.marketplace_lazada.platform import LazadaPlatform, sign

from .fake_lazada import APP_KEY, SELLER_ID, FakeLazada, push_signature


@pytest.fixture(scope="module")
def fake():
    with FakeLazada() as server:
        yield server


@pytest.fixture(scope="module")
def platform(fake):
    return LazadaPlatform(fake.settings(timeout_seconds=0.5))


@pytest.fixture(scope="module")
def tokens(fake, platform):
    return platform.exchange_code({"code": fake.authorise()})


def _ago(**kw):
    return datetime.now(timezone.utc) - timedelta(**kw)


def test_the_signature_is_the_documented_one():
    # "HTTP request sample" (docId 108069): app secret "helloworld"
    params = {"app_key": "123456", "access_token": "test", "timestamp": "1517820392000", "sign_method": "sha256",
              "order_id": "1234"}
    assert sign("helloworld", "/order/get", params) == \
        "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"


def test_authorisation_url_and_code_for_tokens(fake, platform, tokens):
    url = urlparse(platform.authorize_url("https://erp.example/marketplace/callback/lazada", "st4te"))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == "/oauth/authorize"
    assert query == {"response_type": "code", "force_auth": "true", "client_id": APP_KEY, "state": "st4te",
                     "redirect_uri": "https://erp.example/marketplace/callback/lazada"}
    assert tokens.shop_id == SELLER_ID and tokens.region == "VN"
    assert tokens.expires_at > datetime.now(timezone.utc) + timedelta(days=6)
    fresh = platform.refresh(tokens)
    assert fresh.access_token != tokens.access_token and fresh.shop_id == SELLER_ID
    with pytest.raises(PlatformError) as refused:        # a refresh token is single use
        platform.refresh(tokens)
    assert not isinstance(refused.value, TokenExpired) and "IllegalRefreshToken" in str(refused.value)
    with pytest.raises(PlatformError, match="InvalidCode"):
        platform.exchange_code({"code": "0_used"})


def test_a_wrong_secret_is_refused_by_lazada(fake, tokens):
    before = fake.bad_signs
    wrong = LazadaPlatform(fake.settings(app_secret="not-the-secret"))
    with pytest.raises(PlatformError, match="IncompleteSignature"):
        wrong.get_orders(tokens, ["1"])
    assert fake.bad_signs == before + 1


def test_updated_orders_pages_and_reads_items_in_batches(fake, platform, tokens):
    fake.orders.clear()
    base = _ago(hours=2)
    for n in range(130):
        fake.add_order(str(7000 + n), [("55", "551", "LZ-A", 2, 150000, 10000), ("55", "552", "LZ-B", 1, 90000, 0)],
                       updated_at=base + timedelta(seconds=n), voucher_seller="25000.00")
    fake.add_order("7999", [("55", "551", "LZ-A", 1, 150000, 0)], updated_at=_ago(days=3))   # outside the window
    fake.calls.clear()
    found = list(platform.updated_orders(tokens, _ago(hours=3), datetime.now(timezone.utc)))
    assert len(found) == 130 and "7999" not in {o.external_id for o in found}
    assert fake.calls.count("/orders/get") == 2 and fake.calls.count("/orders/items/get") == 3
    order = next(o for o in found if o.external_id == "7000")
    assert order.status == "ready_to_ship" and order.cod and not order.paid and order.currency == "VND"
    a, b = order.lines
    assert (a.sku, a.model_id, a.qty, a.unit_price, a.discount) == ("LZ-A", "551", 2, Decimal("150000.00"),
                                                                    Decimal("20000.00"))
    assert (b.sku, b.qty, b.discount) == ("LZ-B", 1, 0)
    assert order.voucher == Decimal("5000.00")          # 25000 order-level less 20000 carried by the lines
    assert order.shipping_fee == Decimal("15000") and order.address["district"] == "Quận 1"
    assert order.address["ward"] == "Phường Bến Nghé" and order.buyer["name"] == "Nguyễn Văn A"


def test_get_orders_and_the_status_of_mixed_items(fake, platform, tokens):
    fake.add_order("8001", [("55", "551", "LZ-A", 1, 100, 0), ("55", "552", "LZ-B", 1, 100, 0)])
    fake.orders["8001"]["items"][0]["status"] = "canceled"
    [order] = platform.get_orders(tokens, ["8001"])
    assert order.status == "ready_to_ship" and [line.sku for line in order.lines] == ["LZ-B"]
    fake.set_status("8001", "delivered")
    fake.orders["8001"]["items"][0]["status"] = "returned"
    assert platform.get_orders(tokens, ["8001"])[0].status == "completed"
    fake.set_status("8001", "canceled")
    assert platform.get_orders(tokens, ["8001"])[0].status == "cancelled"


@pytest.mark.parametrize("raw,ours", sorted(STATUS_MAP.items()))
def test_every_lazada_status_maps_to_one_of_ours(raw, ours):
    assert order_status([raw]) == ours


def test_an_unknown_status_is_an_error_not_a_guess():
    with pytest.raises(PlatformError, match="unknown order status"):
        order_status(["teleported"])


def test_failures_map_to_the_contract(fake, platform, tokens):
    fake.rate_limit_next = 1
    with pytest.raises(RateLimited) as limited:
        platform.get_orders(tokens, ["8001"])
    assert limited.value.retry_after == 3 and limited.value.code == "ApiCallLimit"
    fake.error_next = ("E006", "Unexpected internal error")
    with pytest.raises(PlatformError, match="Unexpected internal error") as refused:
        platform.get_orders(tokens, ["8001"])
    assert refused.value.status == 200 and not isinstance(refused.value, (TokenExpired, RateLimited))
    fake.server_error_next = 1
    with pytest.raises(OutcomeUnknown):
        platform.get_orders(tokens, ["8001"])
    fake.hang_next = 1.5
    with pytest.raises(OutcomeUnknown, match="no answer"):
        platform.push_stock(tokens, [StockUpdate("55", "551", "LZ-A", 3)])


def test_an_expired_token_is_token_expired(fake, platform):
    stale = platform.exchange_code({"code": fake.authorise()})
    fake.expire_tokens()
    with pytest.raises(TokenExpired, match="IllegalAccessToken"):
        platform.listings(stale)


def test_listings_page_by_fifty(fake, platform):
    fresh = platform.exchange_code({"code": fake.authorise()})
    fake.products.clear()
    for n in range(60):
        fake.add_product(str(300 + n), {str(3000 + n * 2): (f"SKU-{n}-S", 100, 5),
                                        str(3001 + n * 2): (f"SKU-{n}-M", 110, 0)}, name=f"Áo {n}")
    fake.calls.clear()
    units = platform.listings(fresh)
    assert len(units) == 120 and fake.calls.count("/products/get") == 2
    unit = next(u for u in units if u.sku == "SKU-7-M")
    assert (unit.item_id, unit.model_id, unit.price, unit.stock, unit.name) == ("307", "3015", Decimal(110), 0, "Áo 7")


def test_stock_and_prices_go_as_documented_xml_in_batches(fake, platform):
    fresh = platform.exchange_code({"code": fake.authorise()})
    updates = [StockUpdate(str(300 + n), str(3000 + n * 2), f"SKU-{n}-S", n) for n in range(50)]
    fake.batches.clear()
    results = platform.push_stock(fresh, updates)
    assert all(r.ok for r in results) and fake.batches == [50]
    assert fake.products["307"]["skus"]["3014"]["quantity"] == 7
    with pytest.raises(Exception, match="at most 50"):
        platform.push_stock(fresh, updates + [StockUpdate("301", "3003", "SKU-1-M", 1)])
    # one unknown SKU: Lazada names it in ``detail``; the others are set
    mixed = platform.push_stock(fresh, [StockUpdate("301", "3003", "SKU-1-M", 4), StockUpdate("301", "9", "NOPE", 1)])
    assert [(r.model_id, r.ok) for r in mixed] == [("3003", True), ("9", False)] and "not found" in mixed[1].message
    assert fake.products["301"]["skus"]["3003"]["quantity"] == 4
    prices = platform.push_price(fresh, [PriceUpdate("301", "3003", "SKU-1-M", Decimal("125000.50"))])
    assert prices[0].ok and fake.price_log[-1] == ("301", "3003", "125000.50")


def test_publish_creates_the_product_with_its_variants(fake, platform):
    fresh = platform.exchange_code({"code": fake.authorise()})
    product = ProductData(name="Áo polo", description="<p>Cotton</p>", category_id="10002019", weight_g=250,
                          images=("https://img.example/polo.jpg",),     # not hosted by Lazada: refused
                          variants=(("POLO-S", {"size": "S"}, Decimal("199000"), 3),
                                    ("POLO-M", {"size": "M"}, Decimal("199000"), 2)))
    with pytest.raises(PlatformError, match="only images uploaded to Lazada"):
        platform.publish(fresh, product)
    bad = fake.bad_signs
    url = platform.upload_image(fresh, "polo.jpg", b"\xff\xd8\xff-polo")
    assert fake.images[url] == b"\xff\xd8\xff-polo" and fake.bad_signs == bad and fake.calls[-1] == "/image/upload"
    product = ProductData(**{**product.__dict__, "images": (url,)})
    units = platform.publish(fresh, product)
    assert [u.sku for u in units] == ["POLO-S", "POLO-M"] and all(u.item_id and u.model_id for u in units)
    assert fake.products[units[0].item_id]["created"]["Images"] == {"Image": [url]}
    fake.refuse_images = True
    try:
        with pytest.raises(PlatformError, match="300"):
            platform.upload_image(fresh, "polo.jpg", b"\xff\xd8\xff-polo")
    finally:
        fake.refuse_images = False
    created = fake.products[units[0].item_id]["created"]
    assert created["PrimaryCategory"] == "10002019" and created["Skus"]["Sku"][1]["saleProp"] == {"size": "M"}
    assert created["Skus"]["Sku"][0]["package_weight"] == "0.25"
    with pytest.raises(Exception, match="category_id"):
        platform.publish(fresh, ProductData(name="x", description="", variants=(("X", {}, 1, 1),)))


def test_ship_packs_then_marks_ready_to_ship(fake, platform):
    fresh = platform.exchange_code({"code": fake.authorise()})
    fake.add_order("8100", [("55", "551", "LZ-A", 2, 100, 0)])
    platform.ship(fresh, "8100", "", "")
    items = fake.orders["8100"]["items"]
    assert {i["status"] for i in items} == {"ready_to_ship"} and len({i["package_id"] for i in items}) == 1
    calls = len(fake.calls)
    platform.ship(fresh, "8100", "", "")                       # again: nothing left to do
    assert fake.calls[calls:] == ["/order/items/get"]
    assert platform.get_orders(fresh, ["8100"])[0].tracking_number.startswith("LZVN")


def test_pushes_are_verified_on_the_raw_body(fake, platform):
    fake.add_order("8200", [("55", "551", "LZ-A", 1, 100, 0)], status="unpaid")
    body = fake.push_body("8200", when=1700000000)
    event = platform.verify_push(PushRequest(url="https://erp/x", body=body,
                                             headers={"Authorization": push_signature(body)}))
    assert event.kind == "order" and event.order_ids == ("8200",) and event.shop_id == SELLER_ID
    again = platform.verify_push(PushRequest(url="https://erp/x", body=body,
                                             headers={"Authorization": push_signature(body).upper()}))
    assert again.event_id == event.event_id                     # a redelivery is the same event
    later = fake.push_body("8200", status="pending", when=1700000100)
    assert platform.verify_push(PushRequest("u", later, {"Authorization": push_signature(later)})).event_id \
        != event.event_id
    for headers in ({}, {"Authorization": push_signature(body, secret="forged")},
                    {"Authorization": push_signature(body + b" ")}):
        with pytest.raises(PushRejected):
            platform.verify_push(PushRequest(url="https://erp/x", body=body, headers=headers))
    other = json.dumps({"seller_id": SELLER_ID, "message_type": 3, "data": {}}).encode()
    assert platform.verify_push(PushRequest("u", other, {"Authorization": push_signature(other)})).kind == "other"


def test_missing_settings_are_named():
    with pytest.raises(Exception, match="app_key"):
        LazadaPlatform({}).authorize_url("https://x", "s")
    with pytest.raises(Exception, match="app_secret"):
        LazadaPlatform({"app_key": APP_KEY}).exchange_code({"code": "c"})


def test_reverse_orders_are_paged_and_only_received_return_lines_count(fake, platform):
    tokens = platform.exchange_code({"code": fake.authorise()})       # earlier tests expire the module's
    fake.add_order("8300", [("77", "771", "RV-1", 12, 1000, 0), ("77", "772", "RV-2", 1, 500, 0)], status="delivered")
    ids = [fake.add_reverse("8300", ["RV-1"]) for _ in range(11)]
    fake.add_reverse("8300", ["RV-1"], status="RTM_SHIPPING_BACK")
    fake.add_reverse("8300", ["RV-2"], status="REFUND_SUCCESS", request_type="ONLY_REFUND")
    pages = fake.calls.count("/reverse/getreverseordersforseller")
    found = platform.returns(tokens, ["8300"])
    assert fake.calls.count("/reverse/getreverseordersforseller") - pages == 2     # 12 RETURN reverse orders, 10 a page
    assert sorted(r.return_id for r in found if r.lines) == sorted(ids)
    assert {(ln.sku, ln.item_id, ln.model_id, ln.qty) for r in found for ln in r.lines} == {("RV-1", "77", "771", 1)}
    assert all(r.order_id == "8300" for r in found) and len(found) == 12
    since = datetime.now(timezone.utc) - timedelta(minutes=5)
    assert len(platform.updated_returns(tokens, since, datetime.now(timezone.utc) + timedelta(seconds=1))) >= 12
    assert platform.updated_returns(tokens, since - timedelta(days=2), since - timedelta(days=1)) == []
    body = fake.reverse_push_body(ids[0])
    event = platform.verify_push(PushRequest("u", body, {"Authorization": push_signature(body)}))
    assert event.kind == "order" and event.order_ids == ("8300",) and event.event_id.startswith("10:")
