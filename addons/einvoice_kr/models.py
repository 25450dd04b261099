"""Tables of the Korean addon: cash receipts (현금영수증), the identity a customer gave at checkout,
business-number status checks, and e-tax invoices (전자세금계산서).

Identity numbers are stored encrypted (``identity.encrypt``) beside their masked
form; nothing else of them is kept. Amounts are KRW integers in ``Amount`` columns.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, \
    UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.audit import Audited
from core.db import Base, BusinessScoped, TimestampMixin
from core.i18n import _l
from core.money import Amount

RECEIPT_STATES = ("requested", "issued", "transmitted", "cancelled", "failed")
RECEIPT_STATE_LABELS = {"requested": _l("Requested"), "issued": _l("Issued (NTS transmission pending)"),
                        "transmitted": _l("Transmitted to NTS"), "cancelled": _l("Cancelled"),
                        "failed": _l("Failed")}
TRADE_TYPES = ("approval", "cancel")  # Popbill tradeType 승인거래 / 취소거래
TRADE_OPTS = {"general": "일반", "books": "도서공연", "transit": "대중교통", "market": "전통시장"}
CANCEL_REASONS = {"1": _l("1 Deal cancelled"), "2": _l("2 Issued in error"), "3": _l("3 Other")}
BRN_STATES = ("active", "suspended", "closed", "unknown")
TAX_INVOICE_KINDS = ("taxable", "exempt")  # 세금계산서 / 계산서
TAX_INVOICE_PURPOSES = ("receipt", "charge")  # 영수 / 청구
AMENDMENT_REASONS = {1: _l("1 Correction of an entry"), 2: _l("2 Change of supply value"), 3: _l("3 Goods returned"),
                     4: _l("4 Contract cancelled"), 5: _l("5 Local letter of credit opened afterwards"),
                     6: _l("6 Issued twice by mistake")}


class ReceiptRequest(BusinessScoped, TimestampMixin, Base):
    """The cash receipt a customer asked for at checkout: purpose and identity number (encrypted)."""
    __tablename__ = "einvoice_kr_receipt_request"
    __table_args__ = (UniqueConstraint("business_id", "order_id"),
                      CheckConstraint("purpose IN ('deduction', 'proof')", name="purpose"))
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(12))
    identity_kind: Mapped[str] = mapped_column(String(8))
    identity_encrypted: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    identity_masked: Mapped[str] = mapped_column(String(24))
    trade_opt: Mapped[str] = mapped_column(String(12), default="general")
    email: Mapped[str | None] = mapped_column(String(200))

    def __str__(self):
        return f"{self.purpose} {self.identity_masked}"


class CashReceipt(Audited, BusinessScoped, TimestampMixin, Base):
    """One cash receipt document at Popbill: an approval (승인거래) or a cancellation (취소거래) of one.

    ``idempotency_key`` (and ``mgt_key``, derived from it) are committed before
    Popbill hears of the document; an attempt after a timeout looks the mgtKey
    up before sending again.
    """
    __tablename__ = "einvoice_kr_cash_receipt"
    __table_args__ = (
        UniqueConstraint("business_id", "mgt_key"),
        UniqueConstraint("idempotency_key"),
        UniqueConstraint("business_id", "number"),
        CheckConstraint("state IN ('requested', 'issued', 'transmitted', 'cancelled', 'failed')", name="state"),
        CheckConstraint("trade_type IN ('approval', 'cancel')", name="trade_type"),
        CheckConstraint("purpose IN ('deduction', 'proof')", name="purpose"),
        Index("ix_einvoice_kr_cash_receipt_business_state", "business_id", "state", "id"),
        Index("ix_einvoice_kr_cash_receipt_order", "order_id"),
        Index("ix_einvoice_kr_cash_receipt_original", "original_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("sales_return.id", ondelete="RESTRICT"))
    original_id: Mapped[int | None] = mapped_column(ForeignKey("einvoice_kr_cash_receipt.id", ondelete="RESTRICT"))
    trade_type: Mapped[str] = mapped_column(String(10), default="approval")
    purpose: Mapped[str] = mapped_column(String(12))
    trade_opt: Mapped[str] = mapped_column(String(12), default="general")
    self_issued: Mapped[bool] = mapped_column(Boolean, default=False)
    identity_kind: Mapped[str] = mapped_column(String(8))
    identity_encrypted: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    identity_masked: Mapped[str] = mapped_column(String(24))
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    item_name: Mapped[str] = mapped_column(String(200), default="")
    supply_cost: Mapped[Decimal] = mapped_column(Amount())   # taxable supply value
    tax: Mapped[Decimal] = mapped_column(Amount())
    tax_free: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    service_fee: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Amount())
    trade_date: Mapped[date] = mapped_column(Date)
    cancel_reason: Mapped[str | None] = mapped_column(String(1))
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    provider: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    mgt_key: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(12), default="requested")
    confirm_num: Mapped[str | None] = mapped_column(String(24))
    org_confirm_num: Mapped[str | None] = mapped_column(String(24))
    org_trade_date: Mapped[date | None] = mapped_column(Date)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime | None] = mapped_column()
    transmitted_at: Mapped[datetime | None] = mapped_column()
    mailed_at: Mapped[datetime | None] = mapped_column()

    original: Mapped["CashReceipt | None"] = relationship(remote_side=[id])

    def __str__(self):
        return self.number


class BrnStatus(BusinessScoped, Base):
    """The NTS status of one business registration number, as of ``checked_on`` (the cache)."""
    __tablename__ = "einvoice_kr_brn_status"
    __table_args__ = (UniqueConstraint("business_id", "brn"),
                      CheckConstraint("status IN ('active', 'suspended', 'closed', 'unknown')", name="status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    brn: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    tax_type: Mapped[str] = mapped_column(String(100), default="")
    closed_on: Mapped[date | None] = mapped_column(Date)
    checked_on: Mapped[date] = mapped_column(Date)
    validated: Mapped[bool | None] = mapped_column(Boolean)  # the validate call's answer (start date, name)

    def __str__(self):
        return f"{self.brn} {self.status}"


class TaxInvoice(Audited, BusinessScoped, TimestampMixin, Base):
    """An e-tax invoice (전자세금계산서, or 계산서 when exempt) to a business buyer, issued through Popbill.

    Issued rows are never edited: a change is an amended invoice (수정세금계산서)
    with an NTS reason 1–6, linked to the original and its NTS confirmation number.
    """
    __tablename__ = "einvoice_kr_tax_invoice"
    __table_args__ = (
        UniqueConstraint("business_id", "number"),
        UniqueConstraint("business_id", "mgt_key"),
        CheckConstraint("kind IN ('taxable', 'exempt')", name="kind"),
        CheckConstraint("purpose IN ('receipt', 'charge')", name="purpose"),
        CheckConstraint("state IN ('requested', 'issued', 'transmitted', 'failed')", name="state"),
        CheckConstraint("amendment_code IS NULL OR amendment_code BETWEEN 1 AND 6", name="amendment_code"),
        Index("ix_einvoice_kr_tax_invoice_business_state", "business_id", "state", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"))
    original_id: Mapped[int | None] = mapped_column(ForeignKey("einvoice_kr_tax_invoice.id", ondelete="RESTRICT"))
    amendment_code: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8), default="taxable")
    purpose: Mapped[str] = mapped_column(String(8), default="receipt")
    write_date: Mapped[date] = mapped_column(Date)
    supplier: Mapped[dict] = mapped_column(JSON)
    buyer: Mapped[dict] = mapped_column(JSON)
    lines: Mapped[list] = mapped_column(JSON)
    supply_total: Mapped[Decimal] = mapped_column(Amount())
    tax_total: Mapped[Decimal] = mapped_column(Amount())
    total: Mapped[Decimal] = mapped_column(Amount())
    payment: Mapped[dict] = mapped_column(JSON, default=dict)  # cash/check/note/credit amounts
    provider: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    mgt_key: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(12), default="requested")
    nts_confirm_num: Mapped[str | None] = mapped_column(String(24))
    org_nts_confirm_num: Mapped[str | None] = mapped_column(String(24))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime | None] = mapped_column()
    mailed_at: Mapped[datetime | None] = mapped_column()   # sent to the buyer's e-mail (setting taxinvoice_mail)

    original: Mapped["TaxInvoice | None"] = relationship(remote_side=[id])

    def __str__(self):
        return self.number
