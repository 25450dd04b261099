"""Shop connections: the registered platforms, OAuth, tokens encrypted at rest, and calling a platform.

``call`` is the one way the other services reach a platform: it refreshes the
access token before it expires (``refresh_margin_seconds``), refreshes and
retries once on ``TokenExpired``, and on ``RateLimited`` records the wait on the
shop (``backoff_until``) so jobs come back after it. No transaction is open
during a platform call.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from core.addons.state import enabled_addons
from core.db import utcnow
from core.errors import NotFound, UserError
from core.i18n import _
from core.settings import get_settings

from ..models import Shop
from ..platforms import KIND, PlatformError, RateLimited, TokenExpired, Tokens

ENC = "enc:"


def aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def registered(runtime) -> dict[str, tuple[str, object, str]]:
    """platform code -> (addon, class, label) of every marketplace connector installed."""
    return {code: entry for (kind, code), entry in runtime.registry.providers.items() if kind == KIND}


def platform_of(runtime, session, business_id: int, code: str):
    """The platform ``code`` built with its connector addon's settings for the business."""
    known = registered(runtime)
    if code not in known:
        raise UserError(_("platform: %(code)r is not installed (installed: %(known)s)", code=code,
                          known=", ".join(sorted(known)) or "-"))
    addon, cls, _label = known[code]
    if addon not in enabled_addons(session, business_id):
        raise UserError(_("platform: %(code)r needs the addon %(addon)r, not enabled for this business",
                          code=code, addon=addon))
    return cls(get_settings(session, runtime.registry, addon, runtime.config["SECRET_KEY"]))


# ---------------------------------------------------------------- tokens at rest

def _fernet(secret_key: str):
    from cryptography.fernet import Fernet
    digest = hashlib.sha256(("tessera-marketplace-tokens:" + secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret_key: str, value: str) -> str:
    return ENC + _fernet(secret_key).encrypt(value.encode()).decode()


def unseal(secret_key: str, stored: str | None) -> str:
    from cryptography.fernet import InvalidToken
    if not stored:
        return ""
    try:
        return _fernet(secret_key).decrypt(stored.removeprefix(ENC).encode()).decode()
    except InvalidToken:
        raise UserError(_("shop tokens cannot be decrypted (was the secret key changed?); connect the shop again"))


def store_tokens(session, shop: Shop, tokens: Tokens, secret_key: str) -> Shop:
    shop.access_token = seal(secret_key, tokens.access_token)
    shop.refresh_token = seal(secret_key, tokens.refresh_token)
    shop.token_expires_at = aware(tokens.expires_at)
    shop.refresh_expires_at = aware(tokens.refresh_expires_at)
    shop.external_id = str(tokens.shop_id) or shop.external_id
    shop.region = (tokens.region or shop.region or "")[:8] or None
    shop.token_extra = dict(tokens.extra or {})
    shop.status, shop.last_error, shop.oauth_state = "connected", None, None
    session.flush()
    return shop


def tokens_of(shop: Shop, secret_key: str) -> Tokens:
    if not shop.access_token:
        raise UserError(_("shop %(name)s is not connected yet; open its authorisation link first", name=shop.name))
    return Tokens(access_token=unseal(secret_key, shop.access_token),
                  refresh_token=unseal(secret_key, shop.refresh_token),
                  expires_at=aware(shop.token_expires_at) or utcnow(), shop_id=shop.external_id or "",
                  refresh_expires_at=aware(shop.refresh_expires_at), region=shop.region or "",
                  shop_name=shop.name, extra=dict(shop.token_extra or {}))


# ---------------------------------------------------------------- shops

def get_shop(session, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None or shop.business_id != session.info.get("business_id"):
        raise NotFound(_("shop #%(id)s does not exist", id=shop_id))
    return shop


def list_shops(session, platform: str | None = None) -> list[Shop]:
    query = select(Shop).order_by(Shop.id)
    if platform:
        query = query.where(Shop.platform == platform)
    return list(session.scalars(query))


def connect(runtime, session, business_id: int, platform: str, name: str) -> Shop:
    """A shop to authorise (or re-authorise): a fresh ``state`` for the authorisation link."""
    name = (name or "").strip()
    if not name:
        raise UserError(_("shop: a name is required"))
    if len(name) > 120:
        raise UserError(_("shop: at most 120 characters"))
    platform_of(runtime, session, business_id, platform)     # installed and enabled
    shop = session.scalar(select(Shop).where(Shop.platform == platform, Shop.name == name))
    if shop is None:
        shop = Shop(platform=platform, name=name)
        session.add(shop)
    shop.oauth_state = secrets.token_urlsafe(24)
    session.flush()
    return shop


def update_shop(session, shop_id: int, stock_buffer=None, price_channel=None, **_ignored) -> Shop:
    """What a clerk may change on a shop: the stock buffer and the price list channel."""
    from addons.sales.states import CHANNELS
    from core.numbers import parse_int
    shop = get_shop(session, shop_id)
    if stock_buffer is not None:
        shop.stock_buffer = parse_int(stock_buffer, field="stock_buffer", minimum=0, maximum=1_000_000)
    channel = (price_channel or "").strip() or None
    if channel is not None and channel not in CHANNELS:
        raise UserError(_("price_channel: %(value)r is not one of %(choices)s", value=channel,
                          choices=", ".join(CHANNELS)))
    shop.price_channel = channel
    session.flush()
    return shop


def callback_url(base_url: str, platform: str) -> str:
    return f"{base_url.rstrip('/')}/marketplace/callback/{platform}"


def authorize_url(runtime, session, business_id: int, shop: Shop, base_url: str) -> str:
    if not shop.oauth_state:
        raise UserError(_("shop %(name)s: start the connection again (no pending authorisation)", name=shop.name))
    platform = platform_of(runtime, session, business_id, shop.platform)
    return platform.authorize_url(callback_url(base_url, shop.platform), shop.oauth_state)


def shop_of_state(runtime, platform: str, state: str) -> tuple[int, int] | None:
    """(business id, shop id) of a pending authorisation (the state is random and single use)."""
    if not state or len(state) > 64:
        return None
    with runtime.session(all_businesses=True) as session:
        row = session.execute(select(Shop.business_id, Shop.id).where(Shop.oauth_state == state,
                                                                      Shop.platform == platform)).first()
    return tuple(row) if row else None


def complete_authorisation(runtime, platform_code: str, params: dict) -> Shop:
    """The callback: exchange the code for tokens (outside any transaction) and store them sealed."""
    found = shop_of_state(runtime, platform_code, str(params.get("state") or ""))
    if found is None:
        raise UserError(_("this authorisation link is unknown or was already used; connect the shop again"))
    business_id, shop_id = found
    with runtime.session(business_id) as session:
        platform = platform_of(runtime, session, business_id, platform_code)
    tokens = platform.exchange_code(params)
    with runtime.transaction(business_id) as session:
        shop = get_shop(session, shop_id)
        twin = session.scalar(select(Shop).where(Shop.platform == shop.platform, Shop.id != shop.id,
                                                 Shop.external_id == str(tokens.shop_id)))
        if twin is not None:
            raise UserError(_("this %(platform)s shop is already connected as %(name)s; renew that one instead",
                              platform=shop.platform, name=twin.name))
        store_tokens(session, shop, tokens, runtime.config["SECRET_KEY"])
        session.expunge(shop)
        return shop


# ---------------------------------------------------------------- calling a platform

def _refresh(runtime, business_id: int, shop_id: int, platform, tokens: Tokens) -> Tokens:
    try:
        fresh = platform.refresh(tokens)
    except PlatformError as exc:
        with runtime.transaction(business_id) as session:
            shop = get_shop(session, shop_id)
            shop.status, shop.last_error = "token_expired", str(exc)[:1000]
        raise
    with runtime.transaction(business_id) as session:
        store_tokens(session, get_shop(session, shop_id), fresh, runtime.config["SECRET_KEY"])
    return fresh


def prepare(runtime, business_id: int, shop_id: int):
    """(shop snapshot values, platform, tokens) read in a short session."""
    with runtime.session(business_id) as session:
        shop = get_shop(session, shop_id)
        platform = platform_of(runtime, session, business_id, shop.platform)
        tokens = tokens_of(shop, runtime.config["SECRET_KEY"])
        margin = int(_base_settings(runtime, session).get("refresh_margin_seconds") or 600)
        backoff = aware(shop.backoff_until)
    if backoff is not None and backoff > utcnow():
        raise RateLimited(_("the platform asked to wait; try again after %(at)s", at=backoff.isoformat()),
                          retry_after=(backoff - utcnow()).total_seconds())
    if aware(tokens.expires_at) - timedelta(seconds=margin) <= utcnow():
        tokens = _refresh(runtime, business_id, shop_id, platform, tokens)
    return platform, tokens


def _base_settings(runtime, session) -> dict:
    return get_settings(session, runtime.registry, "marketplace", runtime.config["SECRET_KEY"])


def call(runtime, business_id: int, shop_id: int, fn):
    """``fn(platform, tokens)`` with fresh tokens: refresh and retry once on TokenExpired; a rate limit
    is recorded on the shop (``backoff_until``) and raised; a refusal is recorded as the shop's error."""
    platform, tokens = prepare(runtime, business_id, shop_id)
    try:
        try:
            return fn(platform, tokens)
        except TokenExpired:
            tokens = _refresh(runtime, business_id, shop_id, platform, tokens)
            return fn(platform, tokens)
    except RateLimited as exc:
        with runtime.transaction(business_id) as session:
            get_shop(session, shop_id).backoff_until = utcnow() + timedelta(seconds=max(exc.retry_after, 1))
        raise
    except TokenExpired as exc:
        with runtime.transaction(business_id) as session:
            shop = get_shop(session, shop_id)
            shop.status, shop.last_error = "token_expired", str(exc)[:1000]
        raise


def mark_synced(runtime, business_id: int, shop_id: int, **fields) -> None:
    with runtime.transaction(business_id) as session:
        shop = get_shop(session, shop_id)
        shop.last_sync_at = utcnow()
        if shop.status == "error":
            shop.status = "connected"
        shop.last_error = None
        for key, value in fields.items():
            setattr(shop, key, value)


def mark_error(runtime, business_id: int, shop_id: int, message: str) -> None:
    with runtime.transaction(business_id) as session:
        shop = get_shop(session, shop_id)
        if shop.status == "connected":
            shop.status = "error"
        shop.last_error = str(message)[:1000]


def refresh_due(runtime, business_id: int) -> dict:
    """The schedule: refresh every connected shop whose access token expires within the margin."""
    with runtime.session(business_id) as session:
        margin = int(_base_settings(runtime, session).get("refresh_margin_seconds") or 600)
        due = [s.id for s in list_shops(session) if s.access_token and s.status in ("connected", "error")
               and (aware(s.token_expires_at) or utcnow()) - timedelta(seconds=margin * 2) <= utcnow()]
    done, failed = 0, 0
    for shop_id in due:
        try:
            prepare(runtime, business_id, shop_id)
            done += 1
        except (PlatformError, UserError):
            failed += 1
    return {"refreshed": done, "failed": failed}


def sync_age(shop: Shop, now: datetime | None = None) -> str:
    """'4 min', '2 h', '3 d' or '-' (never): the age of the last successful sync."""
    if shop.last_sync_at is None:
        return "-"
    seconds = int(((now or utcnow()) - aware(shop.last_sync_at)).total_seconds())
    if seconds < 3600:
        return _("%(n)s min", n=max(seconds, 0) // 60)
    if seconds < 86400:
        return _("%(n)s h", n=seconds // 3600)
    return _("%(n)s d", n=seconds // 86400)
