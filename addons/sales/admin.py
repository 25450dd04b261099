"""Sales admin screens: orders (list, filters, detail with lines and payments, actions),
payments, returns and payment terms.

Views are thin: every change is a service call in the request's transaction;
a UserError rolls back and is flashed. The order list must stay fast at a
million rows: no COUNT(*) (SecureModelView's simple pager), filters and sorts
only on indexed columns, and search by exact order number or external
reference (both indexed) instead of ILIKE '%...%' over every row.
"""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual, FilterInList, DateTimeBetweenFilter
from sqlalchemy import or_

from core.admin import SecureModelView, run_service
from core.errors import UserError
from core.formatting import register_labels
from core.web.context import db

from . import services, states
from .admin_entry import STATIC_DIR, OrderEntryScreens
from .page import OrderDocument
from .models import Order, Payment, PaymentTerm, Return


def _choices(values, labels=None):
    return [(v, (labels or {}).get(v, v.replace("_", " ").capitalize())) for v in values]




register_labels("order_state", states.STATE_LABELS)
register_labels("payment_status", states.PAYMENT_LABELS)
register_labels("fulfilment_status", states.FULFILMENT_LABELS)
register_labels("payment_method", {"ewallet": "E-wallet", states.RETURN_CREDIT: "Return credit"})
register_labels("return_state", {"draft": "Draft", "received": "Received"})
register_labels("channel", {"web": _l("Web shop"), "shopee": "Shopee", "lazada": "Lazada", "tiktok": "TikTok Shop",
                            "phone": _l("Phone"), "facebook": "Facebook", "counter": _l("Shop counter"),
                            "manual": _l("Manual")})
STATE_COLOURS = {states.NEW: "info", states.PROCESSING: "warning", states.COMPLETED: "success",
                 states.CANCELLED: "secondary"}


class OrderView(OrderEntryScreens, OrderDocument, SecureModelView):
    """Orders: the list, the document page with its actions, and the entry form for New and edit
    (``admin_entry``); otherwise orders change through their actions only, never by a raw model form."""
    addon = "sales"
    permission = "sales.order"
    allow_delete = False
    column_list = ("number", "created_at", "channel", "external_ref", "partner", "state",
                   "payment_status", "fulfilment_status", "total")
    column_labels = {"partner": "Customer", "state": "Status", "external_ref": "External ref",
                     "fulfilment_status": "Fulfilment", "payment_status": "Payment"}
    status_column, status_kind, status_colours = "state", "order_state", STATE_COLOURS
    code_columns = {"channel": "channel", "payment_status": "payment_status",
                    "fulfilment_status": "fulfilment_status", "payment_term_code": "payment_term",
                    "shipping_paid_by": "shipping_payer"}
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "number")   # both indexed with business_id first
    column_searchable_list = ("number", "external_ref")
    column_filters = (
        FilterEqual(Order.state, "State", options=_choices(states.STATES, states.STATE_LABELS)),
        FilterEqual(Order.channel, "Channel", options=_choices(states.CHANNELS)),
        FilterEqual(Order.payment_status, "Payment", options=_choices(states.PAYMENT_STATUSES,
                                                                      states.PAYMENT_LABELS)),
        DateTimeBetweenFilter(Order.created_at, "Created"),
    )

    def search_placeholder(self):
        return "Order number or external reference (exact)"

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # Exact matches hit the (business_id, number) and external_ref indexes; a
        # substring search would scan every order of the business.
        term = search.strip()
        if term:
            cond = or_(Order.number == term, Order.external_ref == term)
            query = query.filter(cond)
            if count_query is not None:
                count_query = count_query.filter(cond)
        return query, count_query, joins, count_joins

    # ------------------------------------------------------------ mass actions
    def _each(self, ids, fn, verb):
        session = db()
        done = []
        try:
            for order_id in ids:
                done.append(fn(session, int(order_id)).number)
            session.commit()
        except UserError as exc:
            session.rollback()
            flash(f"nothing {verb}: {exc}", "error")
            return
        flash(f"{len(done)} order(s) {verb}: {', '.join(done)}", "success")

    @action("confirm", "Confirm", "Confirm the selected orders (stock is reserved)?")
    def action_confirm(self, ids):
        self._each(ids, services.confirm_order, "confirmed")

    @action("complete", "Complete", "Complete the selected orders (remaining goods are delivered)?")
    def action_complete(self, ids):
        self._each(ids, services.complete_order, "completed")

    @action("cancel", "Cancel", "Cancel the selected orders (reservations are released)?")
    def action_cancel(self, ids):
        self._each(ids, services.cancel_order, "cancelled")

    # ------------------------------------------------------------ one-order actions (details page)
    def _back(self, order_id):
        return redirect(url_for(".details_view", id=order_id))

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        order = self.get_one(request.args.get("id", ""))
        name = request.form.get("transition", "")
        calls = {"confirm": lambda s: services.confirm_order(s, order.id),
                 "complete": lambda s: services.complete_order(s, order.id),
                 "cancel": lambda s: services.cancel_order(s, order.id, request.form.get("reason", ""))}
        if name not in calls:
            flash(f"unknown action {name!r}", "error")
        else:
            run_service(calls[name], f"order {order.number}: {states.VERBS[name]}")
        return self._back(order.id)

    @expose("/pay/", methods=("POST",))
    def pay_view(self):
        order = self.get_one(request.args.get("id", ""))
        form = request.form
        # the date is read inside the service call, so a bad one is flashed like any UserError
        run_service(lambda s: services.register_payment(s, order.id, form.get("amount", ""), form.get("method", ""),
                                                        paid_on=_date(form.get("paid_on")),
                                                        reference=form.get("reference")),
                    f"payment registered on {order.number}")
        return self._back(order.id)

    @expose("/return/", methods=("POST",))
    def return_view(self):
        order = self.get_one(request.args.get("id", ""))
        form = request.form
        lines = []
        for line in order.lines:
            qty = (form.get(f"qty_{line.id}") or "").strip()
            if qty and qty != "0":
                lines.append({"order_line_id": line.id, "qty": qty, "damaged": bool(form.get(f"damaged_{line.id}"))})
        refund = (form.get("refund_amount") or "").strip() or None
        run_service(lambda s: services.create_return(s, order.id, lines, reason=form.get("reason", ""),
                                              refund_amount=refund, refund_method=form.get("refund_method") or None),
             f"return received on {order.number}")
        return self._back(order.id)



def _date(value):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"paid_on: {value!r} is not a date (YYYY-MM-DD)") from None


class PaymentView(SecureModelView):
    addon = "sales"
    permission = "sales.payment"
    allow_create = allow_edit = allow_delete = False   # registered from the order; money rows are never edited
    column_list = ("paid_on", "order", "kind", "method", "amount", "reference", "created_at")
    code_columns = {"kind": "payment_kind", "method": "payment_method"}
    currency_attr = "order.currency"
    column_default_sort = ("id", True)
    column_sortable_list = ("paid_on",)
    column_filters = (FilterEqual(Payment.kind, "Kind", options=[("payment", "Payment"), ("refund", "Refund")]),
                      FilterInList(Payment.method, "Method",
                                   options=_choices(states.PAYMENT_METHODS + (states.RETURN_CREDIT,))))


class ReturnView(SecureModelView):
    addon = "sales"
    permission = "sales.return"
    allow_create = allow_edit = allow_delete = False   # created from the order's detail page
    column_list = ("number", "created_at", "order", "state", "reason", "credit_amount", "refund_amount",
                   "refund_method", "replacement_order", "received_at")
    column_labels = {"state": "Status"}
    status_column, status_kind = "state", "return_state"
    status_colours = {"draft": "info", "received": "success"}
    code_columns = {"refund_method": "payment_method"}
    currency_attr = "order.currency"
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = (FilterEqual(Return.state, "State", options=[("draft", "Draft"), ("received", "Received")]),)

    @action("receive", "Receive", "Receive the selected draft returns (goods back in stock, refunds paid)?")
    def action_receive(self, ids):
        session = db()
        try:
            numbers = [services.receive_return(session, int(i)).number for i in ids]
            session.commit()
        except UserError as exc:
            session.rollback()
            flash(f"nothing received: {exc}", "error")
            return
        flash(f"received: {', '.join(numbers)}", "success")


class PaymentTermView(SecureModelView):
    addon = "sales"
    permission = "sales.term"
    allow_delete = False    # partners refer to terms by code; archive instead
    column_list = ("code", "name", "days", "discount_percent", "discount_days", "active")
    form_columns = ("code", "name", "days", "discount_percent", "discount_days", "active")

    def create_model(self, form):
        done, term = run_service(lambda s: services.create_payment_term(
            s, code=form.code.data, name=form.name.data, days=form.days.data or 0,
            discount_percent=str(form.discount_percent.data or 0), discount_days=form.discount_days.data or 0))
        return term if done else False

    def on_model_change(self, form, model, is_created):
        if not is_created:
            services.validate_payment_term(model)


def register(admin, ctx):
    admin.add_view(OrderView(Order, ctx.session, name="Orders", endpoint="sales_order", static_folder=STATIC_DIR))
    admin.add_view(PaymentView(Payment, ctx.session, name="Payments", endpoint="sales_payment"))
    admin.add_view(ReturnView(Return, ctx.session, name="Returns", endpoint="sales_return"))
    admin.add_view(PaymentTermView(PaymentTerm, ctx.session, name="Payment terms", endpoint="sales_term"))
