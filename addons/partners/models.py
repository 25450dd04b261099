"""The partner table. One row is a customer, a supplier, or both."""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BusinessScoped, TimestampMixin

KINDS = ("person", "company")
CODE_PREFIX = "C"


class Partner(BusinessScoped, TimestampMixin, Base):
    """A person or company; ``tax_id`` is stored in stdnum's compact form."""
    __tablename__ = "partners_partner"
    __table_args__ = (
        CheckConstraint("kind in ('person', 'company')", name="kind"),
        # Admin lists sort by name and filter by role; both need an index at scale.
        Index("ix_partners_partner_business_name", "business_id", "name"),
        Index("ix_partners_partner_business_customer", "business_id", "is_customer", "name"),
        Index("ix_partners_partner_business_supplier", "business_id", "is_supplier", "name"),
        Index("ix_partners_partner_business_kind", "business_id", "kind", "name"),
        Index("ix_partners_partner_business_country", "business_id", "country", "name"),
        Index("ix_partners_partner_business_active", "business_id", "active", "name"),
        Index("ix_partners_partner_business_tax_id", "business_id", "tax_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="person")
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    street: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    # Electronic address on the Peppol network, "scheme:identifier" (0088 = GLN); used on e-invoices.
    peppol_id: Mapped[str | None] = mapped_column(String(100))
    is_customer: Mapped[bool] = mapped_column(Boolean, default=True)
    is_supplier: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_term_code: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def code(self) -> str:
        """The customer number staff quote and files name ("C00042"): the id, padded, so every
        partner has one without a counter of its own (``services.partner_by_code`` reads it back)."""
        return f"{CODE_PREFIX}{self.id:05d}"

    def __str__(self):
        return self.name
