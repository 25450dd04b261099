"""Event handlers: what the e-invoice addon does when sales tells it something."""
from __future__ import annotations

from sqlalchemy import select

from core.jobs import enqueue

from .models import Document
from .services import documents
from .services.return_credits import record_return


def on_order_paid(session, business_id: int, order_id: int, **_payload):
    """Auto-issue (setting ``auto_issue``: off, invoice, receipt) as a job, and mark issued documents paid.

    The handler only enqueues: issuing renders files and must not slow down or
    fail the payment; the job's failure is visible in the jobs list and retryable.
    """
    conf = documents.settings(session)
    for doc_id in session.scalars(select(Document.id).where(
            Document.order_id == order_id, Document.state.in_(("issued", "sent", "delivered")),
            Document.type != "credit_note")):
        documents.mark_paid(session, doc_id)
    mode = conf["auto_issue"]
    if mode == "off":
        return
    doc_type = conf["invoice_type"] if mode == "invoice" else "receipt"
    enqueue(session, "einvoice.issue_for_order", order_id=order_id, doc_type=doc_type)


def on_return_received(session, business_id: int, return_id: int, order_id: int, **_payload):
    """A return on an invoiced order: record that its invoice needs a credit note, and enqueue it."""
    record_return(session, return_id, order_id)
