"""Courier tables: shipments with parcels and carrier events, carrier areas, the canonical
partner address, webhook hits and COD payout statements.

A shipment belongs to one sales order and one carrier (a provider code); the
carrier's own area codes live in ``courier_area`` (loaded by ``sync-areas``),
apart from the canonical address (street, ward, district, province, country)
kept on the order (``sales_order.shipping_address``) and on the partner
(``courier_partner_address``, a 1-to-1 extension of partners). Every carrier
event is stored once (unique per business, carrier and event key); the state
machine (``states``) decides whether it moves the shipment.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from addons.sales.models import Order
from core.audit import Audited
from core.db import Base, BusinessScoped, TimestampMixin, utcnow
from core.money import Amount

from . import states

_STATE_LIST = ", ".join(f"'{s}'" for s in states.STATES)


class Shipment(Audited, BusinessScoped, TimestampMixin, Base):
    """One delivery of (part of) an order through one carrier.

    ``client_code`` is the idempotency key of the current creation attempt at the
    carrier (committed before the call); ``request_state`` says how far that
    attempt got: pending, sending, unknown (timeout or 5xx: look it up before
    sending again), done or failed (the carrier refused; see ``last_error``).
    """
    __tablename__ = "courier_shipment"
    __table_args__ = (
        UniqueConstraint("business_id", "number"),
        UniqueConstraint("business_id", "client_code"),
        Index("ix_courier_shipment_business_created", "business_id", "created_at"),
        Index("ix_courier_shipment_business_state_created", "business_id", "state", "created_at"),
        Index("ix_courier_shipment_business_carrier_created", "business_id", "carrier", "created_at"),
        Index("ix_courier_shipment_business_tracking", "business_id", "tracking_number"),
        Index("ix_courier_shipment_open", "business_id", "state", "id"),
        # the REST API's change feed (GET /api/v1/shipments pages by updated_at, id)
        Index("ix_courier_shipment_business_updated", "business_id", "updated_at", "id"),
        Index("ix_courier_shipment_business_state_updated", "business_id", "state", "updated_at", "id"),
        Index("ix_courier_shipment_business_order_updated", "business_id", "order_id", "updated_at", "id"),
        CheckConstraint(f"state IN ({_STATE_LIST})", name="state"),
        CheckConstraint("request_state IN ('pending', 'sending', 'unknown', 'done', 'failed')",
                        name="request_state"),
        CheckConstraint("payer IN ('shop', 'receiver')", name="payer"),
        CheckConstraint("cod_amount >= 0 AND insurance_value >= 0", name="amounts"),
        CheckConstraint("label_prints >= 0", name="label_prints"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"), index=True)
    carrier: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(64))
    service_label: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(16), default=states.DRAFT)
    state_at: Mapped[datetime | None] = mapped_column()
    carrier_status: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    client_code: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    request_state: Mapped[str] = mapped_column(String(16), default="pending")
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    cod_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    insurance_value: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    fee: Mapped[Decimal | None] = mapped_column(Amount())
    payer: Mapped[str] = mapped_column(String(16), default="shop")
    required_note: Mapped[str] = mapped_column(String(32), default="CHOXEMHANGKHONGTHU")
    note: Mapped[str | None] = mapped_column(String(500))
    # name, phone, street, ward, district, province, country: copied from the order at creation
    receiver: Mapped[dict] = mapped_column(JSON)
    # the carrier's codes for the receiver's province / district / ward (empty for the manual carrier)
    area: Mapped[dict | None] = mapped_column(JSON)
    expected_delivery: Mapped[date | None] = mapped_column(Date)
    label_prints: Mapped[int] = mapped_column(Integer, default=0)
    # set once: the order's lines were delivered (goods left), the order completed, the return opened
    goods_left_at: Mapped[datetime | None] = mapped_column()
    return_id: Mapped[int | None] = mapped_column(ForeignKey("sales_return.id", ondelete="RESTRICT"))
    cod_paid: Mapped[Decimal | None] = mapped_column(Amount())
    cod_payment_id: Mapped[int | None] = mapped_column(ForeignKey("sales_payment.id", ondelete="RESTRICT"))

    order: Mapped[Order] = relationship()
    parcels: Mapped[list["Parcel"]] = relationship(back_populates="shipment", cascade="all, delete-orphan",
                                                   order_by="Parcel.sequence")

    def __init__(self, **kw):
        for key in ("cod_amount", "insurance_value"):
            kw.setdefault(key, Decimal(0))
        kw.setdefault("state", states.DRAFT)
        kw.setdefault("request_state", "pending")
        kw.setdefault("attempt", 1)
        kw.setdefault("label_prints", 0)
        super().__init__(**kw)

    @property
    def is_final(self) -> bool:
        return self.state in states.FINAL

    @property
    def weight_g(self) -> int:
        return sum(p.weight_g for p in self.parcels)

    def __str__(self):
        return self.number


class Parcel(BusinessScoped, Base):
    """A box of a shipment: weight in grams, size in centimetres, and the order lines in it."""
    __tablename__ = "courier_parcel"
    __table_args__ = (
        CheckConstraint("weight_g > 0", name="weight"),
        CheckConstraint("length_cm > 0 AND width_cm > 0 AND height_cm > 0", name="size"),
        Index("ix_courier_parcel_business_tracking", "business_id", "tracking_number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("courier_shipment.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    weight_g: Mapped[int] = mapped_column(Integer)
    length_cm: Mapped[int] = mapped_column(Integer)
    width_cm: Mapped[int] = mapped_column(Integer)
    height_cm: Mapped[int] = mapped_column(Integer)
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    # [{"order_line_id": 1, "qty": "2"}]: what is in the box (a return brings these back)
    lines: Mapped[list | None] = mapped_column(JSON)

    shipment: Mapped[Shipment] = relationship(back_populates="parcels")

    @property
    def size(self) -> str:
        return f"{self.length_cm}x{self.width_cm}x{self.height_cm}"


class ShipmentEvent(BusinessScoped, Base):
    """One status report of the carrier (or a clerk, for the manual carrier), stored once."""
    __tablename__ = "courier_event"
    __table_args__ = (
        UniqueConstraint("business_id", "carrier", "event_key"),
        Index("ix_courier_event_business_shipment_at", "business_id", "shipment_id", "at"),
        CheckConstraint(f"state IN ({_STATE_LIST})", name="state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("courier_shipment.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column()
    carrier_status: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    applied: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(16))     # create, pull, webhook, manual
    note: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Area(BusinessScoped, Base):
    """A carrier's province, district or ward (its own code), as ``sync-areas`` loaded it.

    ``parent_code`` is the district of a ward, the province of a district, and for
    the 2025 two-level lists the province of a ward.
    """
    __tablename__ = "courier_area"
    __table_args__ = (
        UniqueConstraint("business_id", "carrier", "level", "code"),
        Index("ix_courier_area_lookup", "business_id", "carrier", "level", "parent_code", "norm"),
        CheckConstraint("level IN ('province', 'district', 'ward')", name="level"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    carrier: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    norm: Mapped[str] = mapped_column(String(200))    # the name folded for matching (no accents, no "Quận")


class PartnerAddress(BusinessScoped, Base):
    """The canonical delivery address of a partner (1-to-1 extension of partners_partner).

    ``district`` is empty for the 2025 two-level Vietnamese addresses (province + ward).
    """
    __tablename__ = "courier_partner_address"
    __table_args__ = (UniqueConstraint("business_id", "partner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners_partner.id", ondelete="CASCADE"))
    street: Mapped[str | None] = mapped_column(String(300))
    ward: Mapped[str | None] = mapped_column(String(120))
    district: Mapped[str | None] = mapped_column(String(120))
    province: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2), default="VN")


class WebhookHit(BusinessScoped, Base):
    """A webhook call, stored once per body: replays are answered but change nothing more."""
    __tablename__ = "courier_webhook"
    __table_args__ = (UniqueConstraint("business_id", "carrier", "digest"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    carrier: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class CodStatement(Audited, BusinessScoped, Base):
    """A carrier's COD payout statement, imported once (its file digest is unique)."""
    __tablename__ = "courier_cod_statement"
    __table_args__ = (UniqueConstraint("business_id", "carrier", "digest"),
                      Index("ix_courier_cod_statement_business_imported", "business_id", "imported_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    carrier: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    transfer_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    cod_total: Mapped[Decimal] = mapped_column(Amount())
    fee_total: Mapped[Decimal] = mapped_column(Amount())
    transfer_fee: Mapped[Decimal] = mapped_column(Amount())
    transferred: Mapped[Decimal] = mapped_column(Amount())
    lines_count: Mapped[int] = mapped_column(Integer)
    registered: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list["CodLine"]] = relationship(back_populates="statement", cascade="all, delete-orphan",
                                                  order_by="CodLine.id")

    def __str__(self):
        return self.filename


class CodLine(BusinessScoped, Base):
    __tablename__ = "courier_cod_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("courier_cod_statement.id", ondelete="CASCADE"),
                                              index=True)
    tracking_number: Mapped[str] = mapped_column(String(64))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("courier_shipment.id", ondelete="RESTRICT"))
    cod: Mapped[Decimal] = mapped_column(Amount())
    fee: Mapped[Decimal] = mapped_column(Amount())
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("sales_payment.id", ondelete="RESTRICT"))

    statement: Mapped[CodStatement] = relationship(back_populates="lines")
