"""Vietnamese invoice tables: symbols per document type, the fiscal data of each issued invoice, notices.

``VnSymbol`` is the template and symbol a business issues a document type under
(the year part follows the issue year); ``VnInvoice`` is what an issued document
is to the tax authority: template, symbol and its gapless 8-digit number, the
invoice it adjusts or replaces, and the signed XML (written once). ``VnDetails``
holds what a draft needs beyond einvoice's fields (a buyer's 12-digit personal id,
line natures, the payment method text); ``VnNotice`` is a Form 04/SS-HĐĐT notice.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BusinessScoped, TimestampMixin, utcnow

SYMBOL_DOC_TYPES = ("vat_invoice", "sales_invoice", "receipt")


class VnSymbol(BusinessScoped, TimestampMixin, Base):
    """The template (KHMSHDon) and symbol letters (KHHDon without the year) of one document type."""
    __tablename__ = "einvoice_vn_symbol"
    __table_args__ = (UniqueConstraint("business_id", "template", "code", "type_letter", "mark"),
                      Index("ix_einvoice_vn_symbol_business_type", "business_id", "doc_type", "active"))
    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(32))
    template: Mapped[str] = mapped_column(String(1))
    code: Mapped[str] = mapped_column(String(1))          # C / K
    type_letter: Mapped[str] = mapped_column(String(1))   # T D L M N B G H
    mark: Mapped[str] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def symbol(self, year: int) -> str:
        return f"{self.code}{year % 100:02d}{self.type_letter}{self.mark}"

    def __str__(self):
        return f"{self.template}{self.code}YY{self.type_letter}{self.mark} ({self.doc_type})"


class VnInvoice(BusinessScoped, Base):
    """An issued document as the tax authority knows it: Mẫu số, Ký hiệu, Số; never changed after issue."""
    __tablename__ = "einvoice_vn_invoice"
    __table_args__ = (UniqueConstraint("business_id", "template", "symbol", "number"),
                      UniqueConstraint("document_id"),
                      Index("ix_einvoice_vn_invoice_business_date", "business_id", "issue_date"))
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
    template: Mapped[str] = mapped_column(String(1))
    symbol: Mapped[str] = mapped_column(String(6))
    number: Mapped[int] = mapped_column(Integer)
    issue_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="original")  # original / adjustment / replacement
    related: Mapped[dict | None] = mapped_column(JSON)  # the original's template, symbol, number, date
    cash_register: Mapped[bool] = mapped_column(Boolean, default=False)
    signer: Mapped[str | None] = mapped_column(String(300))
    signed_at: Mapped[datetime | None] = mapped_column()
    xml: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    provider_number: Mapped[str | None] = mapped_column(String(64))   # the provider's id of it (Viettel invoiceNo)
    provider_series: Mapped[str | None] = mapped_column(String(16))   # the template+symbol it says (MISA InvSeries)
    number_mismatch: Mapped[str | None] = mapped_column(String(300))  # set when its number is not ours
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def number_text(self) -> str:
        return f"{self.number:08d}"

    def __str__(self):
        return f"{self.template}{self.symbol} {self.number:08d}"


class VnDetails(BusinessScoped, Base):
    """A draft's Vietnamese extras, read when it is issued."""
    __tablename__ = "einvoice_vn_details"
    __table_args__ = (UniqueConstraint("document_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("einvoice_document.id", ondelete="CASCADE"))
    buyer_personal_id: Mapped[str | None] = mapped_column(String(12))
    buyer_contact: Mapped[str | None] = mapped_column(String(200))
    line_natures: Mapped[dict] = mapped_column(JSON, default=dict)  # {"<position>": "promotion" | "discount" | "note"}
    payment_text: Mapped[str | None] = mapped_column(String(50))


class VnNotice(BusinessScoped, Base):
    """A notice of an invoice with errors (Form 04/SS-HĐĐT): cancel, adjust, replace or explain."""
    __tablename__ = "einvoice_vn_notice"
    __table_args__ = (Index("ix_einvoice_vn_notice_document", "document_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(16))  # cancel / adjust / replace / explain
    reason: Mapped[str] = mapped_column(Text)
    notice_date: Mapped[date] = mapped_column(Date)
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self):
        return f"04/SS-HĐĐT #{self.id} ({self.action})"
