"""Warehouse tables.

``StockBalance`` is a cache of ``StockMove`` (the append-only ledger): every
change to a balance is made together with the move that explains it, and
``stock.check_balances`` rebuilds the balances from the ledger to prove it.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from addons.catalog.models import Variant
from addons.partners.models import Partner
from core.audit import Audited
from core.db import Base, BusinessScoped, TimestampMixin, utcnow
from core.errors import UserError
from core.money import Amount, Quantity

WAREHOUSE_KINDS = ("main", "secondary", "branch")
MOVE_KINDS = ("receipt", "delivery", "transfer", "adjustment", "return", "scrap", "reserve", "release")
PO_STATES = ("draft", "sent", "partial", "received", "cancelled")
COUNT_STATES = ("draft", "counting", "applied", "cancelled")
TRANSFER_STATES = ("draft", "done", "cancelled")


class Warehouse(BusinessScoped, TimestampMixin, Base):
    __tablename__ = "warehouse_warehouse"
    __table_args__ = (UniqueConstraint("business_id", "code"),
                      CheckConstraint("kind in ('main', 'secondary', 'branch')", name="kind"))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="main")
    street: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    contact_name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self):
        return f"{self.code} {self.name}"


class StockBalance(BusinessScoped, Base):
    """On hand and reserved of one variant in one warehouse.

    The CHECK is the backstop of the guarded updates: reserved stays between 0
    and on hand unless the business allows negative stock (``allow_negative`` is
    copied from the setting onto each row so the database can enforce it).
    """
    __tablename__ = "warehouse_stock_balance"
    __table_args__ = (UniqueConstraint("business_id", "warehouse_id", "variant_id"),
                      CheckConstraint("reserved >= 0 AND (allow_negative OR (on_hand >= 0 AND reserved <= on_hand))",
                                      name="reserved"),
                      Index("ix_warehouse_stock_balance_business_variant", "business_id", "variant_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse_warehouse.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id"))
    on_hand: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    warehouse: Mapped[Warehouse] = relationship()
    variant: Mapped[Variant] = relationship()

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


# What is available, indexed: services.low_stock's "at or below zero" is a range of the business's
# balances (the query must spell the expression the same way, on_hand - reserved).
Index("ix_warehouse_stock_balance_business_available", StockBalance.business_id,
      StockBalance.on_hand - StockBalance.reserved)


class StockMove(BusinessScoped, Base):
    """One line of the ledger: never updated or deleted (the ORM refuses; see below)."""
    __tablename__ = "warehouse_stock_move"
    __table_args__ = (Index("ix_warehouse_stock_move_business_created", "business_id", "created_at"),
                      Index("ix_warehouse_stock_move_business_kind", "business_id", "kind", "created_at"),
                      Index("ix_warehouse_stock_move_business_wh_variant", "business_id", "warehouse_id",
                            "variant_id"),
                      Index("ix_warehouse_stock_move_business_reference", "business_id", "reference"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse_warehouse.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id"))
    kind: Mapped[str] = mapped_column(String(16))
    on_hand_delta: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    reserved_delta: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    unit_cost: Mapped[Decimal | None] = mapped_column(Amount())
    reason: Mapped[str | None] = mapped_column(String(255))
    reference: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    warehouse: Mapped[Warehouse] = relationship()
    variant: Mapped[Variant] = relationship()


@event.listens_for(StockMove, "before_update")
@event.listens_for(StockMove, "before_delete")
def _ledger_is_append_only(_mapper, _connection, target):
    raise UserError(f"stock move #{target.id} is part of the ledger and cannot be changed; "
                    f"record a correcting move instead")


class SupplierProduct(BusinessScoped, Base):
    """What a supplier sells us: their code, price, minimum and lead time; one may be preferred."""
    __tablename__ = "warehouse_supplier_product"
    __table_args__ = (UniqueConstraint("business_id", "partner_id", "variant_id"),
                      Index("ix_warehouse_supplier_product_business_variant", "business_id", "variant_id"),
                      CheckConstraint("unit_cost >= 0 AND min_qty >= 0 AND lead_time_days >= 0", name="values"))
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners_partner.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id"))
    supplier_sku: Mapped[str | None] = mapped_column(String(64))
    unit_cost: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    min_qty: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0)
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)
    partner: Mapped[Partner] = relationship()
    variant: Mapped[Variant] = relationship()


class PurchaseOrder(Audited, BusinessScoped, TimestampMixin, Base):
    __tablename__ = "warehouse_purchase_order"
    __table_args__ = (UniqueConstraint("business_id", "number"),
                      Index("ix_warehouse_purchase_order_business_state", "business_id", "state", "created_at"),
                      Index("ix_warehouse_purchase_order_business_supplier", "business_id", "supplier_id",
                            "created_at"),
                      CheckConstraint("state in ('draft', 'sent', 'partial', 'received', 'cancelled')",
                                      name="state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("partners_partner.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse_warehouse.id"))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    expected_date: Mapped[date | None] = mapped_column(Date)
    sent_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(String(128))  # "reorder", an order number...
    supplier: Mapped[Partner] = relationship()
    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list["PurchaseLine"]] = relationship(back_populates="order", order_by="PurchaseLine.id",
                                                       cascade="all, delete-orphan")

    @property
    def total(self) -> Decimal:
        return sum((line.quantity * line.unit_cost for line in self.lines), Decimal(0))

    def __str__(self):
        return self.number


class PurchaseLine(BusinessScoped, Base):
    __tablename__ = "warehouse_purchase_line"
    __table_args__ = (CheckConstraint("quantity > 0 AND received_qty >= 0 AND received_qty <= quantity "
                                      "AND unit_cost >= 0", name="quantities"),
                      Index("ix_warehouse_purchase_line_business_variant", "business_id", "variant_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("warehouse_purchase_order.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    received_qty: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    unit_cost: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()

    @property
    def backorder_qty(self) -> Decimal:
        return self.quantity - self.received_qty


class Receipt(Audited, BusinessScoped, Base):
    """One goods receipt against a purchase order (a PO may have several: partial deliveries).

    Audited so its document page shows who received it; it has no states of its own:
    a receipt is posted stock, corrected by an adjustment or a count, never edited."""
    __tablename__ = "warehouse_receipt"
    __table_args__ = (UniqueConstraint("business_id", "number"),
                      Index("ix_warehouse_receipt_business_received", "business_id", "received_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int] = mapped_column(ForeignKey("warehouse_purchase_order.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse_warehouse.id"))
    supplier_reference: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    order: Mapped[PurchaseOrder] = relationship()
    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list["ReceiptLine"]] = relationship(cascade="all, delete-orphan", order_by="ReceiptLine.id")

    @property
    def supplier(self) -> Partner:
        return self.order.supplier

    @property
    def currency(self) -> str:
        """The purchase order's: unit costs on a receipt are in what the supplier was paid in."""
        return self.order.currency

    @property
    def total(self) -> Decimal:
        return sum((line.quantity * line.unit_cost for line in self.lines), Decimal(0))

    def __str__(self):
        return self.number


class ReceiptLine(BusinessScoped, Base):
    __tablename__ = "warehouse_receipt_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("warehouse_receipt.id", ondelete="CASCADE"), index=True)
    purchase_line_id: Mapped[int] = mapped_column(ForeignKey("warehouse_purchase_line.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_cost: Mapped[Decimal] = mapped_column(Amount())
    variant: Mapped[Variant] = relationship()


class StockCount(Audited, BusinessScoped, TimestampMixin, Base):
    """A count session of one warehouse: draft -> counting -> applied, or cancelled."""
    __tablename__ = "warehouse_stock_count"
    __table_args__ = (UniqueConstraint("business_id", "number"),
                      Index("ix_warehouse_stock_count_business_state", "business_id", "state", "created_at"),
                      CheckConstraint("state in ('draft', 'counting', 'applied', 'cancelled')", name="state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse_warehouse.id"))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    note: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column()
    applied_at: Mapped[datetime | None] = mapped_column()
    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list["StockCountLine"]] = relationship(back_populates="count", order_by="StockCountLine.id",
                                                         cascade="all, delete-orphan")

    def __str__(self):
        return self.number


class StockCountLine(BusinessScoped, Base):
    __tablename__ = "warehouse_stock_count_line"
    __table_args__ = (UniqueConstraint("count_id", "variant_id"),
                      CheckConstraint("counted_qty IS NULL OR counted_qty >= 0", name="counted"))
    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("warehouse_stock_count.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id"))
    expected_qty: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))  # on hand when counting started
    counted_qty: Mapped[Decimal | None] = mapped_column(Quantity())
    applied_delta: Mapped[Decimal | None] = mapped_column(Quantity())
    count: Mapped[StockCount] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()


class StockTransfer(Audited, BusinessScoped, TimestampMixin, Base):
    """Stock moving between two warehouses as a document: draft -> done, or cancelled while draft.

    Confirming writes the 'transfer' moves (reference = the number), all lines or none."""
    __tablename__ = "warehouse_stock_transfer"
    __table_args__ = (UniqueConstraint("business_id", "number"),
                      Index("ix_warehouse_stock_transfer_business_created", "business_id", "created_at"),
                      Index("ix_warehouse_stock_transfer_business_state", "business_id", "state", "created_at"),
                      CheckConstraint("state in ('draft', 'done', 'cancelled')", name="state"),
                      CheckConstraint("from_warehouse_id <> to_warehouse_id", name="warehouses"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse_warehouse.id"))
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse_warehouse.id"))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    scheduled_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancel_reason: Mapped[str | None] = mapped_column(String(255))
    from_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[from_warehouse_id])
    to_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[to_warehouse_id])
    lines: Mapped[list["StockTransferLine"]] = relationship(back_populates="transfer",
                                                            order_by="StockTransferLine.id",
                                                            cascade="all, delete-orphan")

    def __str__(self):
        return self.number


class StockTransferLine(BusinessScoped, Base):
    __tablename__ = "warehouse_stock_transfer_line"
    __table_args__ = (UniqueConstraint("transfer_id", "variant_id"),
                      CheckConstraint("quantity > 0", name="quantity"))
    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("warehouse_stock_transfer.id", ondelete="CASCADE"),
                                             index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    transfer: Mapped[StockTransfer] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()


class ReorderPoint(BusinessScoped, Base):
    """Reorder when forecast (available + incoming) falls below ``min_qty``, up to ``max_qty``."""
    __tablename__ = "warehouse_reorder_point"
    __table_args__ = (UniqueConstraint("business_id", "warehouse_id", "variant_id"),
                      CheckConstraint("min_qty >= 0 AND max_qty >= min_qty", name="levels"))
    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse_warehouse.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id"))
    min_qty: Mapped[Decimal] = mapped_column(Quantity())
    max_qty: Mapped[Decimal] = mapped_column(Quantity())
    warehouse: Mapped[Warehouse] = relationship()
    variant: Mapped[Variant] = relationship()
