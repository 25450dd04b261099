"""On PostgreSQL: 50 threads sharing 20 connections race for the last 10 units.

Runs only when TESSERA_TEST_DATABASE_URL is set (SQLite serialises writers, so
the race this guards against cannot happen there).
"""
import os
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from addons.warehouse import services as wh
from addons.warehouse.models import StockBalance
from core.errors import UserError

from .conftest import level, put

# One group: the two 50-thread races never run at once on two xdist workers, and each holds at most
# CONNECTIONS of the server's slots (PostgreSQL's default max_connections is 100, shared with the
# other workers' pools), so threads queue for a connection as web workers behind a pool would.
pytestmark = [pytest.mark.skipif(not os.environ.get("TESSERA_TEST_DATABASE_URL"), reason="PostgreSQL only"),
              pytest.mark.xdist_group("pg-contention")]
THREADS, CONNECTIONS, ROUNDS, UNITS = 50, 20, 20, 10


def test_fifty_threads_never_oversell_the_last_ten_units(runtime, shop):
    v = shop.variants["SKU-1"]
    from core.db import Database
    db = Database(runtime.db.url, pool_size=CONNECTIONS, max_overflow=0)
    sku_lock = threading.Lock()
    try:
        for round_no in range(ROUNDS):
            put(runtime, shop, "SKU-1", UNITS)
            barrier = threading.Barrier(THREADS)
            wins, losses, other = [], [], []

            def buyer(i):
                barrier.wait()
                try:
                    with db.transaction(shop.business_id) as session:
                        wh.reserve(session, shop.main, [(v, Decimal(1))], f"R{round_no}-{i}")
                    with sku_lock:
                        wins.append(i)
                except UserError as exc:
                    with sku_lock:
                        losses.append(str(exc))
                except Exception as exc:  # noqa: BLE001 - any other failure fails the test below
                    with sku_lock:
                        other.append(repr(exc))

            threads = [threading.Thread(target=buyer, args=(i,)) for i in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert other == []
            assert len(wins) == UNITS, f"round {round_no}: {len(wins)} reservations succeeded"
            assert len(losses) == THREADS - UNITS
            assert all(msg == "not enough stock in WH-MAIN: SKU-1 wanted 1, available 0" for msg in losses), losses[:3]
            on_hand, reserved = level(runtime, shop, "SKU-1")
            assert reserved == on_hand == UNITS * (round_no + 1)
            with runtime.session(shop.business_id) as session:
                assert session.scalar(select(StockBalance.id).where(StockBalance.reserved > StockBalance.on_hand)) is None
        with runtime.session(shop.business_id) as session:
            assert wh.check_balances(session) == []
    finally:
        db.dispose()
