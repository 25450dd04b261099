"""E-invoice benchmarks: ``invoice_issue``, ``pdf_render`` and ``pdf_bulk``.

invoice_issue: documents issued per second (gapless number from the counter
row, totals recomputed, UBL XML built and stored, immutability guard, audit
entry, event; no PDF, no provider submission), one transaction per document,
on SQLite and on PostgreSQL when reachable. The floor is measured in the same
run on the same database: the reads any implementation needs (the draft, locked,
and its lines) and the same rows (counter bump, document with the same XML
bytes, audit row) written with plain SQLAlchemy Core, so the ratio is the cost
of Tessera's issuing logic independent of the machine. ``invoice_issue.writes_floor``
prints the same subject rounds beside the writes alone (the floor until 2026-12-01,
which read nothing), so the two floors can be compared.

pdf_render (median and p95, 1 and 10 pages, Latin and CJK) and pdf_bulk.
Floors: for ``pdf_render`` the plain xhtml2pdf render of the very same HTML
(no Jinja, no resource policy of ours, no watchdog thread), so the ratio is the
price of rendering safely; for ``pdf_bulk`` one process rendering the same
batch, so the ratio is what a second worker process buys on this machine.
PDF documents are plain objects with the contract's attributes (no database).
"""
from __future__ import annotations

import io
import multiprocessing
import os
import statistics
import time
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from harness import StatementCounter, bench_runtime, interleave, pg_url_if_reachable, result, temp_database
from core.money import quantize

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


def _drafts(rt, business_id, n) -> list[int]:
    from addons.einvoice.services.documents import create_document
    with rt.transaction(business_id) as s:
        return [create_document(s, type="sales_invoice", buyer=BUYER, lines=LINES).id for _ in range(n)]


def _issue_rate(rt, business_id, ids) -> float:
    from addons.einvoice.services.issue import issue_document
    issue_date = date.today()
    started = time.perf_counter()
    for doc_id in ids:
        rt.db.run_in_transaction(lambda s: issue_document(s, doc_id, issue_date=issue_date, render_pdf=False,
                                                          submit=False), business_id)
    return len(ids) / (time.perf_counter() - started)


def _stored_xml(rt, business_id, doc_id) -> bytes:
    from addons.einvoice.models import Document
    with rt.session(business_id) as s:
        return s.get(Document, doc_id).xml


def _floor_rate(rt, business_id, ids, xml: bytes, reads: bool = True) -> float:
    """The reads any implementation needs and the same writes, with Core, on drafts made
    beforehand, one transaction per document: the draft (locked; its columns but the stored
    files, as the ORM loads it) and its lines, which numbering and the XML are made from; the
    counter bump, the issuing UPDATE (number, totals, XML, state) and one audit row.
    ``reads=False`` is the floor used until 2026-12-01, the writes only, printed beside it."""
    from sqlalchemy import insert, select, update
    from core.db import utcnow
    from core.models import AuditEntry, SequenceCounter
    from addons.einvoice.models import Document, DocumentLine
    doc_t, audit, seq = Document.__table__, AuditEntry.__table__, SequenceCounter.__table__
    line_t = DocumentLine.__table__
    year = date.today().year
    with rt.db.engine.begin() as conn:
        if conn.execute(select(seq.c.id).where(seq.c.business_id == business_id, seq.c.series == "FLOOR",
                                               seq.c.year == year)).first() is None:
            conn.execute(insert(seq).values(business_id=business_id, series="FLOOR", year=year, next_value=1))
    amounts = Decimal("555000")
    started = time.perf_counter()
    for doc_id in ids:
        with rt.db._write_engine.begin() as conn:
            if reads:
                draft = conn.execute(select(*[c for c in doc_t.c if c.name not in ("pdf", "xml")])
                                     .where(doc_t.c.id == doc_id, doc_t.c.business_id == business_id)
                                     .with_for_update()).one()
                lines = conn.execute(select(line_t).where(line_t.c.document_id == doc_id,
                                                          line_t.c.business_id == business_id)
                                     .order_by(line_t.c.position)).all()
                assert draft.state == "draft" and len(lines) == len(LINES)
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
    return len(ids) / (time.perf_counter() - started)


def invoice_issue(quick: bool, backend: str = "sqlite") -> list[dict]:
    """Issue throughput (number + totals + stored XML, no PDF), SQLite and PostgreSQL, beside the
    draft's reads and the same writes in Core (and, as a second row, beside the writes alone);
    with the SQL statements per document of each side."""
    rounds = 5 if quick else 7
    per_round = 8 if quick else 60
    backends = ["sqlite"] + (["postgresql"] if pg_url_if_reachable() else [])
    rows = []
    for name in backends:
        with temp_database(name, "einvoice") as (url, folder):
            rt = bench_runtime(url, folder)
            counter = StatementCounter(rt.db.engine)
            try:
                business_id = _business(rt)
                warm = _drafts(rt, business_id, 4)
                _issue_rate(rt, business_id, warm[:2])
                xml = _stored_xml(rt, business_id, warm[0])
                _floor_rate(rt, business_id, warm[2:], xml)
                subject_ids = iter([_drafts(rt, business_id, per_round) for _ in range(rounds)])
                floor_ids = iter([_drafts(rt, business_id, per_round) for _ in range(rounds)])
                writes_ids = iter([_drafts(rt, business_id, per_round) for _ in range(rounds)])
                counted = {"subject": 0, "floor": 0, "writes": 0}
                writes_only = []

                def counted_run(side, fn):
                    with counter:
                        rate = fn()
                    counted[side] += counter.count
                    return rate

                def floors_run():
                    # The fair floor is the row's floor; the old writes-only floor runs right after it.
                    rate = counted_run("floor", lambda: _floor_rate(rt, business_id, next(floor_ids), xml))
                    writes_only.append(counted_run("writes", lambda: _floor_rate(
                        rt, business_id, next(writes_ids), xml, reads=False)))
                    return rate
                values, floors = interleave(
                    lambda: counted_run("subject", lambda: _issue_rate(rt, business_id, next(subject_ids))),
                    floors_run, rounds)
            finally:
                counter.close()
                rt.db.dispose()
        documents = per_round * len(values)
        params = {"documents_per_round": per_round, "lines_per_document": len(LINES), "xml_bytes": len(xml),
                  "pdf": False, "transaction_per_document": True}
        rows.append(result("invoice_issue", 0, "documents/s", 0, "documents/s (Core reads + writes)", name,
                           params, values=values, floors=floors,
                           statements={"subject": round(counted["subject"] / documents, 1),
                                       "floor": round(counted["floor"] / documents, 1)}))
        rows.append(result("invoice_issue.writes_floor", 0, "documents/s", 0, "documents/s (Core writes only)",
                           name, dict(params, floor="the writes without the draft's reads (the floor until "
                                                    "2026-12-01)"), values=values, floors=writes_only,
                           statements={"subject": round(counted["subject"] / documents, 1),
                                       "floor": round(counted["writes"] / documents, 1)}))
    return rows


# ---------------------------------------------------------------- PDF

# About 42 table rows fit a page of the default template.
ROWS_PER_PAGE = 42
_SAMPLES = {
    "latin": ("en", "EUR", "Acme Trading B.V.", ["Laptop computer 15 inch", "Wireless mouse", "Installation service"]),
    "cjk": ("zh", "CNY", "上海华东贸易有限公司", ["笔记本电脑15英寸", "无线鼠标", "安装和培训服务"]),
}


def sample_document(script: str = "latin", pages: int = 1, number: int = 1):
    """An issued-looking invoice of about ``pages`` pages in a Latin or CJK language."""
    language, currency, buyer_name, names = _SAMPLES[script]
    lines = []
    for i in range(max(1, pages * ROWS_PER_PAGE - 25)):
        quantity, price = Decimal(1 + i % 4), Decimal("120.50")
        net = quantize(quantity * price, currency)
        lines.append(SimpleNamespace(position=i + 1, description=f"{names[i % 3]} #{i + 1}", quantity=quantity,
                                     unit="C62", unit_price=price, discount_percent=Decimal(0),
                                     tax_rate=Decimal("0.13"), tax_category="S", net_amount=net,
                                     tax_amount=quantize(net * Decimal("0.13"), currency), sku=None))
    subtotal = sum((line.net_amount for line in lines), Decimal(0))
    tax = sum((line.tax_amount for line in lines), Decimal(0))
    seller = dict(legal_name="Muster Handel GmbH", tax_id="DE136695976", country="DE", address="Hauptstraße 1",
                  city="Berlin", postal_code="10115", email="rechnung@muster.de")
    buyer = dict(kind="company", name=buyer_name, country="CN" if script == "cjk" else "NL", address="1 Main St",
                 city="City", email="ap@example.com")
    return SimpleNamespace(
        id=number, type="vat_invoice", state="issued", number=number, display_number=f"INV-2026-{number:06d}",
        series="INV", year=2026, issue_date=date(2026, 3, 14), due_date=date(2026, 4, 13),
        payment_terms="Net 30 days", early_discount_percent=Decimal(2), early_discount_days=10, customer_po="PO-1",
        currency=currency, exchange_rate=Decimal(1), language=language, seller=seller, buyer=buyer,
        payment_method="bank_transfer", notes="", subtotal=subtotal, tax_total=tax, total=subtotal + tax,
        rounding="line", lines=lines, corrects=None, correction_reason=None, buyer_agreement_ref=None,
        buyer_agreement_date=None,
    )


def _plain_html(document) -> str:
    from core.pdf import render_html

    from addons.einvoice.rendering.pdf import BusinessStyle, document_context, search_paths
    style = BusinessStyle()
    html, _ = render_html(f"einvoice/pdf/{document.type}.html", document_context(document, style),
                          search_paths=search_paths(style))
    return html


def _timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def pdf_render(quick: bool) -> list[dict]:
    """Median and p95 render time of render_document_pdf vs plain xhtml2pdf on the same HTML, the
    two alternating render by render; one row per script, page count and statistic."""
    from xhtml2pdf import pisa

    from core.pdf import register_fonts

    from addons.einvoice.rendering.pdf import render_document_pdf
    register_fonts()
    rows = []
    for script in ("latin", "cjk"):
        for pages in (1, 10):
            runs = (5 if pages == 1 else 5) if quick else (20 if pages == 1 else 7)
            doc = sample_document(script, pages)
            html = _plain_html(doc)
            render_document_pdf(doc, time_limit=600)  # warm caches before timing either side
            ours, floor = interleave(lambda: _timed(lambda: render_document_pdf(doc, time_limit=600), 1)[0],
                                     lambda: _timed(lambda: pisa.pisaDocument(html, dest=io.BytesIO()), 1)[0],
                                     runs)
            for stat, pick in (("median", statistics.median), ("p95", _p95)):
                value, base = pick(ours) * 1000, pick(floor) * 1000
                row = result(f"pdf_render.{script}.{pages}p.{stat}", value, "ms", base,
                             "ms (plain xhtml2pdf, same HTML)", "xhtml2pdf",
                             {"stat": stat, "pages": pages, "script": script, "runs": runs,
                              "lines": len(doc.lines)}, higher_is_better=False)
                if stat == "median":
                    row = result(row["name"], 0, "ms", 0, row["floor_unit"], "xhtml2pdf", row["params"],
                                 higher_is_better=False, values=[t * 1000 for t in ours],
                                 floors=[t * 1000 for t in floor])
                rows.append(row)
    return rows


def _render_one(args) -> int:
    from addons.einvoice.rendering.pdf import render_document_pdf
    script, number = args
    return len(render_document_pdf(sample_document(script, 1, number), time_limit=600))


def pdf_bulk(quick: bool) -> list[dict]:
    """Documents per second rendering a batch with 2 worker processes vs 1 process, alternating."""
    from core.pdf import register_fonts
    register_fonts()
    rounds = 5
    count = 4 if quick else 16
    jobs = [("cjk" if i % 2 else "latin", i + 1) for i in range(count)]
    _render_one(jobs[0])  # warm this process (the floor) and, through fork, the workers

    def single():
        started = time.perf_counter()
        for job in jobs:
            _render_one(job)
        return count / (time.perf_counter() - started)
    context = multiprocessing.get_context("fork")
    sizes = []
    with context.Pool(2) as pool:
        pool.map(_render_one, jobs[:2])  # both workers warm

        def double():
            started = time.perf_counter()
            sizes.extend(pool.map(_render_one, jobs, chunksize=1))
            return count / (time.perf_counter() - started)
        values, floors = interleave(double, single, rounds)
    if not all(size > 1000 for size in sizes):
        raise RuntimeError("pdf_bulk: a worker returned an empty PDF")
    return [result("pdf_bulk", 0, "documents/s", 0, "documents/s (1 process)", "xhtml2pdf",
                   {"processes": 2, "documents_per_round": count, "pages": 1, "scripts": "latin+cjk",
                    "cpus": multiprocessing.cpu_count()}, values=values, floors=floors)]


BENCHMARKS = [invoice_issue, pdf_render, pdf_bulk]
