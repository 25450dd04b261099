"""Cancelling a stamped CFDI with SAT's motives, and following the receiver's acceptance.

01 errors with relation: the replacing CFDI is issued first (type I, related
   with TipoRelacion 04 to the one cancelled) and its UUID is given;
02 errors without relation; 03 operation not carried out; 04 nominative
   operation included in a global invoice. Only 01 takes a replacement.

The request is recorded and a job sends it (outside calls only run in jobs);
SAT answers "Cancelado sin aceptación" at once or "En proceso" while the
receiver decides (72 hours), and the scheduled status query
(``pull_cancellations``) moves it to accepted (cancelled), rejected, or
cancelled by lapse ("Plazo vencido").
"""
from __future__ import annotations

import re

from lxml import etree
from sqlalchemy import select

from core.db import utcnow
from core.errors import FieldErrors, NotFound, UserError
from core.i18n import _
from core.jobs import enqueue

from ..models import CANCEL_MOTIVES, Cfdi
from .stamping import NS

UUID_RE = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
CANCELLABLE_STATES = ("stamped", "cancel_rejected")


def find_cfdi(session, uuid: str, field: str = "uuid") -> Cfdi:
    value = (uuid or "").strip()
    if not UUID_RE.fullmatch(value):
        raise FieldErrors([_("%(field)s: %(uuid)s is not a fiscal UUID (8-4-4-4-12 hexadecimal digits)",
                             field=field, uuid=repr(uuid))])
    row = session.scalar(select(Cfdi).where(Cfdi.uuid == value.upper()))
    if row is None:
        raise NotFound(_("%(field)s: no stamped CFDI %(uuid)s in this business", field=field, uuid=value.upper()))
    return row


def relations(xml: bytes) -> list[tuple[str, str]]:
    """(TipoRelacion, UUID) pairs a CFDI declares."""
    root = etree.fromstring(xml)
    return [(group.get("TipoRelacion"), rel.get("UUID").upper())
            for group in root.findall("cfdi:CfdiRelacionados", NS)
            for rel in group.findall("cfdi:CfdiRelacionado", NS)]


def request_cancel(session, uuid: str, motive: str, replacement: str | None = None) -> Cfdi:
    """Record the cancellation of a stamped CFDI and enqueue the job that asks for it; refuses what SAT would."""
    if motive not in CANCEL_MOTIVES:
        raise FieldErrors([_("motive: %(motive)s is not a SAT cancellation motive (01, 02, 03 or 04)",
                             motive=repr(motive))])
    row = find_cfdi(session, uuid)
    if row.state not in CANCELLABLE_STATES:
        raise UserError(_("CFDI %(uuid)s is %(state)s; only a stamped CFDI can be cancelled", uuid=row.uuid,
                          state=row.state.replace("_", " ")))
    if motive == "01":
        if not replacement:
            raise FieldErrors([_("replacement: motive 01 needs the UUID of the CFDI that replaces this one "
                                 "(issue the replacement first)")])
        new = find_cfdi(session, replacement, "replacement")
        if new.id == row.id:
            raise FieldErrors([_("replacement: a CFDI cannot replace itself")])
        if new.state != "stamped":
            raise FieldErrors([_("replacement: CFDI %(uuid)s is %(state)s; the replacement must be a valid stamped "
                                 "CFDI", uuid=new.uuid, state=new.state.replace("_", " "))])
        if ("04", row.uuid) not in relations(new.signed_xml):
            raise FieldErrors([_("replacement: CFDI %(new)s does not relate to %(old)s as its substitute "
                                 "(TipoRelacion 04)", new=new.uuid, old=row.uuid)])
        replacement = new.uuid
    elif replacement:
        raise FieldErrors([_("replacement: only motive 01 names a replacing CFDI")])
    row.state, row.cancel_motive, row.replacement_uuid = "cancel_requested", motive, replacement
    row.cancel_requested_at, row.acceptance, row.cancel_status = utcnow(), None, None
    session.flush()
    enqueue(session, "einvoice_mx.cancel_cfdi", cfdi_id=row.id)
    return row


def facts(row: Cfdi) -> dict:
    return {"uuid": row.uuid, "motive": row.cancel_motive, "replacement": row.replacement_uuid,
            "emisor_rfc": row.emisor_rfc, "receptor_rfc": row.receptor_rfc, "total": row.total, "tipo": row.tipo,
            "state": row.state}


def provider_for(session, runtime, row: Cfdi):
    """The provider that stamped the CFDI, with that provider's own options."""
    from addons.einvoice.models import Document
    from addons.einvoice.providers import instantiate, provider_options
    doc_type = session.scalar(select(Document.type).where(Document.id == row.document_id))
    return instantiate(runtime, session, row.business_id, row.pac, provider_options(session, row.pac, doc_type))


def to_pull(session) -> list[int]:
    """Cancellations SAT has not settled: what the scheduled status query asks about."""
    return list(session.scalars(select(Cfdi.id).where(Cfdi.state == "cancel_requested")
                                .order_by(Cfdi.id).limit(500)))


def describe(session, row: Cfdi) -> dict:
    from addons.einvoice.models import Document
    number = session.scalar(select(Document.display_number).where(Document.id == row.document_id))
    return {"uuid": row.uuid, "state": row.state, "tipo": row.tipo, "document": number, "serie": row.serie,
            "folio": row.folio, "emisor_rfc": row.emisor_rfc, "receptor_rfc": row.receptor_rfc,
            "total": str(row.total), "pac": row.pac, "certificate_number": row.certificate_number,
            "sat_certificate_number": row.sat_certificate_number,
            "stamped_at": row.stamped_at.isoformat() if row.stamped_at else None,
            "cancel_motive": row.cancel_motive, "replacement_uuid": row.replacement_uuid,
            "acceptance": row.acceptance, "sat_status": row.sat_status, "cancel_status": row.cancel_status,
            "cancelled_at": row.cancelled_at.isoformat() if row.cancelled_at else None}
