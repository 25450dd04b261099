"""Jobs of the Mexican CFDI addon ("einvoice_mx.<name>"): the PAC calls of a cancellation and its status.

Each is safe to run twice: asking SAT twice to cancel a CFDI is answered
"already requested" (Finkok 202), and a status answer only moves a
cancellation forward.
"""
from __future__ import annotations

import uuid as uuidlib

from sqlalchemy import select

from addons.einvoice.providers import OutcomeUnknown

from core.jobs import SkipJob, enqueue

from .models import Cfdi
from .providers import PacRefused
from .services import cancel, csd, payments, stamping


def _prepare(ctx, cfdi_id: int, state: str):
    with ctx.session() as session:
        row = session.scalar(select(Cfdi).where(Cfdi.id == cfdi_id))
        if row is None or row.state != state:
            raise SkipJob(f"CFDI #{cfdi_id} is no longer {state}")
        provider = cancel.provider_for(session, ctx.runtime, row)
        facts = cancel.facts(row)
        if state == "cancel_requested" and row.cancel_status is None:
            facts["signer"] = csd.signer_of(session)
    return provider, facts


def cancel_cfdi(ctx, cfdi_id: int):
    """Send the cancellation request to the PAC that stamped the CFDI."""
    provider, facts = _prepare(ctx, cfdi_id, "cancel_requested")
    if "signer" not in facts:
        raise SkipJob(f"CFDI #{cfdi_id}: the cancellation was sent already; the status query follows it")
    try:
        answer = provider.cancel_cfdi(ctx.business_id, facts)
    except PacRefused as exc:
        with ctx.transaction() as session:
            row = session.scalar(select(Cfdi).where(Cfdi.id == cfdi_id).with_for_update())
            row.state, row.cancel_status = "stamped", str(exc)[:80]
        return
    except OutcomeUnknown:
        raise  # retried: a second request for the same UUID is answered "already requested"
    with ctx.transaction() as session:
        stamping.record_cancel_status(session, cfdi_id, estado=None,
                                      estatus_cancelacion=answer["estatus_cancelacion"] or "En proceso",
                                      ack=answer.get("ack"))


def pull_cancellations(ctx):
    """Scheduled: one status query per cancellation SAT has not settled."""
    with ctx.transaction() as session:
        for cfdi_id in cancel.to_pull(session):
            enqueue(session, "einvoice_mx.cancel_status", cfdi_id=cfdi_id)


def cancel_status(ctx, cfdi_id: int):
    """Ask SAT (through the PAC) how a cancellation stands and record it."""
    provider, facts = _prepare(ctx, cfdi_id, "cancel_requested")
    try:
        answer = provider.sat_status(ctx.business_id, facts)
    except PacRefused as exc:
        raise SkipJob(str(exc)) from exc
    with ctx.transaction() as session:
        stamping.record_cancel_status(session, cfdi_id, estado=answer.get("estado"),
                                      estatus_cancelacion=answer.get("estatus_cancelacion"))


def complement_payments(ctx):
    """Scheduled: a payment complement (CFDI P) for each payment on a PPD invoice that has none yet."""
    with ctx.transaction() as session:
        payments.complement_open_payments(session)


def stamp_cfdi(ctx, cfdi_id: int):
    """Stamp a CFDI that is no einvoice document (a payment complement), with the same key discipline.

    The key is committed on the row before the PAC is called; an attempt after a
    timeout or crash asks the PAC for the earlier stamp (``recover``) first.
    """
    with ctx.transaction() as session:
        row = session.scalar(select(Cfdi).where(Cfdi.id == cfdi_id).with_for_update())
        if row is None or row.uuid is not None:
            raise SkipJob(f"CFDI #{cfdi_id} is stamped already")
        look_up_first = row.idempotency_key is not None
        if not look_up_first:
            row.idempotency_key = f"{row.business_id}-cfdi-{row.id}-{uuidlib.uuid4().hex}"
        provider = cancel.provider_for(session, ctx.runtime, row)
        xml = session.scalar(select(Cfdi.signed_xml).where(Cfdi.id == cfdi_id))
    stamped = provider.recover(ctx.business_id, xml) if look_up_first else None
    if stamped is None:
        try:
            stamped = provider.stamp(ctx.business_id, xml)
        except PacRefused as exc:
            with ctx.transaction() as session:
                session.scalar(select(Cfdi).where(Cfdi.id == cfdi_id)).sat_status = f"PAC refused: {exc}"[:40]
            raise SkipJob(str(exc)) from exc
    with ctx.transaction() as session:
        stamping.record_stamp(session, cfdi_id, stamped, provider.code)


def global_invoice(ctx):
    """Scheduled (daily): the global invoice of the last closed period (setting ``global_invoice``)."""
    from addons.einvoice.services.documents import business_today
    from .services.global_invoice import issue_due
    from .services.signing import is_mexican
    with ctx.transaction() as session:
        if is_mexican(session):
            issue_due(session, business_today(session))
