"""Courier fixtures: a shop with couriers enabled, weighed products, confirmed orders, a fake GHN."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from .fake_ghn import SHOP, TOKEN, FakeGhn

_n = itertools.count(1)
HANOI = {"name": "Nguyễn Văn An", "phone": "0912345678", "street": "12 Phố Huế", "ward": "Phường Phạm Đình Hổ",
         "district": "Quận Hai Bà Trưng", "province": "Hà Nội", "country": "VN"}


@dataclass
class Shop:
    business: object
    runtime: object
    customer_id: int = 0
    variants: list = field(default_factory=list)

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

    def order(self, *, cod=False, qty=("2", "1"), address=HANOI, pay=False, confirm=True):
        """A confirmed order (COD: the order carries its total as the COD amount)."""
        from addons.sales.services import confirm_order, create_order, register_payment
        with self.tx() as s:
            lines = [{"variant_id": v, "qty": Decimal(q)} for v, q in zip(self.variants, qty)]
            order = create_order(s, partner_id=self.customer_id, lines=lines)
            order.shipping_address = dict(address) if address else None
            if cod:
                order.cod_amount = order.total
            if confirm:
                confirm_order(s, order.id)
            if pay:
                register_payment(s, order.id, order.total, "bank_transfer")
            return order.id

    def ship(self, order_id, carrier="manual", service="own", run=True, **kw):
        from addons.courier.services.shipments import create_shipment
        with self.tx() as s:
            shipment_id = create_shipment(s, order_id, carrier=carrier, service=service, **kw).id
        if run:
            self.run_jobs()
        return shipment_id

    def run_jobs(self, prefix="courier.", rounds=4):
        from sqlalchemy import select
        from core.jobs import execute
        from core.models import OutboxJob
        states = []
        for _ in range(rounds):
            with self.runtime.session(all_businesses=True) as s:
                rows = s.execute(select(OutboxJob.id, OutboxJob.actor).where(
                    OutboxJob.business_id == self.id, OutboxJob.state == "pending",
                    OutboxJob.actor.startswith(prefix)).order_by(OutboxJob.id)).all()
            if not rows:
                break
            for job_id, actor in rows:
                states.append((actor, execute(self.runtime, actor, job_id)))
        return states

    def shipment(self, shipment_id):
        from addons.courier.services.shipments import get_shipment
        with self.session() as s:
            row = get_shipment(s, shipment_id)
            row.parcels, row.order   # loaded while the session is open
            s.expunge_all()
            return row

    def order_row(self, order_id):
        from addons.sales.services import get_order
        with self.session() as s:
            order = get_order(s, order_id)
            order.lines, order.payments
            s.expunge_all()
            return order


def build_shop(runtime, make_business, addons=("courier",)):
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    business = make_business(country="VN", addons=list(addons), phone="02838221234", address="1 Lê Lợi, Quận 1")
    shop = Shop(business, runtime)
    with shop.tx() as s:
        shop.customer_id = create_partner(s, name="Nguyễn Văn An", country="VN", phone="0912345678",
                                          street="12 Phố Huế", city="Hà Nội").id
        for price, weight, size in (("150000", 400, (250, 180, 60)), ("90000", None, None)):
            sku = f"CR-{next(_n)}"
            dims = dict(zip(("length_mm", "width_mm", "height_mm"), size)) if size else {}
            product = create_product(s, sku=sku, name=f"Product {sku}", sale_price=price, weight_g=weight, **dims)
            shop.variants.append(product.variants[0].id)
    return shop


@pytest.fixture
def shop(runtime, make_business):
    return build_shop(runtime, make_business)


@pytest.fixture(scope="module")
def fake_ghn():
    with FakeGhn() as fake:
        yield fake


@pytest.fixture
def ghn_shop(runtime, make_business, fake_ghn):
    from addons.courier.services.areas import sync_areas
    shop = build_shop(runtime, make_business, addons=("courier", "courier_ghn"))
    shop.settings("courier_ghn", base_url=fake_ghn.url, token=TOKEN, shop_id=SHOP, timeout_seconds="0.3",
                  from_district_id="1442")
    sync_areas(runtime, shop.id, "ghn")
    return shop
