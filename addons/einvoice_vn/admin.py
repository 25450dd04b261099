"""Screens: the Vietnamese invoices issued (with their XML and notices of errors) and the symbols.

The einvoice document page links its Vietnamese invoice (``extend_document``) and
offers *Notice of errors (04/SS-HĐĐT)*: the notice is recorded and its XML downloaded.
Symbols are added with a form that goes through ``services.symbols.add_symbol`` (the
rules are checked there); a used symbol cannot be edited.
"""
from __future__ import annotations

from flask import Response, abort, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import select
from wtforms import SelectField, StringField

from core.admin import SecureModelView, ServiceForms, run_service
from core.admin_document import Action, Field, Link, extend_document
from core.i18n import _, _l

from .models import SYMBOL_DOC_TYPES, VnInvoice, VnSymbol
from .services import notices
from .services.symbols import add_symbol

NOTICE_ACTIONS = {"explain": _l("Explain (name or address only)"), "cancel": _l("Cancel (not yet sent)"),
                  "adjust": _l("Adjust"), "replace": _l("Replace")}
DOC_TYPE_CHOICES = [("vat_invoice", _l("VAT invoice")), ("sales_invoice", _l("Sales invoice")),
                    ("receipt", _l("Cash-register invoice (counter sales)"))]
assert [c for c, _label in DOC_TYPE_CHOICES] == list(SYMBOL_DOC_TYPES)


def _download(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


class VnInvoiceView(SecureModelView):
    addon = "einvoice_vn"
    permission = "einvoice_vn.invoice"
    allow_create = allow_edit = allow_delete = False
    can_view_details = True
    column_list = ("created_at", "document_id", "template", "symbol", "number", "issue_date", "kind",
                   "cash_register", "signer", "provider_number", "number_mismatch")
    column_details_list = column_list + ("provider_series", "related", "signed_at")
    column_labels = {"created_at": _l("Created"), "document_id": _l("Document"), "template": _l("Template (Mẫu số)"),
                     "symbol": _l("Symbol (Ký hiệu)"), "number": _l("Number (Số)"), "issue_date": _l("Issue date"),
                     "kind": _l("Kind"), "cash_register": _l("Cash register"), "signer": _l("Signed by"),
                     "provider_number": _l("Provider's number"),
                     "provider_series": _l("Provider's template and symbol"),
                     "number_mismatch": _l("Numbered otherwise by the provider"), "related": _l("Related invoice"),
                     "signed_at": _l("Signed at")}
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)

    @expose("/xml/")
    def xml_view(self):
        """The invoice's XML as issued (signed when it was signed)."""
        if not self.allowed("export"):
            abort(403)
        row = self.get_one(request.args.get("id", ""))
        if row is None:
            abort(404)
        return _download(row.xml, f"{row.template}{row.symbol}-{row.number:08d}.xml")

    @expose("/notice/", methods=("POST",))
    def notice_view(self):
        """Record a notice of errors (Form 04/SS-HĐĐT) and download its XML; the service says why not."""
        if not self.allowed("notice"):
            abort(403)
        row = self.get_one(request.args.get("id", ""))
        if row is None:
            abort(404)
        action, reason = request.form.get("action", ""), request.form.get("reason", "")
        done, notice = run_service(lambda s: notices.notice_of_errors(s, row.document_id, action=action,
                                                                      reason=reason))
        if done:
            return _download(notice.xml, f"04SS-{row.template}{row.symbol}-{row.number:08d}-{notice.id}.xml")
        back = request.form.get("back") or ""
        return redirect(back if back.startswith("/") and not back.startswith("//") else
                        url_for(".details_view", id=row.id))


class VnSymbolView(ServiceForms, SecureModelView):
    addon = "einvoice_vn"
    permission = "einvoice_vn.symbol"
    allow_edit = allow_delete = False
    service_create = staticmethod(add_symbol)
    column_list = ("doc_type", "template", "code", "type_letter", "mark", "active")
    column_labels = {"doc_type": _l("Document type"), "template": _l("Template (Mẫu số)"),
                     "code": _l("With or without the tax authority's code"), "type_letter": _l("Invoice kind letter"),
                     "mark": _l("Seller's letters"), "active": _l("Active")}
    column_sortable_list = ()
    form_excluded_columns = ("business", "created_at", "updated_at", "doc_type", "template", "code", "type_letter",
                             "mark", "active")
    form_extra_fields = {
        "doc_type": SelectField(_l("Document type"), choices=DOC_TYPE_CHOICES),
        "symbol": StringField(_l("Template and symbol"), description=_l("e.g. 1C26TAA; the year part follows "
                                                                         "each issue date")),
    }


def _invoice_of(session, doc):
    return session.scalar(select(VnInvoice).where(VnInvoice.document_id == doc.id))


def document_links(session, doc) -> list:
    row = _invoice_of(session, doc)
    if row is None:
        return []
    return [Link(f"{row.template}{row.symbol} {row.number:08d}", url_for("einvoice_vn_invoice.details_view", id=row.id),
                 _("Vietnamese invoice"), _("signed") if row.signer else _("not signed"))]


def draft_details_action(session, doc) -> Action:
    """The draft's Vietnamese details: the buyer's personal id, the payment text, each line's nature."""
    from .screens import NATURE_LABELS
    from .services.details import PAYMENT_TEXTS, details_of
    extra = details_of(session, doc.id)
    natures = dict(extra.line_natures or {}) if extra is not None else {}
    fields = [Field("buyer_personal_id", _("Buyer's personal id (12 digits, CCCD)"),
                    value=(extra.buyer_personal_id or "") if extra is not None else ""),
              Field("buyer_contact", _("Buyer's contact person"),
                    value=(extra.buyer_contact or "") if extra is not None else ""),
              Field("payment_text", _("Payment method (HTTToan)"), "select",
                    value=(extra.payment_text or "") if extra is not None else "",
                    options=(("", _("From the order (TM/CK when not known)")),
                             *((text, text) for text in PAYMENT_TEXTS)))]
    for line in sorted(doc.lines, key=lambda ln: ln.position):
        caption = f"{line.position}. {(line.description or '')[:40]}"
        fields.append(Field(f"nature_{line.position}", caption, "select",
                            value=natures.get(str(line.position), "goods"),
                            options=tuple((code, f"{caption}: {label}") for code, label in NATURE_LABELS.items())))
    return Action(_l("Vietnamese invoice details"), url_for("einvoice_vn_details.index"), "einvoice_vn.details.edit",
                  {"document_id": doc.id, "back": url_for("einvoice_document.details_view", id=doc.id)},
                  tuple(fields), "", "outline-secondary")


def document_actions(session, doc) -> list:
    if doc.state == "draft":
        return [draft_details_action(session, doc)]
    row = _invoice_of(session, doc)
    if row is None:
        return []
    back = url_for("einvoice_document.details_view", id=doc.id)
    return [Action(_l("Notice of errors (04/SS-HĐĐT)"), url_for("einvoice_vn_invoice.notice_view", id=row.id),
                   "einvoice_vn.invoice.notice", {"back": back},
                   (Field("action", _l("What the seller does"), "select",
                          options=tuple(NOTICE_ACTIONS.items()), required=True),
                    Field("reason", _l("What is wrong"), "textarea", required=True)),
                   "", "outline-secondary")]


def document_notices(session, doc) -> list:
    row = _invoice_of(session, doc)
    if row is None or not row.number_mismatch:
        return []
    return [_("Number mismatch: the provider numbered this invoice %(theirs)s, ours is %(ours)s. The provider's "
              "number is the one the tax authority knows; check the symbol and numbering before issuing more.",
              theirs=row.number_mismatch, ours=str(row))]


def register(admin, ctx):
    admin.add_view(VnInvoiceView(VnInvoice, ctx.session, name=_l("Vietnamese invoices"),
                                 endpoint="einvoice_vn_invoice"), menu="invoicing")
    admin.add_view(VnSymbolView(VnSymbol, ctx.session, name=_l("Vietnamese invoice symbols"),
                                endpoint="einvoice_vn_symbol"), menu="settings")
    from .screens import CertificateView, DetailsView
    admin.add_view(CertificateView(name=_l("Vietnamese signing certificate"), endpoint="einvoice_vn_certificate"),
                   menu="settings")
    admin.add_view(DetailsView(name=_l("Vietnamese invoice details"), endpoint="einvoice_vn_details"),
                   menu="invoicing")
    extend_document(admin, "einvoice_document", "einvoice_vn", links=document_links, actions=document_actions,
                    notices=document_notices)
