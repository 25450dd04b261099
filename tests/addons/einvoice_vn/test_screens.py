"""The certificate upload form and a draft's Vietnamese details, through the Flask test client."""
from __future__ import annotations

import io

import pytest
from lxml import etree
from sqlalchemy import select

from tests.web.conftest import app, client_for, make_user  # noqa: F401  fixtures

from .conftest import PASSWORD, SELLER_TAX, build_vn_shop

CERT_URL = "/admin/einvoice_vn_certificate/"


@pytest.fixture(scope="module")
def bare(runtime):
    return build_vn_shop(runtime, certificate=False)


def _p12(password=PASSWORD, tax=SELLER_TAX):
    from addons.einvoice_vn.signing import make_test_pkcs12
    return make_test_pkcs12("Công ty TNHH Thử Nghiệm Tessera", tax, password)


def _upload(client, data, password, **kw):
    return client.post(CERT_URL, data={"p12": (io.BytesIO(data), "seller.p12"), "password": password},
                       content_type="multipart/form-data", **kw)


def _stored(shop):
    from core.jobs import addon_settings
    with shop.session() as s:
        return addon_settings(s, "einvoice_vn")["certificate_p12"]


def test_certificate_upload_form(bare, make_user, client_for):  # noqa: F811
    from core.models import SettingValue
    client = client_for(make_user(bare.business))
    page = client.get(CERT_URL)
    assert page.status_code == 200 and 'type="password"' in page.get_data(as_text=True)
    assert "certificate-none" in page.get_data(as_text=True)
    # a password that does not open the file: refused with the reason, nothing stored
    wrong = _upload(client, _p12(), "not-the-password")
    assert wrong.status_code == 200
    assert "cannot be opened with this password" in wrong.get_data(as_text=True)
    assert _stored(bare) == ""
    # not a PKCS#12 at all, and no file
    junk = _upload(client, b"this is no certificate", PASSWORD)
    assert "cannot be opened with this password" in junk.get_data(as_text=True) and _stored(bare) == ""
    empty = client.post(CERT_URL, data={"password": PASSWORD}, content_type="multipart/form-data")
    assert "file is required" in empty.get_data(as_text=True) and _stored(bare) == ""
    # another business's certificate (its tax code)
    other = _upload(client, _p12(tax="0314409058"), PASSWORD)
    assert "belongs to another tax code" in other.get_data(as_text=True) and _stored(bare) == ""
    # no CSRF token: refused before anything happens
    forged = client.c.post(CERT_URL, data={"p12": (io.BytesIO(_p12()), "seller.p12"), "password": PASSWORD},
                           content_type="multipart/form-data")
    assert forged.status_code == 400 and _stored(bare) == ""
    # the right file and password: stored encrypted; the page shows the certificate, never the password
    done = _upload(client, _p12(), PASSWORD)
    assert done.status_code == 302
    shown = client.get(CERT_URL).get_data(as_text=True)
    assert "certificate-current" in shown and "Công ty TNHH Thử Nghiệm Tessera" in shown and PASSWORD not in shown
    assert _stored(bare)
    with bare.session() as s:
        raw = {r.key: r.value for r in s.scalars(select(SettingValue).where(SettingValue.addon == "einvoice_vn"))}
    assert PASSWORD not in str(raw["certificate_password"]) and _stored(bare) not in str(raw["certificate_p12"])
    # and the next invoice is signed with it
    row = bare.invoice(bare.issue(bare.draft()))
    assert row.signer == "Công ty TNHH Thử Nghiệm Tessera"


def test_certificate_upload_needs_its_permission(bare, make_user, client_for):  # noqa: F811
    reader = client_for(make_user(bare.business, permissions=("einvoice_vn.certificate.read",)))
    assert reader.get(CERT_URL).status_code == 200
    assert _upload(reader, _p12(), PASSWORD).status_code == 403
    nobody = client_for(make_user(bare.business, permissions=("einvoice.document.read",)))
    assert nobody.get(CERT_URL).status_code == 403


def test_draft_details_on_the_document_page(bare, make_user, client_for):  # noqa: F811
    from tests.addons.sales.test_document_page import _part
    doc_id = bare.draft(doc_type="sales_invoice", buyer={"kind": "person", "name": "Trần Thị Bình", "country": "VN",
                                                         "address": "Đà Nẵng"}, lines=[
        {"description": "Sách", "quantity": "2", "unit_price": "50000", "tax_rate": None, "tax_category": "E"},
        {"description": "Bút tặng kèm", "quantity": "1", "unit_price": "0", "tax_rate": None, "tax_category": "E"},
        {"description": "Giao trong giờ hành chính", "quantity": "1", "unit_price": "0", "tax_rate": None,
         "tax_category": "E"}])
    client = client_for(make_user(bare.business))
    page = client.get(f"/admin/einvoice_document/details/?id={doc_id}").get_data(as_text=True)
    actions = _part(page, "doc-actions")
    assert "Vietnamese invoice details" in actions and 'name="nature_3"' in actions
    assert 'name="buyer_personal_id"' in actions
    back = f"/admin/einvoice_document/details/?id={doc_id}"
    bad = client.post("/admin/einvoice_vn_details/", data={"document_id": doc_id, "back": back,
                                                           "buyer_personal_id": "12345", "nature_3": "note"})
    assert bad.status_code == 302
    from addons.einvoice_vn.services.details import details_of
    with bare.session() as s:
        assert details_of(s, doc_id) is None  # refused: nothing saved
    assert "12 digits" in client.get(back).get_data(as_text=True)
    good = client.post("/admin/einvoice_vn_details/", data={
        "document_id": doc_id, "back": back, "buyer_personal_id": "001203004567", "payment_text": "CK",
        "nature_1": "goods", "nature_2": "promotion", "nature_3": "note"})
    assert good.status_code == 302 and good.headers["Location"].endswith(back)
    page = client.get(back).get_data(as_text=True)
    assert 'value="001203004567"' in page and '<option value="note" selected>' in page
    listed = client.get("/admin/einvoice_vn_details/")
    assert listed.status_code == 200 and "001203004567" in listed.get_data(as_text=True)
    junk = client.post("/admin/einvoice_vn_details/", data={"document_id": doc_id, "back": back,
                                                            "buyer_contact": "a\x00b", "nature_2": "gift"})
    assert junk.status_code == 302  # refused with the reason; what was saved stays
    with bare.session() as s:
        assert details_of(s, doc_id).line_natures == {"2": "promotion", "3": "note"}
    root = etree.fromstring(bare.invoice(bare.issue(doc_id)).xml)
    assert [h.findtext("TChat") for h in root.iter("HHDVu")] == ["1", "2", "4"]
    assert root.findtext("DLHDon/NDHDon/NMua/CCCDan") == "001203004567"
    assert root.findtext("DLHDon/TTChung/HTTToan") == "CK"
    # once issued, the details are fixed: no action, and a forged post is refused
    assert "nature_1" not in _part(client.get(back).get_data(as_text=True), "doc-actions")
    client.post("/admin/einvoice_vn_details/", data={"document_id": doc_id, "back": back, "nature_1": "note"})
    assert "only a draft" in client.get(back).get_data(as_text=True)
    limited = client_for(make_user(bare.business, permissions=("einvoice.document.read", "einvoice_vn.details.read")))
    assert limited.post("/admin/einvoice_vn_details/", data={"document_id": doc_id, "back": back}).status_code == 403
