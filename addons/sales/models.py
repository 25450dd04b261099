"""Sales tables: payment terms, orders with lines, payments, returns with lines.

Sales references partners (customers) and catalog variants, never warehouse
tables: which warehouse serves an order is the sales_stock bridge's extension
table. Money columns are core.money.Amount (Decimal in Python, exact on every
database); the amounts stored on an order are the rounded results of ``totals``,
recomputed by the services whenever lines change, so lists can sort and filter
on them without recomputing.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from addons.partners.models import Partner
from core.audit import Audited
from core.db import Base, BusinessScoped, TimestampMixin, utcnow
from core.money import PERCENT, TAX_RATE, Amount, Quantity, Rate, scaled_check

from . import states


class PaymentTerm(BusinessScoped, Base):
    """Due on receipt (days=0), net N days, optionally an early-payment discount.

    Partners name a term by ``code`` (partners.payment_term_code); sales reads it.
    """
    __tablename__ = "sales_payment_term"
    __table_args__ = (UniqueConstraint("business_id", "code"),
                      CheckConstraint("days >= 0", name="days"),
                      CheckConstraint(scaled_check("discount_percent >= 0 AND discount_percent < :hundred",
                                                   Rate(*PERCENT), hundred=100), name="discount"),
                      CheckConstraint("discount_days >= 0 AND discount_days <= days", name="discount_days"))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    days: Mapped[int] = mapped_column(Integer, default=0)
    discount_percent: Mapped[Decimal] = mapped_column(Rate(*PERCENT), default=Decimal(0))
    discount_days: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self):
        return f"{self.code} ({self.name})"


class Order(Audited, BusinessScoped, TimestampMixin, Base):
    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("business_id", "number"),
        UniqueConstraint("business_id", "channel", "external_ref"),
        Index("ix_sales_order_business_created", "business_id", "created_at"),
        Index("ix_sales_order_business_state_created", "business_id", "state", "created_at"),
        Index("ix_sales_order_business_channel_created", "business_id", "channel", "created_at"),
        Index("ix_sales_order_business_payment_created", "business_id", "payment_status", "created_at"),
        Index("ix_sales_order_business_fulfilment_created", "business_id", "fulfilment_status", "created_at"),
        Index("ix_sales_order_business_currency_created", "business_id", "currency", "created_at"),
        Index("ix_sales_order_business_due_date", "business_id", "due_date"),
        Index("ix_sales_order_external_ref", "external_ref"),
        # the REST API's change feed (GET /api/v1/orders pages by updated_at, id)
        Index("ix_sales_order_business_updated", "business_id", "updated_at", "id"),
        Index("ix_sales_order_business_state_updated", "business_id", "state", "updated_at", "id"),
        CheckConstraint("state IN ('new', 'processing', 'completed', 'cancelled')", name="state"),
        CheckConstraint("payment_status IN ('unpaid', 'partly_paid', 'paid', 'refunded')", name="payment_status"),
        CheckConstraint("fulfilment_status IN ('unfulfilled', 'partly', 'fulfilled', 'returned')",
                        name="fulfilment_status"),
        CheckConstraint("channel IN ('web', 'shopee', 'lazada', 'tiktok', 'phone', 'facebook', 'counter', "
                        "'manual')", name="channel"),
        CheckConstraint("shipping_paid_by IN ('customer', 'merchant')", name="shipping_paid_by"),
        CheckConstraint("amount_paid >= 0 AND amount_refunded >= 0 AND amount_refunded <= amount_paid",
                        name="paid"),
        CheckConstraint("cod_amount >= 0 AND shipping_fee >= 0", name="amounts"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16), default="manual")
    external_ref: Mapped[str | None] = mapped_column(String(64))
    customer_po: Mapped[str | None] = mapped_column(String(64))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners_partner.id", ondelete="RESTRICT"),
                                                   index=True)
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default=states.NEW)
    payment_status: Mapped[str] = mapped_column(String(16), default=states.UNPAID)
    fulfilment_status: Mapped[str] = mapped_column(String(16), default=states.UNFULFILLED)
    order_date: Mapped[date] = mapped_column(Date)
    payment_term_code: Mapped[str | None] = mapped_column(String(32))
    term_days: Mapped[int] = mapped_column(Integer, default=0)
    term_discount_percent: Mapped[Decimal] = mapped_column(Rate(*PERCENT), default=Decimal(0))
    term_discount_days: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[date | None] = mapped_column(Date)
    subtotal: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    discount_total: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    shipping_fee: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    shipping_paid_by: Mapped[str] = mapped_column(String(16), default="customer")
    total: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    cod_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    amount_paid: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    amount_refunded: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    early_discount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    # Value of returned goods set against what the customer still owed (not paid out).
    amount_credited: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    note: Mapped[str | None] = mapped_column(Text)
    # Where the goods go, frozen at entry (name, phone, street, ward, district, province, postal_code,
    # country): later edits of the customer never move an order's parcel.
    shipping_address: Mapped[dict | None] = mapped_column(JSON)
    # sha256 of the entry payload (services.entry): a re-send with the same external_ref and the
    # same content returns this order; different content under the same ref is refused.
    entry_digest: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(String(255))
    confirmed_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()

    partner: Mapped[Partner | None] = relationship()
    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                    order_by="OrderLine.sequence")
    payments: Mapped[list["Payment"]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                     order_by="Payment.id")

    def __init__(self, **kw):
        # Column defaults apply at flush; services compute with a new order before that.
        for key in ("subtotal", "discount_total", "tax_total", "shipping_fee", "total", "cod_amount",
                    "amount_paid", "amount_refunded", "amount_credited", "early_discount",
                    "term_discount_percent"):
            kw.setdefault(key, Decimal(0))
        kw.setdefault("term_days", 0)
        kw.setdefault("term_discount_days", 0)
        kw.setdefault("state", states.NEW)
        kw.setdefault("payment_status", states.UNPAID)
        kw.setdefault("fulfilment_status", states.UNFULFILLED)
        super().__init__(**kw)

    @property
    def label(self) -> str:
        return states.display_label(self.state, self.payment_status, self.fulfilment_status,
                                    ships_before_payment=self.cod_amount > 0 or self.term_days > 0)

    @property
    def net_paid(self) -> Decimal:
        return self.amount_paid - self.amount_refunded

    @property
    def balance(self) -> Decimal:
        """What the customer still owes (the early discount, once taken, is owed no more)."""
        return self.total - self.early_discount - self.amount_credited - self.net_paid

    def __str__(self):
        return self.number


class OrderLine(BusinessScoped, Base):
    __tablename__ = "sales_order_line"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint(scaled_check("discount_percent >= 0 AND discount_percent <= :hundred", Rate(*PERCENT),
                                     hundred=100), name="discount"),
        CheckConstraint("qty_delivered >= 0 AND qty_delivered <= qty", name="delivered"),
        CheckConstraint("qty_returned >= 0 AND qty_returned <= qty_delivered", name="returned"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id", ondelete="RESTRICT"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(255))
    qty: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Amount())
    discount_percent: Mapped[Decimal] = mapped_column(Rate(*PERCENT), default=Decimal(0))
    tax_rate: Mapped[Decimal | None] = mapped_column(Rate(*TAX_RATE))
    net_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    tax_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    total_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    qty_delivered: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    qty_returned: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))

    order: Mapped[Order] = relationship(back_populates="lines")

    def __init__(self, **kw):
        for key in ("qty_delivered", "qty_returned", "discount_percent"):
            kw.setdefault(key, Decimal(0))
        super().__init__(**kw)

    def __str__(self):
        return f"{self.sku} x {self.qty}"


class Payment(Audited, BusinessScoped, Base):
    """Money received for an order (kind=payment) or given back (kind=refund); amounts are positive."""
    __tablename__ = "sales_payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("kind IN ('payment', 'refund')", name="kind"),
        Index("ix_sales_payment_business_paid_on", "business_id", "paid_on"),
        # the list's filters, newest first (keyset pages on id)
        Index("ix_sales_payment_business_kind", "business_id", "kind", "id"),
        Index("ix_sales_payment_business_method", "business_id", "method", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="payment")
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Amount())
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(128))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("sales_return.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")

    def __str__(self):
        return f"{self.kind} {self.amount} {self.method}"


class Return(Audited, BusinessScoped, TimestampMixin, Base):
    """Goods coming back against an order: draft, then received (stock moves happen on receipt)."""
    __tablename__ = "sales_return"
    __table_args__ = (UniqueConstraint("business_id", "number"),
                      Index("ix_sales_return_business_created", "business_id", "created_at"),
                      CheckConstraint("state IN ('draft', 'received')", name="state"),
                      CheckConstraint("refund_amount >= 0 AND credit_amount >= 0", name="amounts"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    reason: Mapped[str] = mapped_column(String(255), default="")
    refund_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    refund_method: Mapped[str | None] = mapped_column(String(16))
    # An exchange: the value of the returned goods is credited to this new order.
    replacement_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"))
    credit_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    received_at: Mapped[datetime | None] = mapped_column()

    order: Mapped[Order] = relationship(foreign_keys=[order_id])
    replacement_order: Mapped[Order | None] = relationship(foreign_keys=[replacement_order_id])
    lines: Mapped[list["ReturnLine"]] = relationship(back_populates="ret", cascade="all, delete-orphan",
                                                     order_by="ReturnLine.id")

    def __str__(self):
        return self.number


class ReturnLine(BusinessScoped, Base):
    __tablename__ = "sales_return_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("sales_return.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id", ondelete="RESTRICT"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id", ondelete="RESTRICT"))
    qty: Mapped[Decimal] = mapped_column(Quantity())
    damaged: Mapped[bool] = mapped_column(Boolean, default=False)
    amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))  # value credited, tax included

    ret: Mapped[Return] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()
