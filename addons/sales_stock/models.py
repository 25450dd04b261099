"""Extension tables (DESIGN rule 6): which warehouse serves an order or receives a return.

Sales must not know about warehouses, so the link lives here, one row per order
(created when the order is confirmed, or earlier when staff choose a warehouse)
and one per return whose goods go somewhere other than the order's warehouse.
"""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BusinessScoped


class OrderWarehouse(BusinessScoped, Base):
    __tablename__ = "sales_stock_order_warehouse"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse_warehouse.id", ondelete="RESTRICT"),
                                              index=True)
    # True while the order's undelivered quantities are held as reservations in the warehouse.
    reserved: Mapped[bool] = mapped_column(Boolean, default=False)
    order = relationship("Order")
    warehouse = relationship("Warehouse")


class ReturnWarehouse(BusinessScoped, Base):
    __tablename__ = "sales_stock_return_warehouse"
    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("sales_return.id", ondelete="CASCADE"), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse_warehouse.id", ondelete="RESTRICT"),
                                              index=True)
