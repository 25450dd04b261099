"""Demo orders: 300 across channels and states, paid and unpaid, a few returns and an exchange.

Runs after the partners and catalog demos (sales depends on them) and after the
warehouse demo when warehouse is present (manifest ``demo_after``).
Each order is confirmed inside a savepoint: when sales_stock is on and the demo
stock runs short, that order simply stays New, as it would for a real shop.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from addons.catalog.models import Variant
from addons.partners.models import Partner
from core.errors import UserError

from . import services

CHANNELS = ["web", "shopee", "shopee", "lazada", "tiktok", "phone", "facebook", "counter", "manual"]
PAY_METHOD = {"web": "card", "shopee": "ewallet", "lazada": "ewallet", "tiktok": "ewallet", "phone": "cod",
              "facebook": "cod", "counter": "cash", "manual": "bank_transfer"}
ORDERS = 300


def load(session, business_id, rng) -> dict:
    services.ensure_default_terms(session)
    customers = session.scalars(select(Partner.id).where(Partner.is_customer.is_(True),
                                                         Partner.active.is_(True)).order_by(Partner.id)).all()
    variants = session.scalars(select(Variant.id).where(Variant.active.is_(True)).order_by(Variant.id)).all()
    if not variants:
        raise UserError("sales demo: the catalog demo must run first (no variants)")
    today = date.today()
    made, returns, replacements = [], 0, 0
    now = datetime.now(timezone.utc)
    i = -1
    while len(made) + replacements < ORDERS:     # an exchange's replacement order counts too
        i += 1
        channel = rng.choice(CHANNELS)
        days_ago = rng.randint(0, 89)
        lines = [{"variant_id": v, "qty": str(rng.choice((1, 1, 1, 2, 3)))}
                 for v in rng.sample(variants, rng.choice((1, 1, 2, 3)))]
        marketplace = channel in ("shopee", "lazada", "tiktok")
        order = services.create_order(
            session, channel=channel, partner_id=rng.choice(customers) if customers and channel != "counter" else None,
            lines=lines, external_ref=f"{channel[:2].upper()}{240000 + i}" if marketplace else None,
            shipping_fee="0" if channel == "counter" else str(rng.choice((15000, 20000, 30000))),
            shipping_paid_by="merchant" if marketplace and rng.random() < 0.3 else "customer",
            prices_include_tax=marketplace, order_date=today - timedelta(days=days_ago))
        stamp = datetime.combine(order.order_date, time(rng.randint(8, 21), rng.randint(0, 59)), tzinfo=timezone.utc)
        order.created_at = order.updated_at = min(stamp, now)
        if PAY_METHOD[channel] == "cod":
            order.cod_amount = order.total
        made.append(order)
        fate = rng.random()
        if fate < 0.15 and days_ago < 7:
            continue                                  # still New
        if fate < 0.25:
            services.cancel_order(session, order.id, rng.choice(("customer changed mind", "duplicate order",
                                                                 "address unreachable")))
            continue
        if not _try(session, services.confirm_order, order.id):
            continue                                  # short of stock: stays New
        method = PAY_METHOD[channel]
        if method != "cod" or fate > 0.45:
            services.register_payment(session, order.id, order.total, method, paid_on=order.order_date,
                                      reference=f"DEMO-{i:04d}")
        if fate > 0.45:
            services.complete_order(session, order.id)
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


def _try(session, fn, *args, **kw) -> bool:
    """Run one step in a savepoint; a refusal (e.g. not enough stock) undoes only that step."""
    try:
        with session.begin_nested():
            fn(session, *args, **kw)
        return True
    except UserError:
        return False
