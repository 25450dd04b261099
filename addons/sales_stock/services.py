"""Choosing warehouses for orders and returns, and the stock side of each sales event.

The event handlers in ``events.py`` call these; they run in the sales
transaction, so a refused reservation rolls the whole confirmation back.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from decimal import Decimal

from sqlalchemy import event, select

from core.errors import NotFound, UserError

from .models import OrderWarehouse, ReturnWarehouse

log = logging.getLogger(__name__)


def _warehouse(session, warehouse_id: int):
    from addons.warehouse.models import Warehouse
    wh = session.scalar(select(Warehouse).where(Warehouse.id == warehouse_id))
    if wh is None:
        raise NotFound(f"warehouse #{warehouse_id} does not exist")
    return wh


def set_order_warehouse(session, order_id: int, warehouse_id: int) -> OrderWarehouse:
    """Choose the warehouse that serves a New order (once confirmed, its stock is reserved there)."""
    from addons.sales.services import get_order
    from addons.sales import states
    order = get_order(session, order_id)
    if order.state != states.NEW:
        raise UserError(f"order {order.number} is {states.STATE_LABELS[order.state]}; the warehouse can only "
                        f"be changed while the order is New")
    _warehouse(session, warehouse_id)
    link = session.scalar(select(OrderWarehouse).where(OrderWarehouse.order_id == order.id))
    if link is None:
        link = OrderWarehouse(order_id=order.id, warehouse_id=warehouse_id)
        session.add(link)
    else:
        link.warehouse_id = warehouse_id
    session.flush()
    return link


def set_return_warehouse(session, return_id: int, warehouse_id: int) -> ReturnWarehouse:
    """Send the goods of a draft return to ``warehouse_id`` instead of the order's warehouse."""
    from addons.sales.services import get_return
    ret = get_return(session, return_id)
    if ret.state != "draft":
        raise UserError(f"return {ret.number} is already received; its goods are in stock")
    _warehouse(session, warehouse_id)
    link = session.scalar(select(ReturnWarehouse).where(ReturnWarehouse.return_id == ret.id))
    if link is None:
        link = ReturnWarehouse(return_id=ret.id, warehouse_id=warehouse_id)
        session.add(link)
    else:
        link.warehouse_id = warehouse_id
    session.flush()
    return link


def order_link(session, order_id: int) -> OrderWarehouse | None:
    return session.scalar(select(OrderWarehouse).where(OrderWarehouse.order_id == order_id))


def _link_or_default(session, order_id: int) -> OrderWarehouse:
    from addons.warehouse.services import default_warehouse
    link = order_link(session, order_id)
    if link is None:
        link = OrderWarehouse(order_id=order_id, warehouse_id=default_warehouse(session).id)
        session.add(link)
        session.flush()
    return link


def _grouped(pairs) -> list[tuple[int, Decimal]]:
    """Sum quantities per variant: one reservation per variant, in variant order."""
    totals: dict[int, Decimal] = OrderedDict()
    for variant_id, qty in pairs:
        if qty > 0:
            totals[variant_id] = totals.get(variant_id, Decimal(0)) + qty
    return sorted(totals.items())


def reserve_order(session, order, *, draft_po: bool = False, runtime=None) -> OrderWarehouse:
    """Reserve every undelivered line of ``order``, all or nothing (the warehouse's guarded update)."""
    from addons.warehouse import services as wh
    link = _link_or_default(session, order.id)
    lines = _grouped((line.variant_id, line.qty - line.qty_delivered) for line in order.lines)
    try:
        wh.reserve(session, link.warehouse_id, lines, reference=order.number)
    except UserError:
        if draft_po and runtime is not None:
            _draft_after_rollback(session, runtime, session.info["business_id"], link.warehouse_id, lines)
        raise
    link.reserved = True
    return link


def release_order(session, order) -> None:
    from addons.warehouse import services as wh
    link = order_link(session, order.id)
    if link is None or not link.reserved:
        return
    lines = _grouped((line.variant_id, line.qty - line.qty_delivered) for line in order.lines)
    if lines:
        wh.release(session, link.warehouse_id, lines, reference=order.number)
    link.reserved = False


def deliver_lines(session, order, delivered, *, final: bool) -> None:
    """Turn reservations into delivery moves for ``delivered`` = [[line_id, variant_id, "qty"], ...].

    An order confirmed before the bridge was enabled has no reservation: it is
    reserved first, so delivering never takes stock promised to someone else.
    """
    from addons.warehouse import services as wh
    lines = _grouped((int(variant_id), Decimal(qty)) for _line_id, variant_id, qty in delivered)
    link = order_link(session, order.id)
    if link is None or not link.reserved:
        link = _link_or_default(session, order.id)
        if lines:
            wh.reserve(session, link.warehouse_id, lines, reference=order.number)
        link.reserved = True
    if lines:
        wh.deliver(session, link.warehouse_id, lines, reference=order.number)
    if final:
        link.reserved = False


def restock_return(session, ret) -> None:
    """Goods of a received return go back on hand, or are recorded as damaged."""
    from addons.warehouse import services as wh
    target = session.scalar(select(ReturnWarehouse.warehouse_id).where(ReturnWarehouse.return_id == ret.id))
    if target is None:
        target = _link_or_default(session, ret.order_id).warehouse_id
    for damaged in (False, True):
        lines = _grouped((rl.variant_id, rl.qty) for rl in ret.lines if rl.damaged == damaged)
        if lines:
            wh.restock(session, target, lines, reference=ret.number, damaged=damaged)


def _draft_after_rollback(session, runtime, business_id, warehouse_id, lines):
    """Draft purchase orders for the shortfall once the failed confirmation has rolled back.

    It cannot happen inside that transaction (it rolls back) nor in a second one
    while the first is open (SQLite allows one writer), so it waits for the rollback.
    """
    def draft(_session):
        from addons.warehouse import services as wh
        from addons.warehouse.models import StockBalance
        try:
            with runtime.transaction(business_id) as s:
                have = dict(s.execute(select(StockBalance.variant_id, StockBalance.on_hand - StockBalance.reserved)
                                      .where(StockBalance.warehouse_id == warehouse_id,
                                             StockBalance.variant_id.in_([v for v, _ in lines]))).all())
                for variant_id, qty in lines:
                    short = qty - max(have.get(variant_id) or Decimal(0), Decimal(0))
                    if short > 0:
                        wh.draft_purchase_for_shortfall(s, variant_id, short)
        except Exception:  # the user already has the shortfall error; a failed draft must not hide it
            log.exception("sales_stock: drafting purchase orders for a shortfall failed")
    event.listen(session, "after_rollback", draft, once=True)
