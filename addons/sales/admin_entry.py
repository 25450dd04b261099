"""The New order screen: Flask-Admin's create and edit views of the orders list, replaced by one form.

The form posts plain fields; ``payload_from_form`` turns them into the entry
payload and the entry service does the rest, exactly as for ``sales create``
and the API. A refusal (``EntryError``) re-renders the form with the clerk's
input and every problem, the named fields marked. The JSON lookups behind the
barcode field and the customer picker are fenced by the request session (the
current business), need the create or edit permission, and stay on indexed
columns (``services.entry_lookup``). The page's script is a static file
(``static/order_entry.js``): no inline script, no ``on*=`` attributes.
"""
from __future__ import annotations

from pathlib import Path

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core.errors import UserError
from core.i18n import _, _l
from core.money import format_money
from core.web.context import can, current_business, db, request_actor

from . import services, states
from .models import PaymentTerm
from .services import entry_lookup
from .services.entry_fields import ADDRESS_KEYS, SHIPPING_KEYS

STATIC_DIR = str(Path(__file__).parent / "static")
ENTRY_TEMPLATE = "sales/order_entry.html"
LINE_FIELDS = ("sku", "qty", "price", "discount")
NEW_CUSTOMER_FIELDS = ("name", "phone", "email", "country", "tax_id")
CHANNEL_GROUPS = ((_l("Direct"), ("phone", "counter", "facebook", "web", "manual")),
                  (_l("Marketplace"), ("shopee", "lazada", "tiktok")))


def payload_from_form(form, *, new: bool) -> dict:
    """The entry payload from the screen's fields (empty fields are left out, as a file would)."""
    def given(name):
        value = (form.get(name) or "").strip()
        return value or None

    payload = {"lines": [], "cod": bool(form.get("cod")), "shipping_paid_by": given("shipping_paid_by") or "customer"}
    rows = zip(*(form.getlist(f"line_{name}") for name in LINE_FIELDS))
    for sku, qty, price, discount in rows:
        if sku.strip():
            line = {"sku": sku.strip(), "qty": qty.strip()}
            if price.strip():
                line["unit_price"] = price.strip()
            if discount.strip():
                line["discount_percent"] = discount.strip()
            payload["lines"].append(line)
    for key in ("due_date", "shipping_fee", "customer_po", "note"):
        if given(key):
            payload[key] = given(key)
    shipping = {key: given(f"ship_{key}") for key in SHIPPING_KEYS if given(f"ship_{key}")}
    if shipping:
        payload["shipping_address"] = shipping
    if new:
        payload.update(_new_order_fields(form, given))
    return payload


def _new_order_fields(form, given) -> dict:
    fields = {"prices_include_tax": bool(form.get("prices_include_tax"))}
    for key in ("channel", "external_ref", "payment_term"):
        if given(key):
            fields[key] = given(key)
    if given("customer_code"):
        fields["customer"] = {"code": given("customer_code")}
    else:
        customer = {key: given(f"customer_{key}") for key in NEW_CUSTOMER_FIELDS if given(f"customer_{key}")}
        address = {key: given(f"customer_{key}") for key in ADDRESS_KEYS if given(f"customer_{key}")}
        if address:
            customer["address"] = address
        if customer:
            fields["customer"] = customer
    return fields


def form_of(order) -> MultiDict:
    """A saved order as the screen's fields (editing starts from what is there)."""
    values = MultiDict({"shipping_fee": _plain(order.shipping_fee), "shipping_paid_by": order.shipping_paid_by,
                        "customer_po": order.customer_po or "", "note": order.note or "",
                        "due_date": order.due_date.isoformat() if order.due_date else ""})
    if order.cod_amount and order.cod_amount == order.total:
        values["cod"] = "y"
    for key, value in (order.shipping_address or {}).items():
        values[f"ship_{key}"] = value
    for line in order.lines:
        for name, value in zip(LINE_FIELDS, (line.sku, _plain(line.qty), _plain(line.unit_price),
                                              _plain(line.discount_percent))):
            values.add(f"line_{name}", value)
    return values


def _plain(value) -> str:
    return format(value.normalize(), "f") if value is not None else ""


class OrderEntryScreens:
    """Mixed into the orders view: create_view and edit_view are the entry form."""

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if request.method == "POST":
            confirm = request.form.get("save") == "confirm"
            saved, error = self._save(lambda s: services.create_order_from_entry(
                s, payload_from_form(request.form, new=True), confirm=confirm, actor=request_actor).order)
            if saved is not None:
                return redirect(url_for(".details_view", id=saved.id))
            return self._entry_page(None, request.form, error)
        return self._entry_page(None, MultiDict({"channel": "phone"}))

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        order = self.get_one(request.args.get("id", ""))
        if request.method == "POST" and states.can(order, "edit"):
            confirm = request.form.get("save") == "confirm"
            saved, error = self._save(lambda s: services.update_order_lines_from_entry(
                s, order.id, payload_from_form(request.form, new=False), confirm=confirm, actor=request_actor))
            if saved is not None:
                return redirect(url_for(".details_view", id=saved.id))
            return self._entry_page(order, request.form, error)
        return self._entry_page(order, form_of(order))

    def _save(self, call):
        """Run the entry in the request transaction: (order, None) committed, or (None, error) rolled back."""
        session = db()
        try:
            order = call(session)
            number, label = order.number, order.label
            session.commit()
        except UserError as exc:
            session.rollback()
            return None, exc
        flash(_("order %(number)s saved: %(label)s", number=number, label=label), "success")
        return order, None

    @expose("/entry/lookup/")
    def entry_lookup_view(self):
        """Sellable variants for the barcode field (``q``) or the lines already on the form (``sku``)."""
        self._may_enter()
        channel = request.args.get("channel") if request.args.get("channel") in states.CHANNELS else None
        skus = [s for s in request.args.getlist("sku") if s][:entry_lookup.MAX_RESULTS]
        if skus:
            return jsonify(results=list(entry_lookup.sellable_by_sku(db(), skus, channel=channel).values()))
        return jsonify(results=entry_lookup.find_sellable(db(), request.args.get("q", ""), channel=channel))

    @expose("/entry/customers/")
    def entry_customers_view(self):
        self._may_enter()
        return jsonify(results=entry_lookup.find_customers(db(), request.args.get("q", "")))

    def _may_enter(self):
        if not (self.allowed("create") or self.allowed("edit")):
            abort(403)

    def _entry_page(self, order, values, error=None):
        business = current_business()
        currency = order.currency if order is not None else business.currency
        channel = order.channel if order is not None else values.get("channel")
        skus = values.getlist("line_sku")
        catalog = entry_lookup.sellable_by_sku(db(), skus, channel=channel if channel in states.CHANNELS else None)
        rows = [dict(zip(LINE_FIELDS, row)) for row in zip(*(values.getlist(f"line_{n}") for n in LINE_FIELDS))]
        for row in rows:
            row["catalog"] = catalog.get(row["sku"])
        locale = _locale()
        locked = order is not None and not states.can(order, "edit")
        return self.render(
            ENTRY_TEMPLATE, order=order, values=values, rows=rows, error=error,
            error_fields=getattr(error, "fields", set()), locked=locked,
            locked_reason=services.locked_reason(order) if locked else "",
            channel_groups=CHANNEL_GROUPS, terms=db().scalars(select(PaymentTerm).where(PaymentTerm.active.is_(True))
                                                              .order_by(PaymentTerm.days, PaymentTerm.code)).all(),
            money=entry_lookup.money_format(currency), locale=locale, business=business,
            fmt=lambda amount: format_money(amount, currency, locale), address_keys=ADDRESS_KEYS,
            can_override=can(services.OVERRIDE_PRICE), return_url=url_for(".index_view"))


def _locale() -> str:
    from flask_babel import get_locale
    return str(get_locale() or "en").replace("_", "-")
