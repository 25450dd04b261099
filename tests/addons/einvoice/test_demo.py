"""The e-invoice demo on top of the partners, catalog, warehouse and sales demos."""
import random

from sqlalchemy import func, select

from addons.catalog import demo as catalog_demo
from addons.einvoice import demo as einvoice_demo
from addons.einvoice.services import numbering
from addons.einvoice.models import Document
from addons.partners import demo as partners_demo
from addons.sales import demo as sales_demo


def test_demo_issues_documents_for_paid_orders_in_six_countries(runtime, make_business):
    biz = make_business(country="VN", addons=["einvoice"], tax_id="0100109106",
                        legal_name="Công ty TNHH Demo")
    rng = random.Random(7)
    with runtime.transaction(biz.id) as session:
        partners_demo.load(session, biz.id, rng)
        catalog_demo.load(session, biz.id, rng)
        sales_demo.load(session, biz.id, rng)
        result = einvoice_demo.load(session, biz.id, rng)
    assert {"KR", "VN", "MX", "CN", "RU", "DE"} <= set(result["countries"])
    with runtime.session(biz.id) as session:
        docs = list(session.scalars(select(Document)))
        assert len(docs) == result["documents"] >= 30
        assert {d.type for d in docs} >= {"vat_invoice", "receipt", "credit_note"}
        assert sum(1 for d in docs if d.order_id) >= 25
        assert any(d.state == "cancelled" for d in docs) and result["sent"] >= 1
        assert any(d.display_number.startswith("1C") for d in docs if d.type == "vat_invoice")
        assert all(entry["ok"] for entry in numbering.gap_report(session))
        assert session.scalar(select(func.count()).where(Document.state == "draft")) == 0
