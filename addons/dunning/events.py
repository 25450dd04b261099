"""Event handlers: receivables follow einvoice's documents and sales' payments, in the same transaction."""
from __future__ import annotations

from .services import receivables


def on_document_issued(session, business_id: int, document_id: int, **_payload):
    """An invoice opens a receivable (with the order's payments so far); a credit note reduces one."""
    receivables.record_document(session, document_id)


def on_document_cancelled(session, business_id: int, document_id: int, **_payload):
    receivables.cancel_document(session, document_id)


def on_payment_registered(session, business_id: int, order_id: int, **_payload):
    """A payment or refund on an order reaches its invoices (oldest first)."""
    receivables.sync_order_payments(session, order_id)
