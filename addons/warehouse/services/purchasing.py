"""Suppliers' products, purchase orders and goods receipts.

States: draft -> sent -> partial -> received, and cancelled from draft, sent or
partial (cancelling a partially received order drops its backorder; what was
received stays). Each transition checks the current state and says why not.
A goods receipt raises stock through the ledger and updates the variant's
moving average cost (Decimal, 4 places) in the catalog.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from addons.catalog import services as catalog
from addons.catalog.models import Variant
from addons.partners.services import get_partner
from core.db import get_or_not_found, utcnow
from core.errors import UserError
from core.i18n import _, _l
from core.models import Business
from core.money import sum_of
from core.sequences import next_number

from . import stock
from ..models import PurchaseLine, PurchaseOrder, Receipt, ReceiptLine, StockBalance, SupplierProduct

STATE_LABELS = {"draft": _l("Draft"), "sent": _l("Sent"), "partial": _l("Partially received"),
                "received": _l("Received"), "cancelled": _l("Cancelled")}
# What _require's callers say cannot be done, translated with the sentence it goes in.
_DONE = {"changed": _l("changed"), "sent": _l("sent"), "cancelled": _l("cancelled"), "received": _l("received")}
COST_PLACES = Decimal("0.0001")


def _number(session, series: str) -> str:
    year = utcnow().year
    return f"{series}-{year}-{next_number(session, series, year):05d}"


def _cost(session, value, field="unit_cost") -> Decimal:
    from addons.catalog import validate
    return validate.cost(session, value, field)


def _supplier(session, partner_id: int):
    partner = get_partner(session, partner_id)
    if not partner.is_supplier:
        raise UserError(_("%(name)s is not marked as a supplier; tick 'supplier' on the partner first",
                          name=partner.name))
    if not partner.active:
        raise UserError(_("supplier %(name)s is archived", name=partner.name))
    return partner


# ---------------------------------------------------------------- supplier products

def set_supplier_product(session, partner_id: int, variant_id: int, *, unit_cost, supplier_sku: str | None = None,
                         min_qty=0, lead_time_days: int = 0, preferred: bool = False) -> SupplierProduct:
    """Record what a supplier charges for a variant; ``preferred`` makes it the one reorders go to."""
    _supplier(session, partner_id)
    catalog.get_variant(session, variant_id)
    cost = _cost(session, unit_cost)
    minimum = stock.quantity(min_qty, "min_qty", allow_zero=True)
    if isinstance(lead_time_days, bool) or not isinstance(lead_time_days, int) or not 0 <= lead_time_days <= 365:
        raise UserError(_("lead_time_days: %(value)r must be a whole number of days from 0 to 365",
                          value=lead_time_days))
    row = session.scalar(select(SupplierProduct).where(SupplierProduct.partner_id == partner_id,
                                                       SupplierProduct.variant_id == variant_id))
    if row is None:
        row = SupplierProduct(partner_id=partner_id, variant_id=variant_id)
        session.add(row)
    row.unit_cost, row.min_qty, row.lead_time_days = cost, minimum, lead_time_days
    row.supplier_sku = (supplier_sku or "").strip() or None
    if preferred:
        for other in session.scalars(select(SupplierProduct).where(SupplierProduct.variant_id == variant_id,
                                                                   SupplierProduct.preferred.is_(True))):
            other.preferred = False
    row.preferred = bool(preferred) or row.preferred
    session.flush()
    return row


def preferred_supplier(session, variant_id: int) -> SupplierProduct | None:
    return session.scalar(select(SupplierProduct).where(SupplierProduct.variant_id == variant_id,
                                                        SupplierProduct.preferred.is_(True)).limit(1))


# ---------------------------------------------------------------- purchase orders

def get_purchase_order(session, order_id: int) -> PurchaseOrder:
    return get_or_not_found(session, PurchaseOrder, order_id, "purchase order")


def _require(order: PurchaseOrder, states: tuple, action: str) -> None:
    if order.state not in states:
        allowed = _(" or ").join(str(STATE_LABELS[s]) for s in states)
        raise UserError(_("purchase order %(number)s is %(state)s; it can only be %(action)s when %(allowed)s",
                          number=order.number, state=STATE_LABELS[order.state], action=_DONE[action],
                          allowed=allowed))


def _default_cost(session, supplier_id: int, variant_id: int) -> Decimal:
    offer = session.scalar(select(SupplierProduct.unit_cost).where(SupplierProduct.partner_id == supplier_id,
                                                                   SupplierProduct.variant_id == variant_id))
    if offer is not None:
        return Decimal(offer)
    return Decimal(catalog.get_variant(session, variant_id).effective_cost)


def create_purchase_order(session, supplier_id: int, lines=(), *, warehouse_id: int | None = None,
                          expected_date: date | None = None, notes: str | None = None,
                          origin: str | None = None) -> PurchaseOrder:
    """A draft PO; ``lines`` are (variant_id, qty) or (variant_id, qty, unit_cost)."""
    _supplier(session, supplier_id)
    warehouse = stock.get_warehouse(session, warehouse_id) if warehouse_id else stock.default_warehouse(session)
    if expected_date is not None and not isinstance(expected_date, date):
        raise UserError(_("expected_date: must be a date"))
    currency = session.scalar(select(Business.currency).where(Business.id == session.info["business_id"]))
    order = PurchaseOrder(number=_number(session, "PO"), supplier_id=supplier_id, warehouse_id=warehouse.id,
                          currency=currency, expected_date=expected_date, notes=(notes or "").strip() or None,
                          origin=origin, state="draft")
    session.add(order)
    session.flush()
    for line in lines:
        add_purchase_line(session, order.id, *line)
    return order


def add_purchase_line(session, order_id: int, variant_id: int, quantity, unit_cost=None) -> PurchaseLine:
    """Add to a draft PO; a variant already on it gets its quantity increased."""
    order = get_purchase_order(session, order_id)
    _require(order, ("draft",), "changed")
    catalog.get_variant(session, variant_id)
    qty = stock.quantity(quantity)
    cost = _default_cost(session, order.supplier_id, variant_id) if unit_cost in (None, "") \
        else _cost(session, unit_cost)
    for line in order.lines:
        if line.variant_id == variant_id:
            line.quantity += qty
            if unit_cost not in (None, ""):
                line.unit_cost = cost
            session.flush()
            return line
    line = PurchaseLine(variant_id=variant_id, quantity=qty, unit_cost=cost)
    order.lines.append(line)
    session.flush()
    return line


def update_purchase_line(session, line_id: int, *, quantity=None, unit_cost=None) -> PurchaseLine:
    line = get_or_not_found(session, PurchaseLine, line_id, "purchase order line")
    _require(line.order, ("draft",), "changed")
    if quantity is not None:
        line.quantity = stock.quantity(quantity)
    if unit_cost is not None:
        line.unit_cost = _cost(session, unit_cost)
    session.flush()
    return line


def send_purchase_order(session, order_id: int) -> PurchaseOrder:
    """draft -> sent: the order is placed with the supplier and its lines are frozen."""
    order = get_purchase_order(session, order_id)
    _require(order, ("draft",), "sent")
    if not order.lines:
        raise UserError(_("purchase order %(number)s has no lines; add what to buy before sending it",
                          number=order.number))
    order.state, order.sent_at = "sent", utcnow()
    session.flush()
    return order


def cancel_purchase_order(session, order_id: int, reason: str | None = None) -> PurchaseOrder:
    """draft/sent -> cancelled; partial -> cancelled drops the backorder (received goods stay)."""
    order = get_purchase_order(session, order_id)
    _require(order, ("draft", "sent", "partial"), "cancelled")
    order.state, order.closed_at = "cancelled", utcnow()
    if reason:
        order.notes = ((order.notes or "") + f"\nCancelled: {reason.strip()}").strip()
    session.flush()
    return order


def receive_purchase_order(session, order_id: int, lines=None, *, supplier_reference: str | None = None
                           ) -> Receipt:
    """Receive goods of a sent (or partially received) PO into its warehouse.

    ``lines`` = [(variant_id, qty)]; None receives everything outstanding. More
    than is outstanding is refused (naming the SKU); what stays outstanding is
    the backorder and the PO becomes 'partial', else 'received'.
    """
    order = get_purchase_order(session, order_id)
    _require(order, ("sent", "partial"), "received")
    if lines is None:
        wanted = [(line.variant_id, line.backorder_qty) for line in order.lines if line.backorder_qty > 0]
    else:
        wanted = stock.normalise_lines(lines)
    outstanding: dict[int, Decimal] = {}
    for line in order.lines:
        outstanding[line.variant_id] = outstanding.get(line.variant_id, Decimal(0)) + line.backorder_qty
    names = stock.skus(session, [v for v, _ in wanted] + list(outstanding))
    problems = []
    for variant_id, qty in wanted:
        if variant_id not in outstanding:
            problems.append(_("%(sku)s is not on this order", sku=names.get(variant_id, "#" + str(variant_id))))
        elif qty > outstanding[variant_id]:
            problems.append(_("%(sku)s received %(qty)s, only %(outstanding)s outstanding", sku=names[variant_id],
                              qty=stock.fmt(qty), outstanding=stock.fmt(outstanding[variant_id])))
    if problems:
        raise UserError(_("cannot receive %(number)s: %(problems)s", number=order.number, problems="; ".join(problems)))
    receipt = Receipt(number=_number(session, "GR"), order_id=order.id, warehouse_id=order.warehouse_id,
                      supplier_reference=(supplier_reference or "").strip() or None, user_id=stock.user_id(session))
    session.add(receipt)
    costs: dict[int, Decimal] = {}
    for variant_id, qty in wanted:
        left = qty
        for line in order.lines:
            if line.variant_id != variant_id or left <= 0 or line.backorder_qty <= 0:
                continue
            take = min(left, line.backorder_qty)
            line.received_qty += take
            left -= take
            receipt.lines.append(ReceiptLine(purchase_line_id=line.id, variant_id=variant_id, quantity=take,
                                             unit_cost=line.unit_cost))
            costs[variant_id] = line.unit_cost
    for variant_id, qty in wanted:
        _update_average_cost(session, variant_id, qty, costs[variant_id])
    session.flush()
    stock.receive(session, order.warehouse_id, wanted, f"{receipt.number} {order.number}", unit_costs=costs,
                  reason=f"purchase from {order.supplier.name}"[:255])
    order.state = "received" if all(line.backorder_qty == 0 for line in order.lines) else "partial"
    if order.state == "received":
        order.closed_at = utcnow()
    session.flush()
    return receipt


def _update_average_cost(session, variant_id: int, qty: Decimal, unit_cost: Decimal) -> None:
    """Moving average over all warehouses: (old qty x old cost + qty x cost) / (old qty + qty).

    Stock below zero counts as zero: goods sold before they were received carry no cost to average with.
    """
    on_hand = session.scalar(select(sum_of(StockBalance.on_hand)).where(StockBalance.variant_id == variant_id))
    before = max(on_hand, Decimal(0))
    variant = session.scalar(select(Variant).where(Variant.id == variant_id))
    old_cost = Decimal(variant.effective_cost)
    average = ((before * old_cost + qty * Decimal(unit_cost)) / (before + qty)).quantize(COST_PLACES)
    catalog.set_variant_cost(session, variant_id, average)


def open_orders(session, state: str | None = None, limit: int = 100) -> list[PurchaseOrder]:
    query = select(PurchaseOrder).order_by(PurchaseOrder.created_at.desc()).limit(limit)
    if state:
        query = query.where(PurchaseOrder.state == state)
    return list(session.scalars(query))


def purchase_state_label(order: PurchaseOrder) -> str:
    return str(STATE_LABELS[order.state])


def as_of(value: datetime | None) -> str:
    return value.isoformat() if value else ""
