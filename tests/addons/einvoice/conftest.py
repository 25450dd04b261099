"""E-invoice fixtures: a business with the addon enabled, customers, products and paid orders."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

_n = itertools.count(1)

SELLER = {"VN": dict(tax_id="0100109106", legal_name="Công ty TNHH Thương mại Hà Nội", address="Số 1 Tràng Tiền",
                     phone="+84 24 3825 0000", email="ketoan@hanoi-trade.vn"),
          "DE": dict(tax_id="DE136695976", legal_name="Muster Handel GmbH", address="Hauptstraße 1",
                     phone="+49 30 123456", email="rechnung@muster.de"),
          "KR": dict(tax_id="1048145064", legal_name="주식회사 서울상사", address="세종대로 110",
                     phone="+82 2 120", email="tax@seoul-trading.kr")}
VN_BUYER = dict(kind="company", name="Công ty Cổ phần Phần mềm Đông Á", tax_id="0312345673", country="VN",
                address="12 Nguyễn Huệ, Quận 1", city="Hồ Chí Minh", postal_code="700000",
                email="muahang@donga.vn", language="vi")


@dataclass
class Shop:
    business: object
    runtime: object
    customer_id: int | None = None
    variants: list = field(default_factory=list)

    @property
    def id(self):
        return self.business.id

    def tx(self):
        return self.runtime.transaction(self.business.id)

    def session(self):
        return self.runtime.session(self.business.id)

    def settings(self, **values):
        from core.settings import set_settings
        with self.tx() as s:
            set_settings(s, self.runtime.registry, "einvoice", values, self.runtime.config["SECRET_KEY"])

    def order(self, qty=("2",), paid=False, partner_id=None, **kw):
        from addons.sales.services import create_order
        from addons.sales.services import register_payment
        with self.tx() as s:
            lines = [{"variant_id": v, "qty": Decimal(q)} for v, q in zip(self.variants, qty)]
            order = create_order(s, partner_id=partner_id or self.customer_id, lines=lines, **kw)
            order_id = order.id
            if paid:
                register_payment(s, order.id, order.total, "bank_transfer")
        return order_id

    def draft(self, doc_type="sales_invoice", lines=None, buyer=None, **kw):
        from addons.einvoice.services.documents import create_document
        lines = lines or [{"description": "Widget", "quantity": "2", "unit_price": "100000", "tax_rate": "0.10"}]
        with self.tx() as s:
            return create_document(s, type=doc_type, buyer=buyer or VN_BUYER, lines=lines, **kw).id

    def issue(self, doc_id, **kw):
        from addons.einvoice.services.issue import issue_document
        kw.setdefault("render_pdf", False)
        with self.tx() as s:
            return issue_document(s, doc_id, **kw).id

    def doc(self, doc_id):
        from addons.einvoice.services.documents import get_document
        with self.session() as s:
            doc = get_document(s, doc_id)
            doc.pdf, doc.xml  # load the deferred files
            return doc


def build_shop(runtime, make_business, country="VN", prices=("100000", "250000"), customer=None, tax_code=None):
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    seller = SELLER.get(country, SELLER["VN"])
    business = make_business(country=country, addons=["einvoice"], **seller)
    shop = Shop(business, runtime)
    with runtime.transaction(business.id) as s:
        cust = customer or dict(name="Công ty Cổ phần Phần mềm Đông Á", kind="company", tax_id="0312345673",
                                country="VN", email="muahang@donga.vn", language="vi", street="12 Nguyễn Huệ",
                                city="Hồ Chí Minh")
        shop.customer_id = create_partner(s, **cust).id
        for price in prices:
            sku = f"EI-{next(_n)}"
            product = create_product(s, sku=sku, name=f"Product {sku}", sale_price=price, tax_class_code=tax_code)
            shop.variants.append(product.variants[0].id)
    return shop


@pytest.fixture
def shop_factory(runtime, make_business):
    def make(**kw):
        return build_shop(runtime, make_business, **kw)
    return make


@pytest.fixture
def shop(shop_factory):
    return shop_factory()


@pytest.fixture
def run_jobs(runtime):
    """Run every pending outbox job of a business now (the in-process worker, synchronously)."""
    from sqlalchemy import select
    from core.jobs import execute
    from core.models import OutboxJob

    def run(business_id, actor_prefix="einvoice.", rounds=5):
        states = []
        for _ in range(rounds):
            with runtime.session(all_businesses=True) as s:
                rows = s.execute(select(OutboxJob.id, OutboxJob.actor).where(
                    OutboxJob.business_id == business_id, OutboxJob.state == "pending",
                    OutboxJob.actor.startswith(actor_prefix)).order_by(OutboxJob.id)).all()
            if not rows:
                break
            for job_id, actor in rows:
                states.append((actor, execute(runtime, actor, job_id)))
        return states
    return run
