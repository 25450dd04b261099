"""Catalog tables. Money is core.money.Amount (exact on every database), read back as Decimal."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BusinessScoped, TimestampMixin
from core.money import TAX_RATE, Amount, Rate, scaled_check

CHANNELS = ("web", "shopee", "lazada", "tiktok", "phone", "facebook", "counter", "manual")
MAX_ATTRIBUTES = 3


class TaxClass(BusinessScoped, Base):
    """A VAT class: ``rate`` 0.10 is 10 %; ``exempt`` differs from a 0 % rate on invoices."""
    __tablename__ = "catalog_tax_class"
    __table_args__ = (UniqueConstraint("business_id", "code"),
                      CheckConstraint(scaled_check("rate >= 0 AND rate < :one", Rate(*TAX_RATE), one=1), name="rate"))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    rate: Mapped[Decimal] = mapped_column(Rate(*TAX_RATE), default=Decimal("0"))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self):
        return f"{self.code} ({self.name})"


class Category(BusinessScoped, Base):
    __tablename__ = "catalog_category"
    __table_args__ = (UniqueConstraint("business_id", "parent_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_category.id", ondelete="RESTRICT"),
                                                  index=True)
    parent: Mapped["Category | None"] = relationship(remote_side="Category.id")

    @property
    def path(self) -> str:
        """'Clothing/Shirts': the name through the tree (cycles are refused on write)."""
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "/".join(reversed(names))

    def __str__(self):
        return self.path


class Brand(BusinessScoped, Base):
    __tablename__ = "catalog_brand"
    __table_args__ = (UniqueConstraint("business_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))

    def __str__(self):
        return self.name


class Product(BusinessScoped, TimestampMixin, Base):
    """A sellable item; its stock and prices live on its variants (a simple product has one)."""
    __tablename__ = "catalog_product"
    __table_args__ = (UniqueConstraint("business_id", "sku"),
                      Index("ix_catalog_product_business_name", "business_id", "name"),
                      Index("ix_catalog_product_business_active", "business_id", "active", "name"),
                      CheckConstraint("sale_price >= 0 AND cost_price >= 0", name="prices"))
    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    barcode: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    translations: Mapped[dict] = mapped_column(JSON, default=dict)  # {lang: name}
    description: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_category.id"), index=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_brand.id"), index=True)
    unit: Mapped[str] = mapped_column(String(16), default="pc")
    weight_g: Mapped[int | None] = mapped_column(Integer)
    length_mm: Mapped[int | None] = mapped_column(Integer)
    width_mm: Mapped[int | None] = mapped_column(Integer)
    height_mm: Mapped[int | None] = mapped_column(Integer)
    images: Mapped[list] = mapped_column(JSON, default=list)  # paths under the media folder
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    cost_price: Mapped[Decimal] = mapped_column(Amount(), default=Decimal("0"))
    sale_price: Mapped[Decimal] = mapped_column(Amount(), default=Decimal("0"))
    tax_class_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_tax_class.id"))
    attribute_names: Mapped[list] = mapped_column(JSON, default=list)  # up to 3, e.g. ["colour", "size"]
    category: Mapped[Category | None] = relationship()
    brand: Mapped[Brand | None] = relationship()
    tax_class: Mapped[TaxClass | None] = relationship()
    variants: Mapped[list["Variant"]] = relationship(back_populates="product", order_by="Variant.id",
                                                     cascade="all, delete-orphan")

    @property
    def tax_class_code(self) -> str | None:
        return self.tax_class.code if self.tax_class else None

    @property
    def margin(self) -> Decimal:
        return margin(self.sale_price, self.cost_price)[0]

    @property
    def margin_pct(self) -> Decimal | None:
        return margin(self.sale_price, self.cost_price)[1]

    def name_in(self, language: str) -> str:
        return (self.translations or {}).get(language) or self.name

    def __str__(self):
        return f"{self.sku} {self.name}"


class Variant(BusinessScoped, TimestampMixin, Base):
    """What is stocked and sold. ``price``/``cost_price`` empty means the product's."""
    __tablename__ = "catalog_variant"
    __table_args__ = (UniqueConstraint("business_id", "sku"),
                      Index("ix_catalog_variant_business_product", "business_id", "product_id"),
                      CheckConstraint("(price IS NULL OR price >= 0) AND (cost_price IS NULL OR cost_price >= 0)",
                                      name="prices"))
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalog_product.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    barcode: Mapped[str | None] = mapped_column(String(64), index=True)
    value1: Mapped[str | None] = mapped_column(String(64))
    value2: Mapped[str | None] = mapped_column(String(64))
    value3: Mapped[str | None] = mapped_column(String(64))
    price: Mapped[Decimal | None] = mapped_column(Amount())
    cost_price: Mapped[Decimal | None] = mapped_column(Amount())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    product: Mapped[Product] = relationship(back_populates="variants")

    @property
    def values(self) -> list[str]:
        return [v for v in (self.value1, self.value2, self.value3) if v is not None]

    @property
    def attributes(self) -> dict:
        """{"colour": "red", "size": "M"} in the product's attribute order."""
        return dict(zip(self.product.attribute_names or [], self.values))

    @property
    def effective_price(self) -> Decimal:
        return self.price if self.price is not None else self.product.sale_price

    @property
    def effective_cost(self) -> Decimal:
        return self.cost_price if self.cost_price is not None else self.product.cost_price

    @property
    def margin(self) -> Decimal:
        return margin(self.effective_price, self.effective_cost)[0]

    @property
    def margin_pct(self) -> Decimal | None:
        return margin(self.effective_price, self.effective_cost)[1]

    @property
    def display_name(self) -> str:
        suffix = " / ".join(self.values)
        return f"{self.product.name} ({suffix})" if suffix else self.product.name

    def __str__(self):
        return f"{self.sku} {self.display_name}"


# SKUs are unique per business whatever their case: 'p0001' beside 'P0001' are two items nobody can
# tell apart on a label, a picking list or a marketplace listing. The services check it first for a
# clear message; these indexes are the backstop (migration 7c1e5a9d3b20).
Index("ux_catalog_product_business_sku_ci", Product.business_id, func.lower(Product.sku), unique=True)
Index("ux_catalog_variant_business_sku_ci", Variant.business_id, func.lower(Variant.sku), unique=True)


class PriceList(BusinessScoped, TimestampMixin, Base):
    """Prices for one sales channel; a variant without an item sells at its own price."""
    __tablename__ = "catalog_price_list"
    __table_args__ = (UniqueConstraint("business_id", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    items: Mapped[list["PriceListItem"]] = relationship(back_populates="price_list", cascade="all, delete-orphan")

    def __str__(self):
        return f"{self.name} ({self.channel})"


class PriceListItem(BusinessScoped, Base):
    __tablename__ = "catalog_price_list_item"
    __table_args__ = (UniqueConstraint("price_list_id", "variant_id"),
                      CheckConstraint("price >= 0", name="price"))
    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("catalog_price_list.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("catalog_variant.id", ondelete="CASCADE"), index=True)
    price: Mapped[Decimal] = mapped_column(Amount())
    price_list: Mapped[PriceList] = relationship(back_populates="items")
    variant: Mapped[Variant] = relationship()


def margin(price: Decimal, cost: Decimal) -> tuple[Decimal, Decimal | None]:
    """(price − cost, margin % of the price rounded to 0.01); the % is None for a zero price."""
    price, cost = Decimal(price or 0), Decimal(cost or 0)
    amount = price - cost
    if not price:
        return amount, None
    return amount, (amount * 100 / price).quantize(Decimal("0.01"))
