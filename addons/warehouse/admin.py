"""Warehouse screens: warehouses, stock (balances), the move ledger (read-only),
purchase orders (send, receive, cancel), stock counts (start, enter/import, variance,
apply, cancel), reorder points, supplier prices and transfers.

Every change is a service call in the request's transaction; a UserError rolls
back and is flashed. The ledger and balances are never edited here.
"""
from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual
from sqlalchemy import select

from addons.catalog.services import variant_by_sku
from core.admin import SecureModelView, SecureView, ServiceForms, run_service
from core.errors import UserError
from core.money import parse_int
from core.text import decode_utf8
from core.web.context import db

from . import services as wh
from .models import (COUNT_STATES, MOVE_KINDS, PO_STATES, PurchaseOrder, ReorderPoint, StockBalance, StockCount,
                     StockMove, SupplierProduct, Warehouse)
from .services.purchasing import STATE_LABELS as PO_LABELS





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
    form_columns = wh.FIELDS
    form_choices = {"kind": [("main", "Main"), ("secondary", "Secondary"), ("branch", "Branch")]}


class StockBalanceView(SecureModelView):
    addon = "warehouse"
    permission = "warehouse.stock"
    allow_create = allow_edit = allow_delete = False   # balances change only through moves
    column_list = ("warehouse", "variant", "on_hand", "reserved", "available", "updated_at")
    column_default_sort = ("id", False)
    column_searchable_list = ("variant.sku",)
    column_filters = ("warehouse.code",)


class StockMoveView(SecureModelView):
    addon = "warehouse"
    permission = "warehouse.stock"
    allow_create = allow_edit = allow_delete = False   # the ledger is append-only
    column_list = ("created_at", "kind", "warehouse", "variant", "on_hand_delta", "reserved_delta", "unit_cost",
                   "reference", "reason", "user_id")
    column_labels = {"on_hand_delta": "On hand ±", "reserved_delta": "Reserved ±", "user_id": "User"}
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)            # (business_id, created_at) index
    column_searchable_list = ("reference",)
    column_filters = (FilterEqual(StockMove.kind, "Kind", options=[(k, k) for k in MOVE_KINDS]),)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # exact reference: the (business_id, reference) index, not a scan of the whole ledger
        term = search.strip()
        if term:
            query = query.filter(StockMove.reference == term)
            if count_query is not None:
                count_query = count_query.filter(StockMove.reference == term)
        return query, count_query, joins, count_joins


class PurchaseOrderView(SecureModelView):
    addon = "warehouse"
    permission = "warehouse.purchase"
    allow_edit = allow_delete = False
    details_template = "warehouse/po_details.html"
    column_list = ("number", "created_at", "supplier", "warehouse", "state", "expected_date", "currency", "origin")
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "number")
    column_searchable_list = ("number",)
    column_filters = (FilterEqual(PurchaseOrder.state, "State", options=[(s, PO_LABELS[s]) for s in PO_STATES]),)
    column_formatters = {"state": lambda v, c, m, n: PO_LABELS[m.state]}
    form_columns = ("supplier", "warehouse", "expected_date", "notes")
    form_ajax_refs = {"supplier": {"fields": ("name",), "page_size": 20}}

    def create_model(self, form):
        done, order = run_service(lambda s: wh.create_purchase_order(
            s, form.supplier.data.id if form.supplier.data else 0,
            warehouse_id=form.warehouse.data.id if form.warehouse.data else None,
            expected_date=form.expected_date.data, notes=form.notes.data))
        return order if done else False

    def _each(self, ids, fn, verb):
        run_service(lambda s: [fn(s, int(i)) for i in ids], f"{len(ids)} purchase order(s) {verb}")

    @action("send", "Send", "Send the selected draft purchase orders?")
    def action_send(self, ids):
        self._each(ids, wh.send_purchase_order, "sent")

    @action("receive_all", "Receive everything outstanding", "Receive all outstanding goods of the selected orders?")
    def action_receive(self, ids):
        if not self.allowed("receive"):
            flash("you may not receive purchase orders", "error")
            return
        self._each(ids, lambda s, i: wh.receive_purchase_order(s, i), "received")

    @action("cancel", "Cancel", "Cancel the selected purchase orders (backorders are dropped)?")
    def action_cancel(self, ids):
        self._each(ids, wh.cancel_purchase_order, "cancelled")

    def _back(self, order_id):
        return redirect(url_for(".details_view", id=order_id))

    @expose("/line/", methods=("POST",))
    def line_view(self):
        order = self.get_one(request.args.get("id", ""))
        form = request.form
        run_service(lambda s: wh.add_purchase_line(s, order.id, variant_by_sku(s, form.get("sku", "")).id,
                                            form.get("quantity", ""), form.get("unit_cost") or None),
             f"line added to {order.number}")
        return self._back(order.id)

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        order = self.get_one(request.args.get("id", ""))
        name = request.form.get("transition", "")
        if name == "receive":
            if not self.allowed("receive"):
                flash("you may not receive purchase orders", "error")
                return self._back(order.id)
            lines = _lines_from_form(db(), request.form)
            run_service(lambda s: wh.receive_purchase_order(s, order.id, lines or None,
                                                     supplier_reference=request.form.get("supplier_reference")),
                 f"goods received on {order.number}")
        elif name == "send":
            run_service(lambda s: wh.send_purchase_order(s, order.id), f"{order.number} sent")
        elif name == "cancel":
            run_service(lambda s: wh.cancel_purchase_order(s, order.id, request.form.get("reason")),
                 f"{order.number} cancelled")
        else:
            flash(f"unknown action {name!r}", "error")
        return self._back(order.id)

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(order=kwargs["model"], labels=PO_LABELS, can_edit=self.allowed("edit"),
                          can_receive=self.allowed("receive"))
        return super().render(template, **kwargs)


class StockCountView(SecureModelView):
    addon = "warehouse"
    permission = "warehouse.count"
    allow_edit = allow_delete = False
    details_template = "warehouse/count_details.html"
    column_list = ("number", "created_at", "warehouse", "state", "started_at", "applied_at", "note")
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at",)
    column_filters = (FilterEqual(StockCount.state, "State", options=[(s, s.capitalize()) for s in COUNT_STATES]),)
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
            flash("you may not apply stock counts", "error")
        elif name == "start":
            run_service(lambda s: wh.start_count(s, count.id), f"{count.number}: counting started")
        elif name == "record":
            lines = _lines_from_form(db(), request.form, prefix="counted_")
            run_service(lambda s: wh.record_counts(s, count.id, lines), f"{count.number}: counts recorded")
        elif name == "import":
            upload = request.files.get("file")
            run_service(lambda s: wh.import_counts(s, count.id, decode_utf8(upload.read(), upload.filename)
                                                   if upload else ""), f"{count.number}: counts imported")
        elif name == "apply":
            run_service(lambda s: wh.apply_count(s, count.id), f"{count.number}: applied as adjustments")
        elif name == "cancel":
            run_service(lambda s: wh.cancel_count(s, count.id), f"{count.number}: cancelled")
        else:
            flash(f"unknown action {name!r}", "error")
        return self._back(count.id)

    def render(self, template, **kwargs):
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(count=kwargs["model"], variance=wh.variance_report(db(), kwargs["model"].id),
                          can_edit=self.allowed("edit"), can_apply=self.allowed("apply"))
        return super().render(template, **kwargs)


class ReorderPointView(SecureModelView):
    addon = "warehouse"
    permission = "warehouse.purchase"
    column_list = ("warehouse", "variant", "min_qty", "max_qty")
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
    column_labels = {"partner": "Supplier"}
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


class TransferView(SecureView):
    """Move unreserved stock between two warehouses (one SKU per line: 'SKU quantity')."""
    addon = "warehouse"
    permission = "warehouse.stock"

    def action_for(self, name):
        return "create" if request.method == "POST" else "read"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        session = db()
        if request.method == "POST":
            form = request.form

            def move(s):
                lines = []
                for n, raw in enumerate((form.get("lines") or "").splitlines(), start=1):
                    if raw.strip():
                        parts = raw.split()
                        if len(parts) != 2:
                            raise UserError(f"line {n}: write 'SKU quantity'")
                        lines.append((variant_by_sku(s, parts[0]).id, parts[1]))
                return wh.transfer(s, parse_int(form.get("source", ""), field="source"),
                                   parse_int(form.get("target", ""), field="target"), lines,
                                   reference=form.get("reference") or None, reason=form.get("reason") or None)
            run_service(move, "transfer done")
        warehouses = session.scalars(select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.code))
        return self.render("warehouse/transfer.html", warehouses=list(warehouses))


def register(admin, ctx):
    admin.add_view(WarehouseView(Warehouse, ctx.session, name="Warehouses", endpoint="warehouse_warehouse"))
    admin.add_view(StockBalanceView(StockBalance, ctx.session, name="Stock", endpoint="warehouse_stock_balance"))
    admin.add_view(StockMoveView(StockMove, ctx.session, name="Stock moves", endpoint="warehouse_stock_move"))
    admin.add_view(PurchaseOrderView(PurchaseOrder, ctx.session, name="Purchase orders",
                                     endpoint="warehouse_purchase_order"))
    admin.add_view(StockCountView(StockCount, ctx.session, name="Stock counts", endpoint="warehouse_stock_count"))
    admin.add_view(ReorderPointView(ReorderPoint, ctx.session, name="Reorder points",
                                    endpoint="warehouse_reorder_point"))
    admin.add_view(SupplierProductView(SupplierProduct, ctx.session, name="Supplier prices",
                                       endpoint="warehouse_supplier_product"))
    admin.add_view(TransferView(name="Transfer stock", endpoint="warehouse_transfer"))
