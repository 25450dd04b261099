"""The core's own tables (prefix ``core_``). Addons own theirs; none of them live here."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer,
                        LargeBinary, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, BusinessScoped, TimestampMixin, utcnow


class Business(TimestampMixin, Base):
    """A tenant. Every business-scoped row belongs to exactly one."""
    __tablename__ = "core_business"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["en"])
    tax_id: Mapped[str | None] = mapped_column(String(64))
    legal_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self):
        return self.name


class User(TimestampMixin, Base):
    __tablename__ = "core_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(8))
    # Part of the login id in the session and the remember cookie: bumping it (logout,
    # password change) makes every cookie issued before worthless (see core.auth.end_sessions).
    credential_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # Flask-Login protocol
    @property
    def is_active(self):
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        """``"<id>:<credential version>"``; the user loader refuses an id of an older version."""
        return f"{self.id}:{self.credential_version or 0}"

    def __str__(self):
        return self.email


class Role(BusinessScoped, Base):
    """A named set of permissions within one business; ``*`` grants everything."""
    __tablename__ = "core_role"
    __table_args__ = (UniqueConstraint("business_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    permissions: Mapped[list] = mapped_column(JSON, default=list)

    def __str__(self):
        return self.name


class Membership(BusinessScoped, Base):
    __tablename__ = "core_membership"
    __table_args__ = (UniqueConstraint("user_id", "business_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("core_role.id"))
    user: Mapped[User] = relationship(back_populates="memberships")
    role: Mapped[Role] = relationship()
    business: Mapped[Business] = relationship()


class InstalledAddon(Base):
    """Per database: the addon's schema exists at this version."""
    __tablename__ = "core_addon"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)


class BusinessAddon(BusinessScoped, Base):
    """Per business: the addon is enabled (a row with enabled=False keeps its history)."""
    __tablename__ = "core_business_addon"
    __table_args__ = (UniqueConstraint("business_id", "addon"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    addon: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SettingValue(BusinessScoped, Base):
    __tablename__ = "core_setting"
    __table_args__ = (UniqueConstraint("business_id", "addon", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    addon: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)  # serialised; secrets are encrypted


class AuditEntry(Base):
    """Append-only: a trigger-free guarantee is that nothing in Tessera updates it;
    the ORM refuses updates and deletes (see core.audit)."""
    __tablename__ = "core_audit_log"
    __table_args__ = (Index("ix_core_audit_log_business_at", "business_id", "at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("core_business.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    model: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # create, update, delete
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SequenceCounter(BusinessScoped, Base):
    """One row per (business, series, year), created ahead of time; see core.sequences."""
    __tablename__ = "core_sequence"
    __table_args__ = (UniqueConstraint("business_id", "series", "year"),
                      CheckConstraint("next_value >= 1", name="positive"))
    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    next_value: Mapped[int] = mapped_column(Integer, default=1)


class OutboxJob(Base):
    """A job written in the business transaction, relayed to the broker after commit.

    The database is the truth; the broker is transport. See core.jobs.
    """
    __tablename__ = "core_job"
    __table_args__ = (Index("ix_core_job_state_available", "state", "available_at"),
                      Index("ix_core_job_business_state", "business_id", "state"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("core_business.id"))
    actor: Mapped[str] = mapped_column(String(128))
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending running done failed dead skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column()
    relayed_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScheduleTick(Base):
    """A schedule fired once for one business and one tick; the unique key stops doubles."""
    __tablename__ = "core_schedule_tick"
    __table_args__ = (UniqueConstraint("addon", "schedule", "business_id", "tick"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    addon: Mapped[str] = mapped_column(String(64))
    schedule: Mapped[str] = mapped_column(String(64))
    business_id: Mapped[int] = mapped_column(ForeignKey("core_business.id"))
    tick: Mapped[datetime] = mapped_column()
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailMessage(BusinessScoped, Base):
    __tablename__ = "core_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued sent failed
    error: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    attachments: Mapped[list["MailAttachment"]] = relationship(cascade="all, delete-orphan")


class MailAttachment(BusinessScoped, Base):
    __tablename__ = "core_mail_attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("core_mail.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class LoginFailure(Base):
    """A failed login, kept for the throttle's window so every web process sees the same count."""
    __tablename__ = "core_login_failure"
    __table_args__ = (Index("ix_core_login_failure_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # sha256 of address and e-mail: no addresses stored
    at: Mapped[datetime] = mapped_column(default=utcnow)


# The REST API's tokens, idempotent answers and webhooks live beside the API (core/api/models.py); importing them
# here puts them in the core's metadata, which the core migration branch and the test schema read.
from .api.models import ApiIdempotentAnswer, ApiToken, WebhookDelivery, WebhookEndpoint  # noqa: E402,F401
