"""Platform orders become sales orders: once per shop and platform order id, statuses forward only.

``ingest`` is the one path of every order, whether a push named it or the pull
found it: the link row (unique per shop and platform order id) is taken first, so
a replayed push or a concurrent pull finds it and only moves the status. A new
order is created through ``sales.create_order`` (channel = the platform, the
platform order id as external reference, lines by mapped SKU at the price the
buyer paid, net of the seller's discounts and vouchers, the shipping fee, COD) and
confirmed through ``sales.confirm_order``, so sales_stock reserves its stock as for
any order. A confirmation that cannot reserve rolls back to a savepoint: the order
stays New and its link is flagged for a clerk (``needs_attention``), never dropped;
each later update tries again. An unmapped SKU is flagged the same way, before any
order exists.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from addons.sales import states as order_states
from addons.sales.models import Order
from addons.sales.services import (business_of, cancel_order, complete_order, confirm_order, create_order, create_return,
                                   deliver_order, get_order, refund_payment, register_payment)
from core.db import utcnow
from core.errors import UserError
from core.i18n import _
from core.money import quantize

from ..models import OrderLink, Shop
from ..platforms import ENDS, STATUSES, OrderData, PlatformError
from .returns import fetch_returns, ingest_returns, pull_returns
from .shops import aware, call, get_shop, mark_error, mark_synced
from .units import variants_by_unit as _variants_by_unit

RANK = {status: i for i, status in enumerate(STATUSES)}
PULL_CHUNK = 50
RETURNABLE = ("shipped", "completed", "returned")


def can_move(old: str, new: str) -> bool:
    """Forward only along STATUSES; an end (cancelled, returned) from anywhere but an end."""
    if old == new or old in ENDS:
        return False
    if new in ENDS:
        return True
    return RANK[new] > RANK[old]


def _split(total: Decimal, qty: Decimal, currency: str) -> list[tuple[Decimal, Decimal]]:
    """(qty, unit price) pairs whose amounts add up to ``total`` exactly in the currency's decimals."""
    if qty <= 0:
        return []
    unit = quantize(total / qty, currency) if qty else total
    if unit * qty == total:
        return [(qty, unit)]
    step = quantize(Decimal(1), currency).as_tuple().exponent
    floor = (total / qty).quantize(Decimal(1).scaleb(step), rounding=ROUND_FLOOR)
    if qty == qty.to_integral_value() and qty > 1:
        rest = total - floor * (qty - 1)
        return [(qty - 1, floor), (Decimal(1), rest)]
    return [(qty, quantize(total / qty, currency))]


def order_lines(session, shop: Shop, data: OrderData, currency: str) -> tuple[list[dict], list[str], Decimal]:
    """Sales lines for ``data`` (seller discounts and the voucher spread over the lines exactly),
    the SKUs not mapped, and the seller-borne discount total."""
    mapped = _variants_by_unit(session, shop, data.lines)
    unmapped = sorted({ln.sku or f"{ln.item_id}/{ln.model_id}" for ln in data.lines
                       if (ln.item_id, ln.model_id or "") not in mapped})
    gross = [(ln, ln.unit_price * ln.qty - ln.discount) for ln in data.lines]
    subtotal = sum((g for _ln, g in gross), Decimal(0))
    voucher = min(data.voucher, subtotal)
    lines, left = [], voucher
    for i, (ln, amount) in enumerate(gross):
        share = left if i == len(gross) - 1 else quantize(voucher * amount / subtotal, currency) if subtotal else 0
        left -= share
        net = max(amount - share, Decimal(0))
        variant_id = mapped.get((ln.item_id, ln.model_id or ""))
        if variant_id is None:
            continue
        for qty, price in _split(net, ln.qty, currency):
            lines.append({"variant_id": variant_id, "qty": qty, "unit_price": price})
    discount = sum((ln.discount for ln in data.lines), Decimal(0)) + voucher
    return lines, unmapped, discount


def _address(data: OrderData) -> dict:
    a = dict(data.address or {})
    return {"name": a.get("name") or data.buyer.get("name", ""), "phone": a.get("phone") or data.buyer.get("phone", ""),
            "street": a.get("street", ""), "ward": a.get("ward", ""), "district": a.get("district", ""),
            "province": a.get("city") or a.get("region", ""), "postcode": a.get("postcode", ""),
            "country": a.get("country", "")}


def _create(session, shop: Shop, link: OrderLink, data: OrderData) -> None:
    """The sales order of ``link``, confirmed when its stock can be reserved, else flagged."""
    currency = business_of(session).currency
    if data.currency and data.currency != currency:
        link.needs_attention, link.problem = True, _(
            "the shop sells in %(theirs)s but the business keeps %(ours)s; enter this order by hand",
            theirs=data.currency, ours=currency)
        return
    lines, unmapped, discount = order_lines(session, shop, data, currency)
    link.discount, link.voucher = discount, min(data.voucher, discount)
    if unmapped:
        link.needs_attention = True
        link.problem = _("SKU not mapped to a variant: %(skus)s (map it, the order is created on the next update)",
                         skus=", ".join(unmapped))[:500]
        return
    channel = shop.platform if shop.platform in order_states.CHANNELS else "manual"
    order = create_order(session, channel=channel, external_ref=data.external_id, lines=lines,
                         shipping_fee=quantize(data.shipping_fee, currency), prices_include_tax=True,
                         order_date=aware(data.created_at).date(),
                         note=(f"{shop.name}: {data.note}" if data.note else shop.name)[:1000])
    order.shipping_address = _address(data)
    if data.cod:
        order.cod_amount = order.total
    link.order_id = order.id
    session.flush()
    _confirm(session, link, order)


def _confirm(session, link: OrderLink, order: Order) -> bool:
    if order.state != order_states.NEW:
        return True
    try:
        with session.begin_nested():
            confirm_order(session, order.id)
    except UserError as exc:
        session.expire(order)
        link.needs_attention = True
        link.problem = _("stock could not be reserved: %(error)s", error=str(exc))[:500]
        return False
    link.needs_attention, link.problem = False, None     # once an order exists, stock was the only problem
    return True


def _pay(session, link: OrderLink, order: Order, data: OrderData) -> None:
    """The platform's payment state: a paid prepaid order is paid (the platform holds the money)."""
    link.paid = data.paid
    if data.paid and order.balance > 0 and order.state != order_states.CANCELLED:
        register_payment(session, order.id, order.balance, "cod" if data.cod else "ewallet",
                         reference=f"{link.shop.platform}:{link.external_id}"[:64])


def _apply_status(session, link: OrderLink, order: Order | None, new: str) -> None:
    link.status = new
    if order is None:
        return
    if new == "cancelled":
        link.needs_attention, link.problem = False, None      # nothing left to reserve
        if order.state in (order_states.NEW, order_states.PROCESSING) and \
                not any(line.qty_delivered > 0 for line in order.lines):
            if order.net_paid > 0:
                refund_payment(session, order.id, order.net_paid, "ewallet",
                               reference=f"{link.shop.platform}:{link.external_id}"[:64])
            cancel_order(session, order.id, reason=f"Cancelled on {link.shop.platform}")
        return
    if order.state == order_states.NEW and not _confirm(session, link, order):
        return
    if new in ("shipped", "completed") and order.state == order_states.PROCESSING:
        left = {line.id: line.qty - line.qty_delivered for line in order.lines if line.qty_delivered < line.qty}
        if left:
            deliver_order(session, order.id, left)
        link.shipped_pushed = True          # the platform shipped it: nothing to tell it back
    if new == "completed" and order.state == order_states.PROCESSING and \
            (order.balance <= 0 or order.term_days > 0):
        complete_order(session, order.id)
    if new == "returned" and order.state in (order_states.PROCESSING, order_states.COMPLETED):
        lines = [{"order_line_id": line.id, "qty": line.qty_delivered - line.qty_returned}
                 for line in order.lines if line.qty_delivered - line.qty_returned > 0]
        if lines:
            create_return(session, order.id, lines, reason=f"Returned on {link.shop.platform}", receive=True)


def ingest(session, shop: Shop, data: OrderData) -> OrderLink:
    """Record one platform order as the platform holds it now (idempotent, forward only)."""
    link = session.scalar(select(OrderLink).where(OrderLink.shop_id == shop.id,
                                                  OrderLink.external_id == data.external_id))
    fresh = link is None
    if fresh:
        link = OrderLink(shop_id=shop.id, external_id=data.external_id, status=data.status,
                         platform_status=data.platform_status, platform_updated_at=aware(data.updated_at),
                         cod=data.cod, payment_method=data.payment_method[:64] or None)
        try:
            with session.begin_nested():
                session.add(link)
                session.flush()
        except IntegrityError:   # a concurrent push or pull stored it first
            link = session.scalar(select(OrderLink).where(OrderLink.shop_id == shop.id,
                                                          OrderLink.external_id == data.external_id))
            fresh = False
    if data.tracking_number:
        link.tracking_number = data.tracking_number[:64]
    newer = link.platform_updated_at is None or aware(data.updated_at) >= aware(link.platform_updated_at)
    created_now = False
    if link.order_id is None and data.status not in ENDS and link.status not in ENDS:
        _create(session, shop, link, data)
        created_now = link.order_id is not None
    order = get_order(session, link.order_id) if link.order_id else None
    if created_now:
        # a new order (or one whose SKUs were mapped since): its payment and status as they are now
        link.platform_status, link.platform_updated_at = data.platform_status[:32], aware(data.updated_at)
        if data.paid:
            _pay(session, link, order, data)
        _apply_status(session, link, order, data.status)
    elif fresh or (newer and can_move(link.status, data.status)):
        link.platform_status, link.platform_updated_at = data.platform_status[:32], aware(data.updated_at)
        if data.paid and order is not None and not link.paid and data.status != "cancelled":
            _pay(session, link, order, data)
        _apply_status(session, link, order, data.status)
    elif order is not None and order.state == order_states.NEW and link.status not in ENDS:
        _confirm(session, link, order)      # stock may have come in since: try again
    session.flush()
    return link


# ---------------------------------------------------------------- pulling and pushed ids

def ingest_all(runtime, business_id: int, shop_id: int, orders) -> dict:
    """Each order in its own transaction: one that fails is counted, the others go on."""
    created = failed = 0
    problems = []
    for data in orders:
        try:
            with runtime.transaction(business_id) as session:
                shop = get_shop(session, shop_id)
                link = ingest(session, shop, data)
                created += bool(link.order_id)
        except UserError as exc:
            failed += 1
            problems.append(f"{data.external_id}: {exc}")
    return {"orders": len(orders), "linked": created, "failed": failed, "problems": problems[:20]}


def fetch_and_ingest(runtime, business_id: int, shop_id: int, order_ids) -> dict:
    ids = sorted({str(i) for i in order_ids if i})
    orders = []
    for start in range(0, len(ids), PULL_CHUNK):
        chunk = ids[start:start + PULL_CHUNK]
        orders.extend(call(runtime, business_id, shop_id, lambda p, t: p.get_orders(t, chunk)))
    result = ingest_all(runtime, business_id, shop_id, orders)
    # returns exist only after delivery: ask for those of orders that reached it
    result.update(ingest_returns(runtime, business_id, shop_id, fetch_returns(
        runtime, business_id, shop_id, [o.external_id for o in orders if o.status in RETURNABLE])))
    mark_synced(runtime, business_id, shop_id)
    return result


def pull(runtime, business_id: int, shop_id: int, since: datetime | None = None, overlap_minutes: int = 10,
         first_days: int = 3) -> dict:
    """Every order updated since ``since`` (default: the last pull less an overlap), ingested."""
    with runtime.session(business_id) as session:
        shop = get_shop(session, shop_id)
        if shop.status not in ("connected", "error"):
            raise UserError(_("shop %(name)s is %(status)s; connect it again", name=shop.name, status=shop.status))
        last = aware(shop.orders_pulled_until)
    until = utcnow()
    since = aware(since) or (last - timedelta(minutes=overlap_minutes) if last else until - timedelta(days=first_days))
    try:
        orders = list(call(runtime, business_id, shop_id, lambda p, t: list(p.updated_orders(t, since, until))))
    except PlatformError as exc:
        mark_error(runtime, business_id, shop_id, str(exc))
        raise
    result = ingest_all(runtime, business_id, shop_id, orders)
    try:
        returns = pull_returns(runtime, business_id, shop_id, since, until)
    except PlatformError as exc:      # recorded on the shop; the window is pulled again next time
        result.update(since=since.isoformat(), until=until.isoformat(), returns_error=str(exc))
        return result
    result.update(ingest_returns(runtime, business_id, shop_id, returns))
    mark_synced(runtime, business_id, shop_id, orders_pulled_until=until)
    result.update(since=since.isoformat(), until=until.isoformat())
    return result


def attention(session, limit: int = 100) -> list[OrderLink]:
    return list(session.scalars(select(OrderLink).where(OrderLink.needs_attention.is_(True))
                                .order_by(OrderLink.id).limit(limit)))
