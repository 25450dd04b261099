"""Enabling the addon for a Mexican business: the offline stamp until a PAC is chosen, PDFs after the stamp."""
from __future__ import annotations

from sqlalchemy import select


def on_enable(session, business_id: int) -> None:
    from addons.einvoice.models import ProviderConfig
    from addons.einvoice.providers import set_provider
    from core.jobs import binding_for
    from .signing import is_mexican
    if not is_mexican(session):
        return
    # A CFDI's PDF carries its stamp: it is rendered once stamped, not at issue.
    from core.settings import set_settings
    runtime = binding_for(session).runtime
    set_settings(session, runtime.registry, "einvoice", {"render_pdf_on_issue": False}, runtime.config["SECRET_KEY"])
    if session.scalar(select(ProviderConfig.id).where(ProviderConfig.doc_type.is_(None))) is None:
        set_provider(session, binding_for(session).runtime, doc_type=None, provider="mx_offline")
