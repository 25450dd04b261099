"""Payments and refunds against orders.

A payment may not exceed what is still due (an overpayment is refused, not
parked as credit: marketplaces and COD couriers remit exact amounts, so an
excess is a typing error). When the payment that settles an order falls inside
its early-payment window, the discount is taken and recorded on the order.
"""
from __future__ import annotations

from datetime import date

from core.errors import UserError
from core.events import publish
from core.i18n import _
from core.money import quantize

from .. import states, terms
from ..models import Payment
from ..totals import clean_amount, fmt
from .orders import get_order, refresh_payment_status


def _check_amount(order, raw, label):
    amount = clean_amount(raw, label, allow_zero=False)
    if quantize(amount, order.currency) != amount:
        raise UserError(_("%(field)s: %(value)s has more decimals than %(currency)s allows", field=label, value=amount,
                          currency=order.currency))
    return amount


def register_payment(session, order_id: int, amount, method: str, *, paid_on: date | None = None,
                     reference: str | None = None, return_id: int | None = None) -> Payment:
    """Record money received for an order; publishes sales.order_paid when it becomes paid."""
    order = get_order(session, order_id)
    states.check_transition(order, "pay")
    if method not in states.PAYMENT_METHODS and not (method == states.RETURN_CREDIT and return_id):
        raise UserError(_("method: %(method)r is not one of %(methods)s", method=method,
                          methods=", ".join(states.PAYMENT_METHODS)))
    amount = _check_amount(order, amount, "amount")
    paid_on = paid_on or date.today()
    balance = order.balance
    if balance <= 0:
        raise UserError(_("order %(number)s is already paid in full", number=order.number))
    start = order.confirmed_at.date() if order.confirmed_at else order.order_date
    discount = terms.early_discount(order.total, order.term_discount_percent, order.term_discount_days,
                                    start, paid_on, order.currency) if order.early_discount == 0 else 0
    if amount > balance:
        raise UserError(_("payment of %(amount)s is more than the %(balance)s still due on order %(number)s; "
                          "overpayments are refused", amount=fmt(amount, order.currency),
                          balance=fmt(balance, order.currency), number=order.number))
    was_paid = order.payment_status == states.PAID
    if discount and amount == balance - discount:
        order.early_discount = discount
    payment = Payment(order_id=order.id, kind="payment", method=method, amount=amount, paid_on=paid_on,
                      reference=(reference or "").strip() or None, return_id=return_id)
    session.add(payment)
    order.amount_paid = order.amount_paid + amount
    refresh_payment_status(order)
    # No flush of its own: the payment and the order's new amounts go with the next one (a
    # handler's first query, the completion, the commit), so paying and completing an order
    # in one transaction write the order once.
    # Every payment, not only the one that settles the order: receivables (dunning) allocate it.
    publish(session, "sales.payment_registered", order_id=order.id, kind="payment")
    if order.payment_status == states.PAID and not was_paid:
        publish(session, "sales.order_paid", order_id=order.id)
    return payment


def refund_payment(session, order_id: int, amount, method: str, *, paid_on: date | None = None,
                   reference: str | None = None, return_id: int | None = None) -> Payment:
    """Give money back; at most what was paid and not yet refunded."""
    order = get_order(session, order_id)
    if method not in states.PAYMENT_METHODS and not (method == states.RETURN_CREDIT and return_id):
        raise UserError(_("method: %(method)r is not one of %(methods)s", method=method,
                          methods=", ".join(states.PAYMENT_METHODS)))
    amount = _check_amount(order, amount, "refund amount")
    if amount > order.net_paid:
        raise UserError(_("refund of %(amount)s is more than the %(paid)s paid on order %(number)s",
                          amount=fmt(amount, order.currency), paid=fmt(order.net_paid, order.currency),
                          number=order.number))
    payment = Payment(order_id=order.id, kind="refund", method=method, amount=amount,
                      paid_on=paid_on or date.today(), reference=(reference or "").strip() or None,
                      return_id=return_id)
    session.add(payment)
    order.amount_refunded = order.amount_refunded + amount
    refresh_payment_status(order)
    session.flush()
    publish(session, "sales.payment_registered", order_id=order.id, kind="refund")
    return payment
