"""Commerce benchmarks: order pipeline (sales + the stock bridge), contended reservation, admin order list.

Each builds its own temporary database (SQLite in a temp folder; PostgreSQL as
a fresh database on TESSERA_BENCH_DATABASE_URL's server, default
postgresql://postgres@127.0.0.1:5432/postgres) and reports its figure next to
a floor measured in the same run on the same database: the same rows written
(or read) with plain SQLAlchemy Core, so the ratio is what Tessera's services,
events, tenancy fence and audit log cost, independent of the machine.
"""
from __future__ import annotations

import os
import threading
import time
from decimal import Decimal

from harness import bench_runtime, median, p95, pg_url_if_reachable, result, temp_database


def _shop(rt, variants: int, on_hand: int = 10 ** 9):
    """A business with sales + warehouse (so the bridge reserves), a customer and stocked variants."""
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    from addons.warehouse import services as wh
    from core.addons import state
    from core.business import create_business
    with rt.transaction(all_businesses=True) as s:
        business = create_business(s, name="Bench shop", slug=f"bench-{os.getpid()}-{time.time_ns() % 10**6}",
                                   country="VN", currency="VND")
    with rt.transaction(business.id) as s:
        state.enable(s, rt.registry, business.id, ["sales", "warehouse"])
    with rt.transaction(business.id) as s:
        customer = create_partner(s, name="Khách hàng", country="VN").id
        warehouse = wh.create_warehouse(s, code="WH-MAIN", name="Main").id
        ids = [create_product(s, sku=f"B-{i}", name=f"Bench {i}", sale_price="10000").variants[0].id
               for i in range(variants)]
        wh.receive(s, warehouse, [(v, Decimal(on_hand)) for v in ids], reference="bench opening")
    return business.id, customer, warehouse, ids


# ---------------------------------------------------------------- order pipeline

def _pipeline_orm(rt, business_id, customer, variants, n, rng):
    from addons.sales import services
    started = time.perf_counter()
    for i in range(n):
        lines = [{"variant_id": v, "qty": "1"} for v in rng.sample(variants, 5)]

        def one(session):
            order = services.create_order(session, channel="web", partner_id=customer, lines=lines)
            services.confirm_order(session, order.id)
            services.register_payment(session, order.id, order.total, "card")
            services.complete_order(session, order.id)
        rt.db.run_in_transaction(one, business_id)
    return n / (time.perf_counter() - started)


def _pipeline_floor(rt, business_id, customer, warehouse, variants, n, rng):
    """The rows the pipeline writes, as Core statements, one transaction per order."""
    from datetime import date
    from sqlalchemy import insert, select, update
    from addons.sales.models import Order, OrderLine, Payment
    from addons.sales_stock.models import OrderWarehouse
    from addons.warehouse.models import StockBalance, StockMove
    from core.db import utcnow
    from core.models import AuditEntry, SequenceCounter
    o, ol, p, link = Order.__table__, OrderLine.__table__, Payment.__table__, OrderWarehouse.__table__
    bal, mv, audit, seq = StockBalance.__table__, StockMove.__table__, AuditEntry.__table__, SequenceCounter.__table__
    year = date.today().year
    with rt.db.engine.begin() as conn:
        if conn.execute(select(seq.c.id).where(seq.c.business_id == business_id, seq.c.series == "FLOOR",
                                               seq.c.year == year)).first() is None:
            conn.execute(insert(seq).values(business_id=business_id, series="FLOOR", year=year, next_value=1))
    price, zero = Decimal(10000), Decimal(0)
    started = time.perf_counter()
    for i in range(n):
        chosen = sorted(rng.sample(variants, 5))
        with rt.db._write_engine.begin() as conn:
            number = conn.execute(update(seq).where(seq.c.business_id == business_id, seq.c.series == "FLOOR",
                                                    seq.c.year == year).values(next_value=seq.c.next_value + 1)
                                  .returning(seq.c.next_value)).scalar()
            now = utcnow()
            money = dict(subtotal=price * 5, discount_total=zero, tax_total=zero, shipping_fee=zero,
                         total=price * 5, cod_amount=zero, amount_paid=zero, amount_refunded=zero,
                         amount_credited=zero, early_discount=zero, term_discount_percent=zero)
            oid = conn.execute(insert(o).values(
                business_id=business_id, number=f"FL-{year}-{number:06d}", channel="web", partner_id=customer,
                currency="VND", prices_include_tax=False, state="new", payment_status="unpaid",
                fulfilment_status="unfulfilled", order_date=now.date(), term_days=0, term_discount_days=0,
                shipping_paid_by="customer", created_at=now, updated_at=now, **money).returning(o.c.id)).scalar()
            conn.execute(insert(ol), [dict(business_id=business_id, order_id=oid, sequence=k + 1, variant_id=v,
                                           sku=f"B-{v}", description="Bench", qty=Decimal(1), unit_price=price,
                                           discount_percent=zero, tax_rate=None, net_amount=price,
                                           tax_amount=zero, total_amount=price, qty_delivered=zero,
                                           qty_returned=zero) for k, v in enumerate(chosen)])
            conn.execute(insert(audit).values(business_id=business_id, model="sales_order", record_id=str(oid),
                                              action="create", before=None, after={"state": "new"}, at=now))
            conn.execute(update(o).where(o.c.id == oid).values(state="processing", confirmed_at=now))
            conn.execute(insert(link).values(business_id=business_id, order_id=oid, warehouse_id=warehouse,
                                             reserved=True))
            for v in chosen:
                conn.execute(update(bal).where(bal.c.business_id == business_id, bal.c.warehouse_id == warehouse,
                                               bal.c.variant_id == v, bal.c.on_hand - bal.c.reserved >= 1)
                             .values(reserved=bal.c.reserved + 1))
            conn.execute(insert(mv), [dict(business_id=business_id, warehouse_id=warehouse, variant_id=v,
                                           kind="reserve", on_hand_delta=zero, reserved_delta=Decimal(1),
                                           reference=str(oid), created_at=now) for v in chosen])
            pid = conn.execute(insert(p).values(business_id=business_id, order_id=oid, kind="payment", method="card",
                                                amount=price * 5, paid_on=now.date(), created_at=now)
                               .returning(p.c.id)).scalar()
            conn.execute(insert(audit), [dict(business_id=business_id, model=m, record_id=str(r), action=a,
                                              before=None, after={}, at=now)
                                         for m, r, a in (("sales_order", oid, "update"),
                                                         ("sales_payment", pid, "create"),
                                                         ("sales_order", oid, "update"),
                                                         ("sales_order", oid, "update"))])
            conn.execute(update(o).where(o.c.id == oid).values(amount_paid=price * 5, payment_status="paid"))
            for v in chosen:
                conn.execute(update(bal).where(bal.c.business_id == business_id, bal.c.warehouse_id == warehouse,
                                               bal.c.variant_id == v, bal.c.reserved >= 1)
                             .values(reserved=bal.c.reserved - 1, on_hand=bal.c.on_hand - 1))
            conn.execute(update(ol).where(ol.c.order_id == oid).values(qty_delivered=Decimal(1)))
            conn.execute(insert(mv), [dict(business_id=business_id, warehouse_id=warehouse, variant_id=v,
                                           kind="delivery", on_hand_delta=Decimal(-1), reserved_delta=Decimal(-1),
                                           reference=str(oid), created_at=now) for v in chosen])
            conn.execute(update(link).where(link.c.order_id == oid).values(reserved=False))
            conn.execute(update(o).where(o.c.id == oid).values(state="completed", fulfilment_status="fulfilled",
                                                               completed_at=now))
    return n / (time.perf_counter() - started)


def order_pipeline(quick: bool) -> list[dict]:
    """Orders/s for create + confirm (reserve 5 lines) + pay + complete, one transaction per order,
    on SQLite and PostgreSQL, next to the same rows written with Core inserts."""
    import random
    n = 60 if quick else 600
    backends = ["sqlite"] + (["postgresql"] if pg_url_if_reachable() else [])
    out = []
    for backend in backends:
        with temp_database(backend, "pipeline") as (url, folder):
            rt = bench_runtime(url, folder, WTF_CSRF_ENABLED=False)
            try:
                business_id, customer, warehouse, variants = _shop(rt, 40)
                rng = random.Random(1)
                _pipeline_orm(rt, business_id, customer, variants, 5, rng)          # warm-up
                _pipeline_floor(rt, business_id, customer, warehouse, variants, 5, rng)
                value = _pipeline_orm(rt, business_id, customer, variants, n, rng)
                floor = _pipeline_floor(rt, business_id, customer, warehouse, variants, n, rng)
            finally:
                rt.db.dispose()
        out.append(result("order_pipeline", value, "orders/s", floor, "orders/s (Core inserts)", backend,
                           {"orders": n, "lines_per_order": 5, "transaction": "one per order"}))
    return out


# ---------------------------------------------------------------- contended reservation

def _confirm_workers(rt, business_id, order_ids, workers, confirm):
    queue = list(order_ids)
    lock = threading.Lock()
    errors = []

    def work():
        while True:
            with lock:
                if not queue:
                    return
                oid = queue.pop()
            try:
                confirm(oid)
            except Exception as exc:  # reported below: a benchmark must not hide failures
                errors.append(repr(exc))
                return
    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} confirmation(s) failed, first: {errors[0]}")
    return len(order_ids) / elapsed


def reservation_contention(quick: bool) -> list[dict]:
    """Confirmations/s with 8 workers reserving the same 20 hot variants (PostgreSQL), next to the
    same guarded updates and moves written with Core by 8 workers."""
    import random
    from sqlalchemy import insert, update
    from addons.sales import services
    from addons.sales.models import Order
    from addons.warehouse.models import StockBalance, StockMove
    n, workers = (200 if quick else 2000), 8
    with temp_database("postgresql", "contention") as (url, folder):
        rt = bench_runtime(url, folder, WTF_CSRF_ENABLED=False)
        try:
            business_id, customer, warehouse, variants = _shop(rt, 20)
            rng = random.Random(2)
            plans = [sorted(rng.sample(variants, rng.randint(1, 5))) for _ in range(2 * n)]
            with rt.transaction(business_id) as s:
                ids = [services.create_order(s, channel="shopee", partner_id=customer,
                                             lines=[{"variant_id": v, "qty": "1"} for v in plan]).id
                       for plan in plans]
            orm_ids, floor_plans = ids[:n], dict(zip(ids[n:], plans[n:]))

            def confirm(oid):
                rt.db.run_in_transaction(lambda s: services.confirm_order(s, oid), business_id)
            value = _confirm_workers(rt, business_id, orm_ids, workers, confirm)

            bal, mv, o = StockBalance.__table__, StockMove.__table__, Order.__table__

            def floor_confirm(oid):
                with rt.db.engine.begin() as conn:
                    for v in floor_plans[oid]:
                        conn.execute(update(bal).where(bal.c.business_id == business_id,
                                                       bal.c.warehouse_id == warehouse, bal.c.variant_id == v,
                                                       bal.c.on_hand - bal.c.reserved >= 1)
                                     .values(reserved=bal.c.reserved + 1))
                    conn.execute(insert(mv), [dict(business_id=business_id, warehouse_id=warehouse, variant_id=v,
                                                   kind="reserve", on_hand_delta=Decimal(0),
                                                   reserved_delta=Decimal(1), reference=str(oid))
                                              for v in floor_plans[oid]])
                    conn.execute(update(o).where(o.c.id == oid).values(state="processing"))
            floor = _confirm_workers(rt, business_id, list(floor_plans), workers, floor_confirm)
        finally:
            rt.db.dispose()
    return [result("reservation_contention", value, "confirmations/s", floor, "confirmations/s (Core updates)",
                    "postgresql", {"orders": n, "workers": workers, "hot_variants": 20, "lines_per_order": "1-5"})]


# ---------------------------------------------------------------- admin list

BULK_ORDERS = """
INSERT INTO sales_order (business_id, number, channel, external_ref, partner_id, currency, prices_include_tax,
    state, payment_status, fulfilment_status, order_date, term_days, term_discount_percent, term_discount_days,
    subtotal, discount_total, tax_total, shipping_fee, shipping_paid_by, total, cod_amount, amount_paid,
    amount_refunded, amount_credited, early_discount, created_at, updated_at)
SELECT :b, 'BK-' || g, (ARRAY['web','shopee','lazada','tiktok','phone','facebook','counter','manual'])[1 + g % 8],
    CASE WHEN g % 8 IN (1, 2, 3) THEN 'EXT' || g END, :p, 'VND', false,
    (ARRAY['new','processing','completed','completed','completed','cancelled'])[1 + g % 6],
    CASE WHEN g % 6 IN (2, 3, 4) THEN 'paid' ELSE 'unpaid' END,
    CASE WHEN g % 6 IN (2, 3, 4) THEN 'fulfilled' ELSE 'unfulfilled' END,
    (now() - (g || ' seconds')::interval)::date, 0, 0, 0, 100000, 0, 10000, 0, 'customer', 110000, 0,
    CASE WHEN g % 6 IN (2, 3, 4) THEN 110000 ELSE 0 END, 0, 0, 0,
    now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval
FROM generate_series(1, :n) AS g
"""


def _timed(fn, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return median(times), p95(times)


def admin_list(quick: bool) -> list[dict]:
    """Median and p95 of the admin order list (first page, a filtered page, page 1,000) with 1,000,000
    orders on PostgreSQL (bulk-loaded with INSERT ... SELECT generate_series), next to the bare SQL
    of the same page."""
    from sqlalchemy import select, text
    from addons.sales.models import Order
    from core.auth import create_user
    n = 100_000 if quick else 1_000_000
    repeat = 15 if quick else 40
    page_size = 50
    out = []
    with temp_database("postgresql", "adminlist") as (url, folder):
        rt = bench_runtime(url, folder, WTF_CSRF_ENABLED=False)
        try:
            business_id, customer, _warehouse, _variants = _shop(rt, 1)
            with rt.transaction(business_id) as s:
                s.execute(text(BULK_ORDERS), {"b": business_id, "p": customer, "n": n})
                create_user(s, "bench@example.com", "bench horse battery staple", name="Bench",
                            business_id=business_id, role="Administrator")
            with rt.db.engine.begin() as conn:
                conn.execute(text("ANALYZE sales_order"))
            from core.app import create_app
            app = create_app(runtime=rt)
            client = app.test_client()
            login = client.post("/login", data={"email": "bench@example.com",
                                                "password": "bench horse battery staple"})
            if login.status_code != 302:
                raise RuntimeError(f"bench login failed ({login.status_code})")
            pages = {"first_page": ("/admin/sales_order/", None, 0),
                     "filtered_page": ("/admin/sales_order/?flt0_0=processing", "processing", 0),
                     "page_1000": ("/admin/sales_order/?page=999", None, 999)}
            for label, (path, state, page) in pages.items():
                def fetch():
                    response = client.get(path)
                    if response.status_code != 200 or b"BK-" not in response.data:
                        raise RuntimeError(f"{path}: status {response.status_code}")
                stmt = select(Order).where(Order.business_id == business_id)
                if state:
                    stmt = stmt.where(Order.state == state)
                stmt = stmt.order_by(Order.created_at.desc()).offset(page * page_size).limit(page_size + 1)

                def raw():
                    with rt.db.engine.connect() as conn:
                        conn.execute(stmt).all()
                fetch(), raw()  # warm-up
                page_median, page_p95 = _timed(fetch, repeat)
                raw_median, raw_p95 = _timed(raw, repeat)
                params = {"orders": n, "page_size": page_size, "page": page + 1, "filter": state, "repeat": repeat}
                out.append(result(f"admin_list.{label}.median", page_median, "ms", raw_median, "ms (bare SQL)",
                                   "postgresql", params, higher_is_better=False))
                out.append(result(f"admin_list.{label}.p95", page_p95, "ms", raw_p95, "ms (bare SQL)",
                                   "postgresql", params, higher_is_better=False))
        finally:
            rt.db.dispose()
    return out


BENCHMARKS = [order_pipeline, reservation_contention, admin_list]
