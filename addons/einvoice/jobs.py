"""Jobs of the e-invoice addon (run as dramatiq actors "einvoice.<name>" through the outbox).

Each is a thin caller of the services, safe to run twice: a redelivered
message or a retry after a crash finds the work done and does nothing more.
"""
from __future__ import annotations

from core.jobs import SkipJob, enqueue

from .services import documents, issue, orders, return_credits, sending
from .services.submission import (SubmissionPending, open_submissions, pull_statuses, run_status_pull,
                                  run_submission)


def issue_for_order(ctx, order_id: int, doc_type: str, send: bool = True):
    """Auto-issue after payment, then e-mail the document in its own job (retryable on its own)."""
    with ctx.transaction() as session:
        doc = orders.issue_for_order(session, order_id, doc_type)
        if send and doc.sent_at is None:
            enqueue(session, "einvoice.send_document", document_id=doc.id)


def issue_document(ctx, document_id: int, send: bool = False):
    """Issue one draft (bulk issue enqueues one of these per document)."""
    with ctx.transaction() as session:
        doc = documents.get_document(session, document_id, lines=False)
        if doc.state != "draft":
            raise SkipJob(f"{doc.label} is already {doc.state}")
        doc = issue.issue_document(session, document_id)
        if send and doc.buyer.get("email"):
            enqueue(session, "einvoice.send_document", document_id=doc.id)


def send_document(ctx, document_id: int, resend: bool = False):
    with ctx.transaction() as session:
        doc = documents.get_document(session, document_id, lines=False)
        if doc.sent_at is not None and not resend:
            raise SkipJob(f"{doc.label} was already sent")
        sending.send_document(session, document_id, resend=resend)


def render_pdf(ctx, document_id: int):
    """Store the PDF of a document issued without one (write-once)."""
    with ctx.transaction() as session:
        documents.ensure_pdf(session, documents.get_document(session, document_id))


def submit(ctx, submission_id: int):
    run_submission(ctx.runtime, ctx.business_id, submission_id)


def recheck_unknown(ctx):
    """Scheduled: look up unknown submissions (and ones a dead worker left sending) so none waits forever."""
    with ctx.transaction() as session:
        for submission_id in open_submissions(session):
            enqueue(session, "einvoice.submit", submission_id=submission_id)


def pull_status(ctx):
    """Scheduled: ask each provider about its accepted and still-processing submissions (``fetch_status``)."""
    with ctx.transaction() as session:
        pull_statuses(session)


def fetch_status(ctx, submission_id: int):
    """One status pull, with the submission's own provider and that provider's options."""
    try:
        run_status_pull(ctx.runtime, ctx.business_id, submission_id)
    except SubmissionPending as exc:  # still processing: the next scheduled pull asks again
        raise SkipJob(str(exc)) from exc


def credit_return(ctx, return_credit_id: int):
    """Issue the credit note for a received return (setting ``credit_on_return``)."""
    with ctx.transaction() as session:
        return_credits.credit_return(session, return_credit_id)
