"""Receipt printing fixtures: shops in Vietnam, Korea and China with products, paid counter orders,
and one fake network printer on 127.0.0.1 for the whole module."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest

from .fake_printer import FakePrinter

_n = itertools.count(1)


@dataclass
class PosShop:
    runtime: object
    business: object
    skus: list = field(default_factory=list)
    variants: list = field(default_factory=list)

    @property
    def id(self):
        return self.business.id

    def tx(self):
        return self.runtime.transaction(self.business.id)

    def session(self):
        return self.runtime.session(self.business.id)

    def paid_order(self, lines=None, method="cash", partner_id=None, **kw) -> str:
        """A paid counter order (its number) through the sales services: 2 x the first product, 1 x the
        second at 10 % off."""
        from addons.sales import services as sales
        with self.tx() as session:
            lines = lines or [{"variant_id": self.variants[0], "qty": "2"},
                              {"variant_id": self.variants[1], "qty": "1", "discount_percent": "10"}]
            order = sales.create_order(session, channel="counter", partner_id=partner_id, lines=lines, **kw)
            sales.confirm_order(session, order.id)
            sales.register_payment(session, order.id, order.total, method)
            return order.number


NAMES = {"VN": ("Phở bò tái", "Cà phê sữa đá"), "KR": ("소고기 국밥", "김치찌개"),
         "CN": ("牛肉面", "珍珠奶茶")}
PRICES = {"VN": ("85000", "29000"), "KR": ("12000", "9000"), "CN": ("38.50", "16")}


def _business(runtime, country, **fields):
    import os
    from core.addons import state
    from core.business import create_business
    n = next(_n)
    with runtime.transaction(all_businesses=True) as session:
        business = create_business(session, name=fields.pop("name", f"Quán {n}"), slug=f"pos{n}-{os.getpid()}",
                                   country=country, **fields)
    with runtime.transaction(business.id) as session:
        state.enable(session, runtime.registry, business.id, ["pos_print"])
    return business


def build_pos_shop(runtime, country="VN", languages=None, timezone=None, **fields) -> PosShop:
    from addons.catalog.services import create_product
    languages = languages or {"VN": ["vi"], "KR": ["ko"], "CN": ["zh"]}.get(country, ["en"])
    timezone = timezone or {"VN": "Asia/Ho_Chi_Minh", "KR": "Asia/Seoul", "CN": "Asia/Shanghai"}.get(country, "UTC")
    business = _business(runtime, country, languages=languages, timezone=timezone,
                         address=fields.pop("address", "12 Lê Lợi, Quận 1"), phone="028 3822 0000", **fields)
    shop = PosShop(runtime, business)
    with shop.tx() as session:
        for name, price in zip(NAMES.get(country, ("Coffee", "Tea")), PRICES.get(country, ("3.50", "2.00"))):
            sku = f"POS-{next(_n)}"
            product = create_product(session, sku=sku, name=name, sale_price=price,
                                     tax_class_code="vat10" if country in ("VN", "KR") else None)
            shop.skus.append(sku)
            shop.variants.append(product.variants[0].id)
    return shop


@pytest.fixture(scope="module")
def fake_printer():
    printer = FakePrinter()
    yield printer
    printer.close()


@pytest.fixture(scope="module")
def vn_shop(runtime):
    return build_pos_shop(runtime, "VN", tax_id="0100109106")


@pytest.fixture(scope="module")
def kr_shop(runtime):
    return build_pos_shop(runtime, "KR", address="서울특별시 중구 세종대로 110")


@pytest.fixture(scope="module")
def cn_shop(runtime):
    return build_pos_shop(runtime, "CN", address="上海市黄浦区南京东路 100 号")


def run_jobs(runtime, business_id):
    """Run the business's pending outbox jobs here and now (what a worker would do)."""
    from sqlalchemy import select
    from core.jobs import execute
    from core.models import OutboxJob
    ran = []
    with runtime.session(all_businesses=True) as session:
        rows = session.execute(select(OutboxJob.id, OutboxJob.actor).where(
            OutboxJob.business_id == business_id, OutboxJob.state == "pending").order_by(OutboxJob.id)).all()
    for job_id, actor in rows:
        ran.append((actor, execute(runtime, actor, job_id)))
    return ran
