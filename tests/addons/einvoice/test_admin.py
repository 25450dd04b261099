"""Admin screens: list with filters, new draft, detail actions, PDF/XML, bulk, gap report, confirm page."""
from __future__ import annotations

from sqlalchemy import select

from addons.einvoice.services import sending
from addons.einvoice.models import Delivery, Document
from core.models import OutboxJob
from tests.web.conftest import Client, app, client, client_for, make_user  # noqa: F401  fixtures


def _admin(shop, make_user, client_for, permissions=("*",)):
    return client_for(make_user(shop.business, permissions=permissions))


def test_document_list_filters_and_detail(shop, make_user, client_for):
    doc_id = shop.draft()
    shop.issue(doc_id)
    c = _admin(shop, make_user, client_for)
    page = c.get("/admin/einvoice_document/")
    assert page.status_code == 200 and "INV-" in page.get_data(as_text=True)
    for query in ("flt0_0=issued", "flt1_1=sales_invoice", "flt2_2=INV", "search=INV-2026-000001",
                  "flt4_4=Công ty Cổ phần Phần mềm Đông Á", "sort=1&desc=1"):
        assert c.get(f"/admin/einvoice_document/?{query}").status_code == 200, query
    detail = c.get(f"/admin/einvoice_document/details/?id={doc_id}").get_data(as_text=True)
    assert "Submissions" in detail and "Cancel (issue a full credit note)" in detail
    xml = c.c.get(f"/admin/einvoice_document/xml/?id={doc_id}")
    assert xml.status_code == 200 and xml.data.startswith(b"<?xml")
    pdf = c.c.get(f"/admin/einvoice_document/pdf/?id={doc_id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")


def test_new_draft_issue_and_cancel_through_the_admin(shop, make_user, client_for):
    c = _admin(shop, make_user, client_for)
    assert c.get("/admin/einvoice_document/draft/").status_code == 200
    bad = c.post("/admin/einvoice_document/draft/", {"type": "sales_invoice", "buyer_name": "Lan", "buyer_country": "VN",
                                                     "buyer_kind": "person", "lines": "Tea | two | 1000"})
    assert bad.status_code == 200 and "line 1 quantity" in bad.get_data(as_text=True)
    made = c.post("/admin/einvoice_document/draft/", {"type": "sales_invoice", "buyer_name": "Lan", "buyer_kind": "person",
                                                      "buyer_country": "VN", "lines": "Tea | 2 | 1000 | 10\nCake | 1 | 500 | exempt"})
    assert made.status_code == 302
    with shop.session() as s:
        doc = s.scalar(select(Document).where(Document.buyer_name == "Lan"))
        assert doc.total == 2700 and doc.state == "draft"
    issued = c.post(f"/admin/einvoice_document/act/?id={doc.id}", {"act": "issue"})
    assert issued.status_code == 302 and shop.doc(doc.id).state == "issued"
    refused = c.post(f"/admin/einvoice_document/act/?id={doc.id}", {"act": "cancel", "reason": ""}, follow_redirects=True)
    assert "needs its reason" in refused.get_data(as_text=True) and shop.doc(doc.id).state == "issued"
    c.post(f"/admin/einvoice_document/act/?id={doc.id}", {"act": "cancel", "reason": "Customer changed mind"})
    assert shop.doc(doc.id).state == "cancelled"


def test_bulk_issue_and_send_queue_jobs(shop, make_user, client_for, run_jobs):
    ids = [shop.draft() for _ in range(3)]
    c = _admin(shop, make_user, client_for)
    c.post("/admin/einvoice_document/action/", {"action": "bulk_issue", "rowid": [str(i) for i in ids]})
    run_jobs(shop.id)
    assert {shop.doc(i).state for i in ids} == {"issued"}
    c.post("/admin/einvoice_document/action/", {"action": "bulk_send", "rowid": [str(i) for i in ids]})
    run_jobs(shop.id)
    assert {shop.doc(i).state for i in ids} == {"sent"}
    progress = c.get("/admin/einvoice_progress/").get_data(as_text=True)
    assert "einvoice.issue_document" in progress and "einvoice.send_document" in progress
    gaps = c.get("/admin/einvoice_gaps/").get_data(as_text=True)
    assert "INV" in gaps and "none" in gaps


def test_permissions_and_tenancy(shop_factory, make_user, client_for):
    mine, other = shop_factory(), shop_factory()
    theirs = other.draft()
    c = _admin(mine, make_user, client_for)
    assert c.get(f"/admin/einvoice_document/details/?id={theirs}").status_code == 404
    assert c.post(f"/admin/einvoice_document/act/?id={theirs}", {"act": "issue"}).status_code == 404
    assert other.doc(theirs).state == "draft"
    reader = _admin(mine, make_user, client_for, permissions=("einvoice.document.read",))
    own = mine.draft()
    assert reader.get("/admin/einvoice_document/").status_code == 200
    assert reader.post(f"/admin/einvoice_document/act/?id={own}", {"act": "issue"}).status_code == 403
    assert mine.doc(own).state == "draft"


def test_public_confirm_page(shop, runtime, app):  # noqa: F811
    doc_id = shop.draft()
    shop.issue(doc_id)
    with shop.tx() as s:
        delivery_id = sending.send_document(s, doc_id).id
    url = sending.confirm_url(runtime, shop.id, delivery_id).split("://", 1)[1].split("/", 1)[1]
    c = Client(app.test_client())
    page = c.get("/" + url)
    assert page.status_code == 200 and "INV-" in page.get_data(as_text=True)
    assert shop.doc(doc_id).state == "sent"  # a GET (a link scanner) confirms nothing
    assert c.post("/" + url).status_code == 200
    assert shop.doc(doc_id).state == "delivered"
    with shop.session() as s:
        assert s.get(Delivery, delivery_id).confirmed_at is not None
    assert c.get("/einvoice/confirm/forged").status_code == 400
