"""Stock and prices out: available = on hand - reserved - the shop's buffer, pushed per stock_batch.

A stock change of a mapped variant (``warehouse.stock_changed``, sync, in the
transaction that changed it) marks its listings dirty and schedules one debounced
``marketplace.push_stock`` job per shop (``stock_push_due`` is the guard: a change
while a job is pending schedules nothing more). The job takes the dirty listings,
clears their flag, computes what is available now and pushes it in batches; a
failed unit is marked dirty again. The schedule pushes every mapped listing as a
safety net.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from core.db import utcnow
from core.errors import UserError
from core.i18n import _
from core.jobs import addon_settings, enqueue

from ..models import Listing, Shop
from ..platforms import PlatformError, PriceUpdate, RateLimited, StockUpdate
from .shops import call, get_shop, mark_error, mark_synced, registered


def on_hand_minus_reserved(session, variant_ids) -> dict[int, Decimal]:
    """Sum over the business's warehouses of on hand - reserved, per variant (0 without a balance)."""
    ids = sorted({int(v) for v in variant_ids if v is not None})
    if not ids:
        return {}
    try:
        from addons.warehouse.models import StockBalance
    except ImportError:     # pragma: no cover - warehouse is an optional dependency
        return {v: Decimal(0) for v in ids}
    rows = session.execute(select(StockBalance.variant_id, func.sum(StockBalance.on_hand),
                                  func.sum(StockBalance.reserved))
                           .where(StockBalance.variant_id.in_(ids)).group_by(StockBalance.variant_id)).all()
    have = {v: Decimal(0) for v in ids}
    for variant_id, on_hand, reserved in rows:
        have[variant_id] = Decimal(on_hand or 0) - Decimal(reserved or 0)
    return have


def available_for(buffer: int, free: Decimal) -> int:
    """Whole units the shop may sell: never below zero."""
    return max(int((free - Decimal(buffer or 0)).to_integral_value(rounding="ROUND_FLOOR")), 0)


def on_stock_changed(session, variant_ids) -> int:
    """Mark the listings of ``variant_ids`` dirty and schedule a debounced push per shop; shops scheduled."""
    ids = sorted({int(v) for v in variant_ids or ()})
    if not ids:
        return 0
    shop_ids = sorted(set(session.scalars(select(Listing.shop_id).where(Listing.variant_id.in_(ids)).distinct())))
    if not shop_ids:
        return 0
    session.execute(update(Listing).where(Listing.variant_id.in_(ids)).values(stock_dirty=True)
                    .execution_options(synchronize_session=False))
    delay = float(addon_settings(session, "marketplace").get("stock_debounce_seconds") or 0)
    now = utcnow()
    scheduled = 0
    for shop_id in shop_ids:
        taken = session.execute(update(Shop).where(Shop.id == shop_id, Shop.status.in_(("connected", "error")),
                                                   (Shop.stock_push_due.is_(None)) |
                                                   (Shop.stock_push_due < now - timedelta(minutes=10)))
                                .values(stock_push_due=now + timedelta(seconds=delay))
                                .execution_options(synchronize_session=False)).rowcount
        if taken:
            enqueue(session, "marketplace.push_stock", delay_seconds=delay, shop_id=shop_id)
            scheduled += 1
    return scheduled


def _take(runtime, business_id: int, shop_id: int, skus, everything: bool, dry_run: bool):
    with runtime.transaction(business_id) as session:
        shop = get_shop(session, shop_id)
        if not dry_run:
            shop.stock_push_due = None
        query = select(Listing).where(Listing.shop_id == shop.id, Listing.variant_id.is_not(None))
        if skus:
            query = query.where(Listing.sku.in_(list(skus)))
        elif not everything:
            query = query.where(Listing.stock_dirty.is_(True))
        listings = list(session.scalars(query.order_by(Listing.id)))
        if skus:
            known = {ln.sku for ln in listings}
            missing = [s for s in skus if s not in known]
            if missing:
                raise UserError(_("sku: %(skus)s not mapped on shop %(name)s", skus=", ".join(missing), name=shop.name))
        free = on_hand_minus_reserved(session, [ln.variant_id for ln in listings])
        updates = [(ln.id, StockUpdate(ln.item_id, ln.model_id, ln.sku or "",
                                       available_for(shop.stock_buffer, free[ln.variant_id])))
                   for ln in listings]
        if not dry_run and listings:
            session.execute(update(Listing).where(Listing.id.in_([ln.id for ln in listings]))
                            .values(stock_dirty=False).execution_options(synchronize_session=False))
    return updates


def push_stock(runtime, business_id: int, shop_id: int, *, skus=(), everything: bool = False,
               dry_run: bool = False) -> dict:
    """Push the available stock of the shop's dirty (or ``skus``, or every) mapped listing."""
    updates = _take(runtime, business_id, shop_id, skus, everything, dry_run)
    result = {"shop_id": shop_id, "units": [{"sku": u.sku, "item_id": u.item_id, "model_id": u.model_id,
                                             "quantity": u.quantity} for _id, u in updates],
              "pushed": 0, "failed": 0, "dry_run": dry_run}
    if dry_run or not updates:
        return result
    ids = {(u.item_id, u.model_id): lid for lid, u in updates}
    quantity = {(u.item_id, u.model_id): u.quantity for _lid, u in updates}
    outcomes = []
    try:
        size = max(int(_batch_of(runtime, business_id, shop_id)), 1)
        for i in range(0, len(updates), size):
            chunk = [u for _lid, u in updates[i:i + size]]
            outcomes.extend(call(runtime, business_id, shop_id, lambda p, t, c=chunk: p.push_stock(t, c)))
    except RateLimited as exc:
        _redirty(runtime, business_id, [lid for lid, _u in updates], str(exc))
        raise
    except PlatformError as exc:
        _redirty(runtime, business_id, [lid for lid, _u in updates], str(exc))
        mark_error(runtime, business_id, shop_id, str(exc))
        raise
    except Exception:
        _redirty(runtime, business_id, [lid for lid, _u in updates], "")
        raise
    now = utcnow()
    with runtime.transaction(business_id) as session:
        done = {(o.item_id, o.model_id): o for o in outcomes}
        for key, lid in ids.items():
            outcome = done.get(key)
            ok = outcome is not None and outcome.ok
            values = dict(pushed_stock=quantity[key], pushed_stock_at=now, last_error=None) if ok else \
                dict(stock_dirty=True, last_error=(outcome.message if outcome else "no answer for this unit")[:500])
            session.execute(update(Listing).where(Listing.id == lid).values(**values)
                            .execution_options(synchronize_session=False))
            result["pushed" if ok else "failed"] += 1
    mark_synced(runtime, business_id, shop_id)
    return result


def _batch_of(runtime, business_id: int, shop_id: int) -> int:
    with runtime.session(business_id) as session:
        code = get_shop(session, shop_id).platform
    entry = registered(runtime).get(code)
    return getattr(entry[1], "stock_batch", 50) if entry else 50


def _redirty(runtime, business_id: int, listing_ids, message: str) -> None:
    with runtime.transaction(business_id) as session:
        values = {"stock_dirty": True}
        if message:
            values["last_error"] = message[:500]
        session.execute(update(Listing).where(Listing.id.in_(listing_ids)).values(**values)
                        .execution_options(synchronize_session=False))


def push_prices(runtime, business_id: int, shop_id: int, *, skus=(), dry_run: bool = False,
                changed_only: bool = False) -> dict:
    """Push each mapped listing's price: the shop's channel price list, else the variant's price
    (``changed_only``: only where it differs from what was last pushed; the schedule's way, since
    the catalog announces no price changes)."""
    from addons.catalog.services import variant_price
    from addons.sales.states import CHANNELS
    with runtime.session(business_id) as session:
        shop = get_shop(session, shop_id)
        channel = shop.price_channel or (shop.platform if shop.platform in CHANNELS else None)
        query = select(Listing).where(Listing.shop_id == shop.id, Listing.variant_id.is_not(None))
        if skus:
            query = query.where(Listing.sku.in_(list(skus)))
        listings = list(session.scalars(query.order_by(Listing.id)))
        updates = [(ln.id, PriceUpdate(ln.item_id, ln.model_id, ln.sku or "",
                                       variant_price(session, ln.variant_id, channel))) for ln in listings]
        if changed_only:
            pushed = {ln.id: ln.pushed_price for ln in listings}
            updates = [(lid, u) for lid, u in updates if pushed[lid] is None or Decimal(pushed[lid]) != u.price]
    batch = max(int(_batch_of(runtime, business_id, shop_id)), 1)
    result = {"shop_id": shop_id, "units": [{"sku": u.sku, "price": str(u.price)} for _l, u in updates],
              "pushed": 0, "failed": 0, "dry_run": dry_run}
    if dry_run or not updates:
        return result
    outcomes = []
    for i in range(0, len(updates), batch):
        chunk = [u for _l, u in updates[i:i + batch]]
        outcomes.extend(call(runtime, business_id, shop_id, lambda p, t, c=chunk: p.push_price(t, c)))
    done = {(o.item_id, o.model_id): o for o in outcomes}
    with runtime.transaction(business_id) as session:
        for lid, u in updates:
            outcome = done.get((u.item_id, u.model_id))
            ok = outcome is not None and outcome.ok
            values = dict(pushed_price=u.price, last_error=None) if ok else \
                dict(last_error=(outcome.message if outcome else "no answer for this unit")[:500])
            session.execute(update(Listing).where(Listing.id == lid).values(**values)
                            .execution_options(synchronize_session=False))
            result["pushed" if ok else "failed"] += 1
    return result
