"""Screens: the CFDI on the einvoice document page, cancelling it from there, the lists and the CSD form."""
from __future__ import annotations

from tests.addons.sales.test_document_page import _part
from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures

from .csd_helpers import PASSWORD, make_csd
from .conftest import RFC


def test_document_page_links_the_cfdi_and_cancels_it(mx, make_user, client_for):  # noqa: F811
    doc_id = mx.issue(mx.draft())
    mx.run_jobs("einvoice.submit")
    row = mx.cfdi(doc_id)
    client = client_for(make_user(mx.business))
    page = client.get(f"/admin/einvoice_document/details/?id={doc_id}").get_data(as_text=True)
    assert row.uuid in _part(page, "doc-related") and "Cancel CFDI at SAT" in _part(page, "doc-actions")
    refused = client.post(f"/admin/einvoice_mx_cfdi/cancel/?id={row.id}", {"motive": "01"})
    assert refused.status_code == 302
    assert mx.cfdi(doc_id).state == "stamped"          # 01 without its replacement changes nothing
    done = client.post(f"/admin/einvoice_mx_cfdi/cancel/?id={row.id}",
                       {"motive": "02", "back": f"/admin/einvoice_document/details/?id={doc_id}"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"details/?id={doc_id}")
    assert mx.cfdi(doc_id).state == "cancel_requested"
    for url in ("/admin/einvoice_mx_cfdi/", f"/admin/einvoice_mx_cfdi/details/?id={row.id}",
                "/admin/einvoice_mx_csd/", "/admin/einvoice_mx_product/", "/admin/einvoice_mx_partner/"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert row.uuid in client.get("/admin/einvoice_mx_cfdi/").get_data(as_text=True)


def test_cancel_needs_its_permission(mx, make_user, client_for):  # noqa: F811
    doc_id = mx.issue(mx.draft())
    mx.run_jobs("einvoice.submit")
    row = mx.cfdi(doc_id)
    client = client_for(make_user(mx.business, permissions=("einvoice_mx.cfdi.read", "einvoice.document.read")))
    assert client.post(f"/admin/einvoice_mx_cfdi/cancel/?id={row.id}", {"motive": "02"}).status_code == 403
    assert mx.cfdi(doc_id).state == "stamped"


def test_csd_upload_form_keeps_the_key_secret(runtime, make_user, client_for):  # noqa: F811
    import io
    from .conftest import build_mx_shop
    shop = build_mx_shop(runtime, csd=False)
    client = client_for(make_user(shop.business))
    cer, key = make_csd(RFC, "ESCUELA KEMPER URGATE", "30001000000500005555")
    bad = client.post("/admin/einvoice_mx_csd/new/", {"certificate": (io.BytesIO(cer), "a.cer"),
                                                       "key": (io.BytesIO(key), "a.key"), "password": "nope"},
                      content_type="multipart/form-data")
    assert "cannot be opened with this password" in bad.get_data(as_text=True)
    client.post("/admin/einvoice_mx_csd/new/", {"certificate": (io.BytesIO(cer), "a.cer"),
                                                "key": (io.BytesIO(key), "a.key"), "password": PASSWORD},
                content_type="multipart/form-data")
    listing = client.get("/admin/einvoice_mx_csd/").get_data(as_text=True)
    assert "30001000000500005555" in listing and PASSWORD not in listing
