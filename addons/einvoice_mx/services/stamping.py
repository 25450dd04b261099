"""Recording a PAC's answer: the TimbreFiscalDigital of a CFDI, and SAT's view of its cancellation.

Provider adapters call these in their own short transactions (they run in
jobs, outside the business transaction); each is idempotent: recording the
same stamp twice changes nothing, and a stamp of another CFDI is refused.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import select

from core.errors import UserError

from ..models import Cfdi

NS = {"cfdi": "http://www.sat.gob.mx/cfd/4", "tfd": "http://www.sat.gob.mx/TimbreFiscalDigital"}
# SAT's EstatusCancelacion and what it means for us (consulta de estado del CFDI).
CANCEL_STATUS = {"Cancelado sin aceptación": ("cancelled", "without_acceptance"),
                 "Cancelado con aceptación": ("cancelled", "accepted"),
                 "Plazo vencido": ("cancelled", "accepted"),
                 "En proceso": ("cancel_requested", "pending"),
                 "Solicitud rechazada": ("cancel_rejected", "rejected")}


def timbre(stamped_xml: bytes) -> dict:
    root = etree.fromstring(stamped_xml)
    node = root.find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    if node is None:
        raise UserError("the PAC's answer has no TimbreFiscalDigital")
    # FechaTimbrado is Mexico City's local time (Anexo 20, TimbreFiscalDigital).
    fecha = datetime.fromisoformat(node.get("FechaTimbrado")).replace(tzinfo=ZoneInfo("America/Mexico_City"))
    return {"uuid": node.get("UUID").upper(), "fecha": fecha,
            "no_certificado_sat": node.get("NoCertificadoSAT"), "sello_cfd": node.get("SelloCFD"),
            "sello_sat": node.get("SelloSAT"), "rfc_prov": node.get("RfcProvCertif"), "sello": root.get("Sello")}


def sello_of(xml: bytes) -> str:
    return etree.fromstring(xml).get("Sello")


def record_stamp(session, cfdi_id: int, stamped_xml: bytes, pac: str) -> Cfdi:
    row = session.scalar(select(Cfdi).where(Cfdi.id == cfdi_id).with_for_update())
    facts = timbre(stamped_xml)
    if facts["sello"] != sello_of(row.signed_xml) or facts["sello_cfd"] != facts["sello"]:
        raise UserError(f"CFDI #{row.id}: the stamp returned is not of this CFDI (its Sello differs)")
    if row.uuid is not None:
        if row.uuid != facts["uuid"]:
            raise UserError(f"CFDI #{row.id} is stamped {row.uuid} already, the PAC answered {facts['uuid']}")
        return row
    row.uuid, row.stamped_at, row.sat_certificate_number = facts["uuid"], facts["fecha"], facts["no_certificado_sat"]
    row.stamped_xml, row.pac, row.state = stamped_xml, pac, "stamped"
    session.flush()
    return row


def record_cancel_status(session, cfdi_id: int, *, estado: str | None, estatus_cancelacion: str | None,
                         ack: str | None = None) -> Cfdi:
    """Move a cancellation forward from SAT's answer; a cancelled CFDI stays cancelled."""
    from core.db import utcnow
    row = session.scalar(select(Cfdi).where(Cfdi.id == cfdi_id).with_for_update())
    if estado:
        row.sat_status = estado[:40]
    if ack:
        row.cancel_ack = ack
    if row.state == "cancelled":
        return row
    if estado == "Cancelado" and not estatus_cancelacion:
        estatus_cancelacion = "Cancelado sin aceptación"
    if estatus_cancelacion:
        row.cancel_status = estatus_cancelacion[:80]
        state, acceptance = CANCEL_STATUS.get(estatus_cancelacion, (row.state, row.acceptance))
        row.state, row.acceptance = state, acceptance
        if state == "cancelled":
            row.cancelled_at = utcnow()
    session.flush()
    return row


def by_key(session, idempotency_key: str) -> Cfdi | None:
    return session.scalar(select(Cfdi).where(Cfdi.idempotency_key == idempotency_key))
