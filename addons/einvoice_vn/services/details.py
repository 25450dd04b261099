"""What a Vietnamese draft needs beyond einvoice's fields: a buyer's personal id, line natures, payment text."""
from __future__ import annotations

import re

from sqlalchemy import select

from core.errors import UserError
from core.i18n import _

from ..models import VnDetails
from ..taxcodes import NATURE_CODES

PAYMENT_TEXTS = ("TM", "CK", "TM/CK", "Đối trừ công nợ", "Không thu tiền")
# einvoice's payment method -> the text the XML's HTTToan carries.
PAYMENT_OF_METHOD = {"cash": "TM", "bank_transfer": "CK", "card": "CK", "e_wallet": "CK", "cod": "TM"}


def set_details(session, document_id: int, *, buyer_personal_id: str | None = None, buyer_contact: str | None = None,
                line_natures: dict | None = None, payment_text: str | None = None) -> VnDetails:
    from addons.einvoice.models import Document
    doc = session.scalar(select(Document).where(Document.id == document_id))
    if doc is None:
        raise UserError(_("no e-invoice document #%(id)s in this business", id=document_id))
    if doc.state != "draft":
        raise UserError(_("%(doc)s: only a draft's Vietnamese details may change", doc=doc.label))
    from core.text import text_problem
    problems = [p for p in (text_problem(buyer_contact, "buyer_contact", max_len=200),
                            text_problem(buyer_personal_id, "buyer_personal_id", max_len=12)) if p]
    if buyer_personal_id and not re.match(r"^\d{12}$", buyer_personal_id.strip()):
        problems.append(_("buyer personal id %(value)s: 12 digits (căn cước / CCCD number)",
                          value=repr(buyer_personal_id)))
    natures = {}
    for position, nature in (line_natures or {}).items():
        if nature not in NATURE_CODES:
            problems.append(_("line %(line)s nature %(value)s: one of %(choices)s", line=position, value=repr(nature),
                              choices=", ".join(NATURE_CODES)))
        natures[str(int(position))] = nature
    if payment_text and payment_text not in PAYMENT_TEXTS:
        problems.append(_("payment method %(value)s: one of %(choices)s", value=repr(payment_text),
                          choices=", ".join(PAYMENT_TEXTS)))
    if problems:
        raise UserError("; ".join(problems))
    row = session.scalar(select(VnDetails).where(VnDetails.document_id == document_id))
    if row is None:
        row = VnDetails(document_id=document_id, line_natures={})
        session.add(row)
    row.buyer_personal_id = (buyer_personal_id or "").strip() or None
    row.buyer_contact = (buyer_contact or "").strip() or None
    row.line_natures = natures
    row.payment_text = payment_text or None
    session.flush()
    return row


def details_of(session, document_id: int) -> VnDetails | None:
    return session.scalar(select(VnDetails).where(VnDetails.document_id == document_id))


def payment_text(session, doc, details: VnDetails | None) -> str:
    """The XML's HTTToan: what the draft says, else how the order was paid, "TM/CK" when it is not known.

    A free document's ``payment_method`` is einvoice's default unless someone chose it, and an
    order without a payment yet is invoiced with a guess: both count as not known."""
    if details is not None and details.payment_text:
        return details.payment_text
    if getattr(doc, "order_id", None) is None:
        return "TM/CK"
    from addons.sales.models import Payment
    paid = session.scalar(select(Payment.id).where(Payment.order_id == doc.order_id, Payment.kind == "payment")
                          .limit(1))
    return PAYMENT_OF_METHOD.get(doc.payment_method or "", "TM/CK") if paid is not None else "TM/CK"
