"""The document pages of purchase orders, goods receipts, stock transfers and stock
counts (``core.admin_document``).

Buttons POST to the views' existing ``transition`` and ``line`` endpoints, so the
pages add no second way to change a document. A receipt has no buttons: it is
posted stock, which only a correcting move (an adjustment, a count) changes.
"""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from core.admin_document import (Action, Column, DocumentPage, Field, Header, Link, Stage, Table, Total, money,
                                 number, when)
from core.formatting import code_label
from core.i18n import _l
from core.models import User
from core.web.context import db

from . import services as wh
from .models import Receipt
from .services.purchasing import STATE_LABELS as PO_LABELS

PO_COLUMNS = (Column("sku", _l("SKU")), Column("product", _l("Product")), Column("ordered", _l("Ordered"), True),
              Column("received", _l("Received"), True), Column("backorder", _l("Backorder"), True),
              Column("unit_cost", _l("Unit cost"), True), Column("amount", _l("Amount"), True))
RECEIPT_COLUMNS = (Column("number", _l("Receipt")), Column("at", _l("Received")),
                   Column("reference", _l("Supplier delivery note")), Column("lines", _l("Goods")))
RECEIPT_LINE_COLUMNS = (Column("sku", _l("SKU")), Column("product", _l("Product")),
                        Column("quantity", _l("Quantity"), True), Column("unit_cost", _l("Unit cost"), True),
                        Column("amount", _l("Amount"), True))
TRANSFER_LINE_COLUMNS = (Column("sku", _l("SKU")), Column("product", _l("Product")),
                         Column("quantity", _l("Quantity"), True))
DRAFT_TRANSFER_COLUMNS = TRANSFER_LINE_COLUMNS + (Column("available", _l("Available to move now"), True),)
MOVE_COLUMNS = (Column("at", _l("When")), Column("warehouse", _l("Warehouse")), Column("sku", _l("SKU")),
                Column("delta", _l("On hand ±"), True))
COUNT_COLUMNS = (Column("sku", _l("SKU")), Column("expected", _l("Expected"), True),
                 Column("counted", _l("Counted"), True), Column("on_hand", _l("On hand now"), True),
                 Column("variance", _l("Variance"), True), Column("value", _l("Value"), True))


class PurchaseDocument(DocumentPage):
    stages = tuple(Stage(s, PO_LABELS[s]) for s in ("draft", "sent", "partial", "received"))
    side_stages = (Stage("cancelled", PO_LABELS["cancelled"]),)

    def document_header(self, po):
        return Header(title=_l("Purchase order"), number=po.number, party=str(po.supplier), party_label=_l("Supplier"),
                      dates=[(_l("Created"), when(po.created_at)), (_l("Sent"), when(po.sent_at)),
                             (_l("Expected"), when(po.expected_date)), (_l("Closed"), when(po.closed_at)),
                             (_l("Warehouse"), str(po.warehouse)), (_l("Origin"), po.origin)],
                      notes=[po.notes] if po.notes else [])

    def document_actions(self, po):
        url, found = self.get_url(".transition_view", id=po.id), []
        if po.state == "draft":
            found += [Action(_l("Send"), url, "warehouse.purchase.edit", {"transition": "send"}, style="primary"),
                      Action(_l("Add a line"), self.get_url(".line_view", id=po.id), "warehouse.purchase.edit",
                             fields=(Field("sku", _l("SKU"), required=True),
                                     Field("quantity", _l("Quantity"), required=True),
                                     Field("unit_cost", _l("Unit cost (empty: the supplier's)"))))]
        if po.state in ("sent", "partial"):
            fields = tuple(Field(f"qty_{line.variant_id}", _l("%(sku)s (outstanding %(qty)s)", sku=line.variant.sku,
                                                               qty=number(line.backorder_qty)))
                           for line in po.lines if line.backorder_qty > 0)
            found.append(Action(_l("Receive goods (empty: everything outstanding)"), url,
                                "warehouse.purchase.receive", {"transition": "receive"},
                                fields + (Field("supplier_reference", _l("Supplier delivery note")),),
                                style="primary"))
        if po.state in ("draft", "sent", "partial"):
            found.append(Action(_l("Cancel backorder") if po.state == "partial" else _l("Cancel"), url,
                                "warehouse.purchase.edit", {"transition": "cancel"},
                                (Field("reason", _l("Reason")),), style="outline-danger"))
        return found

    def document_lines(self, po):
        rows = [{"sku": line.variant.sku, "product": line.variant.display_name, "ordered": number(line.quantity),
                 "received": number(line.received_qty), "backorder": number(line.backorder_qty),
                 "unit_cost": money(line.unit_cost, po.currency),
                 "amount": money(line.quantity * line.unit_cost, po.currency)} for line in po.lines]
        return Table(_l("Lines"), PO_COLUMNS, rows, _l("No lines yet."))

    def document_totals(self, po):
        return [Total(_l("Total"), money(po.total, po.currency), True)]

    def document_sections(self, po):
        receipts = db().scalars(select(Receipt).where(Receipt.order_id == po.id).order_by(Receipt.id)).all()
        rows = [{"number": r.number, "at": when(r.received_at), "reference": r.supplier_reference or "",
                 "lines": ", ".join(f"{line.variant.sku} × {number(line.quantity)}" for line in r.lines)}
                for r in receipts]
        return [Table(_l("Receipts"), RECEIPT_COLUMNS, rows, _l("Nothing received yet."))]

    def document_related(self, po):
        return [Link(r.number, url_for("warehouse_receipt.details_view", id=r.id), _l("Goods receipt"),
                     when(r.received_at))
                for r in db().scalars(select(Receipt).where(Receipt.order_id == po.id).order_by(Receipt.id))]


def _user_email(user_id) -> str:
    if not user_id:
        return ""
    return db().scalar(select(User.email).where(User.id == user_id)) or f"#{user_id}"


class ReceiptDocument(DocumentPage):
    """A goods receipt: one stage (it is posted when it exists), its lines at the PO's costs."""
    stages = (Stage("received", _l("Received")),)

    def document_stage(self, receipt):
        return "received"

    def document_header(self, receipt):
        po = receipt.order
        return Header(title=_l("Goods receipt"), number=receipt.number, party=str(po.supplier),
                      party_label=_l("Supplier"),
                      dates=[(_l("Received at"), when(receipt.received_at)),
                             (_l("Received by"), _user_email(receipt.user_id)),
                             (_l("Warehouse"), str(receipt.warehouse)), (_l("Purchase order"), po.number),
                             (_l("Supplier delivery note"), receipt.supplier_reference)])

    def document_lines(self, receipt):
        currency = receipt.currency
        rows = [{"sku": line.variant.sku, "product": line.variant.display_name, "quantity": number(line.quantity),
                 "unit_cost": money(line.unit_cost, currency),
                 "amount": money(line.quantity * line.unit_cost, currency)} for line in receipt.lines]
        return Table(_l("Lines"), RECEIPT_LINE_COLUMNS, rows, _l("No lines."))

    def document_totals(self, receipt):
        return [Total(_l("Total"), money(receipt.total, receipt.currency), True)]

    def document_related(self, receipt):
        po = receipt.order
        return [Link(po.number, url_for("warehouse_purchase_order.details_view", id=po.id), _l("Purchase order"),
                     code_label("purchase_order_state", po.state))]


class TransferDocument(DocumentPage):
    stages = (Stage("draft", _l("Draft")), Stage("done", _l("Done")))
    side_stages = (Stage("cancelled", _l("Cancelled")),)

    def document_header(self, transfer):
        notes = [transfer.note] if transfer.note else []
        if transfer.cancel_reason:
            notes.append(_l("Cancelled: %(reason)s", reason=transfer.cancel_reason))
        return Header(title=_l("Stock transfer"), number=transfer.number, party=str(transfer.from_warehouse),
                      party_label=_l("From"),
                      dates=[(_l("To"), str(transfer.to_warehouse)), (_l("Created"), when(transfer.created_at)),
                             (_l("Scheduled"), when(transfer.scheduled_date)), (_l("Done"), when(transfer.done_at)),
                             (_l("Cancelled"), when(transfer.cancelled_at))],
                      notes=notes)

    def document_actions(self, transfer):
        if transfer.state != "draft":
            return []
        url = self.get_url(".transition_view", id=transfer.id)
        return [Action(_l("Confirm"), url, "warehouse.transfer.confirm", {"transition": "confirm"},
                       style="primary", confirm=_l("Move the stock now?")),
                Action(_l("Cancel"), url, "warehouse.transfer.edit", {"transition": "cancel"},
                       (Field("reason", _l("Reason"), required=True),), style="outline-danger")]

    def document_lines(self, transfer):
        rows = [{"sku": line.variant.sku, "product": line.variant.display_name, "quantity": number(line.quantity)}
                for line in transfer.lines]
        if transfer.state != "draft":
            return Table(_l("Lines"), TRANSFER_LINE_COLUMNS, rows, _l("No lines."))
        # a draft shows what confirming would find, so a clerk sees a shortfall before pressing Confirm
        available = {r["variant_id"]: r["available"] for r in wh.stock_levels(
            db(), transfer.from_warehouse_id, [line.variant_id for line in transfer.lines])}
        for row, line in zip(rows, transfer.lines):
            row["available"] = number(max(available.get(line.variant_id, 0), 0))
        return Table(_l("Lines"), DRAFT_TRANSFER_COLUMNS, rows, _l("No lines."))

    def document_totals(self, transfer):
        return [Total(_l("Total quantity"), number(sum((line.quantity for line in transfer.lines), 0)), True)]

    def document_related(self, transfer):
        if transfer.state != "done":
            return []
        return [Link(_l("Stock moves of %(number)s", number=transfer.number),
                     url_for("warehouse_stock_move.index_view", search=transfer.number), _l("Ledger"))]

    def document_sections(self, transfer):
        rows = [{"at": when(m.created_at), "warehouse": m.warehouse.code, "sku": m.variant.sku,
                 "delta": number(m.on_hand_delta)} for m in wh.transfer_moves(db(), transfer)]
        return [Table(_l("Stock moves"), MOVE_COLUMNS, rows, _l("Nothing moved yet."))]


class CountDocument(DocumentPage):
    stages = (Stage("draft", _l("Draft")), Stage("counting", _l("Counting")), Stage("applied", _l("Applied")))
    side_stages = (Stage("cancelled", _l("Cancelled")),)

    def document_header(self, count):
        return Header(title=_l("Stock count"), number=count.number, party=str(count.warehouse),
                      party_label=_l("Warehouse"),
                      dates=[(_l("Created"), when(count.created_at)), (_l("Started"), when(count.started_at)),
                             (_l("Applied"), when(count.applied_at))],
                      notes=[count.note] if count.note else [])

    def document_actions(self, count):
        url, edit, found = self.get_url(".transition_view", id=count.id), "warehouse.count.edit", []
        if count.state == "draft":
            found.append(Action(_l("Start counting"), url, edit, {"transition": "start"}, style="primary"))
        if count.state == "counting":
            fields = tuple(Field(f"counted_{line.variant_id}", line.variant.sku) for line in count.lines)
            found += [Action(_l("Enter counts"), url, edit, {"transition": "record"}, fields),
                      Action(_l("Import counts (CSV: sku,counted)"), url, edit, {"transition": "import"},
                             (Field("file", _l("CSV file"), "file", required=True),)),
                      Action(_l("Apply as adjustments"), url, "warehouse.count.apply", {"transition": "apply"},
                             style="primary", confirm=_l("Post the variances as stock adjustments?"))]
        if count.state in ("draft", "counting"):
            found.append(Action(_l("Cancel count"), url, edit, {"transition": "cancel"}, style="outline-danger",
                                confirm=_l("Cancel this count?")))
        return found

    def document_lines(self, count):
        rows = [{"sku": r["sku"], "expected": number(r["expected"]), "counted": number(r["counted"]),
                 "on_hand": number(r["on_hand"]), "variance": number(r["variance"]),
                 "value": number(r["value"])} for r in wh.variance_report(db(), count.id)]
        return Table(_l("Variance"), COUNT_COLUMNS, rows, _l("No lines."))
