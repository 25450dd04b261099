"""Dunning tables: receivables, money received and its allocation, policies, reminders, statements.

A receivable is a 1-to-1 extension of an issued einvoice document (einvoice
knows nothing of it; ``events`` keeps it in step). Its ``open_amount`` is a
cache of ``total - sum(allocations)`` kept by ``services.receivables`` in the
same transaction as each allocation, so the run and the aging report aggregate
one indexed table instead of recomputing every invoice's ledger. The
allocations are the ledger: credit notes, payments and refunds, each dated, so
the aging report can be read as of a past date.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.audit import Audited
from core.db import Base, BusinessScoped, TimestampMixin, utcnow
from core.i18n import _l
from core.money import EXCHANGE_RATE, PERCENT, Amount, Rate

RECEIVABLE_STATES = ("open", "paid", "cancelled")
RECEIVABLE_STATE_LABELS = {"open": _l("Open"), "paid": _l("Paid"), "cancelled": _l("Cancelled")}
ALLOCATION_KINDS = ("payment", "refund", "credit")
ALLOCATION_KIND_LABELS = {"payment": _l("Payment"), "refund": _l("Refund"), "credit": _l("Credit note")}
PAYMENT_SOURCES = ("order", "statement", "manual")
PAYMENT_SOURCE_LABELS = {"order": _l("Order payment"), "statement": _l("Bank statement"),
                         "manual": _l("Entered by hand")}
TONES = ("friendly", "firm", "final")
TONE_LABELS = {"friendly": _l("Friendly"), "firm": _l("Firm"), "final": _l("Final notice")}
REMINDER_STATES = ("queued", "sent", "skipped")
REMINDER_STATE_LABELS = {"queued": _l("Queued"), "sent": _l("Sent"), "skipped": _l("Not sent")}
LINE_STATES = ("matched", "unmatched", "ignored")
LINE_STATE_LABELS = {"matched": _l("Matched"), "unmatched": _l("To match"), "ignored": _l("Ignored")}


class Policy(BusinessScoped, TimestampMixin, Base):
    """How a business reminds: its levels, the smallest balance worth a reminder, fees and interest.

    One policy per business is the default; customers may be given another on
    their dunning account.
    """
    __tablename__ = "dunning_policy"
    __table_args__ = (UniqueConstraint("business_id", "name"),
                      CheckConstraint("max_reminders >= 1", name="max_reminders"),
                      CheckConstraint("min_balance >= 0", name="min_balance"))
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    min_balance: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    max_reminders: Mapped[int] = mapped_column(Integer, default=5)
    # Yearly rate in percent; interest = outstanding x rate / 100 / 365 x days overdue.
    interest_percent: Mapped[Decimal] = mapped_column(Rate(*PERCENT), default=Decimal(0))
    attach_letter: Mapped[bool] = mapped_column(Boolean, default=False)

    levels: Mapped[list["Level"]] = relationship(back_populates="policy", cascade="all, delete-orphan",
                                                 order_by="Level.days")

    def __str__(self):
        return self.name


class Level(BusinessScoped, Base):
    """One step of a policy: ``days`` relative to the due date (negative: before it), a tone and a fee."""
    __tablename__ = "dunning_level"
    __table_args__ = (UniqueConstraint("policy_id", "days"),
                      CheckConstraint("tone IN ('friendly', 'firm', 'final')", name="tone"),
                      CheckConstraint("fee >= 0", name="fee"))
    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("dunning_policy.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    days: Mapped[int] = mapped_column(Integer)
    tone: Mapped[str] = mapped_column(String(16), default="friendly")
    fee: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))

    policy: Mapped[Policy] = relationship(back_populates="levels")
    texts: Mapped[list["LevelText"]] = relationship(back_populates="level", cascade="all, delete-orphan",
                                                    order_by="LevelText.language")

    def __str__(self):
        return f"{self.name} ({self.days:+d})"


class LevelText(BusinessScoped, Base):
    """The merchant's own subject and body of a level's reminder in one language (placeholders such as
    ``{name}``, checked by ``services.texts``); a language without one uses the catalog's tone wording."""
    __tablename__ = "dunning_level_text"
    __table_args__ = (UniqueConstraint("level_id", "language"),
                      CheckConstraint("language IN ('en', 'ko', 'vi', 'zh', 'ru', 'es')", name="language"))
    id: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("dunning_level.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)

    level: Mapped[Level] = relationship(back_populates="texts")

    def __str__(self):
        return self.language


class Account(Audited, BusinessScoped, TimestampMixin, Base):
    """A customer as dunning sees them: their policy, a promise to pay, do-not-remind, collections."""
    __tablename__ = "dunning_account"
    __table_args__ = (UniqueConstraint("business_id", "partner_id"),
                      Index("ix_dunning_account_business_collections", "business_id", "collections_since"),
                      Index("ix_dunning_account_business_do_not_remind", "business_id", "do_not_remind"))
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners_partner.id", ondelete="RESTRICT"))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("dunning_policy.id", ondelete="SET NULL"))
    paused_until: Mapped[date | None] = mapped_column(Date)
    promise_amount: Mapped[Decimal | None] = mapped_column(Amount())
    pause_note: Mapped[str | None] = mapped_column(String(300))
    do_not_remind: Mapped[bool] = mapped_column(Boolean, default=False)
    collections_since: Mapped[date | None] = mapped_column(Date)

    partner = relationship("Partner")
    policy: Mapped[Policy | None] = relationship()

    def __str__(self):
        return str(self.partner) if self.partner is not None else f"#{self.partner_id}"


class Receivable(Audited, BusinessScoped, Base):
    """What a customer owes on one issued invoice: its total less credits, payments and refunds."""
    __tablename__ = "dunning_receivable"
    __table_args__ = (
        UniqueConstraint("business_id", "document_id"),
        CheckConstraint("state IN ('open', 'paid', 'cancelled')", name="state"),
        # The run and the aging report: open receivables by due date, and per customer.
        Index("ix_dunning_receivable_business_state_due", "business_id", "state", "due_date"),
        Index("ix_dunning_receivable_business_due", "business_id", "due_date"),
        Index("ix_dunning_receivable_business_partner_state", "business_id", "partner_id", "state", "due_date"),
        Index("ix_dunning_receivable_business_order", "business_id", "order_id"),
        Index("ix_dunning_receivable_business_number", "business_id", "number"),
        Index("ix_dunning_receivable_business_disputed", "business_id", "disputed", "due_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("einvoice_document.id", ondelete="RESTRICT"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners_partner.id", ondelete="RESTRICT"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(64))
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal] = mapped_column(Rate(*EXCHANGE_RATE), default=Decimal(1))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Amount())
    open_amount: Mapped[Decimal] = mapped_column(Amount())
    state: Mapped[str] = mapped_column(String(16), default="open")
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    dispute_note: Mapped[str | None] = mapped_column(String(300))
    level: Mapped[int] = mapped_column(Integer, default=0)  # days of the last level reminded; 0 none
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_on: Mapped[date | None] = mapped_column(Date)
    # Moved by every allocation, credit and dispute change: the sending job compares it with
    # the reminder's creation to know that something happened since the run.
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column()

    partner = relationship("Partner")
    document = relationship("Document")

    def __str__(self):
        return self.number


class ReceivedPayment(Audited, BusinessScoped, Base):
    """Money received (or refunded), from an order's payment, a statement line or entered by hand."""
    __tablename__ = "dunning_payment"
    __table_args__ = (
        UniqueConstraint("business_id", "sales_payment_id"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("unallocated >= 0 AND unallocated <= amount", name="unallocated"),
        CheckConstraint("kind IN ('payment', 'refund')", name="kind"),
        CheckConstraint("source IN ('order', 'statement', 'manual')", name="source"),
        Index("ix_dunning_payment_business_partner", "business_id", "partner_id", "paid_on"),
        Index("ix_dunning_payment_business_order", "business_id", "order_id"),
        Index("ix_dunning_payment_business_paid_on", "business_id", "paid_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8), default="payment")
    sales_payment_id: Mapped[int | None] = mapped_column(ForeignKey("sales_payment.id", ondelete="RESTRICT"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners_partner.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount())
    unallocated: Mapped[Decimal] = mapped_column(Amount())
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner = relationship("Partner")

    def __str__(self):
        return f"{self.kind} {self.amount} {self.currency}"


class Allocation(Audited, BusinessScoped, Base):
    """One entry of a receivable's ledger: a credit note, or part of a payment (refund: negative)."""
    __tablename__ = "dunning_allocation"
    __table_args__ = (
        CheckConstraint("kind IN ('payment', 'refund', 'credit')", name="kind"),
        Index("ix_dunning_allocation_receivable", "receivable_id", "entry_date"),
        Index("ix_dunning_allocation_payment", "payment_id"),
        UniqueConstraint("business_id", "credit_document_id", "receivable_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    receivable_id: Mapped[int] = mapped_column(ForeignKey("dunning_receivable.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("dunning_payment.id", ondelete="CASCADE"))
    credit_document_id: Mapped[int | None] = mapped_column(ForeignKey("einvoice_document.id",
                                                                      ondelete="RESTRICT"))
    # What it takes off the open amount (a refund puts some back: negative).
    amount: Mapped[Decimal] = mapped_column(Amount())
    entry_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    receivable: Mapped[Receivable] = relationship()
    payment: Mapped[ReceivedPayment | None] = relationship()


class Run(BusinessScoped, Base):
    """One dunning run (not a dry run): when, as of which day, and what it found."""
    __tablename__ = "dunning_run"
    __table_args__ = (Index("ix_dunning_run_business_created", "business_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(Date)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self):
        return f"run {self.as_of}"


class Reminder(Audited, BusinessScoped, Base):
    """One message to one customer: the invoices it lists, at one level; sent by its own job.

    ``(business, partner, as_of)`` is unique: the same day's run twice, or two
    schedulers at once, cannot write a second reminder for a customer.
    """
    __tablename__ = "dunning_reminder"
    __table_args__ = (
        UniqueConstraint("business_id", "partner_id", "as_of"),
        CheckConstraint("state IN ('queued', 'sent', 'skipped')", name="state"),
        Index("ix_dunning_reminder_business_partner", "business_id", "partner_id", "created_at"),
        Index("ix_dunning_reminder_business_state", "business_id", "state", "created_at"),
        Index("ix_dunning_reminder_business_created", "business_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("dunning_run.id", ondelete="RESTRICT"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners_partner.id", ondelete="RESTRICT"))
    level_id: Mapped[int | None] = mapped_column(ForeignKey("dunning_level.id", ondelete="SET NULL"))
    level_name: Mapped[str] = mapped_column(String(80))
    level_days: Mapped[int] = mapped_column(Integer)
    tone: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount())
    fee: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    interest: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    skip_reason: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    to: Mapped[str | None] = mapped_column(String(500))
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("core_mail.id", ondelete="SET NULL"))
    invoices: Mapped[list] = mapped_column(JSON, default=list)  # [{"receivable_id", "number", "open", "days"}]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # The fee and interest, once the customer paid them, are their own issued charge document
    # (never added to an invoice's receivable); one per reminder.
    charge_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("einvoice_document.id", ondelete="RESTRICT"), unique=True)

    partner = relationship("Partner")

    def __str__(self):
        return f"{self.level_name} {self.as_of}"


class Statement(BusinessScoped, Base):
    """One imported bank statement file (CAMT.053 or CSV)."""
    __tablename__ = "dunning_statement"
    __table_args__ = (Index("ix_dunning_statement_business_created", "business_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))
    statement_ref: Mapped[str | None] = mapped_column(String(120))
    digest: Mapped[str] = mapped_column(String(64))
    lines: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self):
        return self.filename


class StatementLine(Audited, BusinessScoped, Base):
    """A credit on the bank account; ``line_key`` is unique so a line imported twice is seen once."""
    __tablename__ = "dunning_statement_line"
    __table_args__ = (
        UniqueConstraint("business_id", "line_key"),
        CheckConstraint("state IN ('matched', 'unmatched', 'ignored')", name="state"),
        Index("ix_dunning_statement_line_business_state", "business_id", "state", "booked_on"),
        Index("ix_dunning_statement_line_business_booked", "business_id", "booked_on"),
        Index("ix_dunning_statement_line_statement", "statement_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("dunning_statement.id", ondelete="RESTRICT"))
    line_key: Mapped[str] = mapped_column(String(200))
    booked_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(Text, default="")
    counterparty: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default="unmatched")
    matched_by: Mapped[str | None] = mapped_column(String(32))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("dunning_payment.id", ondelete="SET NULL"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners_partner.id", ondelete="RESTRICT"))

    def __str__(self):
        return f"{self.booked_on} {self.amount} {self.currency}"
