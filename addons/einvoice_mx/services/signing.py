"""Signing at issue: the CFDI of an einvoice document is built, sealed and stored in the issuing transaction.

Subscribed (sync) to ``einvoice.document_issued``: a document the CFDI cannot
be made of (no CSD, an expired one, an RFC that is not the emisor's, a buyer
without SAT data, a rate Mexico does not have) refuses the issue with the
reason, and nothing is numbered. The Sello is RSA-SHA256 over the cadena
original that SAT's XSLT gives (satcfdi runs SAT's stylesheet), and the XML is
checked against SAT's XSDs before it is stored.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from core.errors import UserError
from core.i18n import _

from ..models import Cfdi
from ..xsd import checked_xml
from . import build, csd

# Documents that are no CFDI of their own: a counter receipt goes into the global invoice.
NOT_CFDI = ("receipt",)


def is_mexican(session) -> bool:
    from core.models import Business
    return session.get(Business, session.info["business_id"]).country == "MX"


def sign_document(session, document_id: int, *, at: datetime | None = None) -> Cfdi | None:
    """Build, seal, validate and store the CFDI of an issued document; None for a document that has none."""
    from addons.einvoice.models import Document
    from sqlalchemy.orm import selectinload
    doc = session.scalar(select(Document).where(Document.id == document_id).options(selectinload(Document.lines)))
    if doc is None or doc.type in NOT_CFDI:
        return None
    existing = session.scalar(select(Cfdi).where(Cfdi.document_id == doc.id))
    if existing is not None:
        return existing
    row = csd.active_csd(session)
    at = at or datetime.now(timezone.utc)
    signer = csd.signer_of(session, row, at=at)
    comprobante = build.comprobante_of(session, doc, legal_name=signer.legal_name or row.legal_name, at=at)
    comprobante.sign(signer)
    try:
        xml = checked_xml(comprobante)
    except Exception as exc:  # noqa: BLE001 - lxml's schema error says which attribute
        raise UserError(_("%(doc)s: the CFDI does not pass SAT's schema: %(error)s", doc=doc.label,
                          error=str(exc)[:300])) from None
    cfdi = Cfdi(document_id=doc.id, tipo=comprobante["TipoDeComprobante"], state="signed", serie=doc.series,
                folio=comprobante.get("Folio"), emisor_rfc=comprobante["Emisor"]["Rfc"],
                receptor_rfc=comprobante["Receptor"]["Rfc"], total=comprobante["Total"],
                metodo_pago=comprobante.get("MetodoPago"),
                certificate_number=signer.certificate_number, signed_xml=xml)
    session.add(cfdi)
    session.flush()
    return cfdi
