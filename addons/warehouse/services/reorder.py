"""Reorder points: what is below its minimum, and draft purchase orders for it.

Forecast = available (on hand - reserved) + incoming (outstanding quantities of
draft, sent and partially received POs for that warehouse). Counting draft POs
as incoming means running the daily reorder twice does not order twice.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, select, union
from sqlalchemy.orm import aliased

from addons.catalog import services as catalog
from core.i18n import _
from core.money import sum_of

from . import stock
from ..models import PurchaseLine, PurchaseOrder, ReorderPoint, StockBalance, Warehouse
from .purchasing import add_purchase_line, create_purchase_order, preferred_supplier

OPEN_STATES = ("draft", "sent", "partial")


def set_reorder_point(session, warehouse_id: int, variant_id: int, min_qty, max_qty) -> ReorderPoint:
    warehouse = stock.get_warehouse(session, warehouse_id)
    catalog.get_variant(session, variant_id)
    low = stock.quantity(min_qty, "min_qty", allow_zero=True)
    high = stock.quantity(max_qty, "max_qty")
    if high < low:
        from core.errors import UserError
        raise UserError(_("max_qty %(high)s must be at least min_qty %(low)s", high=stock.fmt(high), low=stock.fmt(low)))
    point = session.scalar(select(ReorderPoint).where(ReorderPoint.warehouse_id == warehouse.id,
                                                      ReorderPoint.variant_id == variant_id))
    if point is None:
        point = ReorderPoint(warehouse_id=warehouse.id, variant_id=variant_id, min_qty=low, max_qty=high)
        session.add(point)
    else:
        point.min_qty, point.max_qty = low, high
    session.flush()
    return point


def incoming(session, warehouse_id: int, variant_ids) -> dict[int, Decimal]:
    rows = session.execute(
        select(PurchaseLine.variant_id, sum_of(PurchaseLine.quantity - PurchaseLine.received_qty))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseLine.order_id)
        .where(PurchaseOrder.warehouse_id == warehouse_id, PurchaseOrder.state.in_(OPEN_STATES),
               PurchaseLine.variant_id.in_(list(variant_ids)))
        .group_by(PurchaseLine.variant_id)).all()
    return dict(rows)


def below_reorder_points(session, warehouse_id: int | None = None) -> list[dict]:
    """Every reorder point whose forecast is below its minimum, with the quantity to order up to max."""
    query = select(ReorderPoint, Warehouse.code).join(Warehouse, Warehouse.id == ReorderPoint.warehouse_id)
    if warehouse_id is not None:
        query = query.where(ReorderPoint.warehouse_id == warehouse_id)
    points = session.execute(query.order_by(Warehouse.code, ReorderPoint.variant_id)).all()
    out = []
    by_warehouse: dict[int, list] = {}
    for point, code in points:
        by_warehouse.setdefault(point.warehouse_id, []).append((point, code))
    for wh_id, items in by_warehouse.items():
        variant_ids = [p.variant_id for p, _ in items]
        levels = dict((v, (Decimal(o), Decimal(r))) for v, o, r in session.execute(
            select(StockBalance.variant_id, StockBalance.on_hand, StockBalance.reserved)
            .where(StockBalance.warehouse_id == wh_id, StockBalance.variant_id.in_(variant_ids))).all())
        coming = incoming(session, wh_id, variant_ids)
        names = stock.skus(session, variant_ids)
        for point, code in items:
            on_hand, reserved = levels.get(point.variant_id, (Decimal(0), Decimal(0)))
            forecast = on_hand - reserved + coming.get(point.variant_id, Decimal(0))
            if forecast >= point.min_qty:
                continue
            offer = preferred_supplier(session, point.variant_id)
            suggested = max(Decimal(point.max_qty) - forecast, offer.min_qty if offer else Decimal(0))
            out.append({"warehouse": code, "warehouse_id": wh_id, "variant_id": point.variant_id,
                        "sku": names.get(point.variant_id), "on_hand": on_hand, "reserved": reserved,
                        "incoming": coming.get(point.variant_id, Decimal(0)), "forecast": forecast,
                        "min_qty": Decimal(point.min_qty), "max_qty": Decimal(point.max_qty),
                        "suggested": suggested, "supplier_id": offer.partner_id if offer else None,
                        "supplier": offer.partner.name if offer else None})
    return out


def _draft_for(session, supplier_id: int, warehouse_id: int, origin: str) -> PurchaseOrder:
    """The open draft PO to this supplier for this warehouse, or a new one (one draft collects reorders)."""
    draft = session.scalar(select(PurchaseOrder).where(PurchaseOrder.supplier_id == supplier_id,
                                                       PurchaseOrder.warehouse_id == warehouse_id,
                                                       PurchaseOrder.state == "draft")
                           .order_by(PurchaseOrder.id).limit(1))
    return draft or create_purchase_order(session, supplier_id, warehouse_id=warehouse_id, origin=origin)


def draft_reorder_purchases(session, warehouse_id: int | None = None) -> tuple[list[PurchaseOrder], list[dict]]:
    """Draft POs to each preferred supplier for everything below its point.

    Returns (the draft orders touched, the items left out because no supplier is preferred).
    """
    touched: dict[int, PurchaseOrder] = {}
    skipped = []
    for item in below_reorder_points(session, warehouse_id):
        if item["supplier_id"] is None:
            skipped.append(item)
            continue
        order = _draft_for(session, item["supplier_id"], item["warehouse_id"], "reorder")
        add_purchase_line(session, order.id, item["variant_id"], item["suggested"])
        touched[order.id] = order
    return list(touched.values()), skipped


def draft_purchase_for_shortfall(session, variant_id: int, qty) -> PurchaseOrder | None:
    """Add ``qty`` (at least the supplier's minimum) of a variant to a draft PO to its preferred supplier,
    for the default warehouse. None when no supplier is preferred for it."""
    qty = stock.quantity(qty)
    offer = preferred_supplier(session, variant_id)
    if offer is None:
        return None
    warehouse = stock.default_warehouse(session)
    order = _draft_for(session, offer.partner_id, warehouse.id, "shortfall")
    add_purchase_line(session, order.id, variant_id, max(qty, Decimal(offer.min_qty)))
    return order


def low_stock(statement):
    """``statement`` (a select or query of balances) narrowed to the low ones: available (on hand
    less reserved) at or below the reorder point's minimum where the variant has one in that
    warehouse, else at or below zero. The home page counts these and the Stock list's "Low stock"
    filter lists them, through this one condition."""
    # Two index-driven halves, not one condition over an outer join (which reads every balance):
    # at or below zero is a range of the (business_id, on_hand - reserved) index; at or below a
    # reorder point's minimum (never below zero) walks the business's points and looks each
    # balance up by its unique key. The page or the count then fetches the balances by id.
    empty, pointed = aliased(StockBalance), aliased(StockBalance)
    at_zero = select(empty.id).where(empty.on_hand - empty.reserved <= 0)
    below_point = (select(pointed.id).select_from(ReorderPoint)
                   .join(pointed, and_(pointed.warehouse_id == ReorderPoint.warehouse_id,
                                       pointed.variant_id == ReorderPoint.variant_id))
                   .where(pointed.on_hand - pointed.reserved <= ReorderPoint.min_qty))
    return statement.where(StockBalance.id.in_(union(at_zero, below_point)))
