"""The sales demo on top of the partners, catalog and warehouse demos (the bridge reserving stock)."""
import random

from sqlalchemy import func, select

from addons.catalog import demo as catalog_demo
from addons.partners import demo as partners_demo
from addons.sales import demo as sales_demo
from addons.sales.models import Order, Return
from addons.warehouse import demo as warehouse_demo
from addons.warehouse import services as wh


def test_demo_orders_across_channels_and_states(runtime, make_business):
    biz = make_business(country="VN", addons=["sales", "warehouse"])
    rng = random.Random(7)
    with runtime.transaction(biz.id) as session:
        partners_demo.load(session, biz.id, rng)
        catalog_demo.load(session, biz.id, rng)
        warehouse_demo.load(session, biz.id, rng)
        result = sales_demo.load(session, biz.id, rng)
    with runtime.session(biz.id) as session:
        # the exchange's replacement order is one of the 300
        assert session.scalar(select(func.count()).where(Return.replacement_order_id.is_not(None))) >= 1
        assert result["orders"] == 300 and session.scalar(select(func.count()).select_from(Order)) == 300
        assert set(session.scalars(select(Order.state).distinct())) == {"new", "processing", "completed",
                                                                       "cancelled"}
        assert len(set(session.scalars(select(Order.channel).distinct()))) == 8
        assert session.scalar(select(func.count()).select_from(Return)) >= 1
        assert wh.check_balances(session) == []   # every reservation and delivery is in the ledger
