"""The API tests' world: one app per test session, shops with products, stock and a customer,
and tokens. Plain functions (memoized per runtime) so addon test modules share one app."""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field

_apps: dict = {}
_n = itertools.count(1)


def app_for(runtime):
    """One Flask app over the shared test runtime (create_app is the costly part)."""
    if id(runtime) not in _apps:
        from core.app import create_app
        _apps[id(runtime)] = create_app(runtime=runtime)
    return _apps[id(runtime)]


@dataclass
class World:
    business: object
    customer_id: int
    skus: list = field(default_factory=list)
    product_ids: list = field(default_factory=list)
    variant_ids: list = field(default_factory=list)
    warehouse: str = ""


def make_world(runtime, addons=("sales", "warehouse"), prices=("100000", "250000"), stock="10",
               tax_id="0100109106") -> World:
    """A VN business with ``addons``, two products (stocked when warehouse is on) and a customer."""
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    from core.addons import state
    from core.business import create_business
    n = next(_n)
    with runtime.transaction(all_businesses=True) as session:
        business = create_business(session, name=f"API shop {n}", slug=f"api{n}-{os.getpid()}", country="VN",
                                   tax_id=tax_id)
    with runtime.transaction(business.id) as session:
        state.enable(session, runtime.registry, business.id, list(addons))
    world = World(business, 0)
    with runtime.transaction(business.id) as session:
        if "sales" in addons or "partners" in addons:
            world.customer_id = create_partner(session, name="Trần Thị B", country="VN", is_customer=True).id
        for price in prices:
            sku = f"API-{n}-{len(world.skus) + 1}"
            product = create_product(session, sku=sku, name=f"Product {sku}", sale_price=price)
            world.skus.append(sku)
            world.product_ids.append(product.id)
            world.variant_ids.append(product.variants[0].id)
        if "warehouse" in addons:
            from addons.warehouse.services.stock import receive
            from addons.warehouse.services.warehouses import create_warehouse
            from addons.warehouse.models import Warehouse
            from sqlalchemy import select
            warehouse = session.scalar(select(Warehouse).limit(1)) or create_warehouse(
                session, code="MAIN", name="Main")
            world.warehouse = warehouse.code
            receive(session, warehouse.id, [(v, stock) for v in world.variant_ids], "API-TEST")
    return world


def token_for(runtime, business, scopes=("*",), name="test") -> str:
    from core.api.tokens import create_token
    with runtime.transaction(business.id) as session:
        return create_token(session, runtime.registry, name=name, scopes=list(scopes)).token


def bearer(token: str, **extra) -> dict:
    return {"Authorization": f"Bearer {token}", **extra}


class allow_private_webhooks:
    """Set TESSERA_WEBHOOK_ALLOW_PRIVATE on the shared runtime inside the block, so the tests'
    loopback receivers may be registered and delivered to (the SSRF guard, core.api.ssrf)."""

    def __init__(self, runtime, allowed: bool = True):
        self.values, self.allowed = runtime.config.values, allowed

    def __enter__(self):
        self.before = self.values.get("WEBHOOK_ALLOW_PRIVATE", False)
        self.values["WEBHOOK_ALLOW_PRIVATE"] = self.allowed
        return self

    def __exit__(self, *exc):
        self.values["WEBHOOK_ALLOW_PRIVATE"] = self.before
