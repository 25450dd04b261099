"""Stamping CFDIs through einvoice's provider framework, and the offline stamp.

``MxStampProvider`` is the part every PAC shares: ``submit`` finds the CFDI
signed at issue, commits the submission's idempotency key on it, and only then
sends the signed XML; ``lookup`` (after a timeout, a crash, a 5xx) finds the
CFDI by that key and asks the PAC for an existing stamp before anything is
sent again. A PAC adapter implements ``stamp``, ``recover``, ``cancel_cfdi`` and
``sat_status``.

``OfflineStampProvider`` is the path for the demo and tests (no network): it
writes a TimbreFiscalDigital 1.1 itself, sealed with the merchant's own CSD and
``RfcProvCertif`` AAA010101AAA (SAT's example RFC), so the document shape, the
PDF and the QR are complete. It has no fiscal validity.
"""
from __future__ import annotations

import uuid as uuidlib
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from addons.einvoice.providers import EInvoiceProvider, ProviderResult

from .models import Cfdi
from .services import stamping

OFFLINE_PAC_RFC = "AAA010101AAA"


class PacRefused(Exception):
    """The PAC answered and refused (a validation error): the submission is rejected, not retried."""


class MxStampProvider(EInvoiceProvider):
    def stamp(self, business_id: int, signed_xml: bytes) -> bytes:
        """Send the signed CFDI; the stamped XML. OutcomeUnknown on a timeout or 5xx, PacRefused on a refusal."""
        raise NotImplementedError

    def recover(self, business_id: int, signed_xml: bytes) -> bytes | None:
        """The stamped XML of a CFDI the PAC stamped earlier; None when it never did."""
        raise NotImplementedError

    def cancel_cfdi(self, business_id: int, facts: dict) -> dict:
        """Ask for the cancellation; {"estatus_cancelacion", "ack"} (facts: uuid, motive, replacement, ...)."""
        raise NotImplementedError

    def sat_status(self, business_id: int, facts: dict) -> dict:
        """SAT's view of a CFDI: {"estado", "es_cancelable", "estatus_cancelacion"}."""
        raise NotImplementedError

    # ------------------------------------------------------------ the framework's calls

    def submit(self, document, idempotency_key: str) -> ProviderResult:
        with self.runtime.transaction(document.business_id) as session:
            row = session.scalar(select(Cfdi).where(Cfdi.document_id == document.id).with_for_update())
            if row is None:
                return ProviderResult("accepted", reason="no CFDI of its own: a counter receipt goes into the "
                                                         "global invoice")
            if row.uuid is not None:
                return _accepted(row)
            row.idempotency_key = idempotency_key  # committed before the PAC hears of the CFDI
            cfdi_id, xml = row.id, row.signed_xml
        try:
            stamped = self.stamp(document.business_id, xml)
        except PacRefused as exc:
            return ProviderResult("rejected", reason=str(exc))
        return self._record(document.business_id, cfdi_id, stamped)

    def lookup(self, idempotency_key: str) -> ProviderResult | None:
        with self.runtime.session(all_businesses=True) as session:
            row = stamping.by_key(session, idempotency_key)
            if row is None:
                return None
            if row.uuid is not None:
                return _accepted(row)
            business_id, cfdi_id, xml = row.business_id, row.id, row.signed_xml
        stamped = self.recover(business_id, xml)
        if stamped is None:
            return None
        return self._record(business_id, cfdi_id, stamped)

    def fetch_status(self, submission) -> ProviderResult | None:
        return None  # a stamp does not change; cancellations are pulled by einvoice_mx's own schedule

    def _record(self, business_id: int, cfdi_id: int, stamped: bytes) -> ProviderResult:
        from core.jobs import enqueue
        with self.runtime.transaction(business_id) as session:
            row = stamping.record_stamp(session, cfdi_id, stamped, self.code)
            if row.document_id is not None:  # the PDF carries the stamp, so it is made now (write-once)
                enqueue(session, "einvoice.render_pdf", document_id=row.document_id)
            return _accepted(row)


def _accepted(row: Cfdi) -> ProviderResult:
    return ProviderResult("accepted", authority_code=row.uuid, authority_uuid=row.uuid,
                          reason=f"stamped {row.uuid} by {row.pac}")


class OfflineStampProvider(MxStampProvider):
    code = "mx_offline"
    label = "Mexico CFDI, offline stamp (demo and tests; no fiscal validity)"

    def stamp(self, business_id: int, signed_xml: bytes) -> bytes:
        from .services import csd
        with self.runtime.session(business_id) as session:
            signer = csd.signer_of(session)
        return offline_stamp(signer, signed_xml)

    def recover(self, business_id: int, signed_xml: bytes) -> bytes | None:
        return None  # an offline stamp is recorded in the step that makes it; nothing to recover

    def cancel_cfdi(self, business_id: int, facts: dict) -> dict:
        # SAT's rule of thumb, without a receiver to ask: these need no acceptance.
        without = (facts["receptor_rfc"] in ("XAXX010101000", "XEXX010101000") or facts["tipo"] in ("E", "P")
                   or facts["total"] <= 1000)
        return {"estatus_cancelacion": "Cancelado sin aceptación" if without else "En proceso", "ack": None}

    def sat_status(self, business_id: int, facts: dict) -> dict:
        # Offline, the receiver "accepts" at the first status query after asking.
        if facts["state"] == "cancel_requested":
            return {"estado": "Cancelado", "es_cancelable": "Cancelable con aceptación",
                    "estatus_cancelacion": "Cancelado con aceptación"}
        estado = "Cancelado" if facts["state"] == "cancelled" else "Vigente"
        return {"estado": estado, "es_cancelable": "Cancelable sin aceptación", "estatus_cancelacion": None}


def offline_stamp(signer, signed_xml: bytes) -> bytes:
    """The signed CFDI with a TimbreFiscalDigital 1.1 made here, sealed with ``signer`` (the merchant's CSD)."""
    from satcfdi.cfdi import CFDI
    from satcfdi.create.cfd.tfd11 import TimbreFiscalDigital
    cfdi = CFDI.from_string(signed_xml)
    fecha = datetime.now(ZoneInfo("America/Mexico_City")).replace(tzinfo=None, microsecond=0)
    tfd = TimbreFiscalDigital(proveedor=_OfflinePac(signer), uuid=str(uuidlib.uuid4()).upper(),
                              fecha_timbrado=fecha, sello_cfd=cfdi["Sello"])
    complemento = cfdi.get("Complemento") or {}
    complemento["TimbreFiscalDigital"] = tfd
    cfdi["Complemento"] = complemento
    return cfdi.xml_bytes(include_schema_location=True)


class _OfflinePac:
    """What satcfdi's TimbreFiscalDigital asks of a PAC certificate, answered by the merchant's CSD."""

    def __init__(self, signer):
        self._signer = signer
        self.rfc_pac = OFFLINE_PAC_RFC
        self.certificate_number = signer.certificate_number

    def sign_sha256(self, data: bytes) -> str:
        return self._signer.sign_sha256(data)
