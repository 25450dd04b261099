"""Choosing warehouses for orders and returns, and the stock side of each sales event.

The event handlers in ``events.py`` call these; they run in the sales
transaction, so a refused reservation rolls the whole confirmation back.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import bindparam, event, select

from core.db import tx_cache
from core.errors import NotFound, UserError
from core.i18n import _

from .models import OrderWarehouse, ReturnWarehouse

log = logging.getLogger(__name__)


def _warehouse(session, warehouse_id: int):
    from addons.warehouse.models import Warehouse
    wh = session.scalar(select(Warehouse).where(Warehouse.id == warehouse_id))
    if wh is None:
        raise NotFound(_("warehouse #%(id)s does not exist", id=warehouse_id))
    return wh


def set_order_warehouse(session, order_id: int, warehouse_id: int) -> OrderWarehouse:
    """Choose the warehouse that serves a New order (once confirmed, its stock is reserved there)."""
    from addons.sales.services import get_order
    from addons.sales import states
    order = get_order(session, order_id)
    if order.state != states.NEW:
        raise UserError(_("order %(number)s is %(state)s; the warehouse can only be changed while the order is New",
                          number=order.number, state=states.STATE_LABELS[order.state]))
    _warehouse(session, warehouse_id)
    link = order_link(session, order.id)
    if link is None:
        link = OrderWarehouse(order_id=order.id, warehouse_id=warehouse_id)
        session.add(link)
        tx_cache(session)["sales_stock_links"][order.id] = link
    else:
        link.warehouse_id = warehouse_id
    session.flush()
    return link


def set_return_warehouse(session, return_id: int, warehouse_id: int) -> ReturnWarehouse:
    """Send the goods of a draft return to ``warehouse_id`` instead of the order's warehouse."""
    from addons.sales.services import get_return
    ret = get_return(session, return_id)
    if ret.state != "draft":
        raise UserError(_("return %(number)s is already received; its goods are in stock", number=ret.number))
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
    """The order's warehouse link, read once per transaction (confirming and completing an
    order in one transaction both need it)."""
    cache = tx_cache(session)
    links = cache.setdefault("sales_stock_links", {})
    if order_id not in links and order_id in cache.get("sales_orders_created", ()):
        links[order_id] = None  # created in this transaction: a link would be in the memo already
    if order_id not in links:
        links[order_id] = session.scalar(select(OrderWarehouse).where(OrderWarehouse.order_id == order_id))
    return links[order_id]


@lru_cache(maxsize=1)
def _serving_warehouse():
    """(warehouse, link) of order ``:order_id``: its linked warehouse, else (the default one, None).
    Built once (every confirmation runs it); the tenancy fence filters both tables as it runs."""
    from addons.warehouse.models import Warehouse
    from addons.warehouse.services import default_order
    return (select(Warehouse, OrderWarehouse)
            .outerjoin(OrderWarehouse, (OrderWarehouse.warehouse_id == Warehouse.id)
                       & (OrderWarehouse.order_id == bindparam("order_id")))
            .where(OrderWarehouse.id.is_not(None) | Warehouse.active.is_(True))
            .order_by(OrderWarehouse.id.is_(None), *default_order()).limit(1))


def _link_or_default(session, order_id: int, *, reserved: bool = False) -> OrderWarehouse:
    """The order's link, or a new one to the default warehouse (written with the next flush,
    ``reserved`` already set, so it is one INSERT rather than an INSERT and an UPDATE).

    Not read yet in this transaction, the link and the warehouse that serves it come in one
    query: the linked warehouse if there is a link, else the default one (which the stock
    change then finds in the identity map rather than loading it)."""
    from addons.warehouse.services import default_warehouse
    cache = tx_cache(session)
    links = cache.setdefault("sales_stock_links", {})
    warehouse = None
    if order_id in links or order_id in cache.get("sales_orders_created", ()):
        link = order_link(session, order_id)
    else:
        row = session.execute(_serving_warehouse(), {"order_id": order_id}).first()
        warehouse, link = row if row is not None else (None, None)
        links[order_id] = link
        # held for the transaction: the identity map keeps objects only weakly
        cache.setdefault("sales_stock_warehouses", {})[getattr(warehouse, "id", None)] = warehouse
    if link is None:
        warehouse_id = warehouse.id if warehouse is not None else default_warehouse(session).id
        link = OrderWarehouse(order_id=order_id, warehouse_id=warehouse_id, reserved=reserved)
        session.add(link)
        links[order_id] = link
    return link


def _grouped(pairs) -> list[tuple[int, Decimal]]:
    """Sum quantities per variant: one reservation per variant, in variant order."""
    totals: dict[int, Decimal] = OrderedDict()
    for variant_id, qty in pairs:
        if qty > 0:
            totals[variant_id] = totals.get(variant_id, Decimal(0)) + qty
    return sorted(totals.items())


def reserve_order(session, order, *, on_shortfall=None) -> OrderWarehouse:
    """Reserve every undelivered line of ``order``, all or nothing (the warehouse's guarded update).

    ``on_shortfall(warehouse_id, lines)`` runs when the stock falls short, before the error
    goes on: whatever it needs (the draft-PO setting) is read only on that path, not on
    every confirmation."""
    from addons.warehouse import services as wh
    link = _link_or_default(session, order.id, reserved=True)
    lines = _grouped((line.variant_id, line.qty - line.qty_delivered) for line in order.lines)
    try:
        wh.reserve(session, link.warehouse_id, lines, reference=order.number)
    except UserError:
        # A shortfall fails the whole transaction (the order stays New): the link and its
        # reserved flag roll back with it.
        if on_shortfall is not None:
            on_shortfall(link.warehouse_id, lines)
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


def draft_after_rollback(session, runtime, business_id, warehouse_id, lines):
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
