"""Webhooks out: endpoints of a business, deliveries through the outbox, Stripe-style signatures.

An addon makes an event sendable in its manifest::

    [[webhooks]]
    event = "order.paid"            # what integrators subscribe to
    on = "sales.order_paid"         # the addon event that sends it
    payload = ".api:order_payload"  # fn(session, business_id, **event) -> the JSON "data"

The registry subscribes ``subscriber(event, payload)`` to ``on`` (sync, so it runs in the
publisher's transaction): for every active endpoint of the business that wants the
event it writes a delivery and enqueues ``core.deliver_webhook`` in the same
transaction (the outbox: nothing is sent for a change that rolled back). The body is
built just before that transaction commits, so it shows the record as committed.

The job POSTs ``{"id", "type", "created", "data"}`` with ``Tessera-Signature: t=<unix
time>,v1=<hex HMAC-SHA256 of "<t>." + body, keyed by the endpoint's secret>`` (Stripe's
scheme). A non-2xx answer or a network error fails the job, and the outbox retries it
with its backoff (``TESSERA_JOB_RETRY_BACKOFF_SECONDS``, doubled per attempt) until
``TESSERA_JOB_MAX_RETRIES``; each attempt's status and answer are kept on the delivery.
``replay`` sends a delivery again by hand. Outside calls run only in this job.

No URL may reach inside the network (SSRF, see core.api.ssrf): checked at registration and
again at every delivery, which connects to the very address it checked, follows no redirect
and times out; a refused address is a failed delivery whose error says why.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from urllib.parse import urlsplit

from sqlalchemy import event as sa_event, select
from sqlalchemy.orm import Session

from ..db import tx_cache, utcnow
from ..errors import FieldErrors, NotFound, UserError
from ..i18n import _
from ..jobs import SkipJob, core_job, enqueue
from ..text import clean_text
from .models import WebhookDelivery, WebhookEndpoint
from .ssrf import RefusedAddress, check_url, checked_address, pinned_post

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "Tessera-Signature"
SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300
TIMEOUT_SECONDS = 10
PENDING_KEY = "webhook_bodies"


class DeliveryFailed(Exception):
    """The endpoint refused or could not be reached: not a UserError, so the outbox retries the job
    with its backoff (a UserError would wait for a person)."""


# ---------------------------------------------------------------- signatures

def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = TOLERANCE_SECONDS, now: float | None = None) -> bool:
    """What a receiver checks: a v1 signature of this body and a timestamp within ``tolerance``."""
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), parts.get("v1", ""))


# ---------------------------------------------------------------- secrets at rest

def _fernet(secret_key: str):
    from cryptography.fernet import Fernet
    digest = hashlib.sha256(("tessera-webhooks:" + secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str, secret_key: str) -> str:
    return "enc:" + _fernet(secret_key).encrypt(secret.encode()).decode()


def unseal(stored: str, secret_key: str) -> str:
    from cryptography.fernet import InvalidToken
    try:
        return _fernet(secret_key).decrypt(stored.removeprefix("enc:").encode()).decode()
    except InvalidToken:
        raise UserError(_("the webhook secret cannot be decrypted (was TESSERA_SECRET_KEY changed?)")) from None


# ---------------------------------------------------------------- endpoints

def known_events(registry) -> list[str]:
    return sorted(registry.webhooks)


def _check(registry, url, events, description, allow_private=False) -> tuple[str, list, str]:
    problems = []
    try:
        url = clean_text(url, "url", max_len=500) or ""
    except UserError as exc:
        problems.append(str(exc))
        url = ""
    parts = urlsplit(url)
    if not url:
        problems.append(_("url: required"))
    elif parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        problems.append(_("url: %(url)s must be an http:// or https:// address without a user name or password",
                          url=repr(url)))
    else:
        try:
            check_url(url, allow_private=allow_private)
        except RefusedAddress as exc:
            problems.append(str(exc))
    known = set(known_events(registry))
    events = [e for i, e in enumerate(events or ()) if e not in list(events)[:i]]
    unknown = [e for e in events if e not in known]
    if unknown:
        problems.append(_("events: %(events)s are not webhook events here (known: %(known)s)",
                          events=", ".join(map(str, unknown)), known=", ".join(sorted(known))))
    elif not events:
        problems.append(_("events: choose at least one event"))
    try:
        description = clean_text(description, "description", max_len=200) or ""
    except UserError as exc:
        problems.append(str(exc))
    if problems:
        raise FieldErrors(problems)
    return url, events, description


def create_endpoint(session, registry, secret_key: str, *, url: str, events, description: str = "",
                    allow_private: bool = False):
    """A new endpoint of the session's business; returns (row, secret), the secret shown only now.
    ``allow_private``: the runtime's WEBHOOK_ALLOW_PRIVATE (private addresses refused unless true)."""
    url, events, description = _check(registry, url, events, description, allow_private)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = WebhookEndpoint(url=url, events=events, description=description, secret=seal(secret, secret_key),
                          secret_hint=secret[-4:], active=True, created_at=utcnow())
    session.add(row)
    session.flush()
    tx_cache(session).pop("webhook_endpoints", None)
    return row, secret


def update_endpoint(session, registry, endpoint_id: int, *, url: str, events, description: str = "",
                    active: bool = True, allow_private: bool = False) -> WebhookEndpoint:
    row = get_endpoint(session, endpoint_id)
    row.url, row.events, row.description = _check(registry, url, events, description, allow_private)
    row.active = bool(active)
    session.flush()
    tx_cache(session).pop("webhook_endpoints", None)
    return row


def get_endpoint(session, endpoint_id: int) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, endpoint_id)
    if row is None:
        raise NotFound(_("webhook endpoint %(id)s does not exist", id=endpoint_id))
    return row


# ---------------------------------------------------------------- sending

def _endpoints(session) -> list[WebhookEndpoint]:
    cache = tx_cache(session)
    if "webhook_endpoints" not in cache:
        cache["webhook_endpoints"] = list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active)))
    return cache["webhook_endpoints"]


def subscriber(webhook_event: str, payload_fn):
    """The sync handler the registry subscribes to the addon event that sends ``webhook_event``."""
    def send(session, business_id, **payload):
        wanted = [e for e in _endpoints(session) if webhook_event in (e.events or ())]
        if not wanted:
            return
        event_id = "evt_" + uuid.uuid4().hex
        deliveries = []
        for endpoint in wanted:
            delivery = WebhookDelivery(endpoint_id=endpoint.id, event=webhook_event, event_id=event_id,
                                       state="pending", attempts=0, created_at=utcnow())
            session.add(delivery)
            deliveries.append(delivery)
        session.flush()
        for delivery in deliveries:
            enqueue(session, "core.deliver_webhook", delivery_id=delivery.id)
        session.info.setdefault(PENDING_KEY, []).append((deliveries, webhook_event, event_id, payload_fn,
                                                         business_id, payload))
    send.__name__ = f"send_{webhook_event.replace('.', '_')}"
    return send


@sa_event.listens_for(Session, "before_commit")
def _write_bodies(session):
    """The bodies of this transaction's deliveries, built from what is about to be committed."""
    pending = session.info.pop(PENDING_KEY, None)
    for deliveries, webhook_event, event_id, payload_fn, business_id, payload in pending or ():
        try:
            data = json.loads(json.dumps(payload_fn(session, business_id, **payload), default=str))
        except Exception:  # a broken payload function must not cost the merchant the order it announces
            log.exception("webhook %s: its payload could not be built; sending the event's own fields", webhook_event)
            data = json.loads(json.dumps(payload, default=str))
        body = {"id": event_id, "type": webhook_event, "created": int(time.time()), "data": data}
        for delivery in deliveries:
            delivery.payload = body
    if pending:
        session.flush()


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_bodies(session, _previous):
    session.info.pop(PENDING_KEY, None)


def replay(session, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again (the same body and event id, a fresh signature)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(_("webhook delivery %(id)s does not exist", id=delivery_id))
    delivery.state = "pending"
    session.flush()
    enqueue(session, "core.deliver_webhook", delivery_id=delivery.id)
    return delivery


@core_job("deliver_webhook")
def deliver_webhook(ctx, delivery_id: int):
    """POST one delivery to the address checked just now; a refused address, a non-2xx answer
    (a redirect too) or a network error fails the job so the outbox retries it."""
    import urllib3
    secret_key = ctx.runtime.config["SECRET_KEY"]
    with ctx.transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            raise SkipJob(f"webhook delivery {delivery_id} is gone")
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if not endpoint.active:
            raise SkipJob(f"webhook endpoint {endpoint.id} is switched off")
        url, secret = endpoint.url, unseal(endpoint.secret, secret_key)
        body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
        event, event_id = delivery.event, delivery.event_id
    headers = {"Content-Type": "application/json", "User-Agent": "Tessera-Webhooks/1",
               SIGNATURE_HEADER: signature_header(secret, body), "Tessera-Event": event,
               "Tessera-Event-Id": event_id, "Tessera-Delivery": str(delivery_id)}
    status, answer, error = None, None, None
    try:
        address = checked_address(url, allow_private=bool(ctx.runtime.config.get("WEBHOOK_ALLOW_PRIVATE")))
        status, answer = pinned_post(url, address, body, headers, TIMEOUT_SECONDS)
        if 300 <= status < 400:
            error = f"the endpoint answered HTTP {status}, a redirect (redirects are not followed)"
        elif not 200 <= status < 300:
            error = f"the endpoint answered HTTP {status}"
    except RefusedAddress as exc:
        error = f"refused: {str(exc)[:900]}"
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        error = f"{type(exc).__name__}: {str(exc)[:900]}"
    with ctx.transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        delivery.attempts += 1
        delivery.last_attempt_at = utcnow()
        delivery.response_status, delivery.response_body, delivery.error = status, answer, error
        delivery.state = "failed" if error else "delivered"
        if not error:
            delivery.delivered_at = delivery.last_attempt_at
    if error:
        raise DeliveryFailed(f"webhook {event} to {url}: {error}")
