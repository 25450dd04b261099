"""Event handlers: the Vietnamese invoice of a Vietnamese business's document, made as it is issued (same transaction)."""
from __future__ import annotations

from . import rendering
from .services import build

# The fiscal block on einvoice's PDF: registered when the addon's code loads (every process resolves these handlers).
rendering.register()


def on_document_issued(session, business_id, document_id, **_payload):
    if build.is_vietnamese(session):
        build.record_issue(session, document_id)
