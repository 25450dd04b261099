"""The API's tables (prefix ``core_api_``): tokens, the answers kept for Idempotency-Key, webhooks.

They are core tables (migrated by the core branch) and business-scoped, so a
token and every answer it got belong to one business and the tenancy fence and
row-level security keep them there like any other row.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, BusinessScoped, utcnow


class ApiToken(BusinessScoped, Base):
    """A bearer token of one business. Only the SHA-256 of the token is kept (it is random and
    long, so a slow password hash buys nothing); the token itself is shown once, when created."""
    __tablename__ = "core_api_token"
    __table_args__ = (Index("ix_core_api_token_business_created", "business_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))       # the first characters, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class ApiIdempotentAnswer(BusinessScoped, Base):
    """The first answer to a POST with an ``Idempotency-Key``, written in the same transaction as
    what the POST changed, so a key either has its answer or changed nothing."""
    __tablename__ = "core_api_idempotency"
    __table_args__ = (UniqueConstraint("business_id", "token_id", "key"),
                      Index("ix_core_api_idempotency_business_created", "business_id", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("core_api_token.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))   # method, path and body
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEndpoint(BusinessScoped, Base):
    """Where a business wants its events sent. The signing secret is encrypted at rest (Fernet,
    key derived from SECRET_KEY) and shown once, when the endpoint is made."""
    __tablename__ = "core_api_webhook"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str] = mapped_column(String(300))          # "enc:..." (core.api.webhooks)
    secret_hint: Mapped[str] = mapped_column(String(16))      # the last characters, to tell secrets apart
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __str__(self):
        return self.url


class WebhookDelivery(BusinessScoped, Base):
    """One event sent (or to be sent) to one endpoint, through the outbox job core.deliver_webhook;
    the last attempt's answer is kept for the admin, and a replay sends the same body again."""
    __tablename__ = "core_api_webhook_delivery"
    __table_args__ = (Index("ix_core_api_webhook_delivery_business_created", "business_id", "created_at"),
                      Index("ix_core_api_webhook_delivery_business_state", "business_id", "state", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("core_api_webhook.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(40))         # the same for every endpoint of one event
    payload: Mapped[dict | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending")   # pending delivered failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(String(2000))
    error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
