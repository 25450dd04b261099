"""The order's document page: the spec ``core.admin_document.DocumentPage`` renders.

The buttons POST to the order view's existing action endpoints (transition, pay,
return), so the page adds no second way to change an order.
"""
from __future__ import annotations

from datetime import date

from flask import url_for
from sqlalchemy import or_, select

from core.admin_document import (Action, Column, DocumentPage, Field, Header, Link, Stage, Table, Total, money,
                                 number, when)
from core.formatting import code_label, plain_decimal
from core.i18n import _l
from core.web.context import db
from core.web.formatting import rate

from . import states
from .models import Payment, Return

EDIT = "sales.order.edit"
LINE_COLUMNS = (Column("sequence", "#"), Column("sku", _l("SKU")), Column("description", _l("Description")),
                Column("qty", _l("Qty"), True), Column("unit_price", _l("Unit price"), True),
                Column("discount", _l("Disc. %"), True), Column("tax_rate", _l("Tax rate"), True),
                Column("net", _l("Net"), True), Column("tax", _l("Tax"), True), Column("total", _l("Total"), True),
                Column("delivered", _l("Delivered"), True), Column("returned", _l("Returned"), True))
PAYMENT_COLUMNS = (Column("paid_on", _l("Date")), Column("kind", _l("Kind")), Column("method", _l("Method")),
                   Column("amount", _l("Amount"), True), Column("reference", _l("Reference")))


def _methods():
    """The payment methods a clerk may choose, labelled in the reader's language."""
    return tuple((m, code_label("payment_method", m)) for m in states.PAYMENT_METHODS)


class OrderDocument(DocumentPage):
    stages = tuple(Stage(s, states.STATE_LABELS[s]) for s in (states.NEW, states.PROCESSING, states.COMPLETED))
    side_stages = (Stage(states.CANCELLED, _l("Cancelled")), Stage(states.RETURNED, _l("Returned")))

    def document_stage(self, order):
        if order.state != states.CANCELLED and order.fulfilment_status == states.RETURNED:
            return states.RETURNED
        return order.state

    def document_header(self, order):
        notes = [_l("Cancelled: %(reason)s", reason=order.cancel_reason)] if order.cancel_reason else []
        return Header(
            title=_l("Sales order"), number=order.number, party=str(order.partner or ""), party_label=_l("Customer"),
            dates=[(_l("Order date"), when(order.order_date)), (_l("Due"), when(order.due_date)),
                   (_l("Confirmed"), when(order.confirmed_at)), (_l("Completed"), when(order.completed_at)),
                   (_l("Cancelled"), when(order.cancelled_at)), (_l("Channel"), code_label("channel", order.channel)),
                   (_l("External ref"), order.external_ref), (_l("Customer PO"), order.customer_po)],
            badges=[order.label, states.PAYMENT_LABELS[order.payment_status],
                    states.FULFILMENT_LABELS[order.fulfilment_status]],
            notes=notes)

    def document_actions(self, order):
        found = []
        transition = self.get_url(".transition_view", id=order.id)
        if states.can(order, "confirm"):
            found.append(Action(_l("Confirm"), transition, EDIT, {"transition": "confirm"}, style="primary"))
        if states.can(order, "complete"):
            found.append(Action(_l("Ship / deliver and complete"), transition, EDIT, {"transition": "complete"},
                                style="primary", confirm=_l("Deliver the remaining goods and complete the order?")))
        if states.can(order, "pay") and order.balance > 0:
            # The amount is an input the server reads back: plain digits, never the locale's
            # grouping ("627.000" in Vietnamese would be read as 627).
            found.append(Action(_l("Register payment"), self.get_url(".pay_view", id=order.id), EDIT, style="success",
                                fields=(Field("amount", _l("Amount"), value=plain_decimal(order.balance),
                                              required=True),
                                        Field("method", _l("Method"), "select", options=_methods()),
                                        Field("paid_on", _l("Paid on"), "date", value=date.today().isoformat()),
                                        Field("reference", _l("Reference")))))
        returnable = [line for line in order.lines if line.qty_delivered > line.qty_returned]
        if states.can(order, "return") and returnable:
            found.append(self._return_action(order, returnable))
        if states.can(order, "cancel"):
            found.append(Action(_l("Cancel"), transition, EDIT, {"transition": "cancel"}, style="outline-danger",
                                fields=(Field("reason", _l("Reason for cancelling"), required=True),),
                                confirm=_l("Cancel this order (reservations are released)?")))
        return found

    def _return_action(self, order, lines):
        fields = []
        for line in lines:
            most = number(line.qty_delivered - line.qty_returned)
            fields += [Field(f"qty_{line.id}", _l("%(sku)s: qty back (max %(most)s)", sku=line.sku, most=most)),
                       Field(f"damaged_{line.id}", _l("%(sku)s damaged", sku=line.sku), "checkbox")]
        fields += [Field("reason", _l("Reason"), required=True),
                   Field("refund_amount", _l("Refund (empty: what was paid for it)")),
                   Field("refund_method", _l("Refund method"), "select",
                         options=(("", _l("Same as the payment")),) + _methods())]
        return Action(_l("Return"), self.get_url(".return_view", id=order.id), EDIT, fields=tuple(fields),
                      style="warning")

    def document_lines(self, order):
        cur = order.currency
        rows = [{"sequence": line.sequence, "sku": line.sku, "description": line.description,
                 "qty": number(line.qty), "unit_price": money(line.unit_price, cur),
                 "discount": number(line.discount_percent),
                 "tax_rate": rate(line.tax_rate) if line.tax_rate is not None else _l("exempt"),
                 "net": money(line.net_amount, cur), "tax": money(line.tax_amount, cur),
                 "total": money(line.total_amount, cur), "delivered": number(line.qty_delivered),
                 "returned": number(line.qty_returned)} for line in order.lines]
        return Table(_l("Lines"), LINE_COLUMNS, rows, _l("No lines."))

    def document_totals(self, order):
        cur = order.currency
        rows = [Total(_l("Subtotal"), money(order.subtotal, cur))]
        for label, amount in ((_l("Discount"), -order.discount_total), (_l("Shipping"), order.shipping_fee)):
            if amount:
                rows.append(Total(label, money(amount, cur)))
        rows += [Total(_l("Tax"), money(order.tax_total, cur)), Total(_l("Total"), money(order.total, cur), True),
                 Total(_l("Paid"), money(order.net_paid, cur))]
        for label, amount in ((_l("Credited by returns"), order.amount_credited),
                              (_l("Early-payment discount"), order.early_discount)):
            if amount:
                rows.append(Total(label, money(amount, cur)))
        rows.append(Total(_l("Balance due"), money(order.balance, cur), True))
        return rows

    def document_related(self, order):
        links = [Link(p.reference or f"#{p.id}", url_for("sales_payment.details_view", id=p.id),
                      _l("Refund") if p.kind == "refund" else _l("Payment"), money(p.amount, order.currency))
                 for p in order.payments]
        if states.can(order, "edit"):   # a New order's lines change on the entry screen
            links.insert(0, Link(_l("Edit lines"), self.get_url(".edit_view", id=order.id), _l("Order entry")))
        for ret in self._returns(order):
            if ret.order_id == order.id:
                links.append(Link(ret.number, url_for("sales_return.details_view", id=ret.id), _l("Return"),
                                  code_label("return_state", ret.state)))
                if ret.replacement_order_id:
                    links.append(Link(ret.replacement_order.number, self.get_url(".details_view",
                                                                                 id=ret.replacement_order_id),
                                      _l("Replacement order")))
            else:
                links.append(Link(ret.order.number, self.get_url(".details_view", id=ret.order_id),
                                  _l("Replaces order"), ret.number))
        return links

    def document_sections(self, order):
        rows = [{"paid_on": when(p.paid_on), "kind": code_label("payment_kind", p.kind), "method": code_label("payment_method", p.method),
                 "amount": money(p.amount, order.currency), "reference": p.reference or ""} for p in order.payments]
        return [Table(_l("Payments"), PAYMENT_COLUMNS, rows, _l("No payments yet."))]

    def document_audited(self, order):
        return ([(type(order), order.id)] + [(Payment, p.id, _l("Payment")) for p in order.payments]
                + [(Return, r.id, _l("Return")) for r in self._returns(order) if r.order_id == order.id])

    def _returns(self, order):
        return db().scalars(select(Return).where(or_(Return.order_id == order.id,
                                                     Return.replacement_order_id == order.id))
                            .order_by(Return.id)).all()
