"""Fixtures for warehouse tests: a business with a main warehouse, products and a supplier."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from addons.catalog import services as catalog
from addons.partners.services import create_partner
from addons.warehouse import services as wh


@dataclass
class Shop:
    business_id: int
    main: int
    second: int
    variants: dict = field(default_factory=dict)  # sku -> id
    supplier: int = 0


@pytest.fixture
def shop(runtime, make_business):
    """VN business: warehouses MAIN and SHOP2, products A, B (simple) and TEE (2 variants), supplier."""
    biz = make_business(country="VN", addons=["warehouse"])
    with runtime.transaction(biz.id) as session:
        main = wh.create_warehouse(session, code="WH-MAIN", name="Kho chính", kind="main")
        second = wh.create_warehouse(session, code="SHOP2", name="Cửa hàng 2", kind="branch")
        a = catalog.create_product(session, sku="SKU-1", name="Trà xanh", sale_price=45000, cost_price=30000)
        b = catalog.create_product(session, sku="SKU-2", name="Cà phê", sale_price=55000, cost_price=35000)
        tee = catalog.create_product(session, sku="TEE", name="Áo", sale_price=199000, cost_price=90000,
                                     attributes={"size": ["S", "M"]})
        supplier = create_partner(session, kind="company", name="Công ty TNHH Sao Mai", country="VN",
                                  tax_id="0100112437", is_supplier=True, is_customer=False)
        variants = {p.sku: p.variants[0].id for p in (a, b)}
        variants.update({v.sku: v.id for v in tee.variants})
        shop = Shop(biz.id, main.id, second.id, variants, supplier.id)
    return shop


def put(runtime, shop, sku, qty, warehouse=None):
    with runtime.transaction(shop.business_id) as session:
        wh.receive(session, warehouse or shop.main, [(shop.variants[sku], Decimal(qty))], "opening stock")


def level(runtime, shop, sku, warehouse=None):
    with runtime.session(shop.business_id) as session:
        rows = wh.stock_levels(session, warehouse or shop.main, [shop.variants[sku]])
    return (rows[0]["on_hand"], rows[0]["reserved"]) if rows else (Decimal(0), Decimal(0))


# Web fixtures (app over the shared runtime, users with roles, CSRF-aware client) for the admin tests.
from tests.web.conftest import app, client_for, make_user  # noqa: E402,F401
