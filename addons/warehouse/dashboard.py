"""Warehouse's tile on the home page (core.dashboard): low-stock variants.

A balance is low when what is available is at or below its reorder point's
minimum, or at or below zero where none is set (``services.low_stock``, the same
condition as the Stock list's "Low stock" filter the tile links to). One COUNT
over the business's balances, which are as many as variants times warehouses,
not as many as orders.
"""
from __future__ import annotations

from sqlalchemy import func, select

from core.dashboard import Tile
from core.i18n import _

from . import services
from .admin import LowStockFilter
from .models import StockBalance


def tiles(ctx) -> list[Tile]:
    count = ctx.session.scalar(services.low_stock(select(func.count(StockBalance.id)))) or 0
    return [Tile(label=_("Low stock"), value=ctx.count(count), permission="warehouse.stock.read",
                 url=ctx.list_url("warehouse_stock_balance", (None, LowStockFilter, "1")), key="warehouse_low_stock",
                 hint=_("at or below their reorder point"), tone="warning" if count else None)]
