"""Dunning admin screens: receivables, received payments, reminders, statement lines, policies, accounts.

Lists are read-only views of the services' rows; every change is an action
(or a screen in ``screens``) calling one service in the request's transaction.
Filters and sorts use the (business_id, ...) indexes of ``models``.
"""
from __future__ import annotations

from flask import g
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, DateBetweenFilter, FilterEqual, IntEqualFilter
from flask_admin.model.form import InlineFormAdmin
from flask_babel import LazyString

from core.admin import SecureModelView, run_service
from core.errors import UserError
from core.formatting import code_label, register_labels
from core.i18n import LANGUAGE_NAMES, _, _l
from core.web.formatting import amount as web_amount
from core.web.formatting import date_ as web_date
from core.web.formatting import datetime_

from .models import (LINE_STATE_LABELS, PAYMENT_SOURCE_LABELS, RECEIVABLE_STATE_LABELS, REMINDER_STATE_LABELS,
                     TONE_LABELS, TONES, Account, Allocation, Level, LevelText, ReceivedPayment, Policy, Receivable, Reminder, StatementLine)
from .services import charges, letter, receivables, statements, texts

SKIP_LABELS = {"do_not_remind": _l("Do not remind"), "collections": _l("In collections"),
               "paused": _l("Paused (promise to pay)"), "disputed": _l("Disputed"),
               "below_minimum": _l("Below the minimum balance"), "no_email": _l("No e-mail address"),
               "already_reminded": _l("Already reminded today"), "not_working_day": _l("Not a working day"),
               "paid_since_run": _l("Paid since the run"), "payment_since_run": _l("Payment since the run")}
register_labels("dunning_receivable_state", RECEIVABLE_STATE_LABELS)
register_labels("dunning_reminder_state", REMINDER_STATE_LABELS)
register_labels("dunning_line_state", LINE_STATE_LABELS)
register_labels("dunning_payment_source", PAYMENT_SOURCE_LABELS)
register_labels("dunning_tone", TONE_LABELS)
register_labels("dunning_skip", SKIP_LABELS)


def _choices(values, kind):
    return [(v, LazyString(code_label, kind, v)) for v in values]


class ReceivableView(SecureModelView):
    addon = "dunning"
    permission = "dunning.receivable"
    allow_create = allow_edit = allow_delete = False
    column_list = ("number", "customer_name", "issue_date", "due_date", "total", "open_amount", "state", "disputed",
                   "reminders", "last_reminded_on", "acknowledged")
    column_labels = {"number": _l("Invoice"), "customer_name": _l("Customer"), "issue_date": _l("Issued"),
                     "due_date": _l("Due date"), "total": _l("Total"), "open_amount": _l("Open"),
                     "state": _l("Status"), "disputed": _l("Disputed"), "dispute_note": _l("Dispute"),
                     "reminders": _l("Reminders"), "last_reminded_on": _l("Last reminded"), "level": _l("Level"),
                     "currency": _l("Currency"), "partner": _l("Customer"), "paid_at": _l("Paid"),
                     "order_id": _l("Order"), "document": _l("Document"), "exchange_rate": _l("Exchange rate"),
                     "changed_at": _l("Changed"), "reminded": _l("Reminded"), "partner_id": _l("Customer"),
                     "acknowledged": _l("Receipt confirmed")}
    column_details_exclude_list = ("document", "partner_id", "level", "reminded")
    status_column, status_kind = "state", "dunning_receivable_state"
    status_colours = {"open": "warning", "paid": "success", "cancelled": "secondary"}
    column_default_sort = ("due_date", False)
    column_sortable_list = ("due_date",)
    column_searchable_list = ("number",)
    exact_search = True
    column_filters = (
        FilterEqual(Receivable.state, _l("Status"), options=_choices(("open", "paid", "cancelled"),
                                                                     "dunning_receivable_state")),
        IntEqualFilter(Receivable.partner_id, _l("Customer")),
        DateBetweenFilter(Receivable.due_date, _l("Due date")),
        BooleanEqualFilter(Receivable.disputed, _l("Disputed")),
    )

    def search_placeholder(self):
        return _("Invoice number (exact)")

    def get_list(self, *args, **kwargs):
        """The page's rows, and in one query when each invoice's buyer confirmed receipt (einvoice's signed link)."""
        count, rows = super().get_list(*args, **kwargs)
        if rows and kwargs.get("execute", True) is not False:
            g.dunning_acknowledged = receivables.acknowledged(self.session, [r.document_id for r in rows])
        return count, rows

    def _acknowledged(view, context, model, name):
        when = g.get("dunning_acknowledged", {}).get(model.document_id)
        if when is None:
            when = receivables.acknowledged(view.session, [model.document_id]).get(model.document_id)
        return datetime_(when) if when else ""

    column_formatters = {"acknowledged": _acknowledged}

    @action("dispute", _l("Mark disputed"), _l("Leave the selected invoices out of every reminder?"))
    def action_dispute(self, ids):
        run_service(lambda s: [receivables.set_dispute(s, receivables.get_receivable(s, int(i)).number, True)
                               for i in ids], _("%(count)s invoice(s) marked disputed", count=len(ids)))

    @action("undispute", _l("Clear dispute"), _l("Remind about the selected invoices again?"))
    def action_undispute(self, ids):
        run_service(lambda s: [receivables.set_dispute(s, receivables.get_receivable(s, int(i)).number, False)
                               for i in ids], _("%(count)s dispute(s) cleared", count=len(ids)))


class PaymentView(SecureModelView):
    addon = "dunning"
    permission = "dunning.payment"
    allow_create = allow_edit = allow_delete = False
    column_list = ("paid_on", "partner", "source", "kind", "amount", "unallocated", "reference", "created_at")
    column_labels = {"paid_on": _l("Paid on"), "partner": _l("Customer"), "source": _l("Source"), "kind": _l("Kind"),
                     "amount": _l("Amount"), "unallocated": _l("Not allocated"), "reference": _l("Reference"),
                     "created_at": _l("Created"), "currency": _l("Currency"), "order_id": _l("Order"),
                     "sales_payment_id": _l("Order payment")}
    code_columns = {"source": "dunning_payment_source", "kind": "payment_kind"}
    column_default_sort = ("paid_on", True)
    column_sortable_list = ("paid_on",)
    column_filters = (IntEqualFilter(ReceivedPayment.partner_id, _l("Customer")),)

    @action("allocate", _l("Allocate automatically"),
            _l("Set what is left of the selected payments against the customers' oldest open invoices?"))
    def action_allocate(self, ids):
        def go(s):
            from sqlalchemy import select
            for payment in s.scalars(select(ReceivedPayment).where(ReceivedPayment.id.in_([int(i) for i in ids]))):
                receivables.auto_allocate(s, payment)
        run_service(go, _("allocated"))


class AllocationView(SecureModelView):
    """The receivables' ledger; *Undo allocation* gives a payment's money back to it (permission
    dunning.payment.edit, the one that allocates; the action form carries the CSRF token)."""
    addon = "dunning"
    permission = "dunning.payment"
    allow_create = allow_edit = allow_delete = False
    column_list = ("entry_date", "receivable", "kind", "amount", "payment", "created_at")
    column_labels = {"entry_date": _l("Date"), "receivable": _l("Invoice"), "kind": _l("Kind"),
                     "amount": _l("Amount"), "payment": _l("Payment"), "created_at": _l("Created")}
    column_default_sort = ("id", True)
    column_sortable_list = ()
    column_filters = (IntEqualFilter(Allocation.receivable_id, _l("Invoice")),
                      IntEqualFilter(Allocation.payment_id, _l("Payment")))

    def _amount(view, context, model, name):
        return web_amount(model.amount, model.receivable.currency if model.receivable else None)

    def _payment(view, context, model, name):
        """The payment as people read it: its date and amount (its __str__ is for logs)."""
        p = model.payment
        if p is None:
            return ""
        return f"#{p.id} {web_date(p.paid_on)} {web_amount(p.amount, p.currency)}"

    column_formatters = {"amount": _amount, "payment": _payment}

    @action("release", _l("Undo allocation"),
            _l("Give the selected allocations' money back to their payments? The invoices owe it again."))
    def action_release(self, ids):
        run_service(lambda s: [receivables.release_allocation(s, int(i)) for i in ids],
                    _("%(count)s allocation(s) undone", count=len(ids)))


class ReminderView(SecureModelView):
    addon = "dunning"
    permission = "dunning.reminder"
    allow_create = allow_edit = allow_delete = False
    column_list = ("as_of", "partner", "level_name", "tone", "amount", "fee", "interest", "state", "skip_reason",
                   "to", "sent_at")
    column_labels = {"as_of": _l("Day"), "partner": _l("Customer"), "level_name": _l("Level"), "tone": _l("Tone"),
                     "amount": _l("Amount"), "fee": _l("Fee"), "interest": _l("Interest"), "state": _l("Status"),
                     "skip_reason": _l("Why not sent"), "to": _l("To"), "sent_at": _l("Sent"),
                     "invoices": _l("Invoices"), "language": _l("Language"), "created_at": _l("Created"),
                     "final": _l("Final notice"), "level_days": _l("Days from the due date"),
                     "currency": _l("Currency"), "run_id": _l("Run"), "mail_id": _l("Mail"),
                     "charge_document_id": _l("Charge document")}
    code_columns = {"tone": "dunning_tone", "skip_reason": "dunning_skip"}
    status_column, status_kind = "state", "dunning_reminder_state"
    status_colours = {"queued": "info", "sent": "success", "skipped": "secondary"}
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = (IntEqualFilter(Reminder.partner_id, _l("Customer")),
                      FilterEqual(Reminder.state, _l("Status"), options=_choices(("queued", "sent", "skipped"),
                                                                                 "dunning_reminder_state")))

    def _letter(view, context, model, name):
        """The day, and the printable letter's link where the reminder's policy prints letters."""
        from markupsafe import Markup, escape
        from flask import url_for
        flags = g.setdefault("_dunning_letter_levels", None)
        if flags is None:  # one query per page: which levels belong to a policy that prints letters
            from sqlalchemy import select
            from core.web.context import db
            flags = g._dunning_letter_levels = set(db().scalars(
                select(Level.id).join(Policy, Policy.id == Level.policy_id).where(Policy.attach_letter.is_(True))))
        day = escape(str(model.as_of))
        if model.level_id not in flags:
            return day
        return Markup('{} <a href="{}">{}</a>').format(day, url_for(".letter_view", reminder_id=model.id),
                                                       _("Letter (PDF)"))

    column_formatters = {"as_of": _letter}

    @expose("/letter/<int:reminder_id>")
    def letter_view(self, reminder_id):
        """The reminder's printable letter (read permission; refused when its policy prints none)."""
        from flask import Response, redirect, url_for, flash
        from core.web.context import db
        try:
            name, pdf = letter.letter_pdf(db(), reminder_id)
        except UserError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".index_view"))
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def action_for(self, name):
        if name == "action_view":  # its one action books money: permission dunning.reminder.charge
            return "charge"
        return super().action_for(name)

    @action("charge", _l("Customer paid the fee and interest"),
            _l("Issue a charge document for the selected reminders' fee and interest, paid today?"))
    def action_charge(self, ids):
        run_service(lambda s: [charges.book_charge(s, int(i)) for i in ids],
                    _("%(count)s charge document(s) issued", count=len(ids)))


class StatementLineView(SecureModelView):
    addon = "dunning"
    permission = "dunning.statement"
    allow_create = allow_edit = allow_delete = False
    column_list = ("booked_on", "amount", "currency", "reference", "counterparty", "state", "matched_by")
    column_labels = {"booked_on": _l("Booked"), "amount": _l("Amount"), "currency": _l("Currency"),
                     "reference": _l("Reference"), "counterparty": _l("Counterparty"), "state": _l("Status"),
                     "matched_by": _l("Matched by"), "line_key": _l("Bank reference"), "statement_id": _l("Statement"),
                     "payment_id": _l("Payment"), "partner_id": _l("Customer")}
    status_column, status_kind = "state", "dunning_line_state"
    status_colours = {"matched": "success", "unmatched": "warning", "ignored": "secondary"}
    column_default_sort = ("booked_on", True)
    column_sortable_list = ("booked_on",)
    column_filters = (FilterEqual(StatementLine.state, _l("Status"),
                                  options=_choices(("matched", "unmatched", "ignored"), "dunning_line_state")),)

    def action_for(self, name):
        if name == "action_view":
            return "match"
        return super().action_for(name)

    @action("ignore", _l("Ignore"), _l("The selected lines are not customers' payments: never match them?"))
    def action_ignore(self, ids):
        run_service(lambda s: [statements.ignore_line(s, int(i)) for i in ids],
                    _("%(count)s line(s) ignored", count=len(ids)))


class LevelInline(InlineFormAdmin):
    form_columns = ("id", "days", "name", "tone", "fee")
    form_label = _l("Level")
    column_labels = {"days": _l("Days from the due date"), "name": _l("Name"), "tone": _l("Tone"), "fee": _l("Fee")}
    form_choices = {"tone": _choices(TONES, "dunning_tone")}


class PolicyView(SecureModelView):
    addon = "dunning"
    permission = "dunning.policy"
    allow_delete = False
    column_list = ("name", "is_default", "min_balance", "max_reminders", "interest_percent", "attach_letter",
                   "texts")
    form_columns = ("name", "is_default", "min_balance", "max_reminders", "interest_percent", "attach_letter")
    column_labels = {"name": _l("Name"), "is_default": _l("Default"), "min_balance": _l("Minimum balance"),
                     "max_reminders": _l("Most reminders per invoice"),
                     "interest_percent": _l("Yearly interest %"), "attach_letter": _l("Letter for printing"),
                     "levels": _l("Levels"), "created_at": _l("Created"), "updated_at": _l("Updated"),
                     "texts": _l("Reminder texts")}
    column_kinds = {"max_reminders": "quantity"}
    inline_models = (LevelInline(Level),)

    def _texts_link(view, context, model, name):
        from markupsafe import Markup
        from core.dashboard import list_url
        return Markup('<a href="%s">%s</a>') % (list_url("dunning_level", (Level.policy_id, IntEqualFilter, model.id)),
                                                 _("Texts per level and language"))

    column_formatters = {"texts": _texts_link}

    def on_model_change(self, form, model, is_created):
        if not model.levels:
            raise UserError(_("levels: a policy needs at least one level"))
        if len({lv.days for lv in model.levels}) != len(model.levels):
            raise UserError(_("levels: two levels on the same day"))
        for level in model.levels:
            if level.tone not in TONES:
                raise UserError(_("levels: tone %(tone)s is not one of %(tones)s", tone=repr(level.tone),
                                  tones=", ".join(TONES)))
        if model.is_default:
            from sqlalchemy import select
            session = self.session
            for other in session.scalars(select(Policy).where(Policy.is_default.is_(True), Policy.id != model.id)):
                other.is_default = False


class LevelTextInline(InlineFormAdmin):
    """One language's subject and body of a level's reminder (placeholders checked on save by services.texts)."""
    form_columns = ("id", "language", "subject", "body")
    form_label = _l("Text")
    column_labels = {"language": _l("Language"), "subject": _l("Subject"), "body": _l("Message")}
    form_choices = {"language": [(code, name) for code, name in LANGUAGE_NAMES.items()]}

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self.form_args = {"body": {"description": LazyString(texts.placeholder_help),
                                   "render_kw": {"rows": 8}},
                          "subject": {"description": LazyString(texts.placeholder_help)}}


class LevelView(SecureModelView):
    """A policy's levels with their texts per language: the merchant's own words, else the catalog's tone."""
    addon = "dunning"
    permission = "dunning.policy"
    allow_create = allow_delete = False
    column_list = ("policy", "days", "name", "tone", "fee", "texts")
    form_columns = ("name",)
    column_labels = {"policy": _l("Policy"), "days": _l("Days from the due date"), "name": _l("Name"),
                     "tone": _l("Tone"), "fee": _l("Fee"), "texts": _l("Own texts")}
    code_columns = {"tone": "dunning_tone"}
    column_default_sort = ("days", False)
    column_filters = (IntEqualFilter(Level.policy_id, _l("Policy")),)
    inline_models = (LevelTextInline(LevelText),)

    def _texts(view, context, model, name):
        return ", ".join(t.language for t in model.texts) or _("standard wording")

    column_formatters = {"texts": _texts}

    def on_model_change(self, form, model, is_created):
        seen = set()
        for text in list(model.texts):
            if text.language not in LANGUAGE_NAMES:
                raise UserError(_("language: %(code)s is not one of %(list)s", code=repr(text.language),
                                  list=", ".join(LANGUAGE_NAMES)))
            if text.language in seen:
                raise UserError(_("language: two texts in %(code)s", code=text.language))
            seen.add(text.language)
            text.subject = texts.check(text.subject, "subject", text.language)
            text.body = texts.check(text.body, "body", text.language)
            if text.subject is None and text.body is None:
                model.texts.remove(text)


class AccountView(SecureModelView):
    """A customer's dunning settings: their policy, a promise to pay (pause), do-not-remind, collections."""
    addon = "dunning"
    permission = "dunning.account"
    allow_delete = False
    column_list = ("partner", "policy", "paused_until", "promise_amount", "do_not_remind", "collections_since")
    form_columns = ("partner", "policy", "paused_until", "promise_amount", "pause_note", "do_not_remind",
                    "collections_since")
    column_labels = {"partner": _l("Customer"), "policy": _l("Policy"), "paused_until": _l("Paused until"),
                     "promise_amount": _l("Promised amount"), "pause_note": _l("Note"),
                     "do_not_remind": _l("Do not remind"), "collections_since": _l("In collections since"),
                     "created_at": _l("Created"), "updated_at": _l("Updated")}
    column_filters = (BooleanEqualFilter(Account.do_not_remind, _l("Do not remind")),)
    form_ajax_refs = {"partner": {"fields": ("name",), "page_size": 10}}

    def on_model_change(self, form, model, is_created):
        if model.partner_id is None and model.partner is None:
            raise UserError(_("partner: choose the customer"))
        if model.promise_amount is not None and model.promise_amount < 0:
            raise UserError(_("promise_amount: must not be negative"))


def register(admin, ctx):
    from .screens import AgingView, RunView, StatementImportView
    admin.add_view(ReceivableView(Receivable, ctx.session, name=_l("Receivables"), endpoint="dunning_receivable"),
                   menu="invoicing")
    admin.add_view(AgingView(name=_l("AR aging"), endpoint="dunning_aging"), menu="invoicing")
    admin.add_view(RunView(name=_l("Dunning run"), endpoint="dunning_run"), menu="invoicing")
    admin.add_view(ReminderView(Reminder, ctx.session, name=_l("Reminders"), endpoint="dunning_reminder"),
                   menu="invoicing")
    admin.add_view(PaymentView(ReceivedPayment, ctx.session, name=_l("Payments received"), endpoint="dunning_payment"),
                   menu="invoicing")
    admin.add_view(AllocationView(Allocation, ctx.session, name=_l("Allocations"), endpoint="dunning_allocation"),
                   menu="invoicing")
    admin.add_view(StatementImportView(name=_l("Import bank statement"), endpoint="dunning_statement_import"),
                   menu="invoicing")
    admin.add_view(StatementLineView(StatementLine, ctx.session, name=_l("Statement lines"),
                                     endpoint="dunning_statement_line"), menu="invoicing")
    admin.add_view(AccountView(Account, ctx.session, name=_l("Dunning accounts"), endpoint="dunning_account"),
                   menu="contacts")
    admin.add_view(PolicyView(Policy, ctx.session, name=_l("Dunning policies"), endpoint="dunning_policy"),
                   menu="settings")
    admin.add_view(LevelView(Level, ctx.session, name=_l("Reminder texts"), endpoint="dunning_level"),
                   menu="settings")
