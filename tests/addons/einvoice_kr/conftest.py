"""A Korean shop (BRN 116-82-00276) with einvoice_kr enabled, pointed at fake Popbill and NTS servers.

Module-scoped: one business, one fake Popbill and one fake NTS per test module;
tests take fresh orders, so they stay independent.
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from .fake_nts import KEY, FakeNts
from .fake_popbill import LINK_ID, SECRET, FakePopbill

SELLER_BRN, BUYER_BRN, CLOSED_BRN, SUSPENDED_BRN = "1168200276", "1048125258", "1018213065", "1028103525"
_n = itertools.count(1)


@dataclass
class KrShop:
    runtime: object
    business: object
    popbill: FakePopbill | None = None
    nts: FakeNts | None = None
    customer_id: int = 0
    company_id: int = 0
    variants: list = field(default_factory=list)

    @property
    def id(self):
        return self.business.id

    def tx(self):
        return self.runtime.transaction(self.business.id)

    def session(self):
        return self.runtime.session(self.business.id)

    def settings(self, addon="einvoice_kr", **values):
        from core.settings import set_settings
        with self.tx() as s:
            set_settings(s, self.runtime.registry, addon, values, self.runtime.config["SECRET_KEY"])

    def order(self, lines=(("0", "2"),), *, method="bank_transfer", identity=None, purpose="deduction", pay=True,
              partner_id=None, paid_on=None, amount=None):
        """An order of (variant index, qty) lines, confirmed, identity captured, paid by ``method``."""
        from addons.sales.services import confirm_order, create_order, register_payment
        from addons.einvoice_kr.services import receipts
        with self.tx() as s:
            order = create_order(s, partner_id=partner_id or self.customer_id,
                                 lines=[{"variant_id": self.variants[int(i)], "qty": Decimal(q)} for i, q in lines])
            confirm_order(s, order.id)
            if identity:
                receipts.capture_identity(s, order.id, identity, purpose)
            if pay:
                register_payment(s, order.id, amount or order.total, method, paid_on=paid_on)
            return order.id

    def run_jobs(self, prefix="einvoice_kr."):
        from sqlalchemy import select
        from core.jobs import execute
        from core.models import OutboxJob
        states = []
        for _ in range(6):
            with self.runtime.session(all_businesses=True) as s:
                rows = s.execute(select(OutboxJob.id, OutboxJob.actor).where(
                    OutboxJob.business_id == self.id, OutboxJob.state == "pending",
                    OutboxJob.actor.startswith(prefix)).order_by(OutboxJob.id)).all()
            if not rows:
                break
            for job_id, actor in rows:
                states.append((actor, execute(self.runtime, actor, job_id)))
        return states

    def receipts(self, order_id):
        from addons.einvoice_kr.services import receipts
        with self.session() as s:
            rows = receipts.chain(s, order_id)
            return [receipts.describe(r) for r in rows]


def build_kr_shop(runtime, *, popbill: FakePopbill | None = None, nts: FakeNts | None = None) -> KrShop:
    from core.addons import state
    from core.business import create_business
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    n = next(_n)
    with runtime.transaction(all_businesses=True) as s:
        business = create_business(s, name=f"서울상점 {n}", slug=f"kr{n}-{os.getpid()}", country="KR", currency="KRW",
                                   timezone="Asia/Seoul", languages=("ko", "en"), tax_id=SELLER_BRN,
                                   legal_name="주식회사 서울상점", address="서울 중구 세종대로 110")
    with runtime.transaction(business.id) as s:
        state.enable(s, runtime.registry, business.id, ["einvoice_kr"])
    shop = KrShop(runtime, business, popbill, nts)
    values = {"ceo_name": "홍길동", "receipt_mail": "off", "taxinvoice_mail": "off"}  # mail tests turn them on
    if popbill:
        values.update(provider="popbill", popbill_link_id=LINK_ID, popbill_secret_key=SECRET,
                      popbill_api_url=popbill.url, popbill_auth_url=popbill.url, popbill_timeout=5)
    if nts:
        values.update(nts_api_url=nts.url, nts_api_key=KEY, check_brn_status=True)
    else:
        values.update(check_brn_status=False)
    shop.settings(**values)
    with shop.tx() as s:
        shop.customer_id = create_partner(s, name="김민지", kind="person", country="KR", email="minji@example.kr",
                                          language="ko").id
        shop.company_id = create_partner(s, name="주식회사 한빛", kind="company", country="KR", tax_id=BUYER_BRN,
                                         email="buy@hanbit.kr", language="ko").id
        for sku, price, tax in ((f"KR{n}-TEA", "33000", "vat10"), (f"KR{n}-BOOK", "18000", "exempt")):
            product = create_product(s, sku=sku, name=f"상품 {sku}", sale_price=price, tax_class_code=tax)
            shop.variants.append(product.variants[0].id)
    return shop


@pytest.fixture(scope="module")
def popbill():
    fake = FakePopbill()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def nts():
    fake = FakeNts()
    fake.registry.update({BUYER_BRN: ("01", "부가가치세 일반과세자", ""),
                          CLOSED_BRN: ("03", "부가가치세 일반과세자", "20240131"),
                          SUSPENDED_BRN: ("02", "부가가치세 간이과세자", "")})
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def kr(runtime, popbill, nts):
    return build_kr_shop(runtime, popbill=popbill, nts=nts)
