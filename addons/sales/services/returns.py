"""Returns and exchanges against the lines of an order.

A return is drafted (lines, quantities, damaged or not, refund) and then
received; receiving is when goods and money move: ``sales.return_received`` is
published (sales_stock restocks or records the damage) and the refund is paid.
The value of the returned goods is credited in this order: to the replacement
order of an exchange, then against what the customer still owes, then refunded
(at most what was paid).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.db import utcnow
from core.errors import NotFound, UserError
from core.events import publish
from core.i18n import _
from core.money import quantize
from core.sequences import next_number

from .. import states
from ..models import Order, OrderLine, Return, ReturnLine
from ..totals import ZERO, clean_amount, fmt, fmt_qty
from .orders import create_order, get_order, refresh_fulfilment_status, refresh_payment_status
from .payments import refund_payment, register_payment

RETURN_SERIES = "RET"


def get_return(session, return_id: int) -> Return:
    ret = session.scalar(select(Return).where(Return.id == return_id))
    if ret is None:
        raise NotFound(_("return #%(id)s does not exist", id=return_id))
    return ret


def create_return(session, order_id: int, lines, *, reason: str = "", refund_amount=None,
                  refund_method: str | None = None, exchange=None, receive: bool = True) -> Return:
    """Draft (and by default receive) a return.

    ``lines``: dicts with order_line_id, qty and damaged (bool). ``exchange``: dicts with
    variant_id and qty for a replacement order, which the returned value pays for.
    ``refund_amount`` defaults to what is left of that value, capped by what was paid.
    """
    order = get_order(session, order_id)
    states.check_transition(order, "return")
    new_lines, problems = _return_lines(session, order, lines)
    if refund_method is not None and refund_method not in states.PAYMENT_METHODS:
        problems.append(_("refund_method: %(method)r is not one of %(methods)s", method=refund_method,
                          methods=", ".join(states.PAYMENT_METHODS)))
    if problems:
        raise UserError("; ".join(problems))
    credit = sum((rl.amount for rl in new_lines), ZERO)
    ret = Return(order_id=order.id, reason=(reason or "").strip()[:255], credit_amount=credit,
                 number=f"{RETURN_SERIES}-{date.today().year}-"
                        f"{next_number(session, RETURN_SERIES, date.today().year):04d}")
    ret.lines = new_lines
    replacement_total = ZERO
    if exchange:
        replacement = create_order(session, channel=order.channel, partner_id=order.partner_id,
                                   lines=exchange, prices_include_tax=order.prices_include_tax,
                                   payment_term_code=order.payment_term_code,
                                   note=f"Exchange for {order.number}")
        ret.replacement_order_id = replacement.id
        replacement_total = replacement.total
    ret.refund_amount, ret.refund_method = _refund(order, credit, replacement_total, refund_amount, refund_method)
    session.add(ret)
    session.flush()
    if receive:
        receive_return(session, ret.id)
    return ret


def _return_lines(session, order: Order, lines) -> tuple[list[ReturnLine], list[str]]:
    """The return lines asked for, each within what was delivered and not yet returned; and the problems."""
    by_id = {line.id: line for line in order.lines}
    wanted: dict[int, Decimal] = {}
    problems, new_lines = [], []
    for i, raw in enumerate(lines or (), start=1):
        line = by_id.get(int(raw.get("order_line_id", 0))) if isinstance(raw, dict) else None
        if line is None:
            problems.append(_("return line %(n)s: not a line of order %(number)s", n=i, number=order.number))
            continue
        try:
            qty = clean_amount(raw.get("qty"), f"{line.sku} qty", allow_zero=False, column=ReturnLine.qty)
        except UserError as exc:
            problems.append(str(exc))
            continue
        wanted[line.id] = wanted.get(line.id, ZERO) + qty
        pending = _pending_qty(session, line.id)
        left = line.qty_delivered - line.qty_returned - pending
        if wanted[line.id] > left:
            problems.append(_("%(sku)s: %(qty)s to return but only %(left)s delivered and not yet returned",
                              sku=line.sku, qty=fmt_qty(wanted[line.id]), left=fmt_qty(left)))
            continue
        amount = quantize(line.total_amount * qty / line.qty, order.currency)
        new_lines.append(ReturnLine(order_line_id=line.id, variant_id=line.variant_id, qty=qty,
                                    damaged=bool(raw.get("damaged", False)), amount=amount))
    if not new_lines and not problems:
        problems.append(_("a return needs at least one line"))
    return new_lines, problems


def _refund(order: Order, credit: Decimal, replacement_total: Decimal, refund_amount,
            refund_method: str | None) -> tuple[Decimal, str | None]:
    """(refund, method): the asked or default refund, never more than what was paid beyond what is kept."""
    applied, available = settlement(order, credit, replacement_total)
    refund = available if refund_amount is None else clean_amount(refund_amount, "refund_amount")
    if refund > available:
        kept = (_("returned value %(credit)s, %(applied)s to the replacement order", credit=credit, applied=applied)
                if applied else _("returned value %(credit)s", credit=credit))
        raise UserError(_("refund_amount: %(refund)s is more than the %(available)s the customer has paid beyond what "
                          "they keep (%(kept)s)", refund=fmt(refund, order.currency),
                          available=fmt(available, order.currency), kept=kept))
    if quantize(refund, order.currency) != refund:
        raise UserError(_("refund_amount: %(value)s has more decimals than %(currency)s allows", value=refund,
                          currency=order.currency))
    if refund > 0 and refund_method is None:
        refund_method = _last_method(order)
        if refund_method is None:
            raise UserError(_("refund_method: say how the refund is paid (%(methods)s)",
                                  methods=", ".join(states.PAYMENT_METHODS)))
    return refund, refund_method if refund > 0 else None


def settlement(order: Order, credit: Decimal, replacement_balance: Decimal) -> tuple[Decimal, Decimal]:
    """How a returned value ``credit`` is settled: (moved to the replacement order, refundable).

    The credit first lowers what the customer owes on the order; only money paid
    beyond the reduced total can move to the replacement order or be refunded.
    """
    available = max(order.net_paid - (order.total - order.early_discount - order.amount_credited - credit), ZERO)
    available = min(available, order.net_paid)
    applied = min(available, max(replacement_balance, ZERO))
    return applied, available - applied


def _pending_qty(session, order_line_id: int) -> Decimal:
    """Quantity on draft returns not yet received: it cannot be returned twice."""
    rows = session.scalars(select(ReturnLine.qty).join(Return, Return.id == ReturnLine.return_id)
                           .where(ReturnLine.order_line_id == order_line_id, Return.state == "draft"))
    return sum(rows, ZERO)


def _last_method(order: Order) -> str | None:
    methods = [p.method for p in order.payments if p.kind == "payment" and p.method in states.PAYMENT_METHODS]
    return methods[-1] if methods else None


def receive_return(session, return_id: int) -> Return:
    """Draft → received: quantities come back on the order lines, money is credited or refunded,
    and sales.return_received is published (stock moves)."""
    ret = get_return(session, return_id)
    if ret.state != "draft":
        raise UserError(_("return %(number)s is already received", number=ret.number))
    order = ret.order
    for rl in ret.lines:
        line: OrderLine = rl.order_line
        left = line.qty_delivered - line.qty_returned
        if rl.qty > left:
            raise UserError(_("%(sku)s: %(qty)s to return but only %(left)s delivered and not yet returned",
                              sku=line.sku, qty=fmt_qty(rl.qty), left=fmt_qty(left)))
        line.qty_returned = line.qty_returned + rl.qty
    refresh_fulfilment_status(order)
    ret.state = "received"
    ret.received_at = utcnow()
    replacement = session.get(Order, ret.replacement_order_id) if ret.replacement_order_id else None
    applied, refundable = settlement(order, ret.credit_amount, replacement.balance if replacement else ZERO)
    if ret.refund_amount > refundable:
        raise UserError(_("return %(number)s: the refund of %(refund)s is now more than the %(refundable)s refundable; "
                          "change the refund amount", number=ret.number, refund=fmt(ret.refund_amount, order.currency),
                          refundable=fmt(refundable, order.currency)))
    order.amount_credited = order.amount_credited + ret.credit_amount
    if applied > 0:
        # Money paid on the original order moves to the replacement: out of one, into the other.
        refund_payment(session, order.id, applied, states.RETURN_CREDIT, reference=ret.number, return_id=ret.id)
        register_payment(session, replacement.id, applied, states.RETURN_CREDIT, reference=ret.number,
                         return_id=ret.id)
    if ret.refund_amount > 0:
        refund_payment(session, order.id, ret.refund_amount, ret.refund_method, reference=ret.number,
                       return_id=ret.id)
    refresh_payment_status(order)
    session.flush()
    publish(session, "sales.return_received", return_id=ret.id, order_id=order.id)
    return ret
