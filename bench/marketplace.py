"""Marketplace benchmarks: orders ingested from Shopee pushes, and stock push latency.

``push_ingest``: distinct signed order pushes through ``push.receive`` (token, the
Shopee signature on the raw body, the event stored once, the job written) and then
the job, ``push.process`` (get_order_detail and get_escrow_detail from the fake
Shopee on 127.0.0.1, the sales order created and confirmed, its stock reserved):
orders per second, next to a floor that writes the same kind of rows with
SQLAlchemy Core in one transaction per order (push event, sales order header, one
line, order link), no signature, no HTTP, no reservation.

``stock_push_latency``: from the commit of a reservation (a web order confirmed)
to the fake Shopee holding the new quantity: the stock-changed handler marks the
listing and queues the debounced job (debounce 0 here), the job runs as the worker
would (``core.jobs.execute``), one update_stock call. Milliseconds, p50 over the
rounds; the floor is the update_stock call alone through the adapter.
"""
from __future__ import annotations

import json
import os
import sys
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from harness import bench_runtime, default_backend, interleave, median, p95, result, temp_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _seller(rt, fake, on_hand: int):
    """A business with marketplace + Shopee + stock, one Shopee item of one model, connected and mapped."""
    from addons.catalog.services import create_product
    from addons.marketplace.services import listings, shops
    from addons.warehouse import services as wh
    from core.addons import state
    from core.business import create_business
    from core.settings import set_settings
    from tests.addons.marketplace.fake_shopee import PARTNER_ID, PARTNER_KEY, SHOP_ID
    with rt.transaction(all_businesses=True) as s:
        business = create_business(s, name="Bench marketplace", country="VN", currency="VND",
                                   slug=f"bench-mkt-{os.getpid()}-{time.time_ns() % 10**6}")
    bid = business.id
    with rt.transaction(bid) as s:
        state.enable(s, rt.registry, bid, ["marketplace", "marketplace_shopee", "warehouse", "sales_stock"])
    with rt.transaction(bid) as s:
        key = rt.config["SECRET_KEY"]
        set_settings(s, rt.registry, "marketplace_shopee", {"base_url": fake.url, "partner_id": str(PARTNER_ID),
                                                            "partner_key": PARTNER_KEY, "timeout_seconds": 5}, key)
        set_settings(s, rt.registry, "marketplace", {"stock_debounce_seconds": 0}, key)
        warehouse = wh.create_warehouse(s, code="WH-MAIN", name="Main", kind="main").id
        variant = create_product(s, sku="BM-1", name="Bench", sale_price="100000").variants[0].id
        wh.receive(s, warehouse, [(variant, Decimal(on_hand))], reference="bench")
        shop = shops.connect(rt, s, bid, "shopee", "Bench Shopee")
        shop_id, oauth = shop.id, shop.oauth_state
    fake.add_item(500001, {5000011: ("BM-1", 100000, 0)})
    shops.complete_authorisation(rt, "shopee", {"code": fake.authorise(SHOP_ID), "shop_id": str(SHOP_ID),
                                                "state": oauth})
    listings.pull_listings(rt, bid, shop_id)
    return bid, shop_id, variant


def push_ingest(quick: bool, backend: str | None = None) -> list[dict]:
    from sqlalchemy import insert
    from addons.marketplace.models import OrderLink, PushEvent
    from addons.marketplace.platforms import PushRequest
    from addons.marketplace.services import push
    from addons.sales.models import Order, OrderLine
    from tests.addons.marketplace.fake_shopee import FakeShopee
    backend = backend or default_backend()
    rounds, per_round = 5, (20 if quick else 100)
    with temp_database(backend, "mkt-ingest") as (url, folder), FakeShopee() as fake:
        rt = bench_runtime(url, folder)
        try:
            bid, shop_id, variant = _seller(rt, fake, on_hand=10 ** 6)
            path = f"/marketplace/push/shopee/{push.push_token(rt, bid, 'shopee')}"
            full = "https://erp.example.com" + path
            counter = iter(range(10 ** 9))

            def subject():
                sns = []
                for _ in range(per_round):
                    sn = f"BENCH{next(counter):08d}"
                    fake.add_order(sn, [(500001, 5000011, "BM-1", 1, 100000, 100000)])
                    sns.append(sn)
                started = time.perf_counter()
                for sn in sns:
                    body = fake.push_body(sn)
                    status, _m = push.receive(rt, "shopee", path.rsplit("/", 1)[-1], PushRequest(
                        url=full, body=body, headers={"Authorization": fake.push_signature(full, body)}))
                    assert status == 200
                with rt.session(bid) as s:
                    from sqlalchemy import select
                    ids = s.scalars(select(PushEvent.id).where(PushEvent.processed_at.is_(None))).all()
                for event_id in ids:
                    push.process(rt, bid, event_id)
                return per_round / (time.perf_counter() - started)

            floor_n = iter(range(10 ** 9))

            def floor():
                started = time.perf_counter()
                for _ in range(per_round):
                    n = next(floor_n)
                    now = datetime.now(timezone.utc)
                    with rt.db.engine.begin() as conn:
                        conn.execute(insert(PushEvent.__table__).values(
                            business_id=bid, platform="floor", shop_id=shop_id, event_id=f"F{n}", kind="order",
                            order_ids=[f"F{n}"], body=json.dumps({"n": n}), received_at=now))
                        order_id = conn.execute(insert(Order.__table__).values(
                            business_id=bid, number=f"FL-{n:08d}", channel="shopee", external_ref=f"F{n}",
                            currency="VND", prices_include_tax=True, state="new", payment_status="unpaid",
                            fulfilment_status="unfulfilled", order_date=date.today(), term_days=0,
                            term_discount_percent=0, term_discount_days=0, subtotal=100000, discount_total=0,
                            tax_total=0, shipping_fee=15000, shipping_paid_by="customer", total=115000,
                            cod_amount=0, amount_paid=0, amount_refunded=0, early_discount=0, amount_credited=0,
                            created_at=now, updated_at=now).returning(Order.__table__.c.id)).scalar_one()
                        conn.execute(insert(OrderLine.__table__).values(
                            business_id=bid, order_id=order_id, sequence=1, variant_id=variant, sku="BM-1",
                            description="Bench", qty=1, unit_price=100000, discount_percent=0, net_amount=100000,
                            tax_amount=0, total_amount=100000, qty_delivered=0, qty_returned=0))
                        conn.execute(insert(OrderLink.__table__).values(
                            business_id=bid, shop_id=shop_id, external_id=f"F{n}", order_id=order_id,
                            status="ready_to_ship", paid=False, cod=False, voucher=0, discount=0,
                            shipped_pushed=False, needs_attention=False, created_at=now, updated_at=now))
                return per_round / (time.perf_counter() - started)
            values, floors = interleave(subject, floor, rounds)
        finally:
            rt.db.dispose()
    return [result("marketplace.push_ingest", 0, "orders/s", 0, "orders/s (Core insert of event + order + line + link)",
                   backend, {"orders_per_round": per_round}, values=values, floors=floors)]


def stock_push_latency(quick: bool, backend: str | None = None) -> list[dict]:
    from sqlalchemy import select
    from addons.marketplace.platforms import StockUpdate
    from addons.marketplace.services import shops
    from addons.sales.services import confirm_order, create_order
    from core.jobs import execute
    from core.models import OutboxJob
    from tests.addons.marketplace.fake_shopee import FakeShopee
    backend = backend or default_backend()
    rounds = 10 if quick else 30
    with temp_database(backend, "mkt-stock") as (url, folder), FakeShopee() as fake:
        rt = bench_runtime(url, folder)
        try:
            bid, shop_id, variant = _seller(rt, fake, on_hand=10 ** 6)
            reserved = iter(range(1, 10 ** 6))

            def subject():
                expected = 10 ** 6 - next(reserved)
                started = time.perf_counter()
                with rt.transaction(bid) as s:
                    order = create_order(s, channel="web", lines=[{"variant_id": variant, "qty": 1}])
                    confirm_order(s, order.id)
                with rt.session(all_businesses=True) as s:
                    jobs = s.execute(select(OutboxJob.id, OutboxJob.actor).where(
                        OutboxJob.business_id == bid, OutboxJob.state == "pending",
                        OutboxJob.actor == "marketplace.push_stock")).all()
                for job_id, actor in jobs:
                    execute(rt, actor, job_id)
                assert fake.stock[(500001, 5000011)] == expected, (fake.stock[(500001, 5000011)], expected)
                return (time.perf_counter() - started) * 1000

            def floor():
                platform, tokens = shops.prepare(rt, bid, shop_id)
                started = time.perf_counter()
                platform.push_stock(tokens, [StockUpdate("500001", "5000011", "BM-1",
                                                         fake.stock[(500001, 5000011)])])
                return (time.perf_counter() - started) * 1000
            values, floors = interleave(subject, floor, rounds)
        finally:
            rt.db.dispose()
    return [result("marketplace.stock_push_latency", 0, "ms", 0, "ms (the update_stock call alone)", backend,
                   {"rounds": len(values), "p95_ms": round(p95(values), 2), "p50_ms": round(median(values), 2)},
                   higher_is_better=False, values=values, floors=floors)]


BENCHMARKS = [push_ingest, stock_push_latency]
