"""Demo orders: 300 across channels and states, paid and unpaid, a few returns and an exchange.

Orders are placed at distinct moments of the last 30 days, in shop hours of the
business's time zone, oldest first (so numbers follow time), and their confirmation,
completion or cancellation comes a little later: the dashboard's charts and the
order list look like a real shop's month.

Runs after the partners and catalog demos (sales depends on them) and after the
warehouse demo when warehouse is present (manifest ``demo_after``).
Each order is confirmed inside a savepoint: when sales_stock is on and the demo
stock runs short, that order simply stays New, as it would for a real shop.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from addons.catalog.models import Variant
from addons.partners.models import Partner
from core.errors import UserError
from core.models import Business

from . import services

CHANNELS = ["web", "shopee", "shopee", "lazada", "tiktok", "phone", "facebook", "counter", "manual"]
PAY_METHOD = {"web": "card", "shopee": "ewallet", "lazada": "ewallet", "tiktok": "ewallet", "phone": "cod",
              "facebook": "cod", "counter": "cash", "manual": "bank_transfer"}
ORDERS = 300
DAYS = 30
SHOP_HOURS = (8, 22)        # local time: orders come in from 08:00 to 21:59


def order_times(rng, now: datetime, zone: ZoneInfo, count: int) -> list[datetime]:
    """``count`` distinct UTC moments within the last ``DAYS`` days, in local shop hours, none in
    the future, oldest first."""
    today = now.astimezone(zone).date()
    found: set[datetime] = set()
    while len(found) < count:
        day = today - timedelta(days=rng.randrange(DAYS))
        second = rng.randrange(SHOP_HOURS[0] * 3600, SHOP_HOURS[1] * 3600)
        local = datetime.combine(day, time(second // 3600, second // 60 % 60, second % 60), tzinfo=zone)
        moment = local.astimezone(timezone.utc)
        if moment <= now:
            found.add(moment)
    return sorted(found)


def load(session, business_id, rng) -> dict:
    services.ensure_default_terms(session)
    customers = session.scalars(select(Partner.id).where(Partner.is_customer.is_(True),
                                                         Partner.active.is_(True)).order_by(Partner.id)).all()
    variants = session.scalars(select(Variant.id).where(Variant.active.is_(True)).order_by(Variant.id)).all()
    if not variants:
        raise UserError("sales demo: the catalog demo must run first (no variants)")
    now = datetime.now(timezone.utc)
    zone = ZoneInfo(session.scalar(select(Business.timezone).where(Business.id == business_id)) or "UTC")
    stamps = order_times(rng, now, zone, ORDERS)
    made, returns, replacements = [], 0, 0
    i = -1
    while len(made) + replacements < ORDERS:     # an exchange's replacement order counts too
        i += 1
        channel = rng.choice(CHANNELS)
        stamp = stamps[i]
        days_ago = (now - stamp).days
        lines = [{"variant_id": v, "qty": str(rng.choice((1, 1, 1, 2, 3)))}
                 for v in rng.sample(variants, rng.choice((1, 1, 2, 3)))]
        marketplace = channel in ("shopee", "lazada", "tiktok")
        order = services.create_order(
            session, channel=channel, partner_id=rng.choice(customers) if customers and channel != "counter" else None,
            lines=lines, external_ref=f"{channel[:2].upper()}{240000 + i}" if marketplace else None,
            shipping_fee="0" if channel == "counter" else str(rng.choice((15000, 20000, 30000))),
            shipping_paid_by="merchant" if marketplace and rng.random() < 0.3 else "customer",
            prices_include_tax=marketplace, order_date=stamp.astimezone(zone).date())
        order.created_at = order.updated_at = stamp
        if PAY_METHOD[channel] == "cod":
            order.cod_amount = order.total
        made.append(order)
        fate = rng.random()
        if fate < 0.15 and days_ago < 7:
            continue                                  # still New
        later = _later(rng, stamp, now)
        if fate < 0.25:
            services.cancel_order(session, order.id, rng.choice(("customer changed mind", "duplicate order",
                                                                 "address unreachable")))
            order.cancelled_at = order.updated_at = next(later)
            continue
        if not _try(session, services.confirm_order, order.id):
            continue                                  # short of stock: stays New (sales_stock's demo restocks)
        order.confirmed_at = order.updated_at = next(later)
        method = PAY_METHOD[channel]
        if method != "cod" or fate > 0.45:
            services.register_payment(session, order.id, order.total, method, paid_on=order.order_date,
                                      reference=f"DEMO-{i:04d}")
        if fate > 0.45:
            services.complete_order(session, order.id)
            order.completed_at = order.updated_at = next(later)
            if returns < 6 and rng.random() < 0.08:
                line = order.lines[0]
                exchange = [{"variant_id": rng.choice(variants), "qty": "1"}] if returns == 0 else None
                if _try(session, services.create_return, order.id,
                        [{"order_line_id": line.id, "qty": "1", "damaged": returns % 3 == 2}],
                        reason=rng.choice(("wrong size", "changed mind", "arrived damaged")), exchange=exchange):
                    replacements += 1 if exchange else 0
                returns += 1
    session.flush()
    return {"orders": len(made) + replacements, "returns": returns}


def _later(rng, stamp: datetime, now: datetime):
    """Moments after ``stamp`` (minutes to a day apart, never past ``now``) for an order's next steps."""
    while True:
        stamp = min(stamp + timedelta(minutes=rng.randint(5, 24 * 60)), now)
        yield stamp


def _try(session, fn, *args, **kw) -> bool:
    """Run one step in a savepoint; a refusal (e.g. not enough stock) undoes only that step."""
    try:
        with session.begin_nested():
            fn(session, *args, **kw)
        return True
    except UserError:
        return False
