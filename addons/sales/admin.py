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
from flask_babel import LazyString
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import (DateSmallerFilter, DateTimeBetweenFilter, FilterEqual, FilterInList,
                                              FilterNotEqual)

from core.admin import SecureModelView, run_service
from core.errors import UserError
from core.i18n import _, _l
from core.formatting import code_label, register_labels
from core.web.context import db

from . import services, states
from .admin_entry import STATIC_DIR, OrderEntryScreens
from .page import OrderDocument
from .models import Order, Payment, PaymentTerm, Return


def _choices(values, kind):
    """(code, label) pairs for a filter, labelled like the list shows the codes (lazy: per request)."""
    return [(v, LazyString(code_label, kind, v)) for v in values]




register_labels("order_state", states.STATE_LABELS)
register_labels("payment_status", states.PAYMENT_LABELS)
register_labels("fulfilment_status", states.FULFILMENT_LABELS)
register_labels("payment_method", {"ewallet": _l("E-wallet"), "virtual_account": _l("Virtual account"),
                                    states.RETURN_CREDIT: _l("Return credit")})
register_labels("payment_kind", {"payment": _l("Payment"), "refund": _l("Refund")})
register_labels("return_state", {"draft": _l("Draft"), "received": _l("Received")})
register_labels("shipping_payer", {"customer": _l("Customer"), "merchant": _l("Merchant")})
register_labels("channel", {"web": _l("Web shop"), "shopee": "Shopee", "lazada": "Lazada", "tiktok": "TikTok Shop",
                            "phone": _l("Phone"), "facebook": "Facebook", "counter": _l("Shop counter"),
                            "manual": _l("Manual")})
# Flash texts of the order actions, one sentence each so every language can word it its own way.
TRANSITION_DONE = {"confirm": _l("order %(number)s: confirmed"), "complete": _l("order %(number)s: completed"),
                   "cancel": _l("order %(number)s: cancelled")}
MASS_DONE = {"confirm": _l("%(count)s order(s) confirmed: %(numbers)s"),
             "complete": _l("%(count)s order(s) completed: %(numbers)s"),
             "cancel": _l("%(count)s order(s) cancelled: %(numbers)s")}
MASS_REFUSED = {"confirm": _l("nothing confirmed: %(error)s"), "complete": _l("nothing completed: %(error)s"),
                "cancel": _l("nothing cancelled: %(error)s")}
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
    column_labels = {"number": _l("Number"), "created_at": _l("Created"), "updated_at": _l("Updated"),
                     "channel": _l("Channel"), "external_ref": _l("External ref"), "customer_po": _l("Customer PO"),
                     "partner": _l("Customer"), "currency": _l("Currency"),
                     "prices_include_tax": _l("Prices include tax"), "state": _l("Status"),
                     "payment_status": _l("Payment"), "fulfilment_status": _l("Fulfilment"),
                     "order_date": _l("Order date"), "payment_term_code": _l("Payment term"),
                     "term_days": _l("Term days"), "term_discount_percent": _l("Early-payment discount %"),
                     "term_discount_days": _l("Discount days"), "due_date": _l("Due date"),
                     "subtotal": _l("Subtotal"), "discount_total": _l("Discount"), "tax_total": _l("Tax"),
                     "shipping_fee": _l("Shipping fee"), "shipping_paid_by": _l("Shipping paid by"),
                     "total": _l("Total"), "cod_amount": _l("COD amount"), "amount_paid": _l("Paid"),
                     "amount_refunded": _l("Refunded"), "early_discount": _l("Early-payment discount"),
                     "amount_credited": _l("Credited by returns"), "note": _l("Note"),
                     "shipping_address": _l("Shipping address"), "cancel_reason": _l("Reason for cancelling"),
                     "confirmed_at": _l("Confirmed"), "completed_at": _l("Completed"),
                     "cancelled_at": _l("Cancelled"), "lines": _l("Lines"), "payments": _l("Payments")}
    status_column, status_kind, status_colours = "state", "order_state", STATE_COLOURS
    code_columns = {"channel": "channel", "payment_status": "payment_status",
                    "fulfilment_status": "fulfilment_status", "payment_term_code": "payment_term",
                    "shipping_paid_by": "shipping_payer"}
    list_load_only = True    # the list reads its nine columns only (core.admin_keyset)
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "number")   # both indexed with business_id first
    column_searchable_list = ("number", "external_ref")
    exact_search = True
    # The home page's tiles (dashboard.py) link to this list through these filters: keep the ones they name.
    column_filters = (
        FilterEqual(Order.state, _l("Status"), options=_choices(states.STATES, "order_state")),
        FilterNotEqual(Order.state, _l("Status"), options=_choices(states.STATES, "order_state")),
        FilterEqual(Order.channel, _l("Channel"), options=_choices(states.CHANNELS, "channel")),
        FilterEqual(Order.payment_status, _l("Payment"), options=_choices(states.PAYMENT_STATUSES, "payment_status")),
        FilterInList(Order.payment_status, _l("Payment"), options=_choices(states.PAYMENT_STATUSES,
                                                                           "payment_status")),
        FilterInList(Order.fulfilment_status, _l("Fulfilment"), options=_choices(states.FULFILMENT_STATUSES,
                                                                                 "fulfilment_status")),
        DateTimeBetweenFilter(Order.created_at, _l("Created")),
        DateSmallerFilter(Order.due_date, _l("Due date")),
        FilterEqual(Order.currency, _l("Currency")),
    )

    def search_placeholder(self):
        return _("Order number or external reference (exact)")

    # ------------------------------------------------------------ mass actions
    def _each(self, ids, fn, name):
        session = db()
        done = []
        try:
            for order_id in ids:
                done.append(fn(session, int(order_id)).number)
            session.commit()
        except UserError as exc:
            session.rollback()
            flash(MASS_REFUSED[name] % {"error": exc}, "error")
            return
        flash(MASS_DONE[name] % {"count": len(done), "numbers": ", ".join(done)}, "success")

    @action("confirm", _l("Confirm"), _l("Confirm the selected orders (stock is reserved)?"))
    def action_confirm(self, ids):
        self._each(ids, services.confirm_order, "confirm")

    @action("complete", _l("Complete"), _l("Complete the selected orders (remaining goods are delivered)?"))
    def action_complete(self, ids):
        self._each(ids, services.complete_order, "complete")

    @action("cancel", _l("Cancel"), _l("Cancel the selected orders (reservations are released)?"))
    def action_cancel(self, ids):
        self._each(ids, services.cancel_order, "cancel")

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
            flash(_("unknown action %(name)r", name=name), "error")
        else:
            run_service(calls[name], TRANSITION_DONE[name] % {"number": order.number})
        return self._back(order.id)

    @expose("/pay/", methods=("POST",))
    def pay_view(self):
        order = self.get_one(request.args.get("id", ""))
        form = request.form
        # the date is read inside the service call, so a bad one is flashed like any UserError
        run_service(lambda s: services.register_payment(s, order.id, form.get("amount", ""), form.get("method", ""),
                                                        paid_on=_date(form.get("paid_on")),
                                                        reference=form.get("reference")),
                    _("payment registered on %(number)s", number=order.number))
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
             _("return received on %(number)s", number=order.number))
        return self._back(order.id)



def _date(value):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(_("paid_on: %(value)r is not a date (YYYY-MM-DD)", value=value)) from None


class PaymentView(SecureModelView):
    addon = "sales"
    permission = "sales.payment"
    allow_create = allow_edit = allow_delete = False   # registered from the order; money rows are never edited
    column_list = ("paid_on", "order", "kind", "method", "amount", "reference", "created_at")
    column_labels = {"paid_on": _l("Paid on"), "order": _l("Order"), "kind": _l("Kind"), "method": _l("Method"),
                     "amount": _l("Amount"), "reference": _l("Reference"), "created_at": _l("Created"),
                     "ret": _l("Return"), "return_id": _l("Return")}
    code_columns = {"kind": "payment_kind", "method": "payment_method"}
    currency_attr = "order.currency"
    column_default_sort = ("id", True)
    column_sortable_list = ("paid_on",)
    column_filters = (FilterEqual(Payment.kind, _l("Kind"), options=_choices(("payment", "refund"), "payment_kind")),
                      FilterInList(Payment.method, _l("Method"),
                                   options=_choices(states.PAYMENT_METHODS + (states.RETURN_CREDIT,),
                                                    "payment_method")))


class ReturnView(SecureModelView):
    addon = "sales"
    permission = "sales.return"
    allow_create = allow_edit = allow_delete = False   # created from the order's detail page
    column_list = ("number", "created_at", "order", "state", "reason", "credit_amount", "refund_amount",
                   "refund_method", "replacement_order", "received_at")
    column_labels = {"number": _l("Number"), "created_at": _l("Created"), "updated_at": _l("Updated"),
                     "order": _l("Order"), "state": _l("Status"), "reason": _l("Reason"),
                     "credit_amount": _l("Credit"), "refund_amount": _l("Refund"), "refund_method": _l("Refund method"),
                     "replacement_order": _l("Replacement order"), "received_at": _l("Received"),
                     "lines": _l("Lines")}
    status_column, status_kind = "state", "return_state"
    status_colours = {"draft": "info", "received": "success"}
    code_columns = {"refund_method": "payment_method"}
    currency_attr = "order.currency"
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = (FilterEqual(Return.state, _l("Status"), options=_choices(("draft", "received"), "return_state")),)

    @action("receive", _l("Receive"), _l("Receive the selected draft returns (goods back in stock, refunds paid)?"))
    def action_receive(self, ids):
        session = db()
        try:
            numbers = [services.receive_return(session, int(i)).number for i in ids]
            session.commit()
        except UserError as exc:
            session.rollback()
            flash(_("nothing received: %(error)s", error=exc), "error")
            return
        flash(_("received: %(numbers)s", numbers=", ".join(numbers)), "success")


class PaymentTermView(SecureModelView):
    addon = "sales"
    permission = "sales.term"
    allow_delete = False    # partners refer to terms by code; archive instead
    column_list = ("code", "name", "days", "discount_percent", "discount_days", "active")
    form_columns = ("code", "name", "days", "discount_percent", "discount_days", "active")
    column_labels = {"code": _l("Code"), "name": _l("Name"), "days": _l("Days"),
                     "discount_percent": _l("Early-payment discount %"), "discount_days": _l("Discount days"),
                     "active": _l("Active")}

    def create_model(self, form):
        done, term = run_service(lambda s: services.create_payment_term(
            s, code=form.code.data, name=form.name.data, days=form.days.data or 0,
            discount_percent=str(form.discount_percent.data or 0), discount_days=form.discount_days.data or 0))
        return term if done else False

    def on_model_change(self, form, model, is_created):
        if not is_created:
            services.validate_payment_term(model)


def register(admin, ctx):
    admin.add_view(OrderView(Order, ctx.session, name=_l("Orders"), endpoint="sales_order",
                             static_folder=STATIC_DIR), menu="sales")
    admin.add_view(PaymentView(Payment, ctx.session, name=_l("Payments"), endpoint="sales_payment"), menu="sales")
    admin.add_view(ReturnView(Return, ctx.session, name=_l("Returns"), endpoint="sales_return"), menu="sales")
    admin.add_view(PaymentTermView(PaymentTerm, ctx.session, name=_l("Payment terms"), endpoint="sales_term"),
                   menu="settings")
