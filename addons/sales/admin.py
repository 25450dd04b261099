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
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual, FilterInList, DateTimeBetweenFilter
from sqlalchemy import or_, select

from core.admin import SecureModelView, run_service
from core.errors import UserError
from core.web.context import db

from . import services, states
from .admin_entry import STATIC_DIR, OrderEntryScreens
from .models import Order, Payment, PaymentTerm, Return


def _choices(values, labels=None):
    return [(v, (labels or {}).get(v, v.replace("_", " ").capitalize())) for v in values]


class OrderView(OrderEntryScreens, SecureModelView):
    """Orders: the list, the document page with its actions, and the entry form for New and edit
    (``admin_entry``); otherwise orders change through their actions only, never by a raw model form."""
    addon = "sales"
    permission = "sales.order"
    allow_delete = False
    details_template = "sales/order_details.html"
    column_list = ("number", "created_at", "channel", "external_ref", "partner", "label", "state",
                   "payment_status", "fulfilment_status", "total", "currency")
    column_labels = {"partner": "Customer", "label": "Status", "external_ref": "External ref",
                     "fulfilment_status": "Fulfilment", "payment_status": "Payment"}
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
    column_details_list = ("number", "label", "state", "payment_status", "fulfilment_status", "channel",
                           "external_ref", "customer_po", "partner", "order_date", "payment_term_code",
                           "due_date", "currency", "prices_include_tax", "subtotal", "discount_total",
                           "tax_total", "shipping_fee", "shipping_paid_by", "shipping_address", "total",
                           "cod_amount", "amount_paid", "amount_refunded", "amount_credited", "early_discount",
                           "note", "cancel_reason", "confirmed_at", "completed_at", "cancelled_at", "created_at")
    column_formatters_detail = {"shipping_address": lambda v, c, m, n: ", ".join(
        str(value) for value in (m.shipping_address or {}).values())}

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

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            order = kwargs["model"]
            kwargs.update(order_lines=order.lines, order_payments=order.payments, states=states,
                          order_returns=db().scalars(select(Return).where(Return.order_id == order.id)
                                                     .order_by(Return.id)).all(),
                          can_edit=self.allowed("edit"), today=date.today().isoformat())
        return super().render(template, **kwargs)


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
