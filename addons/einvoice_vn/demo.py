"""The Vietnamese demo: signed VAT and sales invoices, an adjustment and a replacement, all offline.

For the demo's Vietnamese business (``manage.py demo``): a throw-away certificate is
made now (self-signed, subject ``MST:<the business's tax code>``) and stored as the
encrypted setting; then a VAT invoice to a company, a sales invoice (template 2, not
subject to VAT) to a walk-in buyer, a cash-register invoice (symbol letter M), an
adjustment (with the buyer's agreement) and a replacement are issued through einvoice
with the offline provider (files exported, no network). Every XML is signed.

The certificate is made by ``prepare`` (``[provides] demo_prepare``), which
``manage.py demo`` runs before every addon's demo: einvoice's own demo documents
of the Vietnamese business, issued before this demo, are signed too.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select

BUYER = {"kind": "company", "name": "Công ty Cổ phần Khách Hàng", "tax_id": "0314409058", "country": "VN",
         "address": "35 Lê Lợi, Quận 1, TP Hồ Chí Minh", "email": "ketoan@khachhang.example.vn"}
WALK_IN = {"kind": "person", "name": "Nguyễn Văn An", "country": "VN", "address": "Hà Nội"}


def prepare(session, business_id, rng) -> dict:
    """The throw-away signing certificate of a Vietnamese demo business (before any demo issues)."""
    from core.jobs import addon_settings
    from core.models import Business
    from .services import certificate
    from .signing import make_test_pkcs12
    business = session.get(Business, business_id)
    if business.country != "VN" or addon_settings(session, "einvoice_vn")["certificate_p12"]:
        return {}
    password = secrets.token_urlsafe(12)
    return certificate.upload_certificate(session, make_test_pkcs12(business.legal_name or business.name,
                                                                    business.tax_id or "", password), password)


def load(session, business_id, rng) -> dict:
    from addons.einvoice.services import corrections, documents, issue
    from core.models import Business
    from .models import VnInvoice
    from .services import build, details
    business = session.get(Business, business_id)
    if business.country != "VN":
        return {}
    prepare(session, business_id, rng)  # made already when manage.py demo ran the preparations
    today = documents.business_today(session)
    last = session.scalar(select(VnInvoice.issue_date).order_by(VnInvoice.issue_date.desc()).limit(1))
    day = max(today, last or today)

    def issued(doc_type, buyer, lines, **kw):
        draft = documents.create_document(session, type=doc_type, buyer=buyer, lines=lines, currency="VND", **kw)
        return draft, issue.issue_document(session, draft.id, issue_date=day, render_pdf=False)

    _d, vat = issued("vat_invoice", BUYER, [
        {"description": "Áo thun cotton", "sku": "SP001", "quantity": "3", "unit_price": "150000", "tax_rate": "0.10"},
        {"description": "Dịch vụ giao hàng", "quantity": "1", "unit_price": "30000", "tax_rate": "0.08"}])
    _d, second = issued("vat_invoice", BUYER, [
        {"description": "Quần jean", "quantity": "2", "unit_price": "420000", "tax_rate": "0.10"}])
    draft = documents.create_document(session, type="sales_invoice", buyer=WALK_IN, currency="VND", lines=[
        {"description": "Sách giáo khoa", "quantity": "4", "unit_price": "25000", "tax_rate": None,
         "tax_category": "E"}])
    details.set_details(session, draft.id, buyer_personal_id="001203004567", payment_text="TM")
    issue.issue_document(session, draft.id, issue_date=day, render_pdf=False)
    _d, _counter = issued("receipt", {"kind": "person", "name": "Khách lẻ", "country": "VN"}, [
        {"description": "Cà phê sữa đá", "quantity": "2", "unit_price": "29000", "tax_rate": "0.08"}])
    adjustment = corrections.adjust(session, vat.id, reason="Giảm giá áo thun theo thỏa thuận", lines=[
        {"description": "Điều chỉnh giảm đơn giá Áo thun cotton", "quantity": "-3", "unit_price": "10000",
         "tax_rate": "0.10"}], agreement_ref="BB-2026-001", agreement_date=day)
    issue.issue_document(session, adjustment.id, issue_date=day, render_pdf=False)
    replacement = corrections.replace(session, second.id, reason="Sai số lượng", lines=[
        {"description": "Quần jean", "quantity": "3", "unit_price": "420000", "tax_rate": "0.10"}],
        agreement_ref="BB-2026-002", agreement_date=day)
    issue.issue_document(session, replacement.id, issue_date=day, render_pdf=False)
    session.flush()
    rows = list(session.scalars(select(VnInvoice).where(VnInvoice.signer.is_not(None))))
    return {"signed_invoices": len(rows), "kinds": sorted({r.kind for r in rows}),
            "first": str(build.invoice_of(session, vat.id))}
