"""E-mailing documents to buyers, and the buyer's confirmation of receipt.

The PDF (and the XML, when the document has one) goes through core.mail's
outbox in the buyer's language, with a signed link the buyer opens to confirm
receipt. Each e-mail is a ``Delivery`` row whose status is the mail's own
(queued, sent, failed) until the buyer confirms; a failed one is resent with
``send_document(..., resend=True)``.
"""
from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from core import events
from core.db import utcnow
from core.errors import UserError
from core.i18n import _
from core.mail import queue_mail
from core.models import MailMessage

from ..models import Delivery, Document
from ..rendering.formatting import DocumentFormat
from ..rendering.mail_text import mail_text
from ..rendering.wording import document_title
from . import documents

TEMPLATE = "einvoice/mail/document"
CONFIRM_SALT = "einvoice-confirm-receipt"
CONFIRM_MAX_AGE = 400 * 24 * 3600  # a buyer may confirm an invoice late; a year and a bit


def _serializer(runtime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime.config["SECRET_KEY"], salt=CONFIRM_SALT)


def confirm_token(runtime, business_id: int, delivery_id: int) -> str:
    return _serializer(runtime).dumps({"b": business_id, "d": delivery_id})


def confirm_url(runtime, business_id: int, delivery_id: int) -> str:
    return runtime.config["BASE_URL"].rstrip("/") + "/einvoice/confirm/" + confirm_token(runtime, business_id,
                                                                                           delivery_id)


def send_document(session, document_id: int, *, to: str | None = None, resend: bool = False) -> Delivery:
    """Queue the e-mail of an issued document to its buyer (or ``to``); moves it to "sent"."""
    doc = documents.get_document(session, document_id)
    if doc.state == "draft":
        raise UserError(_("%(doc)s is a draft; issue it before sending it", doc=doc.label))
    if doc.state == "cancelled" and not resend:
        raise UserError(_("%(doc)s is cancelled; send the document that cancelled it", doc=doc.label))
    if doc.sent_at is not None and not resend:
        raise UserError(_("%(doc)s was already sent; use resend to send it again", doc=doc.label))
    to = (to or doc.buyer.get("email") or "").strip()
    if not to:
        raise UserError(_("%(doc)s: the buyer %(buyer)s has no e-mail address; add one to the customer "
                          "(Contacts › Customers and suppliers)", doc=doc.label, buyer=repr(doc.buyer_name)),
                        cli_hint="or give --to")
    runtime = documents.runtime_of(session)
    conf = documents.settings(session)
    pdf = documents.ensure_pdf(session, doc)
    stem = doc.display_number.replace("/", "_")
    attachments = [(f"{stem}.pdf", "application/pdf", pdf)]
    if doc.xml is not None and conf["attach_xml"]:
        attachments.append((f"{stem}.xml", "application/xml", doc.xml))
    delivery = Delivery(document_id=doc.id, to=to, language=doc.language)
    session.add(delivery)
    session.flush()
    context = mail_context(doc, confirm_url(runtime, doc.business_id, delivery.id))
    mail = queue_mail(session, to, TEMPLATE, context, doc.language, attachments=attachments,
                      reply_to=conf["reply_to"] or doc.seller.get("email") or None,
                      reference=f"einvoice:{doc.id}")
    delivery.mail_id = mail.id
    if doc.sent_at is None:
        doc.sent_at = utcnow()
    documents.advance(doc, "sent")
    session.flush()
    events.publish(session, "einvoice.document_sent", document_id=doc.id, number=doc.display_number,
                   delivery_id=delivery.id, to=to)
    return delivery


def mail_context(doc: Document, url: str) -> dict:
    """What the mail templates print, in the document's language: its words (``mail_text``), and its
    dates and amount written the way the PDF writes them (the buyer's locale)."""
    fmt = DocumentFormat.of(doc)
    text = mail_text(fmt.language)
    return {"t": text, "type_label": document_title(doc, fmt.language, text["types"]),
            "number": doc.display_number, "issue_date": fmt.day(doc.issue_date),
            "due_date": fmt.day(doc.due_date), "total": fmt.money(doc.total), "buyer_name": doc.buyer_name,
            "seller_name": doc.seller.get("legal_name") or "", "confirm_url": url, "has_xml": doc.xml is not None}


def delivery_status(session, delivery: Delivery) -> str:
    """confirmed, or the mail's state: queued, sent, failed."""
    if delivery.confirmed_at is not None:
        return "confirmed"
    if delivery.mail_id is None:
        return "failed"
    return session.scalar(select(MailMessage.state).where(MailMessage.id == delivery.mail_id)) or "failed"


def deliveries(session, document_id: int) -> list[dict]:
    rows = session.scalars(select(Delivery).where(Delivery.document_id == document_id).order_by(Delivery.id))
    out = []
    for d in rows:
        error = session.scalar(select(MailMessage.error).where(MailMessage.id == d.mail_id)) if d.mail_id else None
        out.append({"id": d.id, "to": d.to, "language": d.language, "created_at": d.created_at,
                    "status": delivery_status(session, d), "confirmed_at": d.confirmed_at, "error": error})
    return out


def read_token(runtime, token: str) -> tuple[int, int]:
    """(business_id, delivery_id) from a confirmation link, or UserError for a forged or stale one."""
    try:
        data = _serializer(runtime).loads(token, max_age=CONFIRM_MAX_AGE)
        return int(data["b"]), int(data["d"])
    except SignatureExpired:
        raise UserError(_("This confirmation link has expired.")) from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise UserError(_("This confirmation link is not valid.")) from None


def confirm_receipt(session, delivery_id: int) -> Document:
    """The buyer confirmed: record it once; the document moves to "delivered"."""
    delivery = session.scalar(select(Delivery).where(Delivery.id == delivery_id))
    if delivery is None:
        raise UserError(_("This confirmation link is not valid."))
    doc = documents.get_document(session, delivery.document_id, lines=False)
    now = utcnow()
    if delivery.confirmed_at is None:
        delivery.confirmed_at = now
    if doc.delivered_at is None:
        doc.delivered_at = now
    documents.advance(doc, "delivered")
    session.flush()
    return doc
