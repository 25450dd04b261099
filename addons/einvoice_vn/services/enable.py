"""Enabling the addon for a Vietnamese business: a template and symbol per document type; PDF after issue.

einvoice's stored XML stays einvoice's (UBL when ``store_xml`` is on): the tax
authority's XML lives in ``VnInvoice.xml``. Only ``render_pdf_on_issue`` is turned
off, for a reason: einvoice renders the PDF *before* it publishes
``einvoice.document_issued``, so a PDF rendered at issue would be written (once,
never replaced) before this addon has taken the Vietnamese number, and would lack
Mẫu số, Ký hiệu and Số. Rendered later (first download, e-mail or job), it has them.
A business that has chosen no provider gets ``offline_vn`` (einvoice's offline
export plus the signed Vietnamese XML).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

DEFAULT_SYMBOLS = {"vat_invoice": "1C{yy}TAA", "sales_invoice": "2C{yy}TAA", "receipt": "1C{yy}MAA"}


def on_enable(session, business_id: int) -> None:
    from core.jobs import binding_for
    from core.settings import get_settings, set_settings
    from ..models import VnSymbol
    from .build import is_vietnamese
    from .symbols import add_symbol
    if not is_vietnamese(session):
        return
    runtime = binding_for(session).runtime
    set_settings(session, runtime.registry, "einvoice", {"render_pdf_on_issue": False},
                 runtime.config["SECRET_KEY"])
    from addons.einvoice.models import ProviderConfig
    from addons.einvoice.providers import set_provider
    if session.scalar(select(ProviderConfig.id).limit(1)) is None and \
            get_settings(session, runtime.registry, "einvoice", runtime.config["SECRET_KEY"])["provider"] == "offline":
        set_provider(session, runtime, doc_type=None, provider="offline_vn")  # offline, with the Vietnamese XML
    have = set(session.scalars(select(VnSymbol.doc_type)))
    yy = f"{date.today().year % 100:02d}"
    for doc_type, pattern in DEFAULT_SYMBOLS.items():
        if doc_type not in have:
            add_symbol(session, doc_type=doc_type, symbol=pattern.format(yy=yy))
