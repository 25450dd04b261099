"""Payment terms: when an order is due and what paying early is worth.

A term is one of: due on receipt (``days`` = 0), net N days, optionally with an
early-payment discount ("2/10 net 30": 2 % off when paid within 10 days). The
discount is taken only when the payment that settles the order falls inside the
window; it is a reduction of what is owed, recorded on the order, not a refund.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core.money import quantize

HUNDRED = Decimal(100)


def due_date(days: int, start: date) -> date:
    """Due date of an order confirmed (invoiced) on ``start``."""
    return start + timedelta(days=days)


def early_discount(total: Decimal, discount_percent: Decimal, discount_days: int, start: date,
                   paid_on: date, currency: str) -> Decimal:
    """The early-payment discount on ``total`` if paid on ``paid_on``, else zero."""
    if not discount_percent or discount_days is None or paid_on > start + timedelta(days=discount_days):
        return Decimal(0)
    return quantize(total * discount_percent / HUNDRED, currency)


def describe(days: int, discount_percent: Decimal, discount_days: int) -> str:
    """A human label such as 'Net 30, 2 % if paid within 10 days'."""
    base = "Due on receipt" if days == 0 else f"Net {days} days"
    if discount_percent:
        pct = format(discount_percent.normalize(), "f")
        base += f", {pct} % if paid within {discount_days} days"
    return base
