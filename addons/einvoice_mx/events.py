"""Event handlers: sign the CFDI of a Mexican business's document as it is issued (same transaction)."""
from __future__ import annotations

from . import rendering, tax_regime
from .services import payments, signing

# The fiscal block and QR on einvoice's PDF: registered when the addon's code loads, which the
# registry does in every process (web, worker, CLI) as it resolves these handlers.
rendering.register()
# Mexico's taxes (IEPS, withholdings) in the document's own totals, so it has the CFDI's total.
tax_regime.register()


def on_document_issued(session, business_id, document_id, **_payload):
    if signing.is_mexican(session):
        signing.sign_document(session, document_id)


def on_order_paid(session, business_id, order_id, **_payload):
    """The last payment of an order: complement every payment of its PPD invoices not complemented yet."""
    if signing.is_mexican(session):
        payments.complement_open_payments(session)
