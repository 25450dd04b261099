"""Marketplace jobs (actors "marketplace.<name>" through the outbox); thin callers of the services.

Each is safe to run twice. A platform that asks to wait (rate limit) gets the job
queued again after the wait it named, not failed.
"""
from __future__ import annotations

from core.errors import UserError
from core.jobs import SkipJob, enqueue

from .platforms import RateLimited
from .services import orders, push, shipping, shops, stock


def _again(ctx, actor: str, exc: RateLimited, **kwargs):
    with ctx.transaction() as session:
        enqueue(session, actor, delay_seconds=max(float(exc.retry_after), 1.0), **kwargs)
    raise SkipJob(f"{actor}: rate limited, queued again in {exc.retry_after:g} s")


def process_push(ctx, event_id: int):
    """A stored push: read the orders it names and ingest them."""
    try:
        push.process(ctx.runtime, ctx.business_id, event_id)
    except RateLimited as exc:
        _again(ctx, "marketplace.process_push", exc, event_id=event_id)


def push_stock(ctx, shop_id: int):
    """The debounced push of the shop's dirty listings."""
    try:
        stock.push_stock(ctx.runtime, ctx.business_id, shop_id)
    except RateLimited as exc:
        _again(ctx, "marketplace.push_stock", exc, shop_id=shop_id)


def ship_at_platform(ctx, link_id: int):
    try:
        shipping.ship(ctx.runtime, ctx.business_id, link_id)
    except RateLimited as exc:
        _again(ctx, "marketplace.ship_at_platform", exc, link_id=link_id)


def _connected(ctx) -> list[int]:
    with ctx.session() as session:
        return [s.id for s in shops.list_shops(session) if s.status in ("connected", "error")]


def pull_orders(ctx):
    """Scheduled: every connected shop's recently updated orders (pushes may be missed)."""
    failed = []
    for shop_id in _connected(ctx):
        try:
            orders.pull(ctx.runtime, ctx.business_id, shop_id)
        except UserError as exc:      # PlatformError included: the next run asks again
            failed.append(f"shop #{shop_id}: {exc}")
    if failed:
        raise SkipJob("; ".join(failed))


def push_all_stock(ctx):
    """Scheduled safety net: every mapped listing of every connected shop."""
    for shop_id in _connected(ctx):
        try:
            stock.push_stock(ctx.runtime, ctx.business_id, shop_id, everything=True)
        except UserError:
            continue


def push_changed_prices(ctx):
    """Scheduled: the prices that differ from what each shop was last told."""
    for shop_id in _connected(ctx):
        try:
            stock.push_prices(ctx.runtime, ctx.business_id, shop_id, changed_only=True)
        except RateLimited as exc:
            raise SkipJob(f"shop #{shop_id}: rate limited ({exc}); the next run pushes them")
        except UserError:
            continue


def refresh_tokens(ctx):
    """Scheduled: refresh access tokens before they expire (and keep refresh tokens alive)."""
    shops.refresh_due(ctx.runtime, ctx.business_id)
