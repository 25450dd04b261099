"""Platform returns open Tessera's return flow, each unit once.

A platform with a return API of its own (``Platform.returns`` / ``updated_returns``: TikTok
Shop's Return and Refund API, Lazada's reverse orders, Shopee's returns) reports returns apart
from its orders; a platform without one says ``returned`` in the order status and ``orders``
returns what is left. A return is stored once per shop and return id (``ReturnLink``) with what of it
is already opened, so a return seen twice — pushed and pulled, or again at a later status —
opens only the units not opened before, through ``sales.create_return`` (received: the goods
are back in stock). The units are matched to the order's lines by variant, within what was
delivered and not yet returned; an order returned in full moves its link to ``returned``.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from addons.sales import states as order_states
from addons.sales.services import create_return, get_order
from core.errors import UserError
from core.i18n import _

from ..models import OrderLink, ReturnLink, Shop
from ..platforms import ENDS, ReturnData
from .shops import call, get_shop
from .units import variants_by_unit

CHUNK = 50


def _unit(line) -> tuple[str, str]:
    return line.item_id or "", line.model_id or ""


def _return_link(session, shop: Shop, link: OrderLink, data: ReturnData) -> ReturnLink:
    def find():
        return session.scalar(select(ReturnLink).where(ReturnLink.shop_id == shop.id,
                                                       ReturnLink.external_id == data.return_id[:64])
                              .with_for_update())
    ret = find()
    if ret is None:
        ret = ReturnLink(shop_id=shop.id, link_id=link.id, external_id=data.return_id[:64], opened={})
        try:
            with session.begin_nested():
                session.add(ret)
                session.flush()
        except IntegrityError:     # a concurrent push or pull stored it first
            ret = find()
    return ret


def ingest_return(session, shop: Shop, data: ReturnData) -> int:
    """Open in Tessera the units of ``data`` received back and not opened before; the units opened."""
    link = session.scalar(select(OrderLink).where(OrderLink.shop_id == shop.id,
                                                  OrderLink.external_id == data.order_id))
    if link is None or link.order_id is None:
        return 0        # not (yet) our order: the order's own ingest comes first, the pull sees the return again
    ret = _return_link(session, shop, link, data)
    ret.platform_status = data.platform_status[:64]
    received: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    units = {}
    for line in data.lines:
        received[_unit(line)] += Decimal(line.qty)
        units[_unit(line)] = line
    opened = {tuple(k.split("/", 1)): Decimal(v) for k, v in (ret.opened or {}).items()}
    todo = {u: q - opened.get(u, 0) for u, q in received.items() if q > opened.get(u, 0)}
    order = get_order(session, link.order_id)
    if not todo or order.state not in (order_states.PROCESSING, order_states.COMPLETED):
        return 0        # nothing new, or nothing delivered yet: a later update opens it
    variants = variants_by_unit(session, shop, [units[u] for u in todo])
    unmapped = sorted(units[u].sku or "/".join(u) for u in todo if u not in variants)
    if unmapped:
        link.needs_attention = True
        link.problem = _("return %(ret)s: SKU not mapped to a variant: %(skus)s", ret=data.return_id,
                         skus=", ".join(unmapped))[:500]
    left = {line.id: line.qty_delivered - line.qty_returned for line in order.lines}
    lines, done = [], defaultdict(Decimal)
    for unit, qty in todo.items():
        for line in order.lines:
            if qty <= 0:
                break
            if line.variant_id != variants.get(unit) or left[line.id] <= 0:
                continue
            take = min(qty, left[line.id])
            left[line.id] -= take
            qty -= take
            done[unit] += take
            lines.append({"order_line_id": line.id, "qty": take})
    if not lines:
        return 0
    try:
        with session.begin_nested():
            create_return(session, order.id, lines, reason=f"Returned on {shop.platform} ({data.return_id})"[:255],
                          receive=True)
    except UserError as exc:
        session.expire(order)
        link.needs_attention = True
        link.problem = _("return %(ret)s could not be opened: %(error)s", ret=data.return_id, error=str(exc))[:500]
        return 0
    for unit, qty in done.items():
        opened[unit] = opened.get(unit, Decimal(0)) + qty
    ret.opened = {"/".join(u): str(q) for u, q in opened.items()}
    if link.status not in ENDS and all(line.qty_delivered >= line.qty and left[line.id] <= 0 for line in order.lines):
        link.status = "returned"
    session.flush()
    return int(sum(done.values()))


def fetch_returns(runtime, business_id: int, shop_id: int, order_ids) -> list[ReturnData]:
    """The returns of these orders, when the platform has a return API (else none)."""
    ids = sorted({str(i) for i in order_ids if i})
    found: list[ReturnData] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        got = call(runtime, business_id, shop_id, lambda p, t: p.returns(t, chunk))
        if got is None:
            return []
        found.extend(got)
    return found


def pull_returns(runtime, business_id: int, shop_id: int, since, until) -> list[ReturnData]:
    def fn(platform, tokens):
        got = platform.updated_returns(tokens, since, until)
        return [] if got is None else list(got)
    return call(runtime, business_id, shop_id, fn)


def ingest_returns(runtime, business_id: int, shop_id: int, returns) -> dict:
    """Each return in its own transaction: one that fails is counted, the others go on."""
    opened = failed = 0
    problems = []
    for data in returns:
        try:
            with runtime.transaction(business_id) as session:
                opened += ingest_return(session, get_shop(session, shop_id), data)
        except UserError as exc:
            failed += 1
            problems.append(f"return {data.return_id}: {exc}")
    return {"returns": len(returns), "units_returned": opened, "returns_failed": failed,
            "return_problems": problems[:20]}
