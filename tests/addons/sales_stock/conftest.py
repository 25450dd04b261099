"""Bridge fixtures: a shop with sales and warehouse enabled (sales_stock comes with them) and stock."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from tests.addons.sales.conftest import build_shop, captured  # noqa: F401  (fixture re-export)


@dataclass
class Stocked:
    shop: object
    main: int        # warehouse ids
    branch: int

    def level(self, variant_id, warehouse_id=None):
        from addons.warehouse.models import StockBalance
        from sqlalchemy import select
        with self.shop.session() as s:
            row = s.execute(select(StockBalance.on_hand, StockBalance.reserved).where(
                StockBalance.variant_id == variant_id,
                StockBalance.warehouse_id == (warehouse_id or self.main))).first()
        return (Decimal(row[0]), Decimal(row[1])) if row else (Decimal(0), Decimal(0))


def stock_shop(runtime, make_business, on_hand=(10, 5, 0), **kw) -> Stocked:
    from addons.warehouse import services as wh
    shop = build_shop(runtime, make_business, addons=("sales", "warehouse"),
                      prices=kw.pop("prices", ("100000", "250000", "49000")), **kw)
    with shop.tx() as s:
        main = wh.create_warehouse(s, code="WH-MAIN", name="Main", kind="main").id
        branch = wh.create_warehouse(s, code="WH-HN", name="Hà Nội", kind="branch").id
        lines = [(v, Decimal(q)) for v, q in zip(shop.variants, on_hand) if q]
        if lines:
            wh.receive(s, main, lines, reference="opening")
            wh.receive(s, branch, lines, reference="opening")
    return Stocked(shop, main, branch)


@pytest.fixture
def stocked(runtime, make_business):
    return stock_shop(runtime, make_business)


@pytest.fixture
def stocked_factory(runtime, make_business):
    def make(**kw):
        return stock_shop(runtime, make_business, **kw)
    return make
