"""Bank statement import: lines matched to open invoices, the rest left for a person.

Matching, in order: an invoice number or an order number found in the
reference; else the counterparty is a customer (same name) with an open invoice
of exactly that amount and currency; else the line waits on the *Statement
lines* screen (``match_line`` / ``ignore_line``). A line on an order's invoice
is paid through the order (sales' ``register_payment``), so order, invoice and
bank agree. Each line's key is unique per business, so the same statement
imported twice matches nothing twice. The whole file is one transaction: a bad
line refuses the file and nothing is written.
"""
from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from sqlalchemy import func, select

from core.errors import NotFound, UserError
from core.i18n import _

from addons.partners.models import Partner
from addons.sales.models import Order

from .. import camt
from ..models import ReceivedPayment, Receivable, Statement, StatementLine
from . import charges
from . import receivables as rec_service

TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.\-]{2,63}")


def _tokens(reference: str) -> list[str]:
    out = []
    for token in TOKEN_RE.findall(reference or ""):
        token = token.strip("./-_")
        if token and token not in out:
            out.append(token)
            if token.upper() != token:
                out.append(token.upper())
    return out[:50]


def _by_reference(session, line: camt.Line) -> list[Receivable]:
    tokens = _tokens(line.reference)
    if not tokens:
        return []
    recs = list(session.scalars(select(Receivable).where(Receivable.number.in_(tokens),
                                                         Receivable.state == "open",
                                                         Receivable.currency == line.currency)
                                .order_by(Receivable.due_date, Receivable.id)))
    if recs:
        return recs
    orders = list(session.scalars(select(Order.id).where(Order.number.in_(tokens))))
    if not orders:
        return []
    return list(session.scalars(select(Receivable).where(Receivable.order_id.in_(orders),
                                                         Receivable.state == "open",
                                                         Receivable.currency == line.currency)
                                .order_by(Receivable.due_date, Receivable.id)))


def _customer(session, name: str) -> Partner | None:
    name = " ".join((name or "").split())
    if not name:
        return None
    found = session.scalars(select(Partner).where(Partner.name == name).limit(2)).all()
    if not found:
        found = session.scalars(select(Partner).where(func.lower(Partner.name) == name.lower()).limit(2)).all()
    return found[0] if len(found) == 1 else None


def _by_amount(session, line: camt.Line, partner: Partner | None) -> list[Receivable]:
    if partner is None:
        return []
    rec = session.scalar(select(Receivable).where(Receivable.partner_id == partner.id, Receivable.state == "open",
                                                  Receivable.currency == line.currency,
                                                  Receivable.open_amount == line.amount)
                         .order_by(Receivable.due_date, Receivable.id).limit(1))
    return [rec] if rec is not None else []


def apply_line(session, row: StatementLine, targets: list[Receivable], how: str) -> list[str]:
    """Book the line's money on ``targets`` (oldest first) and the customer's other open invoices.

    Returns the numbers of the invoices it reached."""
    left = row.amount
    reached = []
    payment = None
    for rec in targets:
        if left <= 0:
            break
        if rec.state != "open":
            continue
        if rec.order_id is not None:
            paid = _pay_order(session, rec, left, row)
            if paid is not None:
                payment = payment or paid
                left -= paid.amount
                reached.append(rec.number)
                continue
        take = min(left, rec.open_amount)
        own = ReceivedPayment(source="statement", kind="payment", partner_id=rec.partner_id, currency=row.currency,
                      amount=take, unallocated=take, paid_on=row.booked_on, reference=row.reference[:200] or None)
        session.add(own)
        session.flush()
        rec_service.auto_allocate(session, own, first=rec)
        payment = payment or own
        left -= take
        reached.append(rec.number)
    if left > 0:
        partner_id = targets[0].partner_id if targets else row.partner_id
        rest = ReceivedPayment(source="statement", kind="payment", partner_id=partner_id, currency=row.currency,
                       amount=left, unallocated=left, paid_on=row.booked_on, reference=row.reference[:200] or None)
        session.add(rest)
        session.flush()
        rec_service.auto_allocate(session, rest)
        charge = charges.take_excess(session, rest)  # exactly the last reminder's fee and interest
        if charge is not None:
            reached.append(charge.display_number)
        payment = payment or rest
    row.state, row.matched_by, row.payment_id = "matched", how, payment.id if payment else None
    row.partner_id = row.partner_id or (targets[0].partner_id if targets else None)
    session.flush()
    return reached


def _pay_order(session, rec: Receivable, left: Decimal, row: StatementLine):
    """Pay the order behind an invoice (at most what it still owes); None when the order takes no payment."""
    from addons.sales.services import get_order, register_payment
    order = get_order(session, rec.order_id)
    amount = min(left, order.balance, rec.open_amount)
    if amount <= 0:
        return None
    try:
        with session.begin_nested():
            register_payment(session, order.id, amount, "bank_transfer", paid_on=row.booked_on,
                             reference=f"bank {row.booked_on.isoformat()} {row.reference}"[:128])
            session.flush()
    except UserError:
        return None  # a cancelled order, say: the line's money goes to the invoice directly
    return session.scalar(select(ReceivedPayment).where(ReceivedPayment.order_id == order.id).order_by(ReceivedPayment.id.desc())
                          .limit(1))


def import_statement(session, content: bytes, *, filename: str = "statement", fmt: str | None = None) -> dict:
    """Read, deduplicate and match a statement; the caller commits (or rolls back for a dry run)."""
    parsed = camt.parse(content, fmt, filename)
    keys = [line.key for line in parsed.lines]
    known = set()
    for start in range(0, len(keys), 1000):
        known.update(session.scalars(select(StatementLine.line_key).where(
            StatementLine.line_key.in_(keys[start:start + 1000]))))
    fresh = [line for line in parsed.lines if line.key not in known]
    result = {"format": parsed.format, "statement": None, "lines": len(parsed.lines),
              "duplicates": len(parsed.lines) - len(fresh), "matched": [], "unmatched": []}
    if not fresh:
        return result
    statement = Statement(filename=(filename or "statement")[-255:], format=parsed.format,
                          statement_ref=parsed.statement_ref, digest=hashlib.sha256(content).hexdigest(),
                          lines=len(fresh), matched=0)
    session.add(statement)
    session.flush()
    result["statement"] = statement.id
    for line in fresh:
        partner = _customer(session, line.counterparty)
        row = StatementLine(statement_id=statement.id, line_key=line.key, booked_on=line.booked_on,
                            amount=line.amount, currency=line.currency, reference=line.reference,
                            counterparty=line.counterparty, state="unmatched",
                            partner_id=partner.id if partner else None)
        session.add(row)
        session.flush()
        shown = {"date": line.booked_on.isoformat(), "amount": str(line.amount), "currency": line.currency,
                 "reference": line.reference, "counterparty": line.counterparty}
        targets, how = _by_reference(session, line), "reference"
        if not targets:
            targets, how = _by_amount(session, line, partner), "amount"
        if targets:
            reached = apply_line(session, row, targets, how)
            statement.matched += 1
            result["matched"].append({**shown, "invoices": reached, "by": how})
        else:
            result["unmatched"].append(shown)
    return result


def get_line(session, line_id: int) -> StatementLine:
    row = session.scalar(select(StatementLine).where(StatementLine.id == line_id))
    if row is None:
        raise NotFound(_("no statement line #%(id)s in this business", id=line_id))
    return row


def match_line(session, line_id: int, invoice_number: str) -> list[str]:
    """By hand: this line pays that invoice (and, for what is left, the customer's oldest open ones)."""
    row = get_line(session, line_id)
    if row.state != "unmatched":
        raise UserError(_("line: already %(state)s", state=row.state))
    rec = rec_service.find_receivable(session, invoice_number)
    if rec.state != "open":
        raise UserError(_("invoice: %(number)s owes nothing", number=rec.number))
    if rec.currency != row.currency:
        raise UserError(_("invoice: %(number)s is in %(currency)s, the line in %(other)s", number=rec.number,
                          currency=rec.currency, other=row.currency))
    return apply_line(session, row, [rec], "hand")


def ignore_line(session, line_id: int) -> StatementLine:
    """Not a customer's payment (a refund from a supplier, interest): kept, never matched."""
    row = get_line(session, line_id)
    if row.state != "unmatched":
        raise UserError(_("line: already %(state)s", state=row.state))
    row.state = "ignored"
    session.flush()
    return row
