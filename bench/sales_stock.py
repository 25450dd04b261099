"""Commerce benchmarks: order pipeline (sales + the stock bridge) and contended reservation.

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

from harness import StatementCounter, bench_runtime, interleave, pg_url_if_reachable, result, temp_database


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
    from addons.catalog.models import Variant
    from addons.partners.models import Partner
    from addons.warehouse.models import Warehouse
    var_t, partner_t, wh_t = Variant.__table__, Partner.__table__, Warehouse.__table__
    price, zero = Decimal(10000), Decimal(0)
    started = time.perf_counter()
    for i in range(n):
        chosen = sorted(rng.sample(variants, 5))
        with rt.db._write_engine.begin() as conn:
            # The reads any implementation needs: the customer, the lines' variants and prices,
            # the warehouse that reserves them.
            conn.execute(select(partner_t).where(partner_t.c.business_id == business_id,
                                                 partner_t.c.id == customer)).one()
            rows = conn.execute(select(var_t).where(var_t.c.business_id == business_id,
                                                    var_t.c.id.in_(chosen))).all()
            assert len(rows) == 5
            conn.execute(select(wh_t).where(wh_t.c.business_id == business_id, wh_t.c.id == warehouse)).one()
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
    on SQLite and PostgreSQL, next to the same reads and rows written with Core statements; with the
    SQL statements per order of each side."""
    import random
    rounds = 5 if quick else 7
    per_round = 12 if quick else 90
    backends = ["sqlite"] + (["postgresql"] if pg_url_if_reachable() else [])
    out = []
    for backend in backends:
        with temp_database(backend, "pipeline") as (url, folder):
            rt = bench_runtime(url, folder, WTF_CSRF_ENABLED=False)
            counter = StatementCounter(rt.db.engine)
            try:
                business_id, customer, warehouse, variants = _shop(rt, 40)
                rng = random.Random(1)
                _pipeline_orm(rt, business_id, customer, variants, 5, rng)          # warm-up
                _pipeline_floor(rt, business_id, customer, warehouse, variants, 5, rng)
                counted = {"subject": 0, "floor": 0}

                def counted_run(side, fn):
                    with counter:
                        rate = fn()
                    counted[side] += counter.count
                    return rate
                values, floors = interleave(
                    lambda: counted_run("subject", lambda: _pipeline_orm(rt, business_id, customer, variants,
                                                                         per_round, rng)),
                    lambda: counted_run("floor", lambda: _pipeline_floor(rt, business_id, customer, warehouse,
                                                                         variants, per_round, rng)),
                    rounds)
            finally:
                counter.close()
                rt.db.dispose()
        orders = per_round * len(values)
        out.append(result("order_pipeline", 0, "orders/s", 0, "orders/s (Core statements)", backend,
                           {"orders_per_round": per_round, "lines_per_order": 5, "transaction": "one per order"},
                           values=values, floors=floors,
                           statements={"subject": round(counted["subject"] / orders, 1),
                                       "floor": round(counted["floor"] / orders, 1)}))
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
    same guarded updates and moves written with Core by 8 workers; and how many variants ended
    oversold (reserved beyond on hand: must be 0), with the SQL statements per confirmation of
    each side."""
    import random
    from sqlalchemy import func, insert, select, update
    from addons.sales import services
    from addons.sales.models import Order
    from addons.warehouse.models import StockBalance, StockMove
    rounds = 5 if quick else 7
    per_round, workers = (40 if quick else 300), 8
    n = per_round * rounds
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
            floor_ids = list(floor_plans)

            def confirm(oid):
                rt.db.run_in_transaction(lambda s: services.confirm_order(s, oid), business_id)

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
            batches = iter(range(rounds))
            floor_batches = iter(range(rounds))
            counter = StatementCounter(rt.db.engine)
            counted = {"subject": 0, "floor": 0}

            def counted_run(side, ids, fn):
                with counter:
                    rate = _confirm_workers(rt, business_id, ids, workers, fn)
                counted[side] += counter.count
                return rate
            try:
                values, floors = interleave(
                    lambda: counted_run("subject", orm_ids[next(batches) * per_round:][:per_round], confirm),
                    lambda: counted_run("floor", floor_ids[next(floor_batches) * per_round:][:per_round],
                                        floor_confirm),
                    rounds)
            finally:
                counter.close()
            with rt.db.engine.connect() as conn:
                oversold = conn.execute(select(func.count()).select_from(bal).where(
                    bal.c.business_id == business_id, bal.c.reserved > bal.c.on_hand)).scalar()
        finally:
            rt.db.dispose()
    return [result("reservation_contention", 0, "confirmations/s", 0, "confirmations/s (Core updates)",
                   "postgresql", {"orders_per_round": per_round, "workers": workers, "hot_variants": 20,
                                  "lines_per_order": "1-5", "oversold": oversold},
                   values=values, floors=floors,
                   statements={"subject": round(counted["subject"] / (per_round * len(values)), 1),
                               "floor": round(counted["floor"] / (per_round * len(floors)), 1)})]


BENCHMARKS = [order_pipeline, reservation_contention]   # the admin order list: bench/sales.py
