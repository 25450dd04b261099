"""E-invoice admin: documents (list, detail with PDF/XML/submissions, actions), series with the gap
report, submissions, provider choice, bulk progress; and the public confirm-receipt page.

Views are thin: every change is a service call in the request's transaction;
a UserError rolls back and is flashed. The document list stays fast at a
million rows: no COUNT(*), every filter and sort on an index led by business_id,
search by exact number or buyer name (both indexed).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from markupsafe import Markup, escape
from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual
from sqlalchemy import func, select

from core.admin import SecureModelView, SecureView, run_service
from core.admin_document import extend_document
from core.errors import UserError
from core.formatting import register_labels
from addons.sales.models import Order
from core.i18n import LANGUAGE_NAMES, _, _l, in_language, ngettext
from core.models import OutboxJob
from core.web.context import current_business_id, current_runtime, db

from . import providers
from .forms import parse_buyer, parse_lines
from .models import (DELIVERY_STATE_LABELS, DOC_TYPE_LABELS, DOC_TYPES, PAYMENT_METHODS, STATE_LABELS, STATES,
                     SUBMISSION_ACTION_LABELS, SUBMISSION_STATE_LABELS, SUBMISSION_STATES, Delivery, Document,
                     ProviderConfig, Series, Submission)
from .page import FiscalDocument, order_actions, order_links
from .services import corrections, documents, issue, numbering, sending, submission
from .services import orders as orders_service
from .services.return_credits import pending_text

TEMPLATES = Path(__file__).parent / "templates"
# What the flash says after an action on one document ({doc} is its number).
DONE = {"issue": _l("{doc} issued."), "send": _l("{doc} sent to the buyer."), "resend": _l("{doc} sent again."),
        "paid": _l("{doc} marked paid."), "cancel": _l("{doc} cancelled with a full credit note."),
        "credit": _l("Credit note drafted for {doc}."), "replace": _l("Replacement drafted for {doc}."),
        "adjust": _l("Adjustment drafted for {doc}."), "delete": _l("{doc} deleted."),
        "submit": _l("{doc} submitted to the provider again.")}


def _choices(values, labels=None):
    return [(v, (labels or {}).get(v, v.replace("_", " ").capitalize())) for v in values]




def _date(value, label):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(_("%(field)s: %(value)s is not a date (YYYY-MM-DD)", field=label, value=repr(value))) from None


register_labels("document_type", DOC_TYPE_LABELS)
register_labels("einvoice_state", STATE_LABELS)
register_labels("submission_state", SUBMISSION_STATE_LABELS)
register_labels("submission_action", SUBMISSION_ACTION_LABELS)
register_labels("delivery_status", DELIVERY_STATE_LABELS)

# The labels and help texts of addon.toml's settings, for the catalog: the settings screen translates
# them through it (tests/addons/einvoice/test_translations.py checks this list against the manifest).
SETTING_TEXTS = (
    _l("Issue automatically when an order is paid"), _l("Invoice type issued automatically"), _l("Tax rounding"),
    _l("line: tax rounded on each line then added; total: tax computed once per rate on the taxable base"),
    _l("E-invoice provider"), _l("Code of the provider used when no provider is configured for a document type"),
    _l("Corrections need the buyer's agreement"), _l("Always required in Vietnam for adjustments and replacements"),
    _l("Store UBL XML at issue"), _l("Render the PDF when issuing"),
    _l("Off: the PDF is rendered once, later (bulk issue)"), _l("Attach the XML to e-mails"),
    _l("Reply-to address of document e-mails"), _l("Seller city"), _l("Seller postal code"), _l("Bank name"),
    _l("Bank account (IBAN)"), _l("BIC"), _l("Peppol address"),
    _l("scheme:identifier, e.g. 0088:8935012345678 (a GLN); EU sellers with a VAT number need none"),
    _l("Default payment term (days)"),
    _l("Due date of a document with an amount due and no due date or terms: issue date + days (0: on receipt)"),
    _l("Credit the invoice when a return is received"),
    _l("Issue a credit note for the returned lines; off: the order shows the invoice as not yet corrected"),
    _l("Offline (export files for manual upload)"),
)
STATE_COLOURS = {"draft": "info", "issued": "primary", "sent": "primary", "delivered": "warning",
                 "paid": "success", "cancelled": "secondary", "pending": "info", "sending": "warning",
                 "accepted": "success", "rejected": "danger", "unknown": "warning"}


class DocumentView(FiscalDocument, SecureModelView):
    addon = "einvoice"
    permission = "einvoice.document"
    allow_create = allow_edit = allow_delete = False  # drafts are made on /new/, documents change by actions
    list_template = "einvoice/web/document_list.html"
    column_list = ("display_number", "type", "state", "issue_date", "buyer_name", "buyer_country", "total",
                   "created_at")
    column_labels = {"display_number": _l("Number"), "type": _l("Type"), "state": _l("Status"),
                     "issue_date": _l("Issue date"), "buyer_name": _l("Buyer"), "buyer_country": _l("Country"),
                     "total": _l("Total"), "created_at": _l("Created"), "series": _l("Series"),
                     # not list columns: they name the changes in the document page's activity timeline
                     "number": _l("Sequence number"), "cancelled_by_id": _l("Cancelled by"), "year": _l("Year"),
                     "pdf": _l("PDF"), "xml": "XML", "issued_at": _l("Issued"), "sent_at": _l("Sent"),
                     "delivered_at": _l("Delivered"), "paid_at": _l("Paid"), "cancelled_at": _l("Cancelled"),
                     "due_date": _l("Due date"), "payment_terms": _l("Payment terms")}
    column_formatters = {"display_number": lambda v, c, m, n: m.label}
    code_columns = {"type": "document_type"}
    status_column, status_kind, status_colours = "state", "einvoice_state", STATE_COLOURS
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "issue_date", "display_number", "buyer_name")  # each indexed
    column_filters = (
        FilterEqual(Document.state, _l("State"), options=_choices(STATES, STATE_LABELS)),
        FilterEqual(Document.type, _l("Type"), options=_choices(DOC_TYPES, DOC_TYPE_LABELS)),
        FilterEqual(Document.series, _l("Series")),
        DateBetweenFilter(Document.issue_date, _l("Issue date")),
        FilterEqual(Document.buyer_name, _l("Buyer")),
    )
    column_searchable_list = ("display_number", "buyer_name")
    exact_search = True
    column_details_exclude_list = ("pdf", "xml")

    def search_placeholder(self):
        return _("Number or buyer name (exact)")

    def _require(self, action_name):
        if not self.allowed(action_name):
            abort(403)

    def _back(self, doc_id):
        return redirect(url_for(".details_view", id=doc_id))

    # ------------------------------------------------------------ new drafts
    @expose("/draft/", methods=("GET", "POST"))
    def new_view(self):
        self._require("create")
        form = request.form
        if request.method == "POST":
            def make(session):
                if form.get("order_ref"):
                    from addons.sales.services import find_order
                    from .services import orders
                    order = find_order(session, form["order_ref"])
                    return orders.create_from_order(session, order.id, form.get("type") or "sales_invoice")
                return documents.create_document(
                    session, type=form.get("type", ""), buyer=parse_buyer(form), lines=parse_lines(form.get("lines")),
                    currency=form.get("currency") or None, language=form.get("language") or None,
                    due_date=_date(form.get("due_date"), _("due date")), payment_terms=form.get("payment_terms", ""),
                    customer_po=form.get("customer_po") or None,
                    payment_method=form.get("payment_method") or "bank_transfer", notes=form.get("notes", ""))
            done, doc = run_service(make, _("Draft created."))
            if done:
                return self._back(doc.id)
        return self.render("einvoice/web/document_new.html", types=DOC_TYPES, labels=DOC_TYPE_LABELS, form=form,
                           languages=LANGUAGE_NAMES, payment_methods=PAYMENT_METHODS)

    # ------------------------------------------------------------ one-document actions
    @expose("/act/", methods=("POST",))
    def act_view(self):
        doc = self.get_one(request.args.get("id", ""))
        form = request.form
        name = form.get("act", "")
        reason = form.get("reason", "")
        def agreement():  # read inside the service call, so a bad date is flashed like any UserError
            return dict(agreement_ref=form.get("agreement_ref") or None,
                        agreement_date=_date(form.get("agreement_date"), _("agreement date")))
        calls = {
            "issue": ("issue", lambda s: issue.issue_document(s, doc.id,
                                                                 issue_date=_date(form.get("issue_date"), _("issue date")))),
            "send": ("send", lambda s: sending.send_document(s, doc.id, to=form.get("to") or None)),
            "resend": ("send", lambda s: sending.send_document(s, doc.id, to=form.get("to") or None, resend=True)),
            "paid": ("edit", lambda s: documents.mark_paid(s, doc.id)),
            "cancel": ("correct", lambda s: corrections.cancel(s, doc.id, reason=reason, **agreement())),
            "credit": ("correct", lambda s: corrections.credit_note(
                s, doc.id, reason=reason, lines=parse_lines(form.get("lines")) if form.get("lines") else None,
                **agreement())),
            "replace": ("correct", lambda s: corrections.replace(s, doc.id, reason=reason, **agreement())),
            "adjust": ("correct", lambda s: corrections.adjust(s, doc.id, reason=reason,
                                                               lines=parse_lines(form.get("lines")), **agreement())),
            "delete": ("delete", lambda s: documents.delete_draft(s, doc.id)),
            "submit": ("issue", lambda s: submission.resubmit(s, doc.id)),
        }
        if name not in calls:
            flash(_("Unknown action %(name)s.", name=repr(name)), "error")
            return self._back(doc.id)
        self._require(calls[name][0])
        done, result = run_service(calls[name][1], DONE.get(name, _l("Done.")).format(doc=doc.label))
        if name == "delete" and done:
            return redirect(url_for(".index_view"))
        if isinstance(result, Document) and result.id != doc.id:
            return self._back(result.id)  # the new correction draft
        return self._back(doc.id)

    @expose("/pdf/")
    def pdf_view(self):
        doc = self.get_one(request.args.get("id", ""))
        try:
            data = documents.preview_pdf(db(), doc.id)
        except UserError as exc:
            flash(str(exc), "error")
            return self._back(doc.id)
        name = (doc.display_number or f"draft-{doc.id}").replace("/", "_")
        disposition = "attachment" if request.args.get("download") else "inline"
        return Response(data, mimetype="application/pdf",
                        headers={"Content-Disposition": f'{disposition}; filename="{name}.pdf"'})

    @expose("/xml/")
    def xml_view(self):
        doc = self.get_one(request.args.get("id", ""))
        if doc.xml is None:
            abort(404)
        return Response(doc.xml, mimetype="application/xml",
                        headers={"Content-Disposition": f'attachment; filename="{doc.display_number}.xml"'})

    # ------------------------------------------------------------ bulk
    def _enqueue_each(self, ids, actor, **extra) -> bool:
        from core.jobs import enqueue
        session = db()
        try:
            for doc_id in ids:
                enqueue(session, actor, document_id=int(doc_id), **extra)
            session.commit()
        except UserError as exc:
            session.rollback()
            flash(_("Nothing was queued: %(error)s", error=exc), "error")
            return False
        return True

    @action("bulk_issue", _l("Issue"), _l("Issue the selected drafts (numbers are given in the background)?"))
    def action_bulk_issue(self, ids):
        self._require("issue")
        if self._enqueue_each(ids, "einvoice.issue_document"):
            flash(ngettext("%(num)d document queued to be issued; follow it under Invoicing › Bulk invoicing "
                           "progress.",
                           "%(num)d documents queued to be issued; follow them under Invoicing › Bulk invoicing "
                           "progress.",
                           len(ids)), "success")

    @action("bulk_send", _l("Send"), _l("E-mail the selected documents to their buyers?"))
    def action_bulk_send(self, ids):
        self._require("send")
        if self._enqueue_each(ids, "einvoice.send_document"):
            flash(ngettext("%(num)d document queued to be sent; follow it under Invoicing › Bulk invoicing "
                           "progress.",
                           "%(num)d documents queued to be sent; follow them under Invoicing › Bulk invoicing "
                           "progress.",
                           len(ids)), "success")



class SeriesView(SecureModelView):
    addon = "einvoice"
    permission = "einvoice.series"
    allow_delete = False  # numbers refer to it; deactivate instead
    column_list = ("code", "doc_type", "name", "number_format", "active")
    column_labels = {"code": _l("Code"), "doc_type": _l("Document type"), "name": _l("Name"),
                     "number_format": _l("Number format"), "active": _l("Active")}
    code_columns = {"doc_type": "document_type"}
    form_columns = ("doc_type", "code", "name", "number_format", "active")
    form_choices = {"doc_type": _choices(DOC_TYPES, DOC_TYPE_LABELS)}

    def create_model(self, form):
        done, series = run_service(lambda s: numbering.create_series(
            s, doc_type=form.doc_type.data, code=form.code.data, name=form.name.data or "",
            active=bool(form.active.data), number_format=form.number_format.data or numbering.DEFAULT_FORMAT))
        return series if done else False

    def update_model(self, form, model):
        return run_service(lambda s: numbering.update_series(
            s, model.id, doc_type=form.doc_type.data, code=form.code.data, name=form.name.data or "",
            number_format=form.number_format.data, active=bool(form.active.data)))[0]


class GapReportView(SecureView):
    addon = "einvoice"
    permission = "einvoice.series"

    @expose("/")
    def index(self):
        rows = numbering.gap_report(db(), request.args.get("series") or None)
        return self.render("einvoice/web/gaps.html", rows=rows)


class SubmissionView(SecureModelView):
    addon = "einvoice"
    permission = "einvoice.submission"
    allow_create = allow_edit = allow_delete = False
    column_list = ("created_at", "document", "provider", "action", "state", "authority_code", "reason", "attempts",
                   "last_error")
    column_labels = {"created_at": _l("Created"), "document": _l("Document"), "provider": _l("Provider"),
                     "action": _l("Action"), "state": _l("State"), "authority_code": _l("Authority code"),
                     "reason": _l("Reason"), "attempts": _l("Attempts"), "last_error": _l("Last error")}
    code_columns = {"action": "submission_action"}
    status_column, status_kind, status_colours = "state", "submission_state", STATE_COLOURS
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = (FilterEqual(Submission.state, _l("State"), options=_choices(SUBMISSION_STATES,
                                                                               SUBMISSION_STATE_LABELS)),)

    @action("recheck", _l("Look up again"), _l("Look the selected unknown submissions up at the provider now?"))
    def action_recheck(self, ids):
        run_service(lambda s: [submission.recheck(s, int(i)) for i in ids],
                    ngettext("%(num)d submission queued for lookup.", "%(num)d submissions queued for lookup.",
                             len(ids)))


class ProviderConfigView(SecureModelView):
    addon = "einvoice"
    permission = "einvoice.provider"
    column_list = ("doc_type", "provider", "active")
    column_labels = {"doc_type": _l("Document type"), "provider": _l("Provider"), "active": _l("Active")}
    code_columns = {"doc_type": "document_type"}
    form_columns = ("doc_type", "provider", "active")
    form_choices = {"doc_type": _choices(DOC_TYPES, DOC_TYPE_LABELS)}

    def on_model_change(self, form, model, is_created):
        known = providers.registered(current_runtime())
        if model.provider not in known:
            raise UserError(_("provider %(code)s is not installed (installed: %(known)s)", code=repr(model.provider),
                              known=", ".join(sorted(known))))
        model.doc_type = model.doc_type or None


JOB_LABELS = {"einvoice.issue_document": _l("Issue a document"), "einvoice.send_document": _l("E-mail a document"),
              "einvoice.issue_for_order": _l("Issue an order's document"), "einvoice.submit": _l("Submit to the provider"),
              "einvoice.credit_return": _l("Credit a return"), "einvoice.fetch_status": _l("Fetch a submission's status"),
              "einvoice.pull_status": _l("Pull submission statuses"),
              "einvoice.recheck_unknown": _l("Look up unknown submissions"), "einvoice.render_pdf": _l("Render a PDF")}
JOB_STATE_LABELS = {"pending": _l("Pending"), "running": _l("Running"), "done": _l("Done"), "failed": _l("Failed"),
                    "dead": _l("Gave up"), "skipped": _l("Skipped")}


class BulkProgressView(SecureView):
    """Bulk issue and bulk send run as one job per document; this page counts them by state."""
    addon = "einvoice"
    permission = "einvoice.document"

    @expose("/")
    def index(self):
        rows = db().execute(select(OutboxJob.actor, OutboxJob.state, func.count())
                            .where(OutboxJob.business_id == current_business_id(),
                                   OutboxJob.actor.in_(("einvoice.issue_document", "einvoice.send_document",
                                                        "einvoice.issue_for_order", "einvoice.submit")))
                            .group_by(OutboxJob.actor, OutboxJob.state)).all()
        failed = db().scalars(select(OutboxJob).where(OutboxJob.business_id == current_business_id(),
                                                      OutboxJob.actor.startswith("einvoice."),
                                                      OutboxJob.state.in_(("failed", "dead")))
                              .order_by(OutboxJob.id.desc()).limit(50)).all()
        return self.render("einvoice/web/progress.html", rows=rows, failed=failed, job_labels=JOB_LABELS,
                           job_states=JOB_STATE_LABELS)


# ---------------------------------------------------------------- public: the buyer confirms receipt

public = Blueprint("einvoice_public", __name__, template_folder=str(TEMPLATES))


@public.route("/einvoice/confirm/<token>", methods=("GET", "POST"))
def confirm_receipt(token):
    """GET shows the document and a button; POST records the confirmation (link scanners only GET).

    The page speaks the language the document was sent in (the buyer's), not the browser's: a
    link that cannot be read (forged, expired) has no language and answers in the browser's.
    """
    runtime = current_runtime()
    try:
        business_id, delivery_id = sending.read_token(runtime, token)
    except UserError as exc:
        return _confirm_page(None, error=str(exc)), 400
    with runtime.session(business_id) as session:
        delivery = session.scalar(select(Delivery).where(Delivery.id == delivery_id))
        language = delivery.language if delivery is not None else None
    if delivery is None:
        return _confirm_page(None, error=_("This confirmation link is not valid.")), 400
    with in_language(language):
        if request.method == "POST":
            try:
                with runtime.transaction(business_id) as session:
                    number = sending.confirm_receipt(session, delivery_id).display_number
            except UserError as exc:
                return _confirm_page(language, error=str(exc)), 400
            return _confirm_page(language, confirmed=True, number=number)
        with runtime.session(business_id) as session:
            doc = documents.get_document(session, delivery.document_id, lines=False)
            info = {"number": doc.display_number, "seller": doc.seller.get("legal_name"), "total": doc.total,
                    "currency": doc.currency, "confirmed": delivery.confirmed_at is not None}
        return _confirm_page(language, info=info, token=token)


def _confirm_page(language, **context):
    return render_template("einvoice/web/confirm.html", page_language=language, **context)


def order_notices(session, order) -> list[str]:
    text = pending_text(session, order)
    return [text] if text else []


class OrdersToInvoiceView(SecureModelView):
    """Sales orders that still need an invoice (services.orders.to_invoice): the home page's tile links
    here; each number opens the order's page, where *Create invoice* is."""
    addon = "einvoice"
    permission = "einvoice.document"
    allow_create = allow_edit = allow_delete = allow_details = allow_export = False
    column_list = ("number", "created_at", "partner", "state", "payment_status", "total")
    column_labels = {"partner": _l("Customer"), "state": _l("Status"), "payment_status": _l("Payment")}
    code_columns = {"payment_status": "payment_status"}
    status_column, status_kind = "state", "order_state"
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_formatters = {"number": lambda view, context, order, name: Markup(
        f'<a href="{escape(url_for("sales_order.details_view", id=order.id))}">{escape(order.number)}</a>')}

    def get_query(self):
        return super().get_query().filter(orders_service.to_invoice())

    def get_count_query(self):
        return super().get_count_query().filter(orders_service.to_invoice())


def register(admin, ctx):
    app = getattr(admin, "app", None)
    if app is not None and "einvoice_public" not in app.blueprints:
        app.register_blueprint(public)
    admin.add_view(DocumentView(Document, ctx.session, name=_l("Invoices and receipts"),
                                endpoint="einvoice_document"), menu="invoicing")
    # The order's page (sales) also says when a return left its invoice uncorrected; sales does not import einvoice.
    extend_document(admin, "sales_order", "einvoice", links=order_links, actions=order_actions, notices=order_notices)
    admin.add_view(OrdersToInvoiceView(Order, ctx.session, name=_l("Orders to invoice"),
                                       endpoint="einvoice_to_invoice"), menu="invoicing")
    admin.add_view(SeriesView(Series, ctx.session, name=_l("Invoice numbering series"),
                              endpoint="einvoice_series"), menu="settings")
    admin.add_view(GapReportView(name=_l("Numbering gap report"), endpoint="einvoice_gaps"), menu="invoicing")
    admin.add_view(SubmissionView(Submission, ctx.session, name=_l("Tax authority submissions"),
                                  endpoint="einvoice_submission"), menu="invoicing")
    admin.add_view(ProviderConfigView(ProviderConfig, ctx.session, name=_l("E-invoice providers"),
                                      endpoint="einvoice_provider"), menu="settings")
    admin.add_view(BulkProgressView(name=_l("Bulk invoicing progress"), endpoint="einvoice_progress"),
                   menu="invoicing")
