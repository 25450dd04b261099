"""Pushes (webhooks) of the platforms: verified on the raw body, stored once, processed in a job.

The URL carries a token derived from the secret key and the business
(``/marketplace/push/<platform>/<token>``), so the business is known before any
body is read; the platform's own signature (``Platform.verify_push``, with
``hmac.compare_digest``) is then the credential. A forged or unsigned push is
answered 401 and writes nothing. A verified one is stored once per (platform,
event id): a replay is answered 200 and queues nothing more.
"""
from __future__ import annotations

import hashlib
import hmac
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.addons.state import enabled_addons
from core.db import utcnow
from core.errors import UserError
from core.jobs import enqueue

from ..models import PushEvent, Shop
from ..platforms import PushRejected, PushRequest
from .orders import fetch_and_ingest
from .shops import platform_of, registered


def push_token(runtime, business_id: int, platform: str) -> str:
    digest = hmac.new(runtime.config["SECRET_KEY"].encode(), f"marketplace-push:{business_id}:{platform}".encode(),
                      hashlib.sha256).hexdigest()[:32]
    return f"{business_id}.{digest}"


def business_of_token(runtime, platform: str, token: str) -> int | None:
    head, _dot, _tail = str(token).partition(".")
    if not head.isdigit() or len(head) > 12:
        return None
    business_id = int(head)
    return business_id if hmac.compare_digest(push_token(runtime, business_id, platform), str(token)) else None


def push_url(runtime, business_id: int, platform: str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/marketplace/push/{platform}/{push_token(runtime, business_id, platform)}"


def receive(runtime, platform_code: str, token: str, request: PushRequest) -> tuple[int, str]:
    """(HTTP status, message). Nothing but the event row and its job is written here."""
    if platform_code not in registered(runtime):
        return 404, "unknown platform"
    business_id = business_of_token(runtime, platform_code, token)
    if business_id is None:
        return 404, "unknown push address"
    addon = registered(runtime)[platform_code][0]
    with runtime.transaction(business_id) as session:
        if addon not in enabled_addons(session, business_id):
            return 404, "platform not enabled"
        try:
            platform = platform_of(runtime, session, business_id, platform_code)
            event = platform.verify_push(request)
        except PushRejected as exc:
            return 401, str(exc) or "signature does not match"
        except UserError as exc:
            return 400, str(exc)
        shop = session.scalar(select(Shop).where(Shop.platform == platform_code,
                                                 Shop.external_id == str(event.shop_id)))
        if shop is None:
            return 200, "no such shop here (ignored)"
        exists = session.scalar(select(PushEvent.id).where(PushEvent.platform == platform_code,
                                                           PushEvent.event_id == event.event_id[:200]))
        if exists is not None:
            return 200, "already received"
        row = PushEvent(platform=platform_code, shop_id=shop.id, event_id=event.event_id[:200], kind=event.kind,
                        order_ids=[str(i) for i in event.order_ids],
                        body=request.body.decode("utf-8", "replace")[:20000])
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            return 200, "already received"
        if event.kind == "order" and event.order_ids:
            enqueue(session, "marketplace.process_push", event_id=row.id)
        else:
            row.processed_at = utcnow()
    return 200, "ok"


def process(runtime, business_id: int, event_id: int) -> dict:
    """The job of a stored push: read the orders it names from the platform and ingest them."""
    with runtime.session(business_id) as session:
        row = session.get(PushEvent, event_id)
        if row is None or row.processed_at is not None:
            return {"orders": 0}
        shop_id, ids = row.shop_id, list(row.order_ids or ())
    result = fetch_and_ingest(runtime, business_id, shop_id, ids)
    with runtime.transaction(business_id) as session:
        session.get(PushEvent, event_id).processed_at = utcnow()
    return result


def body_json(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except ValueError:
        raise PushRejected("the body is not JSON") from None
    if not isinstance(data, dict):
        raise PushRejected("the body is not a JSON object")
    return data
