"""Submissions to e-invoice providers: at most once at the provider, never lost.

States: pending -> sending -> accepted | rejected, with unknown when an attempt
could not tell whether the provider received the document.

1. ``request_submission`` writes the Submission row, with its idempotency key,
   and enqueues the job in the caller's transaction: the key is committed before
   any outside call.
2. The job (``run_submission``) marks the row ``sending`` and commits; only then
   calls the provider.
3. If an earlier attempt got as far as ``sending`` or ``unknown`` (timeout,
   crash, 5xx, a killed worker), the provider may hold the document already, so
   the job first looks the key up, and only sends when the provider says it
   never received it.
4. A timeout leaves the row ``unknown`` and the job retries; while a submission
   of a document is pending, sending or unknown, no new one may be requested.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.db import utcnow
from core.errors import UserError
from core.i18n import _
from core.jobs import enqueue

from ..models import SUBMISSION_STATE_LABELS, Document, Submission
from ..providers import OutcomeUnknown, ProviderResult, instantiate, provider_code_for, provider_options
from . import documents

OPEN_STATES = ("pending", "sending", "unknown")
# An unknown submission with this note was received by the provider and waits for its decision.
PROCESSING_NOTE = "received by the provider, not decided yet"
# Accepted submissions are asked about for this long (codes that come later, a cancellation at the authority).
PULL_DAYS = 30
# Longer than any provider call may take (adapters use shorter HTTP timeouts).
LEASE_SECONDS = 120
ACTION_OF_TYPE = {"replacement_invoice": "replace", "adjustment_invoice": "adjust"}


class SubmissionPending(Exception):
    """The outcome is not known yet (unknown, or processing at the provider): the job retries later."""


def action_for(doc: Document) -> str:
    if doc.type == "credit_note" and doc.full_correction:
        return "cancel"
    return ACTION_OF_TYPE.get(doc.type, "submit")


def request_submission(session, doc: Document, action: str | None = None) -> Submission:
    """Record a submission of ``doc`` and enqueue its job (both commit with the caller)."""
    if doc.state == "draft":
        raise UserError(_("%(doc)s is a draft; issue it before submitting it", doc=doc.label))
    open_one = session.scalar(select(Submission).where(Submission.document_id == doc.id,
                                                       Submission.state.in_(OPEN_STATES)).limit(1))
    if open_one is not None:
        raise UserError(_("%(doc)s: submission #%(id)s is still %(state)s; wait for it (an unknown one is "
                          "settled by looking it up) before submitting again", doc=doc.label, id=open_one.id,
                          state=str(SUBMISSION_STATE_LABELS.get(open_one.state, open_one.state)).lower()))
    code, _options = provider_code_for(session, doc.type, documents.settings(session)["provider"])
    sub = Submission(document_id=doc.id, provider=code, action=action or action_for(doc), state="pending",
                     idempotency_key=f"{doc.business_id}-{doc.id}-{uuid.uuid4().hex}")
    session.add(sub)
    session.flush()
    enqueue(session, "einvoice.submit", submission_id=sub.id)
    return sub


def resubmit(session, document_id: int) -> Submission:
    """A new submission after a rejection (fix the cause with a correction first where needed)."""
    doc = documents.get_document(session, document_id, lines=False)
    return request_submission(session, doc)


def recheck(session, submission_id: int) -> Submission:
    """Run an unknown submission's job again now: it looks the key up before anything else."""
    sub = session.scalar(select(Submission).where(Submission.id == submission_id))
    if sub is None:
        raise UserError(_("no submission #%(id)s", id=submission_id))
    if sub.state not in ("unknown", "sending"):
        raise UserError(_("submission #%(id)s is %(state)s; only unknown ones are looked up again", id=sub.id,
                          state=str(SUBMISSION_STATE_LABELS.get(sub.state, sub.state)).lower()))
    enqueue(session, "einvoice.submit", submission_id=sub.id)
    return sub


# ---------------------------------------------------------------- the job

def run_submission(runtime, business_id: int, submission_id: int) -> str:
    """One attempt; returns the state reached. Safe to run again at any point, any number of times."""
    with runtime.transaction(business_id) as session:
        sub = session.scalar(select(Submission).where(Submission.id == submission_id).with_for_update())
        if sub is None:
            raise UserError(f"no submission #{submission_id}")
        if sub.state in ("accepted", "rejected"):
            return sub.state
        now = utcnow()
        if sub.state == "sending" and sub.lease_until is not None and _aware(sub.lease_until) > now:
            raise SubmissionPending(f"submission #{submission_id}: another attempt is talking to the provider")
        look_up_first = sub.state in ("sending", "unknown")
        sub.state, sub.attempts = "sending", sub.attempts + 1
        sub.lease_until = now + timedelta(seconds=LEASE_SECONDS)
        key, action, code, doc_id = sub.idempotency_key, sub.action, sub.provider, sub.document_id
        provider = _own_provider(runtime, session, business_id, sub)
    # committed: from here on the provider may receive the document under ``key``
    with runtime.session(business_id) as session:
        doc = session.scalar(select(Document).where(Document.id == doc_id)
                             .options(selectinload(Document.lines), selectinload(Document.corrects)))
        doc.pdf, doc.xml  # load the deferred files while the session is open
    try:
        result = provider.lookup(key) if look_up_first else None
        if result is None:
            problems = provider.validate(doc)
            if problems:
                result = ProviderResult("rejected", reason="; ".join(problems))
            else:
                result = getattr(provider, action)(doc, key)
    except OutcomeUnknown as exc:
        _record_unknown(runtime, business_id, submission_id, str(exc))
        raise SubmissionPending(f"submission #{submission_id}: outcome unknown ({exc}); "
                                f"the next attempt looks it up by key") from exc
    return record_result(runtime, business_id, submission_id, result)


def _own_provider(runtime, session, business_id: int, sub: Submission):
    """The provider the submission was made with, with that provider's own options."""
    doc_type = session.scalar(select(Document.type).where(Document.id == sub.document_id))
    return instantiate(runtime, session, business_id, sub.provider,
                       provider_options(session, sub.provider, doc_type))


def _record_unknown(runtime, business_id, submission_id, error):
    with runtime.transaction(business_id) as session:
        sub = session.scalar(select(Submission).where(Submission.id == submission_id).with_for_update())
        if sub.state == "sending":
            sub.state, sub.last_error, sub.lease_until = "unknown", error[:2000], None


def record_result(runtime, business_id: int, submission_id: int, result: ProviderResult) -> str:
    """Store the provider's answer; a settled submission never changes again."""
    with runtime.transaction(business_id) as session:
        sub = session.scalar(select(Submission).where(Submission.id == submission_id).with_for_update())
        if sub.state in ("accepted", "rejected"):
            return sub.state
        sub.lease_until = None
        if result.status == "processing":
            sub.state = "unknown"
            sub.authority_uuid = result.authority_uuid or sub.authority_uuid
            sub.last_error = PROCESSING_NOTE
        else:
            sub.state = result.status
            sub.authority_code, sub.authority_uuid = result.authority_code, result.authority_uuid
            sub.reason, sub.settled_at = result.reason, utcnow()
        state = sub.state
    if state == "unknown":
        raise SubmissionPending(f"submission #{submission_id}: still processing at the provider")
    return state


def _aware(value):
    from datetime import timezone
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def open_submissions(session, older_than_seconds: int = 600) -> list[int]:
    """Unknown submissions, and sending ones whose lease expired: what the scheduled recheck looks up."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(select(Submission.id).where(
        ((Submission.state == "unknown") & (Submission.updated_at < cutoff)) |
        ((Submission.state == "sending") & (Submission.lease_until < utcnow())))
        .order_by(Submission.id).limit(500)))


def history(session, document_id: int) -> list[Submission]:
    return list(session.scalars(select(Submission).where(Submission.document_id == document_id)
                                .order_by(Submission.id)))


# ---------------------------------------------------------------- the scheduled status pull

def pull_statuses(session) -> int:
    """Enqueue one status pull per submission the provider may still say something about.

    Those received but not decided (processing) and those accepted in the last
    ``PULL_DAYS`` days; each pull job asks the submission's own provider.
    """
    since = utcnow() - timedelta(days=PULL_DAYS)
    ids = list(session.scalars(select(Submission.id).where(
        ((Submission.state == "unknown") & (Submission.last_error == PROCESSING_NOTE)) |
        ((Submission.state == "accepted") & (Submission.settled_at >= since)))
        .order_by(Submission.id).limit(500)))
    for submission_id in ids:
        enqueue(session, "einvoice.fetch_status", submission_id=submission_id)
    return len(ids)


def run_status_pull(runtime, business_id: int, submission_id: int) -> str:
    """Ask the provider (``fetch_status``) about one submission and record the answer; returns the state."""
    with runtime.session(business_id) as session:
        sub = session.scalar(select(Submission).where(Submission.id == submission_id))
        if sub is None:
            raise UserError(f"no submission #{submission_id}")
        provider = _own_provider(runtime, session, business_id, sub)
        session.expunge(sub)  # the provider reads it after the session is gone
    try:
        result = provider.fetch_status(sub)
    except OutcomeUnknown as exc:
        raise SubmissionPending(f"submission #{submission_id}: status pull failed ({exc})") from exc
    if result is None:
        return sub.state
    if sub.state == "accepted":
        return _refresh_accepted(runtime, business_id, submission_id, result)
    return record_result(runtime, business_id, submission_id, result)


def _refresh_accepted(runtime, business_id: int, submission_id: int, result: ProviderResult) -> str:
    """An accepted submission stays accepted; codes that arrive later are kept, any other news is noted."""
    with runtime.transaction(business_id) as session:
        sub = session.scalar(select(Submission).where(Submission.id == submission_id).with_for_update())
        if result.status == "accepted":
            sub.authority_code = result.authority_code or sub.authority_code
            sub.authority_uuid = result.authority_uuid or sub.authority_uuid
        else:
            sub.last_error = f"the provider now reports {result.status}: {result.reason or 'no reason given'}"
        return sub.state
