"""Warehouse screens: warehouses, stock (balances), the move ledger (read-only),
purchase orders (send, receive, cancel), goods receipts (read-only documents),
stock transfers (a draft document, confirmed or cancelled), stock counts (start,
enter/import, variance, apply, cancel), reorder points and supplier prices.

Every change is a service call in the request's transaction; a UserError rolls
back and is flashed. The ledger and balances are never edited here.
"""
from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import LazyString
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from addons.catalog.services import variant_by_sku
from core.admin import SecureModelView, SecureView, ServiceForms, run_service
from core.errors import UserError
from core.formatting import code_label, parse_date, register_labels
from core.i18n import _, _l
from core.money import parse_int
from core.text import decode_utf8
from core.web.context import db
from core.web.formatting import current_locale

from . import services as wh
from .models import (COUNT_STATES, MOVE_KINDS, PO_STATES, TRANSFER_STATES, PurchaseOrder, Receipt, ReorderPoint,
                     StockBalance, StockCount, StockMove, StockTransfer, SupplierProduct, Warehouse)
from .page import CountDocument, PurchaseDocument, ReceiptDocument, TransferDocument
from .services.counts import STATE_LABELS as COUNT_LABELS
from .services.purchasing import STATE_LABELS as PO_LABELS
from .services.transfers import STATE_LABELS as TRANSFER_LABELS

register_labels("purchase_order_state", PO_LABELS)
register_labels("stock_count_state", COUNT_LABELS)
register_labels("stock_transfer_state", TRANSFER_LABELS)
register_labels("warehouse_kind", {"main": _l("Main"), "secondary": _l("Secondary"), "branch": _l("Branch")})
register_labels("stock_move_kind", {"receipt": _l("Receipt"), "delivery": _l("Delivery"), "transfer": _l("Transfer"),
                                    "adjustment": _l("Adjustment"), "return": _l("Return"), "scrap": _l("Scrap"),
                                    "reserve": _l("Reservation"), "release": _l("Release")})

# Column and form labels shared by the warehouse screens (Flask-Admin also names filters and the search box by them).
LABELS = {"code": _l("Code"), "name": _l("Name"), "kind": _l("Kind"), "street": _l("Street"), "city": _l("City"),
          "region": _l("Region"), "postal_code": _l("Postal code"), "country": _l("Country"),
          "contact_name": _l("Contact"), "phone": _l("Phone"), "email": _l("E-mail"), "active": _l("Active"),
          "created_at": _l("Created"), "updated_at": _l("Updated"), "warehouse": _l("Warehouse"),
          "warehouse.code": _l("Warehouse"), "variant": _l("Product variant"), "variant.sku": _l("SKU"),
          "on_hand": _l("On hand"), "reserved": _l("Reserved"), "available": _l("Available"),
          "allow_negative": _l("Allow negative stock"), "unit_cost": _l("Unit cost"), "reference": _l("Reference"),
          "reason": _l("Reason"), "number": _l("Number"), "supplier": _l("Supplier"), "state": _l("Status"),
          "expected_date": _l("Expected"), "currency": _l("Currency"), "origin": _l("Origin"),
          "sent_at": _l("Sent"), "closed_at": _l("Closed"), "notes": _l("Notes"), "note": _l("Note"),
          "started_at": _l("Started"), "applied_at": _l("Applied"), "min_qty": _l("Minimum qty"),
          "max_qty": _l("Maximum qty"), "partner": _l("Supplier"), "supplier_sku": _l("Supplier SKU"),
          "lead_time_days": _l("Lead time (days)"), "preferred": _l("Preferred"), "lines": _l("Lines")}




def _options(kind, codes):
    """Filter choices shown with their labels, never the codes, in the reader's language (built at import time)."""
    return [(code, LazyString(code_label, kind, code)) for code in codes]


def _link(endpoint, row_id, text):
    """A link from a list cell to a document page (escaped: Markup.format escapes its arguments)."""
    return Markup('<a href="{}">{}</a>').format(url_for(f"{endpoint}.details_view", id=row_id), text)


def _lines_from_form(session, form, prefix="qty_"):
    """[(variant_id, qty)] from inputs named qty_<variant_id> (empty or 0 skipped)."""
    lines = []
    for key, value in form.items():
        if key.startswith(prefix) and value.strip() and value.strip() != "0":
            lines.append((parse_int(key[len(prefix):], field=key), value.strip()))
    return lines


class WarehouseView(ServiceForms, SecureModelView):
    addon = "warehouse"
    permission = "warehouse.stock"
    allow_delete = False
    service_create = staticmethod(wh.create_warehouse)
    service_update = staticmethod(wh.update_warehouse)
    column_list = ("code", "name", "kind", "city", "contact_name", "phone", "active")
    column_default_sort = ("code", False)
    column_labels = LABELS
    code_columns = {"kind": "warehouse_kind"}
    form_columns = wh.FIELDS
    form_choices = {"kind": [("main", _l("Main")), ("secondary", _l("Secondary")), ("branch", _l("Branch"))]}


class LowStockFilter(BaseSQLAFilter):
    """Balances at or below their reorder point (or zero): what the home page's Low stock tile counts."""

    def __init__(self):
        super().__init__(StockBalance.id, _l("Low stock"), options=[("1", _l("Yes"))])

    def apply(self, query, value, alias=None):
        return wh.low_stock(query)

    def operation(self):
        return _l("is")


class StockBalanceView(SecureModelView):
    addon = "warehouse"
    permission = "warehouse.stock"
    allow_create = allow_edit = allow_delete = False   # balances change only through moves
    column_list = ("warehouse", "variant", "on_hand", "reserved", "available", "updated_at")
    column_labels = LABELS
    column_default_sort = ("id", False)
    column_searchable_list = ("variant.sku",)
    column_filters = ("warehouse.code", LowStockFilter())


class StockMoveView(SecureModelView):
    addon = "warehouse"
    permission = "warehouse.stock"
    allow_create = allow_edit = allow_delete = False   # the ledger is append-only
    column_list = ("created_at", "kind", "warehouse", "variant", "on_hand_delta", "reserved_delta", "unit_cost",
                   "reference", "reason", "user_id")
    column_labels = dict(LABELS, on_hand_delta=_l("On hand ±"), reserved_delta=_l("Reserved ±"), user_id=_l("User"))
    code_columns = {"kind": "stock_move_kind"}
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)            # (business_id, created_at) index
    column_searchable_list = ("reference",)
    column_filters = (FilterEqual(StockMove.kind, _l("Kind"), options=_options("stock_move_kind", MOVE_KINDS)),)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # exact reference: the (business_id, reference) index, not a scan of the whole ledger
        term = search.strip()
        if term:
            query = query.filter(StockMove.reference == term)
            if count_query is not None:
                count_query = count_query.filter(StockMove.reference == term)
        return query, count_query, joins, count_joins


class PurchaseOrderView(PurchaseDocument, SecureModelView):
    addon = "warehouse"
    permission = "warehouse.purchase"
    allow_edit = allow_delete = False
    column_list = ("number", "created_at", "supplier", "warehouse", "state", "expected_date", "currency", "origin")
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "number")
    column_searchable_list = ("number",)
    column_filters = (FilterEqual(PurchaseOrder.state, _l("Status"), options=[(s, PO_LABELS[s]) for s in PO_STATES]),)
    column_labels = LABELS
    status_column, status_kind = "state", "purchase_order_state"
    status_colours = {"draft": "info", "sent": "primary", "partial": "warning", "received": "success",
                      "cancelled": "secondary"}
    form_columns = ("supplier", "warehouse", "expected_date", "notes")
    form_ajax_refs = {"supplier": {"fields": ("name",), "page_size": 20}}

    def create_model(self, form):
        done, order = run_service(lambda s: wh.create_purchase_order(
            s, form.supplier.data.id if form.supplier.data else 0,
            warehouse_id=form.warehouse.data.id if form.warehouse.data else None,
            expected_date=form.expected_date.data, notes=form.notes.data))
        return order if done else False

    def _each(self, ids, fn, verb):
        run_service(lambda s: [fn(s, int(i)) for i in ids], verb % {"count": len(ids)})

    @action("send", _l("Send"), _l("Send the selected draft purchase orders?"))
    def action_send(self, ids):
        self._each(ids, wh.send_purchase_order, _("%(count)s purchase order(s) sent"))

    @action("receive_all", _l("Receive everything outstanding"), _l("Receive all outstanding goods of the selected orders?"))
    def action_receive(self, ids):
        if not self.allowed("receive"):
            flash(_("you may not receive purchase orders"), "error")
            return
        self._each(ids, lambda s, i: wh.receive_purchase_order(s, i), _("%(count)s purchase order(s) received"))

    @action("cancel", _l("Cancel"), _l("Cancel the selected purchase orders (backorders are dropped)?"))
    def action_cancel(self, ids):
        self._each(ids, wh.cancel_purchase_order, _("%(count)s purchase order(s) cancelled"))

    def _back(self, order_id):
        return redirect(url_for(".details_view", id=order_id))

    @expose("/line/", methods=("POST",))
    def line_view(self):
        order = self.get_one(request.args.get("id", ""))
        form = request.form
        run_service(lambda s: wh.add_purchase_line(s, order.id, variant_by_sku(s, form.get("sku", "")).id,
                                            form.get("quantity", ""), form.get("unit_cost") or None),
             _("line added to %(number)s", number=order.number))
        return self._back(order.id)

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        order = self.get_one(request.args.get("id", ""))
        name = request.form.get("transition", "")
        if name == "receive":
            if not self.allowed("receive"):
                flash(_("you may not receive purchase orders"), "error")
                return self._back(order.id)
            lines = _lines_from_form(db(), request.form)
            run_service(lambda s: wh.receive_purchase_order(s, order.id, lines or None,
                                                     supplier_reference=request.form.get("supplier_reference")),
                 _("goods received on %(number)s", number=order.number))
        elif name == "send":
            run_service(lambda s: wh.send_purchase_order(s, order.id), _("%(number)s sent", number=order.number))
        elif name == "cancel":
            run_service(lambda s: wh.cancel_purchase_order(s, order.id, request.form.get("reason")),
                 _("%(number)s cancelled", number=order.number))
        else:
            flash(_("unknown action %(name)r", name=name), "error")
        return self._back(order.id)


class StockCountView(CountDocument, SecureModelView):
    addon = "warehouse"
    permission = "warehouse.count"
    allow_edit = allow_delete = False
    column_list = ("number", "created_at", "warehouse", "state", "started_at", "applied_at", "note")
    column_labels = LABELS
    status_column, status_kind = "state", "stock_count_state"
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = (FilterEqual(StockCount.state, _l("Status"), options=_options("stock_count_state", COUNT_STATES)),)
    status_colours = {"draft": "info", "counting": "warning", "applied": "success", "cancelled": "secondary"}
    form_columns = ("warehouse", "note")

    def create_model(self, form):
        done, count = run_service(lambda s: wh.create_count(
            s, form.warehouse.data.id if form.warehouse.data else 0, form.note.data))
        return count if done else False

    def _back(self, count_id):
        return redirect(url_for(".details_view", id=count_id))

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        count = self.get_one(request.args.get("id", ""))
        name = request.form.get("transition", "")
        if name == "apply" and not self.allowed("apply"):
            flash(_("you may not apply stock counts"), "error")
        elif name == "start":
            run_service(lambda s: wh.start_count(s, count.id), _("%(number)s: counting started", number=count.number))
        elif name == "record":
            lines = _lines_from_form(db(), request.form, prefix="counted_")
            run_service(lambda s: wh.record_counts(s, count.id, lines),
                        _("%(number)s: counts recorded", number=count.number))
        elif name == "import":
            upload = request.files.get("file")
            run_service(lambda s: wh.import_counts(s, count.id, decode_utf8(upload.read(), upload.filename)
                                                   if upload else ""),
                        _("%(number)s: counts imported", number=count.number))
        elif name == "apply":
            run_service(lambda s: wh.apply_count(s, count.id),
                        _("%(number)s: applied as adjustments", number=count.number))
        elif name == "cancel":
            run_service(lambda s: wh.cancel_count(s, count.id), _("%(number)s: cancelled", number=count.number))
        else:
            flash(_("unknown action %(name)r", name=name), "error")
        return self._back(count.id)


class ReorderPointView(SecureModelView):
    addon = "warehouse"
    permission = "warehouse.purchase"
    column_list = ("warehouse", "variant", "min_qty", "max_qty")
    column_labels = LABELS
    column_filters = ("warehouse.code",)
    column_searchable_list = ("variant.sku",)
    form_columns = ("warehouse", "variant", "min_qty", "max_qty")
    form_ajax_refs = {"variant": {"fields": ("sku",), "page_size": 20}}

    def _save(self, form, model=None):
        done, point = run_service(lambda s: wh.set_reorder_point(
            s, form.warehouse.data.id if form.warehouse.data else 0,
            form.variant.data.id if form.variant.data else 0, form.min_qty.data, form.max_qty.data))
        return point if done else False

    def create_model(self, form):
        return self._save(form)

    def update_model(self, form, model):
        return self._save(form, model) is not False


class SupplierProductView(SecureModelView):
    addon = "warehouse"
    permission = "warehouse.purchase"
    allow_edit = False
    column_list = ("partner", "variant", "supplier_sku", "unit_cost", "min_qty", "lead_time_days", "preferred")
    column_labels = LABELS
    column_searchable_list = ("variant.sku",)
    form_columns = ("partner", "variant", "supplier_sku", "unit_cost", "min_qty", "lead_time_days", "preferred")
    form_ajax_refs = {"variant": {"fields": ("sku",), "page_size": 20},
                      "partner": {"fields": ("name",), "page_size": 20}}

    def create_model(self, form):
        done, row = run_service(lambda s: wh.set_supplier_product(
            s, form.partner.data.id if form.partner.data else 0,
            form.variant.data.id if form.variant.data else 0, unit_cost=form.unit_cost.data or Decimal(0),
            supplier_sku=form.supplier_sku.data, min_qty=form.min_qty.data or Decimal(0),
            lead_time_days=form.lead_time_days.data or 0, preferred=bool(form.preferred.data)))
        return row if done else False


class ReceiptView(ReceiptDocument, SecureModelView):
    """Goods receipts, read-only: they are made by receiving a purchase order."""
    addon = "warehouse"
    permission = "warehouse.receipt"
    allow_create = allow_edit = allow_delete = False
    currency_attr = "order.currency"
    column_list = ("number", "received_at", "supplier", "warehouse", "order", "order.state", "supplier_reference")
    column_labels = dict(LABELS, received_at=_l("Received at"), order=_l("Purchase order"),
                         supplier_reference=_l("Supplier delivery note"), user_id=_l("User"),
                         **{"order.state": _l("Order status")})
    # a receipt has no states (it is posted stock): the badge is its order's, saying if a backorder is left
    status_column, status_kind = "order.state", "purchase_order_state"
    status_colours = PurchaseOrderView.status_colours
    column_default_sort = ("received_at", True)
    column_sortable_list = ("received_at", "number")       # (business_id, received_at) index
    column_searchable_list = ("number", "supplier_reference")
    column_formatters = {"order": lambda view, context, model, name: _link("warehouse_purchase_order",
                                                                            model.order_id, model.order.number)}

    def get_query(self):
        # one query per page, not three per row
        return super().get_query().options(joinedload(Receipt.order).joinedload(PurchaseOrder.supplier),
                                           joinedload(Receipt.warehouse))


class StockTransferView(TransferDocument, SecureModelView):
    """Transfer documents; new ones are written on the Transfer stock screen (one way to transfer)."""
    addon = "warehouse"
    permission = "warehouse.transfer"
    allow_create = allow_edit = allow_delete = False     # "New transfer" opens the Transfer stock screen
    list_template = "warehouse/transfer_list.html"
    column_list = ("number", "created_at", "from_warehouse", "to_warehouse", "state", "scheduled_date", "done_at",
                   "note")
    column_labels = dict(LABELS, from_warehouse=_l("From"), to_warehouse=_l("To"), done_at=_l("Done"),
                         scheduled_date=_l("Scheduled date"), cancelled_at=_l("Cancelled"),
                         cancel_reason=_l("Reason for cancelling"))
    status_column, status_kind = "state", "stock_transfer_state"
    status_colours = {"draft": "info", "done": "success", "cancelled": "secondary"}
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "number")
    column_searchable_list = ("number",)
    column_filters = (FilterEqual(StockTransfer.state, _l("Status"),
                                  options=_options("stock_transfer_state", TRANSFER_STATES)),)

    def get_query(self):
        return super().get_query().options(joinedload(StockTransfer.from_warehouse),
                                           joinedload(StockTransfer.to_warehouse))

    def action_for(self, name):
        if name == "transition_view":   # confirming moves stock: its own permission
            return "confirm" if request.form.get("transition") == "confirm" else "edit"
        return super().action_for(name)

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        transfer = self.get_one(request.args.get("id", ""))
        name = request.form.get("transition", "")
        if name == "confirm":
            run_service(lambda s: wh.confirm_transfer(s, transfer.id), _("%(number)s done: stock moved",
                                                                          number=transfer.number))
        elif name == "cancel":
            run_service(lambda s: wh.cancel_transfer(s, transfer.id, request.form.get("reason")),
                        _("%(number)s cancelled", number=transfer.number))
        else:
            flash(_("unknown action %(name)r", name=name), "error")
        return redirect(url_for(".details_view", id=transfer.id))


def _scheduled(text: str):
    if not (text or "").strip():
        return None
    try:
        return parse_date(text, current_locale())
    except UserError as exc:
        raise UserError(_("scheduled date: %(problem)s", problem=str(exc))) from None


class TransferView(SecureView):
    """Write a stock transfer document (lines 'SKU quantity'), optionally confirming it at once.

    The one way to transfer stock from the screens: the document keeps who moved
    what and why, and its moves carry its number."""
    addon = "warehouse"
    permission = "warehouse.transfer"

    def action_for(self, name):
        return "create" if request.method == "POST" else "read"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        session = db()
        if request.method == "POST":
            form = request.form
            confirm = bool(form.get("confirm"))
            if confirm and not self.allowed("confirm"):
                flash(_("you may not confirm stock transfers; save it as a draft"), "error")
            else:
                def write(s):
                    transfer = wh.create_transfer(
                        s, parse_int(form.get("source", ""), field="from warehouse"),
                        parse_int(form.get("target", ""), field="to warehouse"), wh.lines_from_text(s, form.get("lines")),
                        scheduled_date=_scheduled(form.get("scheduled_date")), note=form.get("note"))
                    if confirm:
                        wh.confirm_transfer(s, transfer.id)
                    return transfer.id, transfer.number
                done, result = run_service(write)
                if done:
                    flash(_("%(number)s done: stock moved", number=result[1]) if confirm
                          else _("%(number)s saved as a draft", number=result[1]), "success")
                    return redirect(url_for("warehouse_stock_transfer.details_view", id=result[0]))
        warehouses = session.scalars(select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.code))
        return self.render("warehouse/transfer.html", warehouses=list(warehouses), values=request.form,
                           may_confirm=self.allowed("confirm"))


def register(admin, ctx):
    admin.add_view(WarehouseView(Warehouse, ctx.session, name=_l("Warehouses"), endpoint="warehouse_warehouse"),
                   menu="inventory")
    admin.add_view(StockBalanceView(StockBalance, ctx.session, name=_l("Stock on hand"),
                                    endpoint="warehouse_stock_balance"),
                   menu="inventory")
    admin.add_view(StockMoveView(StockMove, ctx.session, name=_l("Stock moves"), endpoint="warehouse_stock_move"),
                   menu="inventory")
    admin.add_view(PurchaseOrderView(PurchaseOrder, ctx.session, name=_l("Purchase orders"),
                                     endpoint="warehouse_purchase_order"), menu="purchasing")
    admin.add_view(ReceiptView(Receipt, ctx.session, name=_l("Goods receipts"), endpoint="warehouse_receipt"),
                   menu="purchasing")
    admin.add_view(StockTransferView(StockTransfer, ctx.session, name=_l("Stock transfers"),
                                     endpoint="warehouse_stock_transfer"), menu="inventory")
    admin.add_view(StockCountView(StockCount, ctx.session, name=_l("Stock counts"), endpoint="warehouse_stock_count"),
                   menu="inventory")
    admin.add_view(ReorderPointView(ReorderPoint, ctx.session, name=_l("Reorder points"),
                                    endpoint="warehouse_reorder_point"), menu="purchasing")
    admin.add_view(SupplierProductView(SupplierProduct, ctx.session, name=_l("Supplier prices"),
                                       endpoint="warehouse_supplier_product"), menu="purchasing")
    admin.add_view(TransferView(name=_l("Transfer stock"), endpoint="warehouse_transfer"), menu="inventory")
