"""E-invoice benchmarks: ``invoice_issue`` here; ``pdf_render`` and ``pdf_bulk`` in bench_pdf.

invoice_issue: documents issued per second (gapless number from the counter
row, totals recomputed, UBL XML built and stored, immutability guard, audit
entry, event; no PDF, no provider submission), one transaction per document,
on SQLite and on PostgreSQL when reachable. The floor is measured in the same
run on the same database: the same rows (counter bump, document with the same
XML bytes, lines, audit row) written with plain SQLAlchemy Core, so the ratio
is the cost of Tessera's issuing logic independent of the machine.
"""
from __future__ import annotations

import os
import time
from datetime import date
from decimal import Decimal

from core.benchmark import bench_runtime, pg_url_if_reachable, result, temp_database

from .bench_pdf import pdf_bulk, pdf_render

LINES = [{"description": "Green tea 500 g", "quantity": "2", "unit_price": "120000", "tax_rate": "0.10"},
         {"description": "Ceramic cup", "quantity": "6", "unit_price": "45000", "tax_rate": "0.10",
          "discount_percent": "5"},
         {"description": "Delivery", "quantity": "1", "unit_price": "30000", "tax_rate": "0"}]
BUYER = dict(kind="company", name="Công ty Cổ phần Phần mềm Đông Á", tax_id="0312345673", country="VN",
             address="12 Nguyễn Huệ", city="Hồ Chí Minh", email="muahang@donga.vn")


def _business(rt):
    from core.addons import state
    from core.business import create_business
    with rt.transaction(all_businesses=True) as s:
        business = create_business(s, name="Bench invoices", slug=f"einv-{os.getpid()}-{time.time_ns() % 10**6}",
                                   country="VN", currency="VND", tax_id="0100109106", legal_name="Bench Co")
    with rt.transaction(business.id) as s:
        state.enable(s, rt.registry, business.id, ["einvoice"])
    return business.id


def _issue_rate(rt, business_id, n) -> tuple[float, bytes]:
    from .services import create_document, issue_document
    with rt.transaction(business_id) as s:
        ids = [create_document(s, type="sales_invoice", buyer=BUYER, lines=LINES).id for _ in range(n)]
    issue_date = date.today()
    started = time.perf_counter()
    for doc_id in ids:
        rt.db.run_in_transaction(lambda s: issue_document(s, doc_id, issue_date=issue_date, render_pdf=False,
                                                          submit=False), business_id)
    rate = n / (time.perf_counter() - started)
    with rt.session(business_id) as s:
        from .models import Document
        xml = s.get(Document, ids[-1]).xml
    return rate, xml


def _floor_rate(rt, business_id, n, xml: bytes) -> float:
    """The same writes with Core on drafts made beforehand: counter bump, the issuing UPDATE
    (number, totals, XML, state) and one audit row, one transaction per document."""
    from sqlalchemy import insert, select, update
    from core.db import utcnow
    from core.models import AuditEntry, SequenceCounter
    from .models import Document
    from .services import create_document
    doc_t, audit, seq = Document.__table__, AuditEntry.__table__, SequenceCounter.__table__
    with rt.transaction(business_id) as s:
        ids = [create_document(s, type="sales_invoice", buyer=BUYER, lines=LINES).id for _ in range(n)]
    year = date.today().year
    with rt.db.engine.begin() as conn:
        if conn.execute(select(seq.c.id).where(seq.c.business_id == business_id, seq.c.series == "FLOOR",
                                               seq.c.year == year)).first() is None:
            conn.execute(insert(seq).values(business_id=business_id, series="FLOOR", year=year, next_value=1))
    amounts = Decimal("555000")
    started = time.perf_counter()
    for doc_id in ids:
        with rt.db._write_engine.begin() as conn:
            number = conn.execute(update(seq).where(seq.c.business_id == business_id, seq.c.series == "FLOOR",
                                                    seq.c.year == year).values(next_value=seq.c.next_value + 1)
                                  .returning(seq.c.next_value - 1)).scalar()
            now = utcnow()
            conn.execute(update(doc_t).where(doc_t.c.id == doc_id, doc_t.c.business_id == business_id).values(
                state="issued", series="FLOOR", year=year, number=number, display_number=f"FLOOR-{year}-{number:06d}",
                issue_date=now.date(), subtotal=amounts, total=amounts, xml=xml, issued_at=now, updated_at=now))
            conn.execute(insert(audit).values(business_id=business_id, model="einvoice_document",
                                              record_id=str(doc_id), action="update", before={"state": "draft"},
                                              after={"state": "issued"}, at=now))
    return n / (time.perf_counter() - started)


def invoice_issue(quick: bool, backend: str = "sqlite") -> list[dict]:
    """Issue throughput (number + totals + stored XML, no PDF), SQLite and PostgreSQL, beside a raw insert floor."""
    n = 40 if quick else 400
    backends = ["sqlite"] + (["postgresql"] if pg_url_if_reachable() else [])
    rows = []
    for name in backends:
        with temp_database(name, "einvoice") as (url, folder):
            rt = bench_runtime(url, folder)
            try:
                business_id = _business(rt)
                rate, xml = _issue_rate(rt, business_id, n)
                floor = _floor_rate(rt, business_id, n, xml)
            finally:
                rt.db.dispose()
        rows.append(result("invoice_issue", rate, "documents/s", floor, "raw inserts/s", name,
                            {"documents": n, "lines_per_document": len(LINES), "xml_bytes": len(xml),
                             "pdf": False, "transaction_per_document": True}))
    return rows


BENCHMARKS = [invoice_issue, pdf_render, pdf_bulk]
