"""Orders and their transitions: create, edit lines, confirm, cancel, deliver, complete.

Every function takes a session bound to a business, validates, raises a
UserError that says what is wrong and what would be allowed, and never commits:
the caller's transaction commits all or nothing. That includes the sync event
handlers (sales_stock reserves stock on ``sales.order_confirmed``): if one of
them refuses, the caller's transaction rolls back and the order is unchanged.

Callers import ``addons.sales.services``, which re-exports this module,
``payment_terms``, ``payments`` and ``returns``.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm.util import identity_key

from core.audit import flush_one
from core.db import get_in_business, tx_cache, utcnow
from core.errors import NotFound, UserError
from core.events import publish
from core.i18n import _
from core.models import Business
from core.sequences import next_number

from .payment_terms import get_payment_term

from .. import states, terms
from ..models import Order, OrderLine
from ..totals import ZERO, clean_amount, fmt, fmt_qty, line_amounts, order_amounts

ORDER_SERIES = "SO"


# ---------------------------------------------------------------- lookups

def get_order(session, order_id: int) -> Order:
    """The order of the session's business, or NotFound (another business's order is not found either)."""
    order = get_in_business(session, Order, order_id)
    if order is None:
        raise NotFound(_("order #%(id)s does not exist", id=order_id))
    return order


def find_order(session, ref: str) -> Order:
    """An order by number ('SO-2026-0007'), external reference or id: what staff type into the CLI."""
    ref = str(ref).strip()
    order = session.scalar(select(Order).where(Order.number == ref))
    if order is None:
        found = session.scalars(select(Order).where(Order.external_ref == ref).limit(2)).all()
        if len(found) > 1:
            raise UserError(_("external reference %(ref)r is used on several channels; use the order number", ref=ref))
        order = found[0] if found else None
    if order is None and ref.isdigit():
        order = get_in_business(session, Order, int(ref))
    if order is None:
        raise NotFound(_("no order %(ref)r (give the number such as SO-2026-0007, the external reference or the id)",
                         ref=ref))
    return order


def quantize_money(amount, currency: str) -> Decimal:
    """A stored amount (4 decimals) shown with the currency's own decimals."""
    from core.money import quantize
    return quantize(amount, currency)


def business_of(session):
    """The session's business, for reading (its currency, country and languages shape an order).

    The ORM ``Business`` when this transaction has it loaded (perhaps changed, not yet
    flushed), else a read-only row of its columns (same attribute names), read once per
    transaction with a statement built once: every order asks, and an ORM load of the row
    cost more than the rest of creating the order's header. Change the business through
    ``session.get(Business, ...)``, not through this."""
    business_id = session.info.get("business_id")
    if business_id is None:
        raise UserError(_("no business selected: sales work in one business"))
    loaded = session.identity_map.get(identity_key(Business, business_id))
    if loaded is not None:
        return loaded
    cache = tx_cache(session)
    facts = cache.get("sales.business")
    if facts is None:
        facts = cache["sales.business"] = session.connection().execute(
            _BUSINESS_FACTS, {"facts_business": business_id}).one()
    return facts


_business = Business.__table__
# Every column, so a caller reading any attribute of the business keeps working with the row.
_BUSINESS_FACTS = select(_business).where(_business.c.id == bindparam("facts_business"))


# ---------------------------------------------------------------- orders

def create_order(session, *, channel: str = "manual", partner_id: int | None = None, lines=(),
                 external_ref: str | None = None, customer_po: str | None = None, shipping_fee="0",
                 shipping_paid_by: str = "customer", cod_amount="0", prices_include_tax: bool = False,
                 payment_term_code: str | None = None, order_date: date | None = None,
                 note: str | None = None) -> Order:
    """Create a New order. ``lines``: dicts with variant_id, qty and optionally unit_price
    (default: the channel's price), discount_percent, tax_rate (default: the variant's tax class)."""
    business = business_of(session)
    problems = []
    if channel not in states.CHANNELS:
        problems.append(_("channel: %(channel)r is not one of %(channels)s", channel=channel,
                          channels=", ".join(states.CHANNELS)))
    if shipping_paid_by not in states.SHIPPING_PAYERS:
        problems.append(_("shipping_paid_by: %(payer)r must be customer or merchant", payer=shipping_paid_by))
    external_ref = (external_ref or "").strip() or None
    if external_ref and channel in states.CHANNELS:
        taken = session.scalar(select(Order.number).where(Order.channel == channel,
                                                          Order.external_ref == external_ref))
        if taken:
            problems.append(_("external_ref: %(channel)s order %(ref)r is already %(number)s", channel=channel,
                              ref=external_ref, number=taken))
    partner = _customer(session, partner_id, problems)
    code = payment_term_code or (partner.payment_term_code if partner else None)
    term = None
    if code:
        try:
            term = get_payment_term(session, code)
        except UserError as exc:
            problems.append(_("payment term: %(error)s", error=exc))
    if problems:
        raise UserError("; ".join(problems))
    order_date = order_date or date.today()
    year = order_date.year
    order = Order(channel=channel, partner_id=partner.id if partner else None, external_ref=external_ref,
                  customer_po=(customer_po or "").strip() or None, currency=business.currency,
                  prices_include_tax=bool(prices_include_tax), order_date=order_date,
                  shipping_fee=clean_amount(shipping_fee, "shipping_fee", column=Order.shipping_fee),
                  shipping_paid_by=shipping_paid_by,
                  cod_amount=clean_amount(cod_amount, "cod_amount", column=Order.cod_amount), note=note,
                  number=f"{ORDER_SERIES}-{year}-{next_number(session, ORDER_SERIES, year):04d}")
    if term is not None:
        order.payment_term_code = term.code
        order.term_days, order.term_discount_percent = term.days, term.discount_percent
        order.term_discount_days = term.discount_days
    _check_money_decimals(order)
    # Lines and totals first, then into the session: the queries _set_lines makes cannot
    # autoflush a half-built order (an INSERT now and an UPDATE of its totals later).
    _set_lines(session, order, lines)
    session.add(order)
    session.flush()
    # Orders created in this transaction: nothing else can have been attached to them yet
    # (the stock bridge need not look for a warehouse link it would have made itself).
    tx_cache(session).setdefault("sales_orders_created", set()).add(order.id)
    publish(session, "sales.order_created", order_id=order.id)
    return order


def _customer(session, partner_id, problems):
    if partner_id is None:
        return None
    from addons.partners.models import Partner
    partner = get_in_business(session, Partner, partner_id)
    if partner is None:
        problems.append(_("customer: partner #%(id)s does not exist", id=partner_id))
    elif not partner.is_customer:
        problems.append(_("customer: %(name)s is not marked as a customer", name=partner.name))
    elif not partner.active:
        problems.append(_("customer: %(name)s is archived", name=partner.name))
    return partner


def _check_money_decimals(order: Order):
    from core.money import quantize
    for field in ("shipping_fee", "cod_amount"):
        value = getattr(order, field)
        if quantize(value, order.currency) != value:
            raise UserError(_("%(field)s: %(value)s has more decimals than %(currency)s allows", field=field, value=value,
                              currency=order.currency))


def set_lines(session, order_id: int, lines) -> Order:
    """Replace the lines of a New order and recompute its totals."""
    order = get_order(session, order_id)
    states.check_transition(order, "edit")
    order.lines.clear()
    session.flush()
    _set_lines(session, order, lines)
    session.flush()
    return order


def update_order(session, order_id: int, **fields) -> Order:
    """Change header fields of a New order (shipping, COD, PO number, note) and recompute."""
    order = get_order(session, order_id)
    states.check_transition(order, "edit")
    allowed = {"customer_po", "note", "shipping_fee", "shipping_paid_by", "cod_amount"}
    unknown = set(fields) - allowed
    if unknown:
        raise UserError(_("cannot change %(fields)s here (editable: %(editable)s)", fields=", ".join(sorted(unknown)),
                          editable=", ".join(sorted(allowed))))
    for key in ("shipping_fee", "cod_amount"):
        if key in fields:
            fields[key] = clean_amount(fields[key], key, column=getattr(Order, key))
    if fields.get("shipping_paid_by", "customer") not in states.SHIPPING_PAYERS:
        raise UserError(_("shipping_paid_by: %(payer)r must be customer or merchant", payer=fields["shipping_paid_by"]))
    for key, value in fields.items():
        setattr(order, key, value)
    _check_money_decimals(order)
    recompute(order)
    session.flush()
    return order


def _set_lines(session, order: Order, lines) -> None:
    from addons.catalog import services as catalog
    problems = []
    wanted = [raw["variant_id"] for raw in lines if isinstance(raw, dict) and isinstance(raw.get("variant_id"), int)]
    terms = catalog.selling_terms(session, wanted, channel=order.channel)
    # Held for the transaction: the flush checks that each line's variant is the business's,
    # and finds them in the identity map instead of reading them again.
    tx_cache(session).setdefault("sales_variants", []).extend(t["variant"] for t in terms.values())
    for i, raw in enumerate(lines, start=1):
        where = f"line {i}"
        if not isinstance(raw, dict) or "variant_id" not in raw or "qty" not in raw:
            problems.append(_("%(where)s: needs variant_id and qty", where=where))
            continue
        found = terms.get(raw["variant_id"]) if isinstance(raw["variant_id"], int) else None
        if found is None:
            problems.append(_("%(where)s: variant #%(id)s does not exist", where=where, id=raw["variant_id"]))
            continue
        variant = found["variant"]
        if not variant.active:
            problems.append(_("%(where)s: %(sku)s is archived and cannot be sold", where=where, sku=variant.sku))
            continue
        try:
            qty = clean_amount(raw["qty"], f"{where} ({variant.sku}) qty", allow_zero=False, column=OrderLine.qty)
            if "unit_price" in raw and raw["unit_price"] is not None:
                price = clean_amount(raw["unit_price"], f"{where} ({variant.sku}) unit_price",
                                     column=OrderLine.unit_price)
            else:
                price = found["price"]
            discount = clean_amount(raw.get("discount_percent", "0"), f"{where} ({variant.sku}) discount_percent",
                                    column=OrderLine.discount_percent)
            if discount > 100:
                raise UserError(_("%(where)s (%(sku)s) discount_percent: at most 100, got %(value)s", where=where,
                                  sku=variant.sku, value=discount))
            if "tax_rate" in raw:
                rate = None if raw["tax_rate"] is None else clean_amount(raw["tax_rate"], f"{where} tax_rate",
                                                                        column=OrderLine.tax_rate)
            else:
                rate = found["tax_rate"]
            if rate is not None and rate >= 1:
                raise UserError(_("%(where)s (%(sku)s) tax_rate: a fraction such as 0.10 for 10 %%, got %(value)s",
                                  where=where, sku=variant.sku, value=rate))
        except UserError as exc:
            problems.append(str(exc))
            continue
        order.lines.append(OrderLine(sequence=i, variant_id=variant.id, sku=variant.sku,
                                     description=_describe(found["product_name"], variant)[:255], qty=qty,
                                     unit_price=price, discount_percent=discount, tax_rate=rate))
    if problems:
        raise UserError("; ".join(problems))
    recompute(order)


def _describe(product_name: str, variant) -> str:
    extra = " / ".join(variant.values)
    return f"{product_name} ({extra})" if extra else product_name


def recompute(order: Order) -> None:
    """Recompute line and order amounts from quantities and prices (rounded per the currency)."""
    amounts = []
    for line in order.lines:
        a = line_amounts(line.qty, line.unit_price, line.discount_percent, line.tax_rate, order.currency,
                         prices_include_tax=order.prices_include_tax)
        line.net_amount, line.tax_amount, line.total_amount = a.net, a.tax, a.total
        amounts.append(a)
    totals = order_amounts(amounts, order.shipping_fee, order.shipping_paid_by, order.currency)
    order.subtotal, order.discount_total = totals.subtotal, totals.discount_total
    order.tax_total, order.total = totals.tax_total, totals.total
    if order.cod_amount > order.total:
        raise UserError(_("cod_amount: %(cod)s is more than the order total %(total)s",
                          cod=fmt(order.cod_amount, order.currency), total=fmt(order.total, order.currency)))
    refresh_payment_status(order)


def refresh_payment_status(order: Order) -> None:
    if order.amount_refunded > 0 and order.net_paid <= 0:
        order.payment_status = states.REFUNDED
    elif order.balance <= 0 and (order.total > 0 or order.lines):
        order.payment_status = states.PAID
    elif order.net_paid > 0:
        order.payment_status = states.PARTLY_PAID
    else:
        order.payment_status = states.UNPAID


def refresh_fulfilment_status(order: Order) -> None:
    delivered = sum((line.qty_delivered for line in order.lines), ZERO)
    returned = sum((line.qty_returned for line in order.lines), ZERO)
    if delivered > 0 and returned >= delivered:
        order.fulfilment_status = states.RETURNED
    elif delivered == 0:
        order.fulfilment_status = states.UNFULFILLED
    elif all(line.qty_delivered >= line.qty for line in order.lines):
        order.fulfilment_status = states.FULFILLED
    else:
        order.fulfilment_status = states.PARTLY


# ---------------------------------------------------------------- transitions

def confirm_order(session, order_id: int) -> Order:
    """New → Processing. Sync handlers run now (sales_stock reserves every line, all or nothing)."""
    order = get_order(session, order_id)
    target = states.check_transition(order, "confirm")
    if not order.lines:
        raise UserError(_("order %(number)s has no lines; add at least one before confirming", number=order.number))
    order.state = target
    order.confirmed_at = utcnow()
    # A due date agreed at entry stands; otherwise the payment term sets it from today.
    order.due_date = order.due_date or terms.due_date(order.term_days, date.today())
    # The order's own row: one guarded UPDATE with its audit entry, without a flush of the whole
    # session (anything else pending is flushed by the handlers' first query, as before).
    if flush_one(session, order, expect={"state": states.NEW}) != 1:
        # Confirmed (or cancelled) by someone else since it was read: say what it is now.
        session.refresh(order)
        states.check_transition(order, "confirm")
        raise AssertionError(f"order {order.number}: the confirming UPDATE matched no row")
    publish(session, "sales.order_confirmed", order_id=order.id)
    return order


def cancel_order(session, order_id: int, reason: str = "") -> Order:
    """New or Processing → Cancelled; refused once goods left or money came in (return or refund first)."""
    order = get_order(session, order_id)
    target = states.check_transition(order, "cancel")
    if any(line.qty_delivered > 0 for line in order.lines):
        raise UserError(_("order %(number)s has delivered goods; create a return instead of cancelling",
                          number=order.number))
    if order.net_paid > 0:
        raise UserError(_("order %(number)s has %(paid)s paid; refund it before cancelling", number=order.number,
                          paid=fmt(order.net_paid, order.currency)))
    was_confirmed = order.state == states.PROCESSING
    order.state = target
    order.cancelled_at = utcnow()
    order.cancel_reason = (reason or "").strip()[:255] or None
    session.flush()
    publish(session, "sales.order_cancelled", order_id=order.id, was_confirmed=was_confirmed)
    return order


def deliver_order(session, order_id: int, quantities: dict[int, object]) -> Order:
    """Ship part of a Processing order: ``{order_line_id: qty}``. Publishes sales.order_delivered."""
    order = get_order(session, order_id)
    states.check_transition(order, "deliver")
    by_id = {line.id: line for line in order.lines}
    moved, problems = [], []
    for line_id, raw in quantities.items():
        line = by_id.get(int(line_id))
        if line is None:
            problems.append(_("line #%(id)s is not on order %(number)s", id=line_id, number=order.number))
            continue
        try:
            qty = clean_amount(raw, f"{line.sku} qty", allow_zero=False, column=OrderLine.qty_delivered)
        except UserError as exc:
            problems.append(str(exc))
            continue
        left = line.qty - line.qty_delivered
        if qty > left:
            problems.append(_("%(sku)s: %(qty)s to deliver but only %(left)s left to deliver", sku=line.sku,
                              qty=fmt_qty(qty), left=fmt_qty(left)))
            continue
        moved.append((line, qty))
    if problems or not moved:
        raise UserError("; ".join(problems) or _("nothing to deliver"))
    _deliver(order, moved)
    session.flush()
    publish(session, "sales.order_delivered", order_id=order.id, lines=_payload(moved))
    return order


def complete_order(session, order_id: int) -> Order:
    """Processing → Completed: whatever is not delivered yet is delivered now.

    Refused while money is due, unless the order is on credit terms (net N days).
    """
    order = get_order(session, order_id)
    target = states.check_transition(order, "complete")
    if order.balance > 0 and order.term_days == 0:
        raise UserError(_("order %(number)s still has %(balance)s to pay and is due on receipt; register the payment "
                          "before completing", number=order.number, balance=fmt(order.balance, order.currency)))
    moved = [(line, line.qty - line.qty_delivered) for line in order.lines if line.qty_delivered < line.qty]
    _deliver(order, moved)
    order.state = target
    order.completed_at = utcnow()
    session.flush()
    publish(session, "sales.order_completed", order_id=order.id, lines=_payload(moved))
    return order


def _deliver(order, moved):
    for line, qty in moved:
        line.qty_delivered = line.qty_delivered + qty
    refresh_fulfilment_status(order)


def _payload(moved) -> list:
    """[[order_line_id, variant_id, "qty"], ...]: JSON-able, Decimal as text."""
    return [[line.id, line.variant_id, fmt_qty(qty)] for line, qty in moved]
