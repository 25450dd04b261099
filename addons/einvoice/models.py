"""E-invoice tables: series, documents with lines, submissions, deliveries, provider choice.

A document is a draft until it is issued; issuing gives it its fiscal number and
freezes it. The freeze is enforced twice (see ``immutability``): an ORM guard
that explains the refusal to a person, and database triggers that refuse the
write whoever sends it (raw SQL, another program, a bug). Only the lifecycle
columns in ``LIFECYCLE_COLUMNS`` may move afterwards, forward only, and the
stored files (``pdf``, ``xml``) may be written once when they were left empty.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.audit import Audited
from core.db import Base, BusinessScoped, TimestampMixin, utcnow
from core.i18n import _, _l
from core.money import EXCHANGE_RATE, PERCENT, TAX_RATE, Amount, Quantity, Rate, scaled_check

from .totals import tax_breakdown

DOC_TYPES = ("vat_invoice", "sales_invoice", "credit_note", "adjustment_invoice", "replacement_invoice",
             "receipt")
DOC_TYPE_LABELS = {"vat_invoice": _l("VAT invoice"), "sales_invoice": _l("Sales invoice"),
                   "credit_note": _l("Credit note"), "adjustment_invoice": _l("Adjustment invoice"),
                   "replacement_invoice": _l("Replacement invoice"), "receipt": _l("Receipt")}
CORRECTION_TYPES = ("credit_note", "adjustment_invoice", "replacement_invoice")
STATES = ("draft", "issued", "sent", "delivered", "paid", "cancelled")
# States only move to a higher rank; "cancelled" is reached only by issuing a
# cancelling document (a full credit note or a replacement), see services.
STATE_RANK = {state: rank for rank, state in enumerate(STATES)}
PAYMENT_METHODS = ("cash", "card", "bank_transfer", "cod", "e_wallet")
TAX_CATEGORIES = ("S", "Z", "E", "AE", "K", "G", "O", "L", "M")
SUBMISSION_STATES = ("pending", "sending", "accepted", "rejected", "unknown")
SUBMISSION_ACTIONS = ("submit", "cancel", "replace", "adjust")
DELIVERY_STATES = ("queued", "sent", "failed", "confirmed")
# What the screens call the codes above (registered with core.formatting by admin.py).
STATE_LABELS = {"draft": _l("Draft"), "issued": _l("Issued"), "sent": _l("Sent"), "delivered": _l("Delivered"),
                "paid": _l("Paid"), "cancelled": _l("Cancelled")}
SUBMISSION_STATE_LABELS = {"pending": _l("Pending"), "sending": _l("Sending"), "accepted": _l("Accepted"),
                           "rejected": _l("Rejected"), "unknown": _l("Unknown")}
SUBMISSION_ACTION_LABELS = {"submit": _l("Submit"), "cancel": _l("Cancel"), "replace": _l("Replace"),
                            "adjust": _l("Adjust")}


def state_word(state: str) -> str:
    """A document state as a word inside a sentence, in the reader's language ("INV-1 is issued")."""
    return str(STATE_LABELS.get(state, state)).lower()


DELIVERY_STATE_LABELS = {"queued": _l("Queued"), "sent": _l("Sent"), "failed": _l("Failed"),
                         "confirmed": _l("Confirmed")}

ORDER_DOC_WHERE = text("order_id IS NOT NULL AND state <> 'cancelled' "
                       "AND type IN ('vat_invoice', 'sales_invoice', 'receipt')")
# After issue these may change (forward only); everything else is frozen.
LIFECYCLE_COLUMNS = ("state", "sent_at", "delivered_at", "paid_at", "cancelled_at", "cancelled_by_id",
                     "updated_at")
# Written once after issue when issuing left them empty (bulk issue renders later).
WRITE_ONCE_COLUMNS = ("pdf", "xml")


class Series(BusinessScoped, TimestampMixin, Base):
    """A numbering series for one document type: "INV", "CN", or a Vietnamese template symbol "1C26TAA".

    Numbers are gapless per (business, code, year) through core.sequences; the
    display format places them, e.g. "{series}-{year}-{number:06d}".
    """
    __tablename__ = "einvoice_series"
    __table_args__ = (UniqueConstraint("business_id", "code"),
                      Index("ix_einvoice_series_business_type", "business_id", "doc_type", "active"))
    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120), default="")
    number_format: Mapped[str] = mapped_column(String(64), default="{series}-{year}-{number:06d}")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self):
        return f"{self.code} ({DOC_TYPE_LABELS.get(self.doc_type, self.doc_type)})"


class Document(Audited, BusinessScoped, TimestampMixin, Base):
    __tablename__ = "einvoice_document"
    __table_args__ = (
        # The backstop of gapless numbering: one number per business, series and year.
        UniqueConstraint("business_id", "series", "year", "number"),
        CheckConstraint("state IN ('draft', 'issued', 'sent', 'delivered', 'paid', 'cancelled')", name="state"),
        CheckConstraint("type IN ('vat_invoice', 'sales_invoice', 'credit_note', 'adjustment_invoice', "
                        "'replacement_invoice', 'receipt')", name="type"),
        CheckConstraint("state = 'draft' OR number IS NOT NULL", name="issued_numbered"),
        CheckConstraint("rounding IN ('line', 'total')", name="rounding"),
        # One index per admin filter and sort, each led by the business (tenancy filter).
        Index("ix_einvoice_document_business_created", "business_id", "created_at"),
        Index("ix_einvoice_document_business_state_created", "business_id", "state", "created_at"),
        Index("ix_einvoice_document_business_type_created", "business_id", "type", "created_at"),
        Index("ix_einvoice_document_business_issue_date", "business_id", "issue_date"),
        Index("ix_einvoice_document_business_buyer_name", "business_id", "buyer_name"),
        Index("ix_einvoice_document_business_display_number", "business_id", "display_number"),
        Index("ix_einvoice_document_business_order", "business_id", "order_id"),
        Index("ix_einvoice_document_corrects", "corrects_id"),
        # One live invoice or receipt of each type per order, even if two jobs race to issue it.
        Index("uq_einvoice_document_order_type", "business_id", "order_id", "type", unique=True,
              postgresql_where=ORDER_DOC_WHERE, sqlite_where=ORDER_DOC_WHERE),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
    correction_reason: Mapped[str | None] = mapped_column(String(500))
    full_correction: Mapped[bool] = mapped_column(Boolean, default=False)
    buyer_agreement_ref: Mapped[str | None] = mapped_column(String(120))
    buyer_agreement_date: Mapped[date | None] = mapped_column(Date)
    series: Mapped[str | None] = mapped_column(String(20))
    year: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    display_number: Mapped[str | None] = mapped_column(String(64))
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    payment_terms: Mapped[str] = mapped_column(String(200), default="")
    early_discount_percent: Mapped[Decimal | None] = mapped_column(Rate(*PERCENT))
    early_discount_days: Mapped[int | None] = mapped_column(Integer)
    customer_po: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal] = mapped_column(Rate(*EXCHANGE_RATE), default=Decimal(1))
    language: Mapped[str] = mapped_column(String(8), default="en")
    seller: Mapped[dict] = mapped_column(JSON, default=dict)
    buyer: Mapped[dict] = mapped_column(JSON, default=dict)
    # Copied from the buyer snapshot so the admin can filter and sort on an index.
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    buyer_country: Mapped[str | None] = mapped_column(String(2))
    payment_method: Mapped[str] = mapped_column(String(16), default="bank_transfer")
    notes: Mapped[str] = mapped_column(Text, default="")
    subtotal: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    rounding: Mapped[str] = mapped_column(String(8), default="line")
    # The tax lines of a regime whose taxes are not one VAT rate per line (Mexico: IEPS, IVA on
    # base + IEPS, ISR and IVA withheld as negative lines), frozen at issue; None = the VAT breakdown.
    # Written by ``totals.recompute`` from a registered tax regime (see ``totals.register_tax_regime``).
    tax_lines: Mapped[list | None] = mapped_column(JSON)
    # Frozen like ``rounding``: unit prices include the tax (the order's flag), so totals are computed
    # the way the order computed what the customer was charged; corrections keep the original's.
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    xml: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    issued_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))

    lines: Mapped[list["DocumentLine"]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                       order_by="DocumentLine.position")
    corrects: Mapped["Document | None"] = relationship(remote_side="Document.id", foreign_keys=[corrects_id])
    # What the authority answered (its codes print in the QR); read-only here, written by ``submission``.
    submissions: Mapped[list["Submission"]] = relationship(viewonly=True, order_by="Submission.id")

    @property
    def is_draft(self) -> bool:
        return self.state == "draft"

    @property
    def label(self) -> str:
        return self.display_number or _("draft #%(id)s", id=self.id)

    @property
    def taxes(self) -> list[dict]:
        return tax_breakdown(self)

    def __str__(self):
        return f"{DOC_TYPE_LABELS.get(self.type, self.type)} {self.label}"


class DocumentLine(BusinessScoped, Base):
    __tablename__ = "einvoice_document_line"
    __table_args__ = (CheckConstraint(scaled_check("discount_percent >= 0 AND discount_percent <= :hundred",
                                                   Rate(*PERCENT), hundred=100), name="discount"),
                      UniqueConstraint("document_id", "position"))
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("einvoice_document.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit: Mapped[str] = mapped_column(String(8), default="C62")
    unit_price: Mapped[Decimal] = mapped_column(Amount())
    discount_percent: Mapped[Decimal] = mapped_column(Rate(*PERCENT), default=Decimal(0))
    tax_rate: Mapped[Decimal | None] = mapped_column(Rate(*TAX_RATE))
    tax_category: Mapped[str] = mapped_column(String(4), default="S")
    net_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    tax_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))

    document: Mapped[Document] = relationship(back_populates="lines")

    def __str__(self):
        return f"{self.description} x {self.quantity}"


class ProviderConfig(BusinessScoped, TimestampMixin, Base):
    """Which e-invoice provider submits a business's documents of one type (doc_type NULL: every type).

    Without a row the business setting ``provider`` applies ("offline" by default).
    """
    __tablename__ = "einvoice_provider_config"
    __table_args__ = (UniqueConstraint("business_id", "doc_type"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self):
        return f"{self.doc_type or 'all types'} -> {self.provider}"


class Submission(BusinessScoped, TimestampMixin, Base):
    """One exchange with a provider about one document, identified by its idempotency key.

    The row (and its key) is committed before the provider is called; see
    ``services.submission.run_submission`` for the states and the lookup-before-retry rule.
    """
    __tablename__ = "einvoice_submission"
    __table_args__ = (UniqueConstraint("idempotency_key"),
                      CheckConstraint("state IN ('pending', 'sending', 'accepted', 'rejected', 'unknown')",
                                      name="state"),
                      Index("ix_einvoice_submission_business_state", "business_id", "state", "created_at"),
                      Index("ix_einvoice_submission_document", "document_id", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
    provider: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16), default="submit")
    idempotency_key: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    authority_code: Mapped[str | None] = mapped_column(String(200))
    authority_uuid: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    settled_at: Mapped[datetime | None] = mapped_column()
    # While an attempt talks to the provider, no other attempt may (it would look up
    # too early and send a second copy); a killed worker's lease simply expires.
    lease_until: Mapped[datetime | None] = mapped_column()

    document: Mapped[Document] = relationship()

    def __str__(self):
        return f"{self.provider} {self.action} {self.state}"


class Delivery(BusinessScoped, Base):
    """One e-mail of a document to its buyer; confirmed when the buyer opens the signed link."""
    __tablename__ = "einvoice_delivery"
    __table_args__ = (Index("ix_einvoice_delivery_document", "document_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("core_mail.id", ondelete="SET NULL"))
    to: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column()

    document: Mapped[Document] = relationship()

    def __str__(self):
        return f"to {self.to}"


class ReturnCredit(BusinessScoped, Base):
    """A return received on an invoiced order, and the credit note that corrects the invoice for it.

    ``credit_note_id`` is NULL while the invoice is not corrected yet (setting
    ``credit_on_return`` off, or the credit job not done or failed): the order's
    page says so. Sales knows nothing of this table; einvoice fills it from
    ``sales.return_received``.
    """
    __tablename__ = "einvoice_return_credit"
    __table_args__ = (UniqueConstraint("business_id", "return_id"),
                      Index("ix_einvoice_return_credit_order", "business_id", "order_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("sales_return.id", ondelete="RESTRICT"))
    return_number: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Document] = relationship(foreign_keys=[invoice_id])

    def __str__(self):
        return f"return {self.return_number}"
