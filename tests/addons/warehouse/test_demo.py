import random

from sqlalchemy import func, select

from addons.catalog import demo as catalog_demo
from addons.catalog.models import Product, Variant
from addons.partners import demo as partners_demo
from addons.partners.models import Partner
from addons.warehouse import demo as warehouse_demo
from addons.warehouse import services as wh
from addons.warehouse.models import PurchaseOrder, Warehouse


def test_demo_data_for_the_three_addons(runtime, make_business):
    for country in ("VN", "KR"):
        biz = make_business(country=country, addons=["warehouse"])
        rng = random.Random(11)
        with runtime.transaction(biz.id) as session:
            partners_demo.load(session, biz.id, rng)
            catalog_demo.load(session, biz.id, rng)
            warehouse_demo.load(session, biz.id, rng)
        with runtime.session(biz.id) as session:
            count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
            assert count(Product) == 60 and count(Variant) > 100
            assert count(Warehouse) == 3 and count(PurchaseOrder) == 5
            assert session.scalar(select(func.count()).where(Partner.is_supplier.is_(True))) == 10
            assert {o.state for o in session.scalars(select(PurchaseOrder))} == {"draft", "sent", "partial",
                                                                                   "received"}
            assert wh.check_balances(session) == []
            names = set(session.scalars(select(Product.name)))
            assert "Áo dài lụa" in names and "홍삼정" in names and "Yoga mat" in names
