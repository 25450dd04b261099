"""Notices of invoices with errors (Form 04/SS-HĐĐT, Decree 123 art. 19 as amended by Decree 70/2025).

``notice_of_errors`` records a ``VnNotice`` and its XML (``TBao/DLTBao``, signed in
``DSCKS/NNT`` when a certificate is uploaded): the seller tells the tax authority
that an invoice has errors and what it does about them (``TCTBao`` 1 cancel, 2
adjust, 3 replace, 4 explain). A mistake in the buyer's name or address only,
with the tax code right, needs nothing more than this notice ("explain").
``cancel`` is allowed only for an invoice not yet sent to the buyer.
"""
from __future__ import annotations

from datetime import date

from lxml import etree
from sqlalchemy import select

from core.errors import UserError
from core.i18n import _

from .. import signing
from ..models import VnNotice
from . import certificate
from .build import invoice_of

ACTIONS = {"cancel": "1", "adjust": "2", "replace": "3", "explain": "4"}


def _sub(parent, tag, text):
    el = etree.SubElement(parent, tag)
    el.text = "" if text is None else str(text)
    return el


def notice_xml(doc, inv, *, action: str, reason: str, notice_date: date, authority_code: str | None) -> bytes:
    root = etree.Element("TBao")
    dl = etree.SubElement(root, "DLTBao", Id=f"TBao-{inv.template}{inv.symbol}-{inv.number:08d}-{action}")
    seller = doc.seller or {}
    for tag, value in (("PBan", "2.0.0"), ("MSo", "04/SS-HĐĐT"), ("Ten", "Thông báo hóa đơn điện tử có sai sót"),
                       ("Loai", "1"), ("TNNT", seller.get("legal_name")), ("MST", seller.get("tax_id")),
                       ("DDanh", seller.get("city") or seller.get("address")),
                       ("NTBao", notice_date.isoformat())):
        _sub(dl, tag, value)
    items = etree.SubElement(dl, "DSHDon")
    hd = etree.SubElement(items, "HDon")
    for tag, value in (("STT", 1), ("MCQTCap", authority_code or ""), ("KHMSHDon", inv.template),
                       ("KHHDon", inv.symbol), ("SHDon", inv.number), ("Ngay", inv.issue_date.isoformat()),
                       ("LADHDDT", 1), ("TCTBao", ACTIONS[action]), ("LDo", reason)):
        _sub(hd, tag, value)
    cks = etree.SubElement(root, "DSCKS")
    etree.SubElement(cks, "NNT")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def notice_of_errors(session, document_id: int, *, action: str, reason: str,
                     notice_date: date | None = None) -> VnNotice:
    from addons.einvoice.models import Document
    from addons.einvoice.rendering.qr import authority_answer
    from addons.einvoice.services.documents import business_today
    if action not in ACTIONS:
        raise UserError(_("action %(value)s: one of %(choices)s", value=repr(action), choices=", ".join(ACTIONS)))
    if not (reason or "").strip():
        raise UserError(_("reason: required (what is wrong on the invoice)"))
    from core.text import text_problem
    problem = text_problem(reason, "reason", multiline=True)
    if problem:
        raise UserError(problem)
    doc = session.scalar(select(Document).where(Document.id == document_id))
    inv = invoice_of(session, document_id) if doc is not None else None
    if inv is None:
        raise UserError(_("document #%(id)s: no issued Vietnamese invoice to notify about", id=document_id))
    if action == "cancel" and doc.state not in ("issued", "cancelled"):
        raise UserError(_("%(doc)s: already sent to the buyer; correct it with an adjustment or a replacement "
                          "instead of cancelling it", doc=doc.label))
    answer = authority_answer(doc)
    xml = notice_xml(doc, inv, action=action, reason=reason.strip(), notice_date=notice_date or business_today(session),
                     authority_code=answer.authority_uuid if answer else None)
    pair = certificate.signer(session)
    if pair is not None:
        xml = signing.sign(xml, *pair, data="DLTBao", place="DSCKS/NNT")
    row = VnNotice(document_id=doc.id, action=action, reason=reason.strip(),
                   notice_date=notice_date or business_today(session), xml=xml)
    session.add(row)
    session.flush()
    return row


def cancel_invoice(session, document_id: int, *, reason: str) -> tuple:
    """Cancel an invoice not yet sent to the buyer: the notice (04/SS, cancel) and einvoice's cancelling credit note."""
    from addons.einvoice.services import corrections
    notice = notice_of_errors(session, document_id, action="cancel", reason=reason)
    note = corrections.cancel(session, document_id, reason=reason)
    return notice, note
