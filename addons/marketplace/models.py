"""Marketplace tables: shop connections, listings (our variant <-> the platform's item / model),
push events stored once, and the link of a platform order to our sales order.

A shop is one authorised seller account at one platform (several per platform are
allowed); its access and refresh tokens are stored encrypted (``services.tokens``),
never in clear. A listing row is one sellable unit of a shop (an item, or a model
of an item with variations), mapped to one of our variants or not yet. A push
event is stored once per platform and event id, so a replayed push changes nothing
more. An order link is unique per shop and platform order id: the one place that
says "this platform order is already our order SO-...".
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from addons.catalog.models import Variant
from addons.sales.models import Order
from core.audit import Audited
from core.db import Base, BusinessScoped, TimestampMixin, utcnow
from core.money import Amount

SHOP_STATUSES = ("pending", "connected", "token_expired", "error", "disconnected")
LINK_STATUSES = ("unpaid", "ready_to_ship", "shipped", "completed", "cancelled", "returned")
_SHOP_LIST = ", ".join(f"'{s}'" for s in SHOP_STATUSES)
_LINK_LIST = ", ".join(f"'{s}'" for s in LINK_STATUSES)


class Shop(Audited, BusinessScoped, TimestampMixin, Base):
    """One seller account at one platform, authorised for this business.

    ``state`` is the random value of the authorisation link (checked on the callback);
    ``access_token`` / ``refresh_token`` hold ``enc:``-prefixed ciphertext.
    ``stock_push_due`` is set while a debounced stock push job is pending.
    """
    __tablename__ = "marketplace_shop"
    __table_args__ = (
        UniqueConstraint("business_id", "platform", "name"),
        Index("ix_marketplace_shop_platform_external", "platform", "external_id"),
        Index("ix_marketplace_shop_state", "oauth_state"),
        CheckConstraint(f"status IN ({_SHOP_LIST})", name="status"),
        CheckConstraint("stock_buffer >= 0", name="stock_buffer"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    external_id: Mapped[str | None] = mapped_column(String(64))     # the platform's shop / seller id
    region: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    oauth_state: Mapped[str | None] = mapped_column(String(64))
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column()
    refresh_expires_at: Mapped[datetime | None] = mapped_column()
    token_extra: Mapped[dict | None] = mapped_column(JSON)
    stock_buffer: Mapped[int] = mapped_column(Integer, default=0)   # units held back from this shop
    price_channel: Mapped[str | None] = mapped_column(String(16))   # catalog price list channel; default platform
    last_sync_at: Mapped[datetime | None] = mapped_column()        # last successful order pull or push
    orders_pulled_until: Mapped[datetime | None] = mapped_column()
    stock_push_due: Mapped[datetime | None] = mapped_column()
    backoff_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)

    def __init__(self, **kw):
        kw.setdefault("status", "pending")
        kw.setdefault("stock_buffer", 0)
        super().__init__(**kw)

    def __str__(self):
        return f"{self.name} ({self.platform})"


class Listing(BusinessScoped, TimestampMixin, Base):
    """One sellable unit of a shop's listings; ``variant_id`` empty: not mapped yet.

    ``stock_dirty``: a change of the variant's stock waits to be pushed;
    ``pushed_stock`` / ``pushed_price`` what the platform was last told.
    """
    __tablename__ = "marketplace_listing"
    __table_args__ = (
        UniqueConstraint("business_id", "shop_id", "item_id", "model_id"),
        Index("ix_marketplace_listing_business_variant", "business_id", "variant_id"),
        Index("ix_marketplace_listing_business_shop_sku", "business_id", "shop_id", "sku"),
        Index("ix_marketplace_listing_dirty", "business_id", "shop_id", "stock_dirty"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("marketplace_shop.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(64), default="")
    sku: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    platform_status: Mapped[str | None] = mapped_column(String(32))
    platform_price: Mapped[Decimal | None] = mapped_column(Amount())
    platform_stock: Mapped[int | None] = mapped_column(Integer)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_variant.id", ondelete="SET NULL"))
    stock_dirty: Mapped[bool] = mapped_column(Boolean, default=False)
    pushed_stock: Mapped[int | None] = mapped_column(Integer)
    pushed_stock_at: Mapped[datetime | None] = mapped_column()
    pushed_price: Mapped[Decimal | None] = mapped_column(Amount())
    last_error: Mapped[str | None] = mapped_column(String(500))

    shop: Mapped[Shop] = relationship()
    variant: Mapped[Variant | None] = relationship()

    def __init__(self, **kw):
        kw.setdefault("model_id", "")
        kw.setdefault("stock_dirty", False)
        super().__init__(**kw)


class PushEvent(BusinessScoped, Base):
    """A verified push of a platform, stored once per (platform, event id)."""
    __tablename__ = "marketplace_push_event"
    __table_args__ = (
        UniqueConstraint("business_id", "platform", "event_id"),
        Index("ix_marketplace_push_event_business_received", "business_id", "received_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    shop_id: Mapped[int] = mapped_column(ForeignKey("marketplace_shop.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    order_ids: Mapped[list | None] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()


class OrderLink(BusinessScoped, TimestampMixin, Base):
    """A platform order and our sales order, once per shop and platform order id.

    ``needs_attention`` flags an order a clerk must look at (its stock could not be
    reserved, a SKU is not mapped): the order is kept, never dropped; ``problem`` says why.
    """
    __tablename__ = "marketplace_order"
    __table_args__ = (
        UniqueConstraint("business_id", "shop_id", "external_id"),
        Index("ix_marketplace_order_business_attention", "business_id", "needs_attention", "id"),
        Index("ix_marketplace_order_business_order", "business_id", "order_id"),
        CheckConstraint(f"status IN ({_LINK_LIST})", name="status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("marketplace_shop.id", ondelete="RESTRICT"))
    external_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16))
    platform_status: Mapped[str | None] = mapped_column(String(32))
    platform_updated_at: Mapped[datetime | None] = mapped_column()
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    cod: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_method: Mapped[str | None] = mapped_column(String(64))
    voucher: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    shipped_pushed: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False)
    problem: Mapped[str | None] = mapped_column(String(500))

    shop: Mapped[Shop] = relationship()
    order: Mapped[Order | None] = relationship()

    def __init__(self, **kw):
        for key in ("paid", "cod", "needs_attention", "shipped_pushed"):
            kw.setdefault(key, False)
        kw.setdefault("voucher", Decimal(0))
        kw.setdefault("discount", Decimal(0))
        super().__init__(**kw)


class ReturnLink(BusinessScoped, TimestampMixin, Base):
    """A platform return (reverse order), once per shop and return id: what of it is already opened.

    ``opened`` holds, per unit ("item/model"), the quantity already returned in Tessera through
    ``sales.create_return``, so a return seen again (push and pull, or a later status) opens only
    units that were not opened before.
    """
    __tablename__ = "marketplace_return"
    __table_args__ = (UniqueConstraint("business_id", "shop_id", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("marketplace_shop.id", ondelete="RESTRICT"))
    link_id: Mapped[int] = mapped_column(ForeignKey("marketplace_order.id", ondelete="RESTRICT"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    platform_status: Mapped[str | None] = mapped_column(String(64))
    opened: Mapped[dict] = mapped_column(JSON, default=dict)

    link: Mapped[OrderLink] = relationship()


class ImageUpload(BusinessScoped, TimestampMixin, Base):
    """A catalog image (a path under the media folder) uploaded to one shop, once: the platform's
    image id or URL for it. ``sha256`` is the file's content when it was uploaded (a changed file
    is uploaded again)."""
    __tablename__ = "marketplace_image"
    __table_args__ = (UniqueConstraint("business_id", "shop_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("marketplace_shop.id", ondelete="RESTRICT"))
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(1000))
