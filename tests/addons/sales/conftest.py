"""Sales fixtures: a business with sales enabled, a customer and a few variants."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

_n = itertools.count(1)


@dataclass
class Shop:
    business: object
    runtime: object
    customer_id: int
    variants: list = field(default_factory=list)   # variant ids
    skus: list = field(default_factory=list)

    @property
    def id(self):
        return self.business.id

    def tx(self):
        return self.runtime.transaction(self.business.id)

    def session(self):
        return self.runtime.session(self.business.id)


def build_shop(runtime, make_business, country="VN", currency=None, addons=("sales",), prices=("100000",),
               tax_code=None, term=None) -> Shop:
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    business = make_business(country=country, currency=currency, addons=list(addons))
    with runtime.transaction(business.id) as session:
        customer = create_partner(session, name="Nguyễn Văn A", country=country, is_customer=True,
                                  payment_term_code=term)
        variants, skus = [], []
        for price in prices:
            sku = f"SKU-{next(_n)}"
            product = create_product(session, sku=sku, name=f"Product {sku}", sale_price=price,
                                     tax_class_code=tax_code)
            variants.append(product.variants[0].id)
            skus.append(sku)
        customer_id = customer.id
    return Shop(business, runtime, customer_id, variants, skus)


@pytest.fixture
def shop_factory(runtime, make_business):
    def make(**kw):
        return build_shop(runtime, make_business, **kw)
    return make


@pytest.fixture
def shop(shop_factory):
    return shop_factory(prices=("100000", "250000", "49000"))


@pytest.fixture
def captured(runtime):
    """Events published in the test, captured from core.events.publish's signals."""
    from core.events import bind_events
    from core.jobs import binding_for
    signals = getattr(binding_for(runtime), "events", None) or bind_events(runtime)
    seen = []

    def listen(name):
        def receiver(session, **kw):
            seen.append((name, kw["payload"]))
        receiver.addon = "__test__"  # publish counts receivers by addon; this one is not an addon
        return receiver

    names = ("sales.order_confirmed", "sales.order_paid", "sales.order_delivered", "sales.order_completed",
             "sales.order_cancelled", "sales.return_received")
    receivers = [(signals.signal(n), listen(n)) for n in names]
    for signal, receiver in receivers:
        signal.connect(receiver, weak=False)
    yield seen
    for signal, receiver in receivers:
        signal.disconnect(receiver)


D = Decimal
