"""Payment terms: 'IMMEDIATE', 'NET30', '2 % within 10 days, net 30' ... per business.

The arithmetic (due dates, early-payment discounts) is in ``addons.sales.terms``.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.errors import UserError
from core.i18n import _

from ..models import PaymentTerm
from ..totals import clean_amount


def create_payment_term(session, *, code: str, name: str, days: int = 0, discount_percent="0",
                        discount_days: int = 0) -> PaymentTerm:
    """'IMMEDIATE' (days 0), 'NET30' (days 30), '2_10_NET30' (days 30, 2 % within 10 days)..."""
    code = (code or "").strip().upper()
    term = PaymentTerm(code=code, name=(name or "").strip(), days=days, discount_days=discount_days,
                       discount_percent=clean_amount(discount_percent, "discount_percent",
                                                     column=PaymentTerm.discount_percent))
    validate_payment_term(term)
    if session.scalar(select(PaymentTerm.id).where(PaymentTerm.code == code)):
        raise UserError(_("code: payment term %(code)r already exists", code=code))
    session.add(term)
    session.flush()
    return term


def validate_payment_term(term: PaymentTerm) -> None:
    """The rules of a term, for creation and for edits in the admin."""
    problems = []
    days, pct, discount_days = term.days, term.discount_percent or Decimal(0), term.discount_days
    if not term.code or len(term.code) > 32:
        problems.append(_("code: 1-32 characters required"))
    if not term.name:
        problems.append(_("name: required"))
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        problems.append(_("days: a whole number of days, 0 or more, got %(value)r", value=days))
    if pct < 0 or pct >= 100:
        problems.append(_("discount_percent: from 0 to below 100, got %(value)s", value=pct))
    if not isinstance(discount_days, int) or isinstance(discount_days, bool) or discount_days < 0:
        problems.append(_("discount_days: a whole number of days, 0 or more, got %(value)r", value=discount_days))
    elif isinstance(days, int) and discount_days > days:
        problems.append(_("discount_days: %(discount_days)s is after the due date (net %(days)s days)",
                          discount_days=discount_days, days=days))
    if pct > 0 and not discount_days:
        problems.append(_("discount_days: an early-payment discount needs the number of days it applies"))
    if problems:
        raise UserError("; ".join(problems))


def get_payment_term(session, code: str) -> PaymentTerm:
    term = session.scalar(select(PaymentTerm).where(PaymentTerm.code == code.strip().upper()))
    if term is None:
        known = ", ".join(session.scalars(select(PaymentTerm.code).order_by(PaymentTerm.code))) or _("none yet")
        raise UserError(_("payment term %(code)r does not exist (known: %(known)s)", code=code, known=known))
    if not term.active:
        raise UserError(_("payment term %(code)r is archived", code=term.code))
    return term


def ensure_default_terms(session) -> None:
    """The usual terms, created once per business (on_enable and demo)."""
    defaults = [("IMMEDIATE", "Due on receipt", 0, "0", 0), ("NET15", "Net 15 days", 15, "0", 0),
                ("NET30", "Net 30 days", 30, "0", 0), ("2_10_NET30", "2 % 10 days, net 30", 30, "2", 10)]
    have = set(session.scalars(select(PaymentTerm.code)))
    for code, name, days, pct, pct_days in defaults:
        if code not in have:
            create_payment_term(session, code=code, name=name, days=days, discount_percent=pct,
                                discount_days=pct_days)
