"""E-invoicing's tile on the home page (core.dashboard): orders to invoice.

Einvoice contributes it, not sales, because sales does not know invoices exist:
confirmed or paid orders without a (non-cancelled) document, the condition of
``services.orders.to_invoice``, which the Invoicing › Orders to invoice list
the tile links to applies too. One COUNT on the orders' (business_id, state)
index with a NOT EXISTS on the documents' (business_id, order_id) index.
"""
from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select

from addons.sales.models import Order
from core.dashboard import Tile
from core.i18n import _

from .services.orders import to_invoice


def tiles(ctx) -> list[Tile]:
    count = ctx.session.scalar(select(func.count(Order.id)).where(to_invoice())) or 0
    return [Tile(label=_("Orders to invoice"), value=ctx.count(count), permission="einvoice.document.read",
                 url=url_for("einvoice_to_invoice.index_view"), key="einvoice_to_invoice",
                 hint=_("confirmed or paid, no invoice yet"), tone="warning" if count else None)]
