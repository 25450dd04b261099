"""The fiscal document's page (invoice, credit note, ...) and einvoice's part of the order page.

The spec ``core.admin_document.DocumentPage`` renders. Buttons POST to the document
view's existing ``act`` endpoint (and "Create invoice" on an order to its ``draft``
endpoint), so the page adds no second way to change a document.
"""
from __future__ import annotations

from flask import url_for
from sqlalchemy import or_, select

from addons.sales import terms
from addons.sales.models import Order
from core.admin_document import (Action, Column, DocumentPage, Field, Header, Link, Stage, Table, Total, money,
                                 number, when)
from core.formatting import code_label
from core.i18n import LANGUAGE_NAMES, _l
from core.web.context import db
from core.web.formatting import current_locale

from . import totals
from .models import DOC_TYPE_LABELS, Document
from .services import documents, issue, sending, submission
from .services import orders as orders_service

PERM = "einvoice.document."
LINE_COLUMNS = (Column("position", "#"), Column("description", _l("Description")), Column("qty", _l("Qty"), True),
                Column("unit", _l("Unit")), Column("unit_price", _l("Unit price"), True),
                Column("discount", _l("Disc. %"), True), Column("tax", _l("Tax"), True),
                Column("net", _l("Net"), True), Column("tax_amount", _l("Tax amount"), True))
MAIL_COLUMNS = (Column("at", _l("When")), Column("to", _l("To")), Column("language", _l("Language")),
                Column("status", _l("Status")), Column("confirmed", _l("Confirmed")), Column("error", _l("Error")))
SUBMISSION_COLUMNS = (Column("provider", _l("Provider")), Column("action", _l("Action")), Column("state", _l("State")),
                      Column("code", _l("Authority code")), Column("reason", _l("Reason / error")),
                      Column("attempts", _l("Attempts"), True))
CORRECTIONS = (("cancel", _l("Cancel (issue a full credit note)"), "credit_note", None),
               ("credit", _l("Credit note (draft)"), "credit_note", _l("Partial lines: description | qty | unit price "
                                                                       "| tax % (empty: everything)")),
               ("replace", _l("Replacement (draft)"), "replacement_invoice", None),
               ("adjust", _l("Adjustment (draft)"), "adjustment_invoice", _l("Lines: description | qty (negative "
                                                                             "decreases) | unit price | tax %")))


def _rate(rate) -> str:
    return f"{number(rate * 100)}%" if rate is not None else ""


class FiscalDocument(DocumentPage):
    stages = tuple(Stage(s, label) for s, label in (("draft", _l("Draft")), ("issued", _l("Issued")),
                                                     ("sent", _l("Sent")), ("delivered", _l("Delivered")),
                                                     ("paid", _l("Paid"))))
    side_stages = (Stage("cancelled", _l("Cancelled")),)

    def document_passed(self, doc):
        """A document may jump stages (sent straight to paid, never marked delivered): its
        timestamps say which it went through, so the bar shows the others as skipped."""
        reached = {"draft"}
        if doc.issued_at or doc.state != "draft":
            reached.add("issued")
        reached |= {key for key, at in (("sent", doc.sent_at), ("delivered", doc.delivered_at),
                                        ("paid", doc.paid_at)) if at}
        return reached

    def document_header(self, doc):
        notes = []
        if doc.corrects_id:
            notes.append(_l("Corrects %(number)s: %(reason)s", number=doc.corrects.label,
                            reason=doc.correction_reason or ""))
        return Header(title=DOC_TYPE_LABELS.get(doc.type, doc.type), number=doc.label, party=doc.buyer_name,
                      party_label=_l("Buyer"),
                      dates=[(_l("Issue date"), when(doc.issue_date)), (_l("Due"), when(doc.due_date)),
                             (_l("Sent"), when(doc.sent_at)), (_l("Delivered"), when(doc.delivered_at)),
                             (_l("Paid"), when(doc.paid_at)), (_l("Cancelled"), when(doc.cancelled_at)),
                             (_l("Customer PO"), doc.customer_po),
                             (_l("Payment terms"), terms.words(doc.payment_terms, doc.early_discount_percent,
                                                               doc.early_discount_days, current_locale())),
                             (_l("Currency"), doc.currency),
                             (_l("Language"), LANGUAGE_NAMES.get(doc.language, doc.language))],
                      notes=notes)

    def _act(self, doc, name, label, permission, style="secondary", fields=(), confirm=""):
        return Action(label, self.get_url(".act_view", id=doc.id), PERM + permission, {"act": name},
                      tuple(fields), confirm, style)

    def document_actions(self, doc):
        if doc.state == "draft":
            return [self._act(doc, "issue", _l("Issue"), "issue", "primary",
                              [Field("issue_date", _l("Issue date (empty: today)"), "date")]),
                    self._act(doc, "delete", _l("Delete draft"), "delete", "outline-danger",
                              confirm=_l("Delete this draft?"))]
        to = [Field("to", _l("Other address (optional)"))]
        found = [self._act(doc, "resend", _l("Resend"), "send", fields=to) if doc.sent_at
                 else self._act(doc, "send", _l("Send to buyer"), "send", "primary", to)]
        if doc.state not in ("paid", "cancelled"):
            found.append(self._act(doc, "paid", _l("Mark paid"), "edit"))
        found.append(self._act(doc, "submit", _l("Submit to provider again"), "issue"))
        if doc.state != "cancelled" and doc.type != "credit_note":
            found += [self._correction(doc, *spec) for spec in CORRECTIONS]
        return found

    def _correction(self, doc, name, label, doc_type, lines_hint):
        required = issue.needs_buyer_agreement(db(), doc_type)
        fields = [Field("reason", _l("Reason (required)"), required=True),
                  Field("agreement_ref", _l("Buyer's agreement ref (required)") if required
                        else _l("Buyer's agreement ref (optional)"), required=required),
                  Field("agreement_date", _l("Agreement date"), "date")]
        if lines_hint:
            fields.append(Field("lines", lines_hint, "textarea"))
        style = "outline-danger" if name == "cancel" else "secondary"
        return self._act(doc, name, label, "correct", style, fields,
                         _l("Cancel this document with a full credit note?") if name == "cancel" else "")

    def document_lines(self, doc):
        cur = doc.currency
        rows = [{"position": line.position, "description": line.description, "qty": number(line.quantity),
                 "unit": code_label("unit", line.unit), "unit_price": money(line.unit_price, cur),
                 "discount": number(line.discount_percent), "tax": f"{line.tax_category} {_rate(line.tax_rate)}",
                 "net": money(line.net_amount, cur), "tax_amount": money(line.tax_amount, cur)}
                for line in doc.lines]
        return Table(_l("Lines"), LINE_COLUMNS, rows, _l("No lines."))

    def document_totals(self, doc):
        cur = doc.currency
        rows = [Total(_l("Subtotal"), money(doc.subtotal, cur))]
        rows += [Total(_l("%(category)s %(rate)s on %(base)s", category=t["category"], rate=_rate(t["rate"]),
                          base=money(t["base"], cur)), money(t["tax"], cur)) for t in totals.tax_breakdown(doc)]
        return rows + [Total(_l("Tax"), money(doc.tax_total, cur)), Total(_l("Total"), money(doc.total, cur), True)]

    def document_related(self, doc):
        session = db()
        links = []
        if doc.order_id:
            order_number = session.scalar(select(Order.number).where(Order.id == doc.order_id))
            links.append(Link(order_number, url_for("sales_order.details_view", id=doc.order_id), _l("Order")))
        others = session.scalars(select(Document).where(or_(Document.corrects_id == doc.id,
                                                            Document.id == doc.corrects_id,
                                                            Document.id == doc.cancelled_by_id))
                                 .order_by(Document.id)).all()
        links += [_link(other, _l("Corrects") if other.id == doc.corrects_id else
                        _l("Cancelled by") if other.id == doc.cancelled_by_id else _l("Correction"))
                  for other in others]
        links.append(Link(_l("PDF") if doc.state != "draft" else _l("Preview PDF"),
                          self.get_url(".pdf_view", id=doc.id), _l("File")))
        if session.scalar(select(Document.xml.is_not(None)).where(Document.id == doc.id)):
            links.append(Link("UBL XML", self.get_url(".xml_view", id=doc.id), _l("File")))
        return links

    def document_sections(self, doc):
        session = db()
        mails = [{"at": when(d["created_at"]), "to": d["to"], "language": LANGUAGE_NAMES.get(d["language"], d["language"]),
                  "status": code_label("delivery_status", d["status"]),
                  "confirmed": when(d["confirmed_at"]), "error": d["error"] or ""}
                 for d in sending.deliveries(session, doc.id)]
        subs = [{"provider": s.provider, "action": code_label("submission_action", s.action),
                 "state": code_label("submission_state", s.state), "code": s.authority_code or "",
                 "reason": s.reason or s.last_error or "", "attempts": s.attempts}
                for s in submission.history(session, doc.id)]
        return [Table(_l("E-mails"), MAIL_COLUMNS, mails, _l("Not sent yet.")),
                Table(_l("Submissions"), SUBMISSION_COLUMNS, subs, _l("None."))]


def _link(doc, kind) -> Link:
    return Link(f"{DOC_TYPE_LABELS.get(doc.type, doc.type)} {doc.label}",
                url_for("einvoice_document.details_view", id=doc.id), kind, money(doc.total, doc.currency))


# ---------------------------------------------------------------- einvoice's part of the order page

def order_links(session, order) -> list:
    """The order's invoices and credit notes."""
    docs = session.scalars(select(Document).where(Document.order_id == order.id).order_by(Document.id)).all()
    return [_link(doc, _l("Credit note") if doc.type == "credit_note" else _l("Invoice")) for doc in docs]


def order_actions(session, order) -> list:
    """"Create invoice" while the order has no live invoice or receipt (the draft opens, to check
    and issue): a second fiscal document for one sale would declare it twice."""
    doc_type = documents.settings(session)["invoice_type"]
    if order.state == "cancelled" or orders_service.live_document_for_order(session, order.id) is not None:
        return []
    return [Action(_l("Create invoice"), url_for("einvoice_document.new_view"), PERM + "create",
                   {"order_ref": order.number, "type": doc_type}, style="info")]
