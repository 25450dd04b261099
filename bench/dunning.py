"""Dunning benchmarks: ``dunning.dry_run`` and ``dunning.aging`` on PostgreSQL.

100,000 open invoices of 20,000 customers (``--quick``: 10,000 of 2,000), due
dates spread from 200 days ago to 30 days ahead, some already reminded, a few
customers paused or marked do-not-remind. Rows are written with Core
executemany (the benchmark measures reading, not loading).

dry_run: ``services.runs.run(dry_run=True)`` as of today, i.e. the set-based
plan (a CASE over the level cut-offs in SQL, rows grouped per customer in
Python, skip rules, interest) and its JSON. Floor: one raw SQL statement doing
the same aggregation per customer in the database (GROUP BY partner with the
level CASE, the count, the sum and the string_agg of invoice numbers, the
customer's name joined), fetched in full. Goal: <= 5 s absolute.

aging: ``services.aging.aging`` per customer as of today; floor: one raw SQL
GROUP BY partner with one SUM(CASE) per bucket and the customer's name.
Goal: < 1 s absolute. Both interleaved (harness.interleave), lower is better.
"""
from __future__ import annotations

import os
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from harness import bench_runtime, interleave, pg_url_if_reachable, result, temp_database

BATCH = 5000


def _load(rt, customers: int, invoices: int):
    from sqlalchemy import insert, select
    from addons.dunning.models import Account, Receivable
    from addons.einvoice.models import Document
    from addons.partners.models import Partner
    from core.addons import state
    from core.business import create_business
    rng = random.Random(15)
    with rt.transaction(all_businesses=True) as s:
        business = create_business(s, name="Bench dunning", slug=f"dun-{os.getpid()}-{time.time_ns() % 10**6}",
                                   country="VN", currency="VND", tax_id="0100109106", legal_name="Bench Co",
                                   timezone="Asia/Ho_Chi_Minh")
    with rt.transaction(business.id) as s:
        state.enable(s, rt.registry, business.id, ["dunning"])
    bid = business.id
    with rt.transaction(bid) as s:
        for start in range(0, customers, BATCH):
            s.execute(insert(Partner), [{"kind": "company", "name": f"Customer {i:06d}", "country": "VN",
                                         "email": f"c{i}@bench.example", "language": "vi", "is_customer": True,
                                         "is_supplier": False, "active": True}
                                        for i in range(start, min(customers, start + BATCH))])
        partner_ids = list(s.scalars(select(Partner.id).order_by(Partner.id)))
    today = date.today()
    for start in range(0, invoices, BATCH):
        count = min(invoices, start + BATCH) - start
        with rt.transaction(bid) as s:
            docs = [{"type": "sales_invoice", "state": "draft", "currency": "VND", "language": "vi", "seller": {},
                     "buyer": {}, "buyer_name": "", "payment_method": "bank_transfer", "notes": "",
                     "rounding": "line", "prices_include_tax": False, "payment_terms": "",
                     "exchange_rate": Decimal(1), "subtotal": Decimal(0), "tax_total": Decimal(0),
                     "total": Decimal(0), "full_correction": False} for _ in range(count)]
            doc_ids = list(s.scalars(insert(Document).returning(Document.id), docs))
            rows = []
            for n, doc_id in enumerate(doc_ids):
                i = start + n
                due = today - timedelta(days=rng.randint(-30, 200))
                amount = Decimal(rng.randrange(50, 5000) * 1000)
                reminded = rng.random() < 0.3
                rows.append({"document_id": doc_id, "partner_id": partner_ids[i % len(partner_ids)], "order_id": None,
                             "number": f"INV-B-{i:07d}", "customer_name": "", "currency": "VND",
                             "exchange_rate": Decimal(1), "issue_date": due - timedelta(days=30), "due_date": due,
                             "total": amount, "open_amount": amount, "state": "open", "disputed": rng.random() < 0.01,
                             "level": 3 if reminded else 0, "reminded": reminded, "reminders": 1 if reminded else 0})
            s.execute(insert(Receivable), rows)
    with rt.transaction(bid) as s:
        accounts = [{"partner_id": p, "do_not_remind": k % 2 == 0,
                     "paused_until": None if k % 2 == 0 else today + timedelta(days=10)}
                    for k, p in enumerate(partner_ids[::100])]
        s.execute(insert(Account), accounts)
    with rt.db.engine.connect() as conn:
        from sqlalchemy import text
        conn.execute(text("ANALYZE"))
        conn.commit()
    return bid


def _dry_run(rt, bid):
    from addons.dunning.services import runs
    started = time.perf_counter()
    with rt.session(bid) as s:
        data = runs.run(s, dry_run=True)
    elapsed = time.perf_counter() - started
    return elapsed, len(data["reminders"]), len(data["skipped"])


def _dry_run_floor(rt, bid):
    """The same per-customer aggregation in one raw SQL statement (levels of the default policy)."""
    from sqlalchemy import text
    from addons.dunning.services import context, policies
    with rt.session(bid) as s:
        levels = sorted(policies.default_policy(s).levels, key=lambda lv: lv.days, reverse=True)
        today = context.today(s)
    cases = " ".join(f"WHEN r.due_date <= :c{i} THEN {lv.days}" for i, lv in enumerate(levels))
    params = {f"c{i}": today - timedelta(days=lv.days) for i, lv in enumerate(levels)}
    params.update(b=bid, window=today - timedelta(days=levels[-1].days))
    sql = text(f"SELECT r.partner_id, p.name, p.email, count(*), sum(r.open_amount), max(CASE {cases} END), "
               f"string_agg(r.number, ',' ORDER BY r.due_date) FROM dunning_receivable r "
               f"JOIN partners_partner p ON p.id = r.partner_id "
               f"WHERE r.business_id = :b AND r.state = 'open' AND NOT r.disputed AND r.due_date <= :window "
               f"GROUP BY r.partner_id, p.name, p.email")
    started = time.perf_counter()
    with rt.db.engine.connect() as conn:
        rows = conn.execute(sql, params).all()
    return time.perf_counter() - started, len(rows)


def _aging(rt, bid):
    from addons.dunning.services.aging import aging
    started = time.perf_counter()
    with rt.session(bid) as s:
        report = aging(s)
    return time.perf_counter() - started, len(report.rows)


def _aging_floor(rt, bid):
    from sqlalchemy import text
    today = date.today()
    sql = text("SELECT r.partner_id, p.name, "
               "sum(CASE WHEN r.due_date >= :d0 THEN r.open_amount ELSE 0 END), "
               "sum(CASE WHEN r.due_date < :d0 AND r.due_date >= :d30 THEN r.open_amount ELSE 0 END), "
               "sum(CASE WHEN r.due_date < :d30 AND r.due_date >= :d60 THEN r.open_amount ELSE 0 END), "
               "sum(CASE WHEN r.due_date < :d60 AND r.due_date >= :d90 THEN r.open_amount ELSE 0 END), "
               "sum(CASE WHEN r.due_date < :d90 THEN r.open_amount ELSE 0 END) "
               "FROM dunning_receivable r JOIN partners_partner p ON p.id = r.partner_id "
               "WHERE r.business_id = :b AND r.state = 'open' GROUP BY r.partner_id, p.name")
    params = {"b": bid, "d0": today, "d30": today - timedelta(days=30), "d60": today - timedelta(days=60),
              "d90": today - timedelta(days=90)}
    started = time.perf_counter()
    with rt.db.engine.connect() as conn:
        rows = conn.execute(sql, params).all()
    return time.perf_counter() - started, len(rows)


def run_and_aging(quick: bool) -> list[dict]:
    url = pg_url_if_reachable()
    if url is None:
        return [result("dunning.dry_run", 0, "s", 0, "s (raw SQL)", "postgresql", {"skipped": "no PostgreSQL"},
                       higher_is_better=False)]
    customers, invoices = (2000, 10000) if quick else (20000, 100000)
    rounds = 5 if quick else 7
    with temp_database("postgresql", "dunning") as (db_url, folder):
        rt = bench_runtime(db_url, folder)
        try:
            loaded = time.perf_counter()
            bid = _load(rt, customers, invoices)
            load_s = time.perf_counter() - loaded
            facts = {}

            def subject():
                t, reminded, skipped = _dry_run(rt, bid)
                facts.update(reminded=reminded, skipped=skipped)
                return t

            def floor():
                t, groups = _dry_run_floor(rt, bid)
                facts.update(groups=groups)
                return t

            values, floors = interleave(subject, floor, rounds)
            params = {"customers": customers, "open_invoices": invoices, "load_seconds": round(load_s, 1),
                      "goal_seconds": 5, **facts}
            rows = [result("dunning.dry_run", 0, "s", 0, "s (raw SQL, same aggregation)", "postgresql", params,
                           higher_is_better=False, values=values, floors=floors)]
            aging_facts = {}

            def aging_subject():
                t, n = _aging(rt, bid)
                aging_facts.update(customers_with_balance=n)
                return t

            values, floors = interleave(aging_subject, lambda: _aging_floor(rt, bid)[0], rounds)
            rows.append(result("dunning.aging", 0, "s", 0, "s (raw SQL GROUP BY)", "postgresql",
                               {"customers": customers, "open_invoices": invoices, "goal_seconds": 1,
                                **aging_facts}, higher_is_better=False, values=values, floors=floors))
            return rows
        finally:
            rt.db.dispose()


BENCHMARKS = [run_and_aging]
