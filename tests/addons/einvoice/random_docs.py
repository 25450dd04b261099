"""Seeded random businesses, customers, orders and free lines for the fiscal-document tests.

Six seller countries with their currencies (KRW, VND, MXN, EUR, CNY, USD);
values stay inside the storage contract of the columns (prices and quantities
with up to 4 and 3 decimals), but use all of it: fractional quantities, prices
with many decimals, discounts from 0 to 100 %, several tax rates, zero-rated
and exempt lines in one document.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from .conftest import Shop

SELLERS = {
    "KR": dict(phone="+82 2 120 0000",
               currency="KRW", tax_id="1248100998", legal_name="주식회사 서울상사", address="세종대로 110",
               email="tax@seoul-trading.kr", peppol_id="0088:8801234567893", city="서울", postal_code="04524",
               rates=("0.10",)),
    "VN": dict(phone="+84 24 3825 0000",
               currency="VND", tax_id="0100109106", legal_name="Công ty TNHH Thương mại Hà Nội",
               address="Số 1 Tràng Tiền", email="ketoan@hanoi-trade.vn", peppol_id="0088:8935012345677",
               city="Hà Nội", postal_code="100000", rates=("0.10", "0.08", "0.05")),
    "MX": dict(phone="+52 55 1234 5678",
               currency="MXN", tax_id="EKU9003173C9", legal_name="Comercializadora del Valle SA de CV",
               address="Av. Reforma 100", email="facturas@delvalle.mx", peppol_id="0088:7501234567893",
               city="Ciudad de México", postal_code="06600", rates=("0.16", "0.08")),
    "DE": dict(phone="+49 30 123456",
               currency="EUR", tax_id="DE136695976", legal_name="Muster Handel GmbH", address="Hauptstraße 1",
               email="rechnung@muster.de", peppol_id="", city="Berlin", postal_code="10115", rates=("0.19", "0.07")),
    "CN": dict(phone="+86 21 5888 0000",
               currency="CNY", tax_id="91310000MA1FL8XQ37", legal_name="上海华东贸易有限公司",
               address="浦东新区世纪大道100号", email="caiwu@huadong.cn", peppol_id="0088:6901234567892",
               city="上海", postal_code="200120", rates=("0.13", "0.09", "0.06")),
    "US": dict(phone="+1 415 555 0100",
               currency="USD", tax_id="953654651", legal_name="Acme Supplies Inc.", address="1 Market St",
               email="billing@acme.example", peppol_id="0088:8401234567895", city="San Francisco",
               postal_code="94105", rates=("0.0875", "0.06")),
}
# Customers every shop sells to: companies with and without a Peppol address, and a person.
CUSTOMERS = [
    dict(kind="company", name="주식회사 한빛전자", tax_id="2208162517", country="KR", street="테헤란로 152",
         city="서울", postal_code="06236", email="buyer@hanbit.kr", peppol_id="0088:4001234567891", language="ko"),
    dict(kind="company", name="Công ty Cổ phần Phần mềm Đông Á", tax_id="0312345673", country="VN",
         street="12 Nguyễn Huệ", city="Hồ Chí Minh", email="muahang@donga.vn", language="vi"),
    dict(kind="company", name="Acme Trading B.V.", tax_id="NL004495445B01", country="NL", street="Keizersgracht 1",
         city="Amsterdam", postal_code="1015 CJ", email="ap@acme.nl", language="en"),
    dict(kind="company", name="Distribuidora Peña SA de CV", tax_id="XAXX010101000", country="MX",
         street="Calle Niños Héroes 12", city="Guadalajara", email="compras@pena.mx",
         peppol_id="0088:0012345678905", language="es"),
    dict(kind="person", name="Nguyễn Văn An", country="VN", street="5 Lê Lợi", city="Huế", language="vi"),
]


@dataclass
class RandomShop(Shop):
    """A business of one seller country with the e-invoice addon, its customers and products."""
    country: str = ""
    customers: list = field(default_factory=list)

    @property
    def currency(self) -> str:
        return SELLERS[self.country]["currency"]

    @property
    def rates(self) -> list[Decimal]:
        return [Decimal(r) for r in SELLERS[self.country]["rates"]]


def make_shop(runtime, make_business, country: str) -> RandomShop:
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    spec = SELLERS[country]
    business = make_business(country=country, currency=spec["currency"], addons=["einvoice"],
                             tax_id=spec["tax_id"], legal_name=spec["legal_name"], address=spec["address"],
                             email=spec["email"], phone=spec["phone"])
    shop = RandomShop(business, runtime, country=country)
    shop.settings(seller_peppol_id=spec["peppol_id"], seller_city=spec["city"],
                  seller_postal_code=spec["postal_code"])
    with runtime.transaction(business.id) as s:
        shop.customers = [create_partner(s, **customer).id for customer in CUSTOMERS]
        for i in range(3):
            product = create_product(s, sku=f"RND-{country}-{i}", name=f"Product {i}", sale_price="10")
            shop.variants.append(product.variants[0].id)
    return shop


def random_price(rng: random.Random, currency: str) -> Decimal:
    """Anything from cents to millions, with up to four decimals (the column's scale)."""
    magnitude = 1000 if currency in ("KRW", "VND") else 1
    whole = rng.choice([0, 1, 3, 12, 99, 250, 1999, 45000]) * magnitude + rng.randint(0, 99)
    return Decimal(whole) + Decimal(rng.randint(0, 9999)).scaleb(-4) * rng.choice([0, 1, 1])


def random_quantity(rng: random.Random) -> Decimal:
    return rng.choice([Decimal(1), Decimal(rng.randint(1, 40)), Decimal(rng.randint(1, 99999)).scaleb(-3)])


def random_discount(rng: random.Random) -> Decimal:
    return rng.choice([Decimal(0), Decimal(0), Decimal(rng.randint(1, 99)), Decimal("12.5"), Decimal(100)])


def random_rate(rng: random.Random, rates: list[Decimal]) -> Decimal | None:
    """A rate of the country, zero-rated (0) or exempt (None)."""
    return rng.choice(rates + rates + [Decimal(0), None])


def random_order_lines(rng: random.Random, shop: RandomShop, count: int | None = None) -> list[dict]:
    return [{"variant_id": rng.choice(shop.variants), "qty": random_quantity(rng),
             "unit_price": random_price(rng, shop.currency), "discount_percent": random_discount(rng),
             "tax_rate": random_rate(rng, shop.rates)} for _ in range(count or rng.randint(1, 6))]


def random_free_lines(rng: random.Random, shop: RandomShop, count: int | None = None) -> list[dict]:
    lines = []
    for i in range(count or rng.randint(1, 6)):
        rate = random_rate(rng, shop.rates)
        lines.append({"description": f"Item {i + 1}", "quantity": random_quantity(rng),
                      "unit_price": random_price(rng, shop.currency), "discount_percent": random_discount(rng),
                      "tax_rate": rate, "unit": rng.choice(["C62", "KGM", "HUR"])})
    return lines


def random_order(rng: random.Random, shop: RandomShop, *, paid: bool = False, **kw) -> int:
    """A new order of a random customer with random lines; tax-inclusive or not at random."""
    from addons.sales.services import create_order, register_payment
    kw.setdefault("prices_include_tax", rng.random() < 0.5)
    kw.setdefault("payment_term_code", rng.choice([None, None, "NET30", "2_10_NET30"]))
    kw.setdefault("partner_id", rng.choice(shop.customers))
    if rng.random() < 0.3:
        kw.setdefault("shipping_fee", random_price(rng, shop.currency).quantize(Decimal(1)))
    with shop.tx() as s:
        order = create_order(s, lines=random_order_lines(rng, shop), **kw)
        if paid and order.total > 0:
            register_payment(s, order.id, order.total, "bank_transfer")
        return order.id
