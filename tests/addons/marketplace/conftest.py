"""Marketplace fixtures: a shop business with stock, a fake Shopee, a connected Shopee shop."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from .fake_shopee import PARTNER_ID, PARTNER_KEY, SHOP_ID, FakeShopee

_n = itertools.count(1)
ADDONS = ("marketplace", "marketplace_shopee", "warehouse", "sales_stock")


@dataclass
class Seller:
    business: object
    runtime: object
    skus: list = field(default_factory=list)
    variants: dict = field(default_factory=dict)        # sku -> variant id
    shop_id: int = 0
    item_id: int = 0

    @property
    def id(self):
        return self.business.id

    def tx(self):
        return self.runtime.transaction(self.business.id)

    def session(self):
        return self.runtime.session(self.business.id)

    def settings(self, addon, **values):
        from core.settings import set_settings
        with self.tx() as s:
            set_settings(s, self.runtime.registry, addon, values, self.runtime.config["SECRET_KEY"])

    def receive(self, sku, qty):
        from addons.warehouse import services as wh
        with self.tx() as s:
            wh.receive(s, wh.default_warehouse(s).id, [(self.variants[sku], Decimal(qty))], reference="test")

    def balance(self, sku):
        from addons.marketplace.services.stock import on_hand_minus_reserved
        from addons.warehouse.models import StockBalance
        from sqlalchemy import select
        with self.session() as s:
            row = s.execute(select(StockBalance.on_hand, StockBalance.reserved).where(
                StockBalance.variant_id == self.variants[sku])).first()
            free = on_hand_minus_reserved(s, [self.variants[sku]])[self.variants[sku]]
        return (row[0], row[1], free) if row else (Decimal(0), Decimal(0), free)

    def run_jobs(self, prefix="marketplace.", rounds=6):
        from sqlalchemy import select, update
        from core.jobs import execute
        from core.models import OutboxJob
        states = []
        for _ in range(rounds):
            with self.runtime.transaction(all_businesses=True) as s:
                # the debounce delay is not waited for in tests: due now
                s.execute(update(OutboxJob).where(OutboxJob.business_id == self.id, OutboxJob.state == "pending")
                          .values(available_at=OutboxJob.created_at))
            with self.runtime.session(all_businesses=True) as s:
                rows = s.execute(select(OutboxJob.id, OutboxJob.actor).where(
                    OutboxJob.business_id == self.id, OutboxJob.state == "pending",
                    OutboxJob.actor.startswith(prefix)).order_by(OutboxJob.id)).all()
            if not rows:
                break
            for job_id, actor in rows:
                states.append((actor, execute(self.runtime, actor, job_id)))
        return states

    def links(self):
        from sqlalchemy import select
        from addons.marketplace.models import OrderLink
        with self.session() as s:
            rows = list(s.scalars(select(OrderLink).order_by(OrderLink.id)))
            s.expunge_all()
            return rows

    def orders(self):
        from sqlalchemy import select
        from addons.sales.models import Order
        with self.session() as s:
            rows = list(s.scalars(select(Order).order_by(Order.id)))
            for row in rows:
                row.lines
            s.expunge_all()
            return rows


def build_seller(runtime, make_business, fake, stock=(("5", "3"))):
    from addons.catalog.services import create_product
    business = make_business(country="VN", addons=list(ADDONS))
    seller = Seller(business, runtime)
    seller.settings("marketplace_shopee", base_url=fake.url, partner_id=str(PARTNER_ID), partner_key=PARTNER_KEY,
                    timeout_seconds=2)
    seller.settings("marketplace", stock_debounce_seconds=0)
    n = next(_n)
    with seller.tx() as s:
        from addons.warehouse import services as wh
        wh.create_warehouse(s, code="WH-MAIN", name="Main", kind="main")
        for i, price in enumerate(("150000", "90000")):
            sku = f"MK{n}-{i}"
            product = create_product(s, sku=sku, name=f"Áo thun {sku}", sale_price=price, weight_g=300)
            seller.skus.append(sku)
            seller.variants[sku] = product.variants[0].id
    for sku, qty in zip(seller.skus, stock):
        if Decimal(qty):
            seller.receive(sku, qty)
    seller.item_id = 100000 + n
    fake.add_item(seller.item_id, {seller.item_id * 10 + 1: (seller.skus[0], 150000, 0),
                                   seller.item_id * 10 + 2: (seller.skus[1], 90000, 0)}, name=f"Áo thun {n}")
    return seller


def connect(seller, fake, client=None, name="GTG Shopee", platform_shop=SHOP_ID):
    """`marketplace connect` then the seller authorises: our URL checked by the fake, the callback answered."""
    from addons.marketplace.services import shops
    runtime = seller.runtime
    with seller.tx() as s:
        shop = shops.connect(runtime, s, seller.id, "shopee", name)
        url = shops.authorize_url(runtime, s, seller.id, shop, "http://localhost")
        shop_id = shop.id
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert parsed.path == "/api/v2/shop/auth_partner"
    from .fake_shopee import sign
    assert query["sign"] == sign(PARTNER_KEY, f"{PARTNER_ID}/api/v2/shop/auth_partner{query['timestamp']}")
    redirect = urlparse(query["redirect"])
    assert redirect.path == "/marketplace/callback/shopee"
    state = parse_qs(redirect.query)["state"][0]
    params = {"code": fake.authorise(platform_shop), "shop_id": str(platform_shop), "state": state}
    if client is not None:
        answer = client.get("/marketplace/callback/shopee", query_string=params)
        assert answer.status_code == 200, answer.get_data(as_text=True)
    else:
        shops.complete_authorisation(runtime, "shopee", params)
    seller.shop_id = shop_id
    return shop_id


def map_all(seller):
    from addons.marketplace.services import listings
    return listings.pull_listings(seller.runtime, seller.id, seller.shop_id)


@pytest.fixture(scope="module")
def fake():
    with FakeShopee() as server:
        yield server


@pytest.fixture
def seller(runtime, make_business, fake):
    s = build_seller(runtime, make_business, fake)
    connect(s, fake)
    map_all(s)
    return s
