"""The document list's filters and sorts use an index (what keeps the admin fast at a million rows)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from addons.einvoice.models import Document


@pytest.mark.parametrize("where, order", [
    (Document.state == "issued", Document.created_at.desc()),
    (Document.type == "receipt", Document.created_at.desc()),
    (Document.series == "INV", None),
    (Document.issue_date.between(date(2026, 1, 1), date(2026, 1, 31)), None),
    (Document.buyer_name == "Lan", None),
    (Document.display_number == "INV-2026-000001", None),
    (None, Document.created_at.desc()),
    (None, Document.issue_date.desc()),
])
def test_list_queries_use_an_index(runtime, where, order):
    if runtime.db.is_sqlite is False:
        pytest.skip("query plans are checked on SQLite; PostgreSQL picks plans by table size")
    stmt = select(Document.id).where(Document.business_id == 1)
    if where is not None:
        stmt = stmt.where(where)
    if order is not None:
        stmt = stmt.order_by(order)
    compiled = stmt.limit(50).compile(runtime.db.engine, compile_kwargs={"literal_binds": True})
    with runtime.db.engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
