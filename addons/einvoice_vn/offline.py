"""The offline path for Vietnam: einvoice's offline export plus the signed tax-authority XML.

einvoice's ``offline`` provider writes the document's own files (its UBL and PDF)
for manual upload. A Vietnamese invoice is uploaded to the provider's portal as
the Decision 1450 XML, which is this addon's (``VnInvoice.xml``), so ``offline_vn``
writes it beside them as ``<template><symbol>-<number>.xml``. Enabling the addon
for a Vietnamese business that has chosen no provider makes this the default.
"""
from __future__ import annotations

from addons.einvoice.providers import OfflineProvider, ProviderResult


class VnOfflineProvider(OfflineProvider):
    code = "offline_vn"
    label = "Offline, Vietnam (export the signed invoice XML for manual upload)"

    def submit(self, document, idempotency_key: str) -> ProviderResult:
        from sqlalchemy import select
        from sqlalchemy.orm import undefer
        from .models import VnInvoice
        with self.runtime.session(document.business_id) as session:
            row = session.scalar(select(VnInvoice).where(VnInvoice.document_id == document.id)
                                 .options(undefer(VnInvoice.xml)))
            name, xml = (f"{row.template}{row.symbol}-{row.number:08d}.xml", row.xml) if row else (None, None)
        if xml is not None:
            (self.folder(document.business_id) / name).write_bytes(xml)
        result = super().submit(document, idempotency_key)
        if xml is None:
            return result
        return ProviderResult(result.status, authority_code=result.authority_code,
                              reason=f"{result.reason}, {name}")
