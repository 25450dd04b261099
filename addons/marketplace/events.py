"""Sync handlers: a stock change schedules the stock push; an order delivered here tells the platform."""
from __future__ import annotations

from .services import shipping, stock


def on_stock_changed(session, business_id, variant_ids=(), **_):
    stock.on_stock_changed(session, variant_ids)


def on_order_delivered(session, business_id, order_id, **_):
    shipping.on_delivered(session, order_id)
