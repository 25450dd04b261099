"""Warehouse resources of the REST API: stock availability per variant and warehouse (read).

``GET /api/v1/stock`` lists balances (``available`` = on hand - reserved, what can still
be promised), paged by balance id, filtered by ``?sku=`` (one variant, through the
``(business_id, variant_id)`` index) and ``?warehouse=`` (a warehouse code, through the
``(business_id, warehouse_id, variant_id)`` unique index).
"""
from __future__ import annotations

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from addons.catalog.models import Variant
from core.api.pagination import Page, PageQuery, keyset_page
from core.api.schemas import Number, Out, Timestamp
from core.i18n import _l

from .models import StockBalance, Warehouse


class StockOut(Out):
    variant_id: int
    sku: str
    warehouse: str = Field(description="The warehouse code.")
    on_hand: Number
    reserved: Number
    available: Number = Field(description="On hand minus reserved.")
    updated_at: Timestamp


class StockQuery(PageQuery):
    sku: str | None = Field(None, max_length=64, description="Only this variant (its SKU, any case).")
    warehouse: str | None = Field(None, max_length=32, description="Only this warehouse (its code).")


def _stock_out(b: StockBalance) -> StockOut:
    return StockOut(variant_id=b.variant_id, sku=b.variant.sku, warehouse=b.warehouse.code, on_hand=b.on_hand,
                    reserved=b.reserved, available=b.available, updated_at=b.updated_at)


def stock_payload(session, business_id: int, warehouse_id: int, variant_ids, kind: str = "", **_event) -> dict:
    """The ``data`` of stock.changed: the changed balances, as ``GET /api/v1/stock`` lists them."""
    rows = session.scalars(select(StockBalance).where(StockBalance.warehouse_id == warehouse_id,
                                                      StockBalance.variant_id.in_(list(variant_ids)))
                           .options(selectinload(StockBalance.variant), selectinload(StockBalance.warehouse))
                           .order_by(StockBalance.id))
    return {"kind": kind, "balances": [_stock_out(b).model_dump(mode="json") for b in rows]}


def register(api):
    @api.get("/stock", scope="warehouse.stock.read", summary=_l("Stock available per variant and warehouse"),
             query=StockQuery, response=Page[StockOut])
    def list_stock(ctx, query: StockQuery):
        statement = (select(StockBalance).join(StockBalance.variant).join(StockBalance.warehouse)
                     .options(contains_eager(StockBalance.variant), contains_eager(StockBalance.warehouse)))
        if query.sku is not None:
            variant_id = ctx.session.scalar(select(Variant.id).where(func.lower(Variant.sku) == query.sku.lower()))
            statement = statement.where(StockBalance.variant_id == (variant_id or 0))
        if query.warehouse is not None:
            warehouse_id = ctx.session.scalar(select(Warehouse.id).where(Warehouse.code == query.warehouse))
            statement = statement.where(StockBalance.warehouse_id == (warehouse_id or 0))
        rows, next_url = keyset_page(ctx.session, statement, (StockBalance.id,), query, "stock")
        return Page[StockOut](data=[_stock_out(b) for b in rows], next=next_url)
