"""Receipt printing screens: printers (test page, status), receipts (document page, PNG preview of the stored
bytes, reprint), print jobs (retry a failed one) and the manager's list of reprints per day and cashier.

Every change is one service call through ``core.admin.run_service``; a refusal is a message on the page.
The receipt list's search takes a typed code or a scanned QR payload (a scanner types it and Enter), and a
payload we did not sign finds nothing.
"""
from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_babel import lazy_pgettext
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import DateEqualFilter, FilterEqual
from sqlalchemy import false

from core.admin import SecureModelView, ServiceForms, run_service
from core.admin_document import Action, DocumentPage, Field, Header, Link, Stage, Table, Column, when
from core.errors import UserError
from core.formatting import code_label, register_labels
from core.i18n import _, _l
from core.jobs import enqueue
from core.web.context import db

from . import decoder, paper, services
from .models import REASONS, PrintJob, Printer, Receipt, Reprint, Shift

KIND_LABELS = {"network": _l("Network (TCP 9100)"), "usb": _l("USB"), "serial": _l("Serial"),
               "file": _l("File (spooler folder)")}
JOB_STATE_LABELS = {"queued": _l("Queued"), "sent": _l("Sent"), "printed": _l("Printed"), "failed": _l("Failed")}
register_labels("printer_kind", KIND_LABELS)
register_labels("print_job_state", JOB_STATE_LABELS)
register_labels("print_job_kind", {"receipt": lazy_pgettext("pos", "Receipt"), "reprint": _l("Reprint"), "test": _l("Test page"),
                                   "report": _l("Report")})
register_labels("shift_state", {"open": lazy_pgettext("shift state", "Open"),
                                "closed": lazy_pgettext("shift state", "Closed")})
register_labels("printer_status", {"online": _l("Online"), "offline": _l("Offline"), "unknown": lazy_pgettext("printer status", "Unknown"),
                                   "ok": _l("Paper OK"), "low": _l("Paper low"), "out": _l("Paper out")})

LABELS = {"name": _l("Name"), "kind": _l("Connection"), "host": _l("Host"), "port": _l("Port"),
          "usb_vendor": _l("USB vendor id"), "usb_product": _l("USB product id"),
          "serial_device": _l("Serial device"), "baudrate": _l("Baud rate"), "file_name": _l("File name"),
          "profile": _l("Printer profile"), "paper_width": _l("Paper width (mm)"), "code_page": _l("Code page"),
          "has_cutter": _l("Cutter"), "has_drawer": _l("Cash drawer"), "drawer_pin": _l("Drawer pin"),
          "active": _l("Active"), "status": _l("Status"), "paper": _l("Paper"), "status_at": _l("Status read at"),
          "status_error": _l("Status error"), "code": _l("Receipt code"), "created_at": _l("Printed at"),
          "order": _l("Order"), "language": _l("Language"), "cashier_name": _l("Cashier"),
          "reprint_count": _l("Reprints"), "printer": _l("Printer"), "state": _l("Status"),
          "attempt": _l("Attempt"), "bytes_sent": _l("Bytes sent"), "error": _l("Error"),
          "receipt": lazy_pgettext("pos", "Receipt"), "number": _l("Copy"), "reason": _l("Reason"), "note": _l("Note"),
          "user_name": _l("Reprinted by"), "day": _l("Day"), "sent_at": _l("Sent at"),
          "finished_at": _l("Finished at")}


class ProfileChoices(dict):
    """``form_choices`` whose ``profile`` list is read when the form is first built (core.admin_lazy),
    not at start-up: the names come from python-escpos' capabilities database, parsed on import."""

    def get(self, key, default=None):
        if key == "profile" and key not in self:
            self[key] = [(n, n) for n in paper.profile_names()]
        return super().get(key, default)


class PrinterView(ServiceForms, SecureModelView):
    addon = "pos_print"
    permission = "pos_print.printer"
    allow_delete = False
    service_create = staticmethod(services.create_printer)
    service_update = staticmethod(services.update_printer)
    column_list = ("name", "kind", "profile", "paper_width", "code_page", "has_cutter", "has_drawer", "active",
                   "status", "paper", "status_at")
    column_default_sort = ("name", False)
    column_sortable_list = ("name",)
    column_labels = LABELS
    code_columns = {"kind": "printer_kind", "status": "printer_status", "paper": "printer_status"}
    form_columns = services.printers.FIELDS
    form_choices = ProfileChoices(kind=list(KIND_LABELS.items()),
                                  paper_width=[("80", "80 mm"), ("58", "58 mm")],
                                  drawer_pin=[("2", "2"), ("5", "5")])

    @action("test_page", _l("Print test page"))
    def action_test_page(self, ids):
        for printer_id in ids:
            run_service(lambda s, i=printer_id: services.queue_test_page(s, i),
                        _("test page queued on printer #%(id)s", id=printer_id))

    @action("check_status", _l("Read status"))
    def action_check_status(self, ids):
        def ask(session):
            for printer_id in ids:
                printer = services.get_printer(session, printer_id)
                enqueue(session, "pos_print.check_status", max_attempts=1, printer_id=printer.id)
        run_service(ask, _("asking %(count)s printer(s) for their status; reload to see it", count=len(ids)))


class ReceiptView(DocumentPage, SecureModelView):
    addon = "pos_print"
    permission = "pos_print.receipt"
    can_create = can_edit = can_delete = False
    stages = (Stage("printed", _l("Printed")),)
    details_template = "pos_print/receipt_page.html"
    column_list = ("code", "created_at", "order", "language", "cashier_name", "printer", "reprint_count")
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_searchable_list = ("code",)
    column_labels = LABELS

    def search_placeholder(self):
        return _("Receipt code or scanned QR code")

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # A code or a signed payload, exactly: the (business_id, code) index, never a scan of every receipt.
        try:
            receipt = services.find_receipt(db(), search)
            cond = Receipt.id == receipt.id
        except UserError as exc:
            flash(str(exc), "error")
            cond = false()
        query = query.filter(cond)
        if count_query is not None:
            count_query = count_query.filter(cond)
        return query, count_query, joins, count_joins

    def action_for(self, name):
        return {"reprint_view": "reprint", "preview_view": "read"}.get(name) or super().action_for(name)

    def document_stage(self, receipt):
        return "printed"

    def document_header(self, receipt):
        notes = [_("Reprinted %(count)s time(s)", count=receipt.reprint_count)] if receipt.reprint_count else []
        return Header(title=lazy_pgettext("pos", "Receipt"), number=receipt.code, party=str(receipt.order.partner or ""),
                      party_label=_l("Customer"),
                      dates=[(_l("Printed at"), when(receipt.created_at)), (_l("Order"), receipt.order.number),
                             (_l("Cashier"), receipt.cashier_name), (_l("Language"), receipt.language),
                             (_l("Printer"), str(receipt.printer or "")),
                             (_l("Paper"), _("%(chars)s characters, %(dots)s dots, %(page)s",
                                             chars=receipt.chars_per_line, dots=receipt.dots,
                                             page=receipt.code_page))],
                      notes=notes)

    def document_actions(self, receipt):
        printers = tuple((str(p.id), p.name) for p in services.list_printers(db()) if p.active)
        reasons = tuple((r, code_label("reprint_reason", r)) for r in REASONS)
        return [Action(_l("Reprint"), self.get_url(".reprint_view", id=receipt.id), "pos_print.receipt.reprint",
                       fields=(Field("reason", _l("Reason"), "select", options=reasons, required=True),
                               Field("note", _l("Note (required for Other)")),
                               Field("pin", _l("Supervisor PIN")),
                               Field("printer", _l("Printer"), "select", options=printers, required=True)),
                       style="primary")]

    def document_lines(self, receipt):
        rows = [{"number": str(r.number), "at": when(r.created_at), "reason": code_label("reprint_reason", r.reason),
                 "note": r.note or "", "who": r.user_name}
                for r in db().query(Reprint).filter(Reprint.receipt_id == receipt.id).order_by(Reprint.number)]
        return Table(_l("Reprints"), (Column("number", _l("Copy")), Column("at", _l("Reprinted at")),
                                      Column("reason", _l("Reason")), Column("note", _l("Note")),
                                      Column("who", _l("Reprinted by"))), rows, _l("Never reprinted."))

    def document_related(self, receipt):
        return [Link(_l("Preview of the printed bytes (PNG)"), self.get_url(".preview_view", id=receipt.id),
                     lazy_pgettext("pos", "Receipt")),
                Link(receipt.order.number, url_for("sales_order.details_view", id=receipt.order_id), _l("Order"))]

    def document_audited(self, receipt):
        return [("pos_print_receipt", receipt.id)]

    @expose("/preview/")
    def preview_view(self):
        receipt = self.get_one(request.args.get("id", ""))
        if receipt is None:
            return redirect(url_for(".index_view"))
        png = decoder.to_png(decoder.decode(receipt.content), receipt.dots)
        return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @expose("/reprint/", methods=("POST",))
    def reprint_view(self):
        receipt = self.get_one(request.args.get("id", ""))
        if receipt is None:
            return redirect(url_for(".index_view"))
        form = request.form

        def go(session):
            if not services.context.row_id(form.get("printer")):
                raise UserError(_("printer: choose the printer the copy goes to"))
            printer = services.get_printer(session, form.get("printer"))
            row, content = services.reprint(session, receipt.code, reason=form.get("reason", ""),
                                            note=form.get("note"), pin=form.get("pin") or None, printer=printer)
            services.queue_print(session, printer, "reprint", content, receipt_id=receipt.id, reprint_id=row.id)
            return row
        run_service(go, _("copy queued on the printer"))
        return redirect(url_for(".details_view", id=receipt.id))


class PrintJobView(SecureModelView):
    addon = "pos_print"
    permission = "pos_print.job"
    can_create = can_edit = can_delete = False
    column_list = ("id", "created_at", "printer", "kind", "state", "attempt", "bytes_sent", "error")
    column_default_sort = ("id", True)
    column_sortable_list = ("id",)
    column_labels = LABELS
    status_column, status_kind = "state", "print_job_state"
    status_colours = {"queued": "info", "sent": "warning", "printed": "success", "failed": "danger"}
    code_columns = {"kind": "print_job_kind"}
    column_filters = (FilterEqual(PrintJob.state, _l("Status"),
                                  options=list(JOB_STATE_LABELS.items())),)

    def action_for(self, name):
        return "retry" if name == "action_view" else super().action_for(name)

    @action("retry", _l("Send again"), _l("Send the selected failed jobs again?"))
    def action_retry(self, ids):
        def go(session):
            for job_id in ids:
                services.retry_print(session, job_id)
        run_service(go, _("%(count)s job(s) queued again", count=len(ids)))


class ReprintView(SecureModelView):
    addon = "pos_print"
    permission = "pos_print.reprint"
    can_create = can_edit = can_delete = False
    column_list = ("day", "created_at", "receipt", "number", "reason", "note", "user_name")
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_labels = LABELS
    code_columns = {"reason": "reprint_reason"}
    column_filters = (DateEqualFilter(Reprint.day, _l("Day")), FilterEqual(Reprint.user_id, _l("Cashier (user id)")))


class ShiftView(SecureModelView):
    addon = "pos_print"
    permission = "pos_print.shift"
    can_create = can_edit = can_delete = False
    column_list = ("id", "state", "opened_at", "opening_float", "closed_at", "counted_cash")
    column_default_sort = ("opened_at", True)
    column_sortable_list = ("opened_at",)
    column_labels = {"id": _l("Shift"), "state": _l("Status"), "opened_at": _l("Opened at"),
                     "opening_float": _l("Cash float"), "closed_at": _l("Closed at"), "counted_cash": _l("Cash counted")}
    currency_attr = "currency"
    status_column, status_kind = "state", "shift_state"
    status_colours = {"open": "success", "closed": "secondary"}


def register(admin, ctx):
    from .admin_counter import STATIC_DIR, CounterView
    admin.add_view(CounterView(name=_l("Counter screen"), endpoint="pos_print_counter", static_folder=STATIC_DIR),
                   menu="sales")
    admin.add_view(ShiftView(Shift, ctx.session, name=_l("Counter shifts"), endpoint="pos_print_shift"),
                   menu="sales")
    admin.add_view(ReceiptView(Receipt, ctx.session, name=lazy_pgettext("pos", "Receipts"), endpoint="pos_print_receipt"),
                   menu="sales")
    admin.add_view(ReprintView(Reprint, ctx.session, name=_l("Receipt reprints"), endpoint="pos_print_reprint"),
                   menu="sales")
    admin.add_view(PrintJobView(PrintJob, ctx.session, name=_l("Print jobs"), endpoint="pos_print_job"),
                   menu="settings")
    admin.add_view(PrinterView(Printer, ctx.session, name=_l("Receipt printers"), endpoint="pos_print_printer"),
                   menu="settings")
