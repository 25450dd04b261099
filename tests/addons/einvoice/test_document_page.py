"""The fiscal document's page and einvoice's part of the order page (core.admin_document)."""
from __future__ import annotations

import re

from sqlalchemy import select

from addons.einvoice.models import Document
from tests.addons.sales.test_document_page import _part
from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_invoice_page_shows_every_part_and_its_credit_note(shop, make_user, client_for):  # noqa: F811
    email = make_user(shop.business)
    client = client_for(email)
    doc_id = shop.draft()
    page = _page(client, f"/admin/einvoice_document/details/?id={doc_id}")
    assert re.search(r'tessera-stage-current"[^>]*>Draft<', page) and ">Issue<" in _part(page, "doc-actions")
    client.post(f"/admin/einvoice_document/act/?id={doc_id}", {"act": "issue"})
    client.post(f"/admin/einvoice_document/act/?id={doc_id}", {"act": "credit", "reason": "damaged"})
    page = _page(client, f"/admin/einvoice_document/details/?id={doc_id}")
    number = shop.doc(doc_id).display_number
    assert number in _part(page, "doc-number") and "Đông Á" in _part(page, "doc-party")
    assert re.search(r'tessera-stage-done"[^>]*>Draft<', page) and re.search(r'tessera-stage-current"[^>]*>Issued<', page)
    actions = _part(page, "doc-actions")
    assert "Send to buyer" in actions and "Cancel (issue a full credit note)" in actions and ">Issue<" not in actions
    assert "Widget" in _part(page, "doc-lines") and "₫100,000" in _part(page, "doc-lines")
    totals = _part(page, "doc-totals")
    assert "₫200,000" in totals and "₫20,000" in totals and "₫220,000" in totals
    related = _part(page, "doc-related")
    assert "Correction" in related and "Credit note draft #" in related and "PDF" in related
    timeline = _part(page, "doc-timeline")
    assert "Sales invoice is now Issued" in timeline and email in timeline
    # The changes are named by the list view's labels, not by the columns' names.
    changed = set(re.findall(r"<li>([^<:]+):", timeline))
    assert changed & {"Issue date", "Series", "Payment terms", "Due date", "Year", "PDF"}
    assert not changed & {"issue date", "series", "payment terms", "due date", "year", "pdf", "display number"}
    with shop.session() as s:
        credit = s.scalar(select(Document).where(Document.corrects_id == doc_id))
    credit_page = _page(client, f"/admin/einvoice_document/details/?id={credit.id}")
    assert f"Corrects {number}: damaged" in credit_page and number in _part(credit_page, "doc-related")


def test_refused_action_other_business_and_missing_permission(shop, shop_factory, make_user, client_for):  # noqa: F811
    doc_id = shop.draft()
    shop.issue(doc_id)
    client = client_for(make_user(shop.business))
    refused = client.post(f"/admin/einvoice_document/act/?id={doc_id}", {"act": "cancel", "reason": ""},
                          follow_redirects=True).get_data(as_text=True)
    assert 'id="doc-number"' in refused and "needs its reason" in refused and shop.doc(doc_id).state == "issued"
    theirs = shop_factory().draft()
    assert client.get(f"/admin/einvoice_document/details/?id={theirs}").status_code == 404
    reader = client_for(make_user(shop.business, permissions=["einvoice.document.read", "einvoice.document.edit"]))
    page = _page(reader, f"/admin/einvoice_document/details/?id={doc_id}")
    assert "Mark paid" in page and "Send to buyer" not in page and "Cancel (issue" not in page
    reader.post(f"/admin/einvoice_document/act/?id={doc_id}", {"act": "cancel", "reason": "no"})
    assert shop.doc(doc_id).state == "issued"


def test_order_page_links_its_invoices_and_offers_to_create_one(shop, make_user, client_for):  # noqa: F811
    order_id = shop.order()
    client = client_for(make_user(shop.business))
    page = _page(client, f"/admin/sales_order/details/?id={order_id}")
    assert "Create invoice" in _part(page, "doc-actions")
    made = client.post("/admin/einvoice_document/draft/", {"order_ref": _order_number(shop, order_id),
                                                           "type": "sales_invoice"})
    assert made.status_code == 302
    page = _page(client, f"/admin/sales_order/details/?id={order_id}")
    assert "Create invoice" not in page and "Sales invoice draft #" in _part(page, "doc-related")
    with shop.session() as s:
        doc = s.scalar(select(Document).where(Document.order_id == order_id))
    assert _order_number(shop, order_id) in _part(_page(client, f"/admin/einvoice_document/details/?id={doc.id}"),
                                                  "doc-related")


def _order_number(shop, order_id):
    from addons.sales.services import get_order
    with shop.session() as s:
        return get_order(s, order_id).number


def test_order_with_a_receipt_is_not_offered_an_invoice(shop, make_user, client_for):  # noqa: F811
    """Any live fiscal document (here a receipt, not the configured invoice type) already declares
    the sale; once it is cancelled the order may be invoiced again."""
    from addons.einvoice.services.orders import create_from_order
    order_id = shop.order()
    with shop.tx() as s:
        receipt_id = create_from_order(s, order_id, "receipt").id
    shop.issue(receipt_id)
    client = client_for(make_user(shop.business))
    page = _page(client, f"/admin/sales_order/details/?id={order_id}")
    assert "Receipt" in _part(page, "doc-related") and "Create invoice" not in page
    client.post(f"/admin/einvoice_document/act/?id={receipt_id}", {"act": "cancel", "reason": "wrong buyer"})
    assert shop.doc(receipt_id).state == "cancelled"
    stages = _part(_page(client, f"/admin/einvoice_document/details/?id={receipt_id}"), "doc-stages")
    for stage, status in (("Draft", "done"), ("Issued", "done"), ("Sent", "skipped"), ("Paid", "skipped"),
                          ("Cancelled", "off")):
        assert re.search(rf'tessera-stage-{status}"[^>]*>{stage}<', stages), (stage, stages)
    assert "Create invoice" in _part(_page(client, f"/admin/sales_order/details/?id={order_id}"), "doc-actions")


def test_stage_bar_shows_a_skipped_stage_as_skipped(shop, make_user, client_for):  # noqa: F811
    """Sent, then paid without ever being marked delivered: Delivered is skipped, not done."""
    from addons.einvoice.services.documents import mark_paid
    from addons.einvoice.services.sending import send_document
    doc_id = shop.draft()
    shop.issue(doc_id)
    with shop.tx() as s:
        send_document(s, doc_id)
    with shop.tx() as s:
        mark_paid(s, doc_id)
    doc = shop.doc(doc_id)
    assert doc.state == "paid" and doc.sent_at and not doc.delivered_at
    stages = _part(_page(client_for(make_user(shop.business)), f"/admin/einvoice_document/details/?id={doc_id}"),
                   "doc-stages")
    for done in ("Draft", "Issued", "Sent"):
        assert re.search(rf'tessera-stage-done"[^>]*>{done}<', stages), (done, stages)
    assert re.search(r'tessera-stage-skipped"[^>]*>Delivered<', stages), stages
    assert re.search(r'tessera-stage-current"[^>]*>Paid<', stages), stages
