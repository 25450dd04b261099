"""On PostgreSQL: 50 threads sharing 20 connections confirm orders for the last 10 units.

The same race as the warehouse's own test, one level up: through
``sales.confirm_order`` and the bridge's reservation, as staff and marketplace
syncs would run it. Runs only when TESSERA_TEST_DATABASE_URL is set (SQLite
serialises writers, so the race cannot happen there).
"""
import os
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.sales import services as sales
from addons.sales.models import Order
from addons.warehouse import services as wh
from addons.warehouse.models import StockBalance
from core.db import Database
from core.errors import UserError

from .conftest import stock_shop

# One group: the two 50-thread races never run at once on two xdist workers, and each holds at most
# CONNECTIONS of the server's slots (PostgreSQL's default max_connections is 100, shared with the
# other workers' pools), so threads queue for a connection as web workers behind a pool would.
pytestmark = [pytest.mark.skipif(not os.environ.get("TESSERA_TEST_DATABASE_URL"), reason="PostgreSQL only"),
              pytest.mark.xdist_group("pg-contention")]
THREADS, CONNECTIONS, ROUNDS, UNITS = 50, 20, 20, 10


def test_fifty_confirmations_for_the_last_ten_units(runtime, make_business):
    stocked = stock_shop(runtime, make_business, on_hand=(0,))
    shop, variant, sku = stocked.shop, stocked.shop.variants[0], stocked.shop.skus[0]
    business_id = shop.business.id
    db = Database(runtime.db.url, pool_size=CONNECTIONS, max_overflow=0)
    lock = threading.Lock()
    try:
        for round_no in range(ROUNDS):
            with runtime.transaction(business_id) as s:
                wh.receive(s, stocked.main, [(variant, Decimal(UNITS))], f"round {round_no}")
                order_ids = [sales.create_order(s, channel="shopee", partner_id=shop.customer_id,
                                                lines=[{"variant_id": variant, "qty": "1"}]).id
                             for _ in range(THREADS)]
            barrier = threading.Barrier(THREADS)
            wins, losses, other = [], [], []

            def confirm(order_id):
                barrier.wait()
                try:
                    with db.transaction(business_id) as session:
                        sales.confirm_order(session, order_id)
                    with lock:
                        wins.append(order_id)
                except UserError as exc:
                    with lock:
                        losses.append((order_id, str(exc)))
                except Exception as exc:  # noqa: BLE001 - any other failure fails the test below
                    with lock:
                        other.append(repr(exc))

            threads = [threading.Thread(target=confirm, args=(i,)) for i in order_ids]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert other == []
            assert len(wins) == UNITS, f"round {round_no}: {len(wins)} confirmations succeeded"
            assert len(losses) == THREADS - UNITS
            expected = f"not enough stock in WH-MAIN: {sku} wanted 1, available 0"
            assert all(message.endswith(expected) for _, message in losses), losses[:3]
            with runtime.session(business_id) as s:
                states = dict(s.execute(select(Order.id, Order.state).where(Order.id.in_(order_ids))).all())
                assert sorted(i for i, state in states.items() if state == "processing") == sorted(wins)
                assert all(states[i] == "new" for i, _ in losses)      # a loser's order is untouched
                balance = s.scalar(select(StockBalance).where(StockBalance.variant_id == variant,
                                                              StockBalance.warehouse_id == stocked.main))
                assert balance.reserved == balance.on_hand == UNITS * (round_no + 1)
        with runtime.session(business_id) as s:
            assert wh.check_balances(s) == []
    finally:
        db.dispose()
