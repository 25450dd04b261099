"""Demo stock for the demo's New orders: every one of them can be confirmed.

Runs after the sales and warehouse demos (sales_stock depends on both). The warehouse
demo opens with ordinary stock and the sales demo sells some of it out, so orders that
met a shortfall stayed New; a newcomer's first click, Confirm, must not then fail.
This receives into each New order's warehouse (the default one unless the order names
one) what all New orders together still need there, as one "demo restock" receipt.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from addons.catalog.models import Variant
from addons.sales import states
from addons.sales.models import Order, OrderLine
from addons.warehouse import services as wh
from addons.warehouse.models import StockBalance

from .models import OrderWarehouse


def load(session, business_id, rng) -> dict:
    default = None
    needed: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    rows = session.execute(
        select(Order.id, OrderWarehouse.warehouse_id, OrderLine.variant_id, OrderLine.qty, OrderLine.qty_delivered)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(OrderWarehouse, OrderWarehouse.order_id == Order.id)
        .where(Order.state == states.NEW, OrderLine.variant_id.is_not(None)))
    for _order_id, warehouse_id, variant_id, qty, delivered in rows:
        if warehouse_id is None:
            default = default or wh.default_warehouse(session).id
            warehouse_id = default
        needed[warehouse_id][variant_id] += Decimal(qty) - Decimal(delivered or 0)
    received = 0
    for warehouse_id, per_variant in needed.items():
        balances = {b.variant_id: b.on_hand - b.reserved for b in session.scalars(
            select(StockBalance).where(StockBalance.warehouse_id == warehouse_id,
                                       StockBalance.variant_id.in_(list(per_variant))))}
        costs = {v.id: Decimal(v.effective_cost) for v in session.scalars(
            select(Variant).where(Variant.id.in_(list(per_variant))))}
        short = sorted((v, qty - balances.get(v, Decimal(0))) for v, qty in per_variant.items()
                       if qty > balances.get(v, Decimal(0)))
        if short:
            wh.receive(session, warehouse_id, short, "demo restock",
                       unit_costs={v: costs[v] for v, _ in short}, reason="stock for the demo's New orders")
            received += len(short)
    return {"restocked_variants": received}
