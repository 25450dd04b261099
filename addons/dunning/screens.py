"""Dunning screens that are not lists: the run (preview, then send), the AR aging report, the statement upload.

Each is a ``SecureView`` (login, permission, addon enabled, tenancy) whose
POSTs carry the CSRF token and call one service through ``run_service``.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Response, flash, has_request_context, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual, IntEqualFilter

from core.admin import SecureView, run_service
from core.dashboard import list_url
from core.errors import UserError
from core.i18n import _
from core.numbers import parse_int
from core.web.context import can, db
from core.web.formatting import amount

from .chart import stacked_bars
from .models import Receivable
from .services import aging as aging_service
from .services import context, policies, receivables, runs, sending, statements

CHART_ROWS = 15


def _as_of():
    raw = (request.values.get("as_of") or "").strip()
    if not raw:
        return None
    try:
        return context.parse_day(raw, "as_of")
    except UserError as exc:
        flash(str(exc), "error")
        return None


class RunView(SecureView):
    """Who would get what today (a dry run), with counts and totals; then Send."""
    addon = "dunning"
    permission = "dunning.reminder"

    # The customer's actions on the preview page need the permission of what they change.
    OTHER_PERMISSIONS = {"pause": "dunning.account.edit", "dispute": "dunning.receivable.edit"}

    def action_for(self, name):
        if request.method == "POST" and name in self.OTHER_PERMISSIONS:
            return name
        return "send" if request.method == "POST" else "read"

    def allowed(self, action):
        if action in self.OTHER_PERMISSIONS:
            return has_request_context() and can(self.OTHER_PERMISSIONS[action])
        return super().allowed(action)

    @expose("/", methods=("GET",))
    def index(self):
        session = db()
        day = _as_of()
        try:
            result = runs.run(session, day, dry_run=True)
        except UserError as exc:
            flash(str(exc), "error")
            result = None
        finally:
            session.rollback()
        plan = result.pop("_plan") if result else None
        levels = {}
        if plan:
            for item, cand in zip(result["reminders"], plan.reminders):
                group = levels.setdefault((item["level"], cand.level_name), {"count": 0, "total": 0, "rows": []})
                group["count"] += 1
                group["total"] += cand.amount
                group["rows"].append((item, cand))
        return self.render("dunning/web/run.html", result=result, plan=plan, levels=sorted(levels.items()))

    @expose("/preview", methods=("GET",))
    def preview(self):
        """The message one customer would get (the merchant's text for the level, else the catalog's)."""
        session = db()
        day = _as_of()
        try:
            partner_id = parse_int(request.args.get("partner_id"), field="partner_id", minimum=1)
            message = sending.preview(session, partner_id, day)
        except UserError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        finally:
            session.rollback()
        if message is None:
            flash(_("This customer would not be reminded on that day."), "info")
            return redirect(url_for(".index", as_of=day.isoformat() if day else None))
        return self.render("dunning/web/preview.html", message=message, as_of=day, partner_id=partner_id)

    @expose("/pause", methods=("POST",))
    def pause(self):
        """A promise to pay from the preview: no reminders for the customer until that day."""
        form = request.form
        run_service(lambda s: policies.pause(s, form.get("partner_id", ""), form.get("until", ""),
                                             amount=form.get("amount") or None, note=form.get("note") or None),
                    _("reminders paused until the promised day"))
        return redirect(url_for(".index", as_of=form.get("as_of") or None))

    @expose("/dispute", methods=("POST",))
    def dispute(self):
        """An invoice the customer disputes, from the preview: left out of every reminder."""
        form = request.form
        run_service(lambda s: receivables.set_dispute(s, form.get("invoice", ""), True, form.get("note") or None),
                    _("invoice marked disputed"))
        return redirect(url_for(".index", as_of=form.get("as_of") or None))

    @expose("/send", methods=("POST",))
    def send(self):
        raw = (request.form.get("as_of") or "").strip()
        day = _as_of()
        if raw and day is None:  # a day that is not a date: nothing is sent (not today's run instead)
            return redirect(url_for(".index"))
        done, result = run_service(lambda s: runs.run(s, day))
        if done:
            flash(_("%(count)s reminder(s) queued for sending; %(skipped)s customer(s) skipped",
                    count=result["sent"], skipped=len(result["skipped"])), "success")
        return redirect(url_for(".index", as_of=day.isoformat() if day else None))


class AgingView(SecureView):
    addon = "dunning"
    permission = "dunning.receivable"

    def action_for(self, name):
        return "export" if name == "export" else "read"

    def _report(self):
        return aging_service.aging(db(), _as_of())

    @expose("/")
    def index(self):
        report = self._report()

        def link(partner_id, bucket):
            earliest, latest = aging_service.due_range(report.as_of, bucket) if bucket else (None, None)
            filters = [(Receivable.state, FilterEqual, "open")]
            if partner_id is not None:
                filters.append((Receivable.partner_id, IntEqualFilter, partner_id))
            if earliest or latest:
                low = (earliest or (report.as_of - timedelta(days=36500))).isoformat()
                high = (latest or (report.as_of + timedelta(days=36500))).isoformat()
                filters.append((Receivable.due_date, DateBetweenFilter, f"{low} to {high}"))
            return list_url("dunning_receivable", *filters)

        chart = stacked_bars([(r.customer or _("(no customer)"), r.buckets, r.partner_id)
                              for r in report.rows[:CHART_ROWS]], aging_service.BUCKETS,
                             aging_service.BUCKET_LABELS, lambda v: amount(v, report.currency), link,
                             title=_("AR aging as of %(day)s", day=report.as_of.isoformat()))
        return self.render("dunning/web/aging.html", report=report, buckets=aging_service.BUCKETS,
                           labels=aging_service.BUCKET_LABELS, chart=chart, link=link)

    @expose("/export")
    def export(self):
        report = self._report()
        return Response(aging_service.as_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=aging-{report.as_of.isoformat()}.csv"})


class StatementImportView(SecureView):
    """Upload a CAMT.053 or CSV statement (dry run or real), match a leftover line by hand, allocate a payment."""
    addon = "dunning"
    permission = "dunning.statement"

    def action_for(self, name):
        if request.method != "POST":
            return "read"
        return {"match": "match", "allocate": "match", "pay": "match"}.get(name, "import")

    @expose("/", methods=("GET", "POST"))
    def index(self):
        result = None
        if request.method == "POST":
            upload = request.files.get("file")
            fmt = request.form.get("format") or None
            if upload is None or not upload.filename:
                flash(_("choose a statement file (CAMT.053 XML or CSV)"), "error")
            elif fmt not in (None, "camt053", "csv"):
                flash(_("format: choose CAMT.053 or CSV"), "error")
            else:
                content = upload.read()
                dry = bool(request.form.get("dry_run"))
                session = db()
                try:
                    result = statements.import_statement(session, content, filename=upload.filename, fmt=fmt)
                    result["dry_run"] = dry
                    session.rollback() if dry else session.commit()
                except UserError as exc:
                    session.rollback()
                    flash(str(exc), "error")
                    result = None
        return self.render("dunning/web/statement.html", result=result)

    @expose("/match", methods=("POST",))
    def match(self):
        line = request.form.get("line_id", "")
        number = request.form.get("invoice", "")
        if not line.isdigit():
            flash(_("line: choose a statement line"), "error")
        else:
            run_service(lambda s: statements.match_line(s, int(line), number), _("line matched"))
        return redirect(url_for("dunning_statement_line.index_view"))

    @expose("/allocate", methods=("POST",))
    def allocate(self):
        payment = request.form.get("payment_id", "")
        number = request.form.get("invoice", "")

        def go(s):
            if not payment.isdigit():
                raise UserError(_("payment: give the payment's number"))
            rec = receivables.find_receivable(s, number)
            return receivables.allocate_by_hand(s, int(payment), rec.id, request.form.get("amount") or None)
        run_service(go, _("payment allocated"))
        return redirect(url_for("dunning_payment.index_view"))

    @expose("/pay", methods=("POST",))
    def pay(self):
        """A payment received for one invoice (a manual invoice's own; an order's goes through the order)."""
        form = request.form

        def go(s):
            day = context.parse_day(form.get("paid_on"), "paid_on") if form.get("paid_on") else None
            return receivables.pay_invoice(s, form.get("invoice", ""), form.get("amount", ""),
                                           paid_on=day, reference=form.get("reference") or None)
        run_service(go, _("payment recorded"))
        return redirect(url_for("dunning_receivable.index_view"))
