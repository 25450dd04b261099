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
from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual
from sqlalchemy import func, or_, select

from core.admin import SecureModelView, SecureView, run_service
from core.admin_document import extend_document
from core.errors import UserError
from core.formatting import register_labels
from core.models import OutboxJob
from core.web.context import current_business_id, current_runtime, db

from . import providers
from .forms import parse_buyer, parse_lines
from .models import (DOC_TYPE_LABELS, DOC_TYPES, STATES, SUBMISSION_STATES, Delivery, Document, ProviderConfig,
                     Series, Submission)
from .page import FiscalDocument, order_actions, order_links
from .services import corrections, documents, issue, numbering, sending, submission
from .services.return_credits import pending_text

TEMPLATES = Path(__file__).parent / "templates"


def _choices(values, labels=None):
    return [(v, (labels or {}).get(v, v.replace("_", " ").capitalize())) for v in values]




def _date(value, label):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{label}: {value!r} is not a date (YYYY-MM-DD)") from None


register_labels("document_type", DOC_TYPE_LABELS)
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
    column_labels = {"display_number": "Number", "buyer_name": "Buyer", "buyer_country": "Country", "state": "Status"}
    column_formatters = {"display_number": lambda v, c, m, n: m.display_number or f"draft #{m.id}"}
    code_columns = {"type": "document_type"}
    status_column, status_kind, status_colours = "state", "einvoice_state", STATE_COLOURS
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "issue_date", "display_number", "buyer_name")  # each indexed
    column_filters = (
        FilterEqual(Document.state, "State", options=_choices(STATES)),
        FilterEqual(Document.type, "Type", options=_choices(DOC_TYPES, DOC_TYPE_LABELS)),
        FilterEqual(Document.series, "Series"),
        DateBetweenFilter(Document.issue_date, "Issue date"),
        FilterEqual(Document.buyer_name, "Buyer"),
    )
    column_searchable_list = ("display_number", "buyer_name")
    column_details_exclude_list = ("pdf", "xml")

    def search_placeholder(self):
        return "Number or buyer name (exact)"

    def _apply_search(self, query, count_query, joins, count_joins, search):
        term = search.strip()
        if term:
            cond = or_(Document.display_number == term, Document.buyer_name == term)
            query = query.filter(cond)
            if count_query is not None:
                count_query = count_query.filter(cond)
        return query, count_query, joins, count_joins

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
                    due_date=_date(form.get("due_date"), "due date"), payment_terms=form.get("payment_terms", ""),
                    customer_po=form.get("customer_po") or None,
                    payment_method=form.get("payment_method") or "bank_transfer", notes=form.get("notes", ""))
            done, doc = run_service(make, "draft created")
            if done:
                return self._back(doc.id)
        return self.render("einvoice/web/document_new.html", types=DOC_TYPES, labels=DOC_TYPE_LABELS, form=form)

    # ------------------------------------------------------------ one-document actions
    @expose("/act/", methods=("POST",))
    def act_view(self):
        doc = self.get_one(request.args.get("id", ""))
        form = request.form
        name = form.get("act", "")
        reason = form.get("reason", "")
        def agreement():  # read inside the service call, so a bad date is flashed like any UserError
            return dict(agreement_ref=form.get("agreement_ref") or None,
                        agreement_date=_date(form.get("agreement_date"), "agreement date"))
        calls = {
            "issue": ("issue", lambda s: issue.issue_document(s, doc.id,
                                                                 issue_date=_date(form.get("issue_date"), "issue date"))),
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
            flash(f"unknown action {name!r}", "error")
            return self._back(doc.id)
        self._require(calls[name][0])
        done, result = run_service(calls[name][1], f"{doc.label}: {name} done")
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
    def _enqueue_each(self, ids, actor, verb, **extra):
        from core.jobs import enqueue
        session = db()
        try:
            for doc_id in ids:
                enqueue(session, actor, document_id=int(doc_id), **extra)
            session.commit()
        except UserError as exc:
            session.rollback()
            flash(f"nothing {verb}: {exc}", "error")
            return
        flash(f"{len(ids)} document(s) queued to be {verb}; follow them under E-invoice > Bulk progress", "success")

    @action("bulk_issue", "Issue", "Issue the selected drafts (numbers are given in the background)?")
    def action_bulk_issue(self, ids):
        self._require("issue")
        self._enqueue_each(ids, "einvoice.issue_document", "issued")

    @action("bulk_send", "Send", "E-mail the selected documents to their buyers?")
    def action_bulk_send(self, ids):
        self._require("send")
        self._enqueue_each(ids, "einvoice.send_document", "sent")



class SeriesView(SecureModelView):
    addon = "einvoice"
    permission = "einvoice.series"
    allow_delete = False  # numbers refer to it; deactivate instead
    column_list = ("code", "doc_type", "name", "number_format", "active")
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
    status_column, status_kind, status_colours = "state", "submission_state", STATE_COLOURS
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = (FilterEqual(Submission.state, "State", options=_choices(SUBMISSION_STATES)),)

    @action("recheck", "Look up again", "Look the selected unknown submissions up at the provider now?")
    def action_recheck(self, ids):
        run_service(lambda s: [submission.recheck(s, int(i)) for i in ids], f"{len(ids)} submission(s) queued for lookup")


class ProviderConfigView(SecureModelView):
    addon = "einvoice"
    permission = "einvoice.provider"
    column_list = ("doc_type", "provider", "active")
    code_columns = {"doc_type": "document_type"}
    form_columns = ("doc_type", "provider", "active")
    form_choices = {"doc_type": _choices(DOC_TYPES, DOC_TYPE_LABELS)}

    def on_model_change(self, form, model, is_created):
        known = providers.registered(current_runtime())
        if model.provider not in known:
            raise UserError(f"provider {model.provider!r} is not installed (installed: {', '.join(sorted(known))})")
        model.doc_type = model.doc_type or None


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
        return self.render("einvoice/web/progress.html", rows=rows, failed=failed)


# ---------------------------------------------------------------- public: the buyer confirms receipt

public = Blueprint("einvoice_public", __name__, template_folder=str(TEMPLATES))


@public.route("/einvoice/confirm/<token>", methods=("GET", "POST"))
def confirm_receipt(token):
    """GET shows the document and a button; POST records the confirmation (link scanners only GET)."""
    runtime = current_runtime()
    try:
        business_id, delivery_id = sending.read_token(runtime, token)
    except UserError as exc:
        return render_template("einvoice/web/confirm.html", error=str(exc)), 400
    if request.method == "POST":
        try:
            with runtime.transaction(business_id) as session:
                doc = sending.confirm_receipt(session, delivery_id)
                number = doc.display_number
        except UserError as exc:
            return render_template("einvoice/web/confirm.html", error=str(exc)), 400
        return render_template("einvoice/web/confirm.html", confirmed=True, number=number)
    with runtime.session(business_id) as session:
        delivery = session.scalar(select(Delivery).where(Delivery.id == delivery_id))
        if delivery is None:
            return render_template("einvoice/web/confirm.html", error="this confirmation link is not valid"), 400
        doc = documents.get_document(session, delivery.document_id, lines=False)
        info = {"number": doc.display_number, "seller": doc.seller.get("legal_name"), "total": doc.total,
                "currency": doc.currency, "confirmed": delivery.confirmed_at is not None}
    return render_template("einvoice/web/confirm.html", info=info, token=token)


def order_notices(session, order) -> list[str]:
    text = pending_text(session, order)
    return [text] if text else []


def register(admin, ctx):
    app = getattr(admin, "app", None)
    if app is not None and "einvoice_public" not in app.blueprints:
        app.register_blueprint(public)
    admin.add_view(DocumentView(Document, ctx.session, name="Documents", endpoint="einvoice_document"))
    # The order's page (sales) also says when a return left its invoice uncorrected; sales does not import einvoice.
    extend_document(admin, "sales_order", "einvoice", links=order_links, actions=order_actions, notices=order_notices)
    admin.add_view(SeriesView(Series, ctx.session, name="Series", endpoint="einvoice_series"))
    admin.add_view(GapReportView(name="Gap report", endpoint="einvoice_gaps"))
    admin.add_view(SubmissionView(Submission, ctx.session, name="Submissions", endpoint="einvoice_submission"))
    admin.add_view(ProviderConfigView(ProviderConfig, ctx.session, name="Providers", endpoint="einvoice_provider"))
    admin.add_view(BulkProgressView(name="Bulk progress", endpoint="einvoice_progress"))
