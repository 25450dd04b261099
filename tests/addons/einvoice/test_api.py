"""Invoices through the REST API: list with filters, read, PDF and UBL XML downloads, a draft's
missing XML (409), and tenancy (another business's token gets 404)."""
from __future__ import annotations

import pytest

from tests.core.api.helpers import app_for, bearer, make_world, token_for


@pytest.fixture(scope="module")
def issued(runtime):
    """A shop with e-invoicing, one paid order with its issued invoice and one draft."""
    from addons.einvoice.services.orders import create_from_order, issue_for_order
    from addons.sales.services import confirm_order, create_order_from_entry, register_payment
    world = make_world(runtime, addons=("sales", "warehouse", "einvoice"))
    with runtime.transaction(world.business.id) as session:
        made = []
        for ref in ("INV-1", "INV-2"):
            order = create_order_from_entry(session, {"channel": "web", "customer": {"code": str(world.customer_id)},
                                                      "lines": [{"sku": world.skus[0], "qty": 1}],
                                                      "external_ref": ref}).order
            confirm_order(session, order.id)
            register_payment(session, order.id, order.total, "card")
            made.append(order.id)
        invoice = issue_for_order(session, made[0], "sales_invoice", render_pdf=False)
        draft = create_from_order(session, made[1], "sales_invoice")
        ids = invoice.id, draft.id, made[0]
    return world, ids


@pytest.fixture(scope="module")
def client(runtime):
    return app_for(runtime).test_client()


def test_list_read_and_download(runtime, client, issued):
    world, (invoice_id, draft_id, order_id) = issued
    headers = bearer(token_for(runtime, world.business, scopes=["einvoice.document.read"]))
    listed = client.get("/api/v1/invoices", headers=headers).get_json()["data"]
    assert {d["id"] for d in listed} == {invoice_id, draft_id}
    drafts = client.get("/api/v1/invoices?state=draft", headers=headers).get_json()["data"]
    assert [d["id"] for d in drafts] == [draft_id]
    of_order = client.get(f"/api/v1/invoices?order_id={order_id}", headers=headers).get_json()["data"]
    assert [d["id"] for d in of_order] == [invoice_id]
    doc = client.get(f"/api/v1/invoices/{invoice_id}", headers=headers).get_json()
    assert doc["number"] and doc["total"] == "100000" and doc["lines"][0]["sku"] == world.skus[0]
    pdf = client.get(f"/api/v1/invoices/{invoice_id}/pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    xml = client.get(f"/api/v1/invoices/{invoice_id}/xml", headers=headers)
    assert xml.status_code == 200 and b"<Invoice" in xml.data and doc["number"].encode() in xml.data
    refused = client.get(f"/api/v1/invoices/{draft_id}/xml", headers=headers)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"


def test_another_business_gets_404(runtime, client, issued):
    _world, (invoice_id, _draft, _order) = issued
    other = make_world(runtime, addons=("sales", "einvoice"), prices=("1",))
    headers = bearer(token_for(runtime, other.business))
    for suffix in ("", "/pdf", "/xml"):
        assert client.get(f"/api/v1/invoices/{invoice_id}{suffix}", headers=headers).status_code == 404
    assert client.get("/api/v1/invoices", headers=headers).get_json()["data"] == []
