"""A TikTok Shop shop connected through the marketplace base against the fake TikTok Shop."""
from __future__ import annotations

import itertools
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from tests.addons.marketplace.conftest import Seller

from .fake_tiktok import FakeTiktok

_n = itertools.count(1)
ADDONS = ("marketplace", "marketplace_tiktok", "warehouse", "sales_stock")


@pytest.fixture(scope="module")
def fake():
    with FakeTiktok() as server:
        yield server


def build_seller(runtime, make_business, fake, stock=("5", "3")):
    from addons.catalog.services import create_product
    from addons.warehouse import services as wh
    seller = Seller(make_business(country="VN", addons=list(ADDONS)), runtime)
    seller.settings("marketplace_tiktok", **fake.settings())
    seller.settings("marketplace", stock_debounce_seconds=0)
    n = next(_n)
    with seller.tx() as s:
        wh.create_warehouse(s, code="WH-MAIN", name="Main", kind="main")
        for i, price in enumerate(("150000", "90000")):
            sku = f"TT{n}-{i}"
            product = create_product(s, sku=sku, name=f"Áo thun {sku}", sale_price=price, weight_g=300)
            seller.skus.append(sku)
            seller.variants[sku] = product.variants[0].id
    for sku, qty in zip(seller.skus, stock):
        if Decimal(qty):
            seller.receive(sku, qty)
    seller.item_id = 1729000000 + n
    fake.add_product(str(seller.item_id), {str(seller.item_id * 10 + 1): (seller.skus[0], 150000, 0),
                                           str(seller.item_id * 10 + 2): (seller.skus[1], 90000, 0)})
    return seller


def connect(seller, fake, client):
    """`marketplace connect tiktok`, the seller authorises at TikTok Shop, TikTok calls our callback."""
    from addons.marketplace.services import shops
    with seller.tx() as s:
        shop = shops.connect(seller.runtime, s, seller.id, "tiktok", "GTG TikTok")
        url = shops.authorize_url(seller.runtime, s, seller.id, shop, "http://localhost")
        seller.shop_id = shop.id
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert urlparse(url).path == "/open/authorize" and query["service_id"]
    # TikTok redirects to the URL registered on the app: ours, with code and state
    answer = client.get("/marketplace/callback/tiktok", query_string={"code": fake.authorise(),
                                                                      "state": query["state"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return seller.shop_id
