"""Receipt printing tables: printers, receipts (bytes frozen at first print), reprints, print jobs, PINs.

A receipt is the exact ESC/POS byte string sent to the printer the first time,
stored once and never changed (``immutability``), like an issued fiscal
document: a reprint sends those same bytes with a copy mark, so a copy can never
say something the original did not. Print jobs are the outbox's business side:
one row per attempt (a clerk's retry is a new row pointing at the failed one), so
the history of what reached which printer, and why not, stays readable.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from addons.sales.models import Order
from core.audit import Audited
from core.db import Base, BusinessScoped, TimestampMixin, utcnow
from core.money import Amount

KINDS = ("network", "usb", "serial", "file")
PAPER_WIDTHS = (58, 80)
JOB_STATES = ("queued", "sent", "printed", "failed")
JOB_KINDS = ("receipt", "reprint", "test", "report")
REASONS = ("customer_request", "paper_jam", "vat_invoice", "return", "other")
# Columns of a receipt that never change after insert (the counter of reprints does).
FROZEN_COLUMNS = ("order_id", "shift_id", "code", "language", "content", "digest", "printer_id", "cashier_id", "cashier_name",
                  "chars_per_line", "dots", "code_page", "created_at")


class Printer(Audited, BusinessScoped, TimestampMixin, Base):
    """A receipt printer of the shop and how to reach it (python-escpos' Network, Usb, Serial or File)."""
    __tablename__ = "pos_print_printer"
    __table_args__ = (
        UniqueConstraint("business_id", "name"),
        CheckConstraint("kind IN ('network', 'usb', 'serial', 'file')", name="kind"),
        CheckConstraint("paper_width IN (58, 80)", name="paper_width"),
        CheckConstraint("port IS NULL OR (port > 0 AND port < 65536)", name="port"),
        Index("ix_pos_print_printer_business_name", "business_id", "name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="network")
    host: Mapped[str | None] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer)
    usb_vendor: Mapped[str | None] = mapped_column(String(8))     # hex, e.g. 04b8
    usb_product: Mapped[str | None] = mapped_column(String(8))
    serial_device: Mapped[str | None] = mapped_column(String(128))
    baudrate: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(128))   # under <instance>/pos_print_spool/
    profile: Mapped[str] = mapped_column(String(64), default="default")
    paper_width: Mapped[int] = mapped_column(Integer, default=80)
    code_page: Mapped[str] = mapped_column(String(32), default="auto")
    has_cutter: Mapped[bool] = mapped_column(Boolean, default=True)
    has_drawer: Mapped[bool] = mapped_column(Boolean, default=False)
    drawer_pin: Mapped[int] = mapped_column(Integer, default=2)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Last status read from the printer (online / offline / unknown; paper ok / low / out / unknown).
    status: Mapped[str] = mapped_column(String(16), default="unknown")
    paper: Mapped[str] = mapped_column(String(16), default="unknown")
    status_at: Mapped[datetime | None] = mapped_column()
    status_error: Mapped[str | None] = mapped_column(String(255))

    def __str__(self):
        return self.name


class Shift(Audited, BusinessScoped, Base):
    """A cashier's shift at the counter: the cash float it opened with, what was counted at the close."""
    __tablename__ = "pos_print_shift"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'closed')", name="state"),
        CheckConstraint("opening_float >= 0", name="opening_float"),
        Index("ix_pos_print_shift_business_opened", "business_id", "opened_at"),
        Index("ix_pos_print_shift_business_state", "business_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(8), default="open")
    currency: Mapped[str] = mapped_column(String(3))
    opening_float: Mapped[Decimal] = mapped_column(Amount())
    counted_cash: Mapped[Decimal | None] = mapped_column(Amount())
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column()
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("pos_print_printer.id", ondelete="SET NULL"))

    def __str__(self):
        return f"#{self.id}"


class Receipt(Audited, BusinessScoped, Base):
    """The receipt of one order: its signed code and the exact bytes of its first print."""
    __tablename__ = "pos_print_receipt"
    __table_args__ = (
        UniqueConstraint("business_id", "code"),
        UniqueConstraint("business_id", "order_id"),
        Index("ix_pos_print_receipt_business_created", "business_id", "created_at"),
        CheckConstraint("reprint_count >= 0", name="reprint_count"),
    )
    __audit_exclude__ = frozenset({"content"})
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="RESTRICT"))
    # the counter shift the sale was rung up in (None: printed from the admin or the CLI)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("pos_print_shift.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))   # sha256 of content
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("pos_print_printer.id", ondelete="SET NULL"),
                                                   index=True)
    cashier_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    cashier_name: Mapped[str] = mapped_column(String(200), default="")
    chars_per_line: Mapped[int] = mapped_column(Integer)
    dots: Mapped[int] = mapped_column(Integer)
    code_page: Mapped[str] = mapped_column(String(32))
    reprint_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(Order)
    printer: Mapped[Printer | None] = relationship(Printer)

    def __str__(self):
        return self.code


class Reprint(Audited, BusinessScoped, Base):
    """One copy of a receipt: why, who, when (and the supervisor whose PIN allowed it)."""
    __tablename__ = "pos_print_reprint"
    __table_args__ = (
        UniqueConstraint("receipt_id", "number"),
        CheckConstraint("reason IN ('customer_request', 'paper_jam', 'vat_invoice', 'return', 'other')",
                        name="reason"),
        CheckConstraint("number >= 1", name="number"),
        # the manager's list: per day, per cashier, newest first (keyset pages on created_at)
        Index("ix_pos_print_reprint_business_day_created", "business_id", "day", "created_at"),
        Index("ix_pos_print_reprint_business_user_created", "business_id", "user_id", "created_at"),
        Index("ix_pos_print_reprint_business_created", "business_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("pos_print_receipt.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(200), default="")
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    day: Mapped[date] = mapped_column(Date)   # in the business's time zone: the manager's list per day
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    receipt: Mapped[Receipt] = relationship(Receipt)

    def __str__(self):
        return f"{self.receipt.code} #{self.number}" if self.receipt else f"#{self.number}"


class PrintJob(BusinessScoped, Base):
    """One attempt to print something on one printer: queued -> sent -> printed | failed.

    Never retried by itself: ``retry_of_id`` links a clerk's new attempt to the failed one.
    """
    __tablename__ = "pos_print_job"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'sent', 'printed', 'failed')", name="state"),
        CheckConstraint("kind IN ('receipt', 'reprint', 'test', 'report')", name="kind"),
        Index("ix_pos_print_job_business_state", "business_id", "state", "id"),
        Index("ix_pos_print_job_business_created", "business_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    printer_id: Mapped[int] = mapped_column(ForeignKey("pos_print_printer.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("pos_print_receipt.id", ondelete="RESTRICT"),
                                                   index=True)
    reprint_id: Mapped[int | None] = mapped_column(ForeignKey("pos_print_reprint.id", ondelete="RESTRICT"))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    retry_of_id: Mapped[int | None] = mapped_column(ForeignKey("pos_print_job.id", ondelete="RESTRICT"))
    bytes_sent: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    printer: Mapped[Printer] = relationship(Printer)
    receipt: Mapped[Receipt | None] = relationship(Receipt)

    def __str__(self):
        return f"#{self.id} {self.kind}"


class SupervisorPin(BusinessScoped, Base):
    """A supervisor's reprint PIN in this business, argon2id-hashed like passwords (core.auth)."""
    __tablename__ = "pos_print_pin"
    __table_args__ = (UniqueConstraint("business_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    pin_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
