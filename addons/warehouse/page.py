"""The purchase order's and the stock count's document pages (``core.admin_document``).

Buttons POST to the views' existing ``transition`` and ``line`` endpoints, so the
pages add no second way to change a purchase order or a count.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.admin_document import (Action, Column, DocumentPage, Field, Header, Stage, Table, Total, money, number,
                                 when)
from core.web.context import db

from . import services as wh
from .models import Receipt
from .services.purchasing import STATE_LABELS as PO_LABELS

PO_COLUMNS = (Column("sku", _l("SKU")), Column("product", _l("Product")), Column("ordered", _l("Ordered"), True),
              Column("received", _l("Received"), True), Column("backorder", _l("Backorder"), True),
              Column("unit_cost", _l("Unit cost"), True), Column("amount", _l("Amount"), True))
RECEIPT_COLUMNS = (Column("number", _l("Receipt")), Column("at", _l("Received")),
                   Column("reference", _l("Supplier delivery note")), Column("lines", _l("Goods")))
COUNT_COLUMNS = (Column("sku", _l("SKU")), Column("expected", _l("Expected"), True),
                 Column("counted", _l("Counted"), True), Column("on_hand", _l("On hand now"), True),
                 Column("variance", _l("Variance"), True), Column("value", _l("Value"), True))


class PurchaseDocument(DocumentPage):
    stages = tuple(Stage(s, _l(PO_LABELS[s])) for s in ("draft", "sent", "partial", "received"))
    side_stages = (Stage("cancelled", _l(PO_LABELS["cancelled"])),)

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
