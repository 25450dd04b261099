"""Sales' tiles on the home page (core.dashboard): today's and this month's sales, orders to
confirm and to ship, open and overdue receivables, and sales per day over 30 days.

Every figure is one aggregate over the (business_id, state | payment_status,
created_at) indexes, and every tile links to the order list filtered by the same
conditions (``OrderView.column_filters``), so the list shows exactly the orders
counted. Days are the business's own (its time zone); amounts are summed per
currency, since adding dong to dollars means nothing.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask_admin.contrib.sqla.filters import (DateSmallerFilter, DateTimeBetweenFilter, FilterEqual, FilterInList,
                                              FilterNotEqual)
from sqlalchemy import case, func, select

from core.dashboard import ChartPoint, Tile
from core.i18n import _
from core.money import sum_of

from . import states
from .models import Order

ORDERS = "sales_order"
READ = "sales.order.read"
OPEN_PAYMENT = (states.UNPAID, states.PARTLY_PAID)
TO_SHIP = (states.UNFULFILLED, states.PARTLY)
CHART_DAYS = 30
# What the customer still owes on an order (Order.balance, in SQL): a sum of differences, never a product.
BALANCE = Order.total - Order.early_discount - Order.amount_credited - Order.amount_paid + Order.amount_refunded


def _between(start, end) -> str:
    return f"{start:%Y-%m-%d %H:%M:%S} to {end:%Y-%m-%d %H:%M:%S}"


def _per_currency(ctx, value, *where) -> tuple[str, int]:
    """``value`` summed per currency over the orders matching ``where``, formatted, and their count."""
    rows = ctx.session.execute(select(Order.currency, sum_of(value), func.count(Order.id))
                               .where(*where).group_by(Order.currency).order_by(Order.currency)).all()
    home = ctx.business.currency
    rows.sort(key=lambda r: (r[0] != home, r[0]))           # the business's own currency first
    count = sum(r[2] for r in rows)
    text = " + ".join(ctx.amount(r[1] or Decimal(0), r[0]) for r in rows) or ctx.amount(Decimal(0), home)
    return text, count


def _sales_tile(ctx, key, label, first, last) -> Tile:
    start, end = ctx.day_range(first, last)
    where = (Order.created_at.between(start, end), Order.state != states.CANCELLED)
    value, count = _per_currency(ctx, Order.total, *where)
    url = ctx.list_url(ORDERS, (Order.created_at, DateTimeBetweenFilter, _between(start, end)),
                       (Order.state, FilterNotEqual, states.CANCELLED))
    return Tile(label=label, value=value, url=url, permission=READ, key=key,
                hint=_("%(count)s orders", count=ctx.count(count)))


def _count_tile(ctx, key, label, filters, where, tone) -> Tile:
    count = ctx.session.scalar(select(func.count(Order.id)).where(*where)) or 0
    return Tile(label=label, value=ctx.count(count), url=ctx.list_url(ORDERS, *filters), permission=READ,
                key=key, tone=tone if count else None)


def _receivables_tiles(ctx) -> list[Tile]:
    open_filters = ((Order.state, FilterNotEqual, states.CANCELLED),
                    (Order.payment_status, FilterInList, ",".join(OPEN_PAYMENT)))
    open_where = (Order.state != states.CANCELLED, Order.payment_status.in_(OPEN_PAYMENT))
    value, count = _per_currency(ctx, BALANCE, *open_where)
    today = ctx.today
    overdue_value, overdue = _per_currency(ctx, BALANCE, *open_where, Order.due_date < today)
    return [
        Tile(label=_("Open receivables"), value=value, key="sales_receivables", permission=READ,
             url=ctx.list_url(ORDERS, *open_filters), hint=_("%(count)s orders", count=ctx.count(count))),
        Tile(label=_("Overdue receivables"), value=overdue_value, key="sales_overdue", permission=READ,
             url=ctx.list_url(ORDERS, *open_filters, (Order.due_date, DateSmallerFilter, f"{today:%Y-%m-%d}")),
             hint=_("%(count)s orders past their due date", count=ctx.count(overdue)),
             tone="danger" if overdue else None),
    ]


def _chart_tile(ctx) -> Tile:
    """Sales per local day over the last 30 days, in the business's currency: one grouped query,
    each order put in its day by comparing ``created_at`` with the 30 day bounds (DST-correct)."""
    today = ctx.today
    days = [today - timedelta(days=CHART_DAYS - 1 - i) for i in range(CHART_DAYS)]
    bounds = [ctx.day_start(d) for d in days[1:]]
    start, end = ctx.day_range(days[0], today)
    bucket = case(*[(Order.created_at < b, i) for i, b in enumerate(bounds)], else_=len(bounds))
    currency = ctx.business.currency
    rows = dict(ctx.session.execute(
        select(bucket, sum_of(Order.total)).where(Order.created_at.between(start, end),
                                                  Order.state != states.CANCELLED, Order.currency == currency)
        .group_by(bucket)).all())
    points = tuple(ChartPoint(label=ctx.date_(d), value=rows.get(i) or Decimal(0),
                              text=ctx.amount(rows.get(i) or Decimal(0), currency)) for i, d in enumerate(days))
    total = sum((p.value for p in points), Decimal(0))
    url = ctx.list_url(ORDERS, (Order.created_at, DateTimeBetweenFilter, _between(start, end)),
                       (Order.state, FilterNotEqual, states.CANCELLED), (Order.currency, FilterEqual, currency))
    return Tile(label=_("Sales per day, last %(days)s days (%(currency)s)", days=CHART_DAYS, currency=currency),
                value=ctx.amount(total, currency), url=url, permission=READ, key="sales_chart", chart=points)


def tiles(ctx) -> list[Tile]:
    today = ctx.today
    return [
        _sales_tile(ctx, "sales_today", _("Sales today"), today, today),
        _sales_tile(ctx, "sales_month", _("Sales this month"), today.replace(day=1), today),
        _count_tile(ctx, "sales_to_confirm", _("Orders to confirm"), [(Order.state, FilterEqual, states.NEW)],
                    [Order.state == states.NEW], "info"),
        _count_tile(ctx, "sales_to_ship", _("Orders to ship"),
                    [(Order.state, FilterEqual, states.PROCESSING),
                     (Order.fulfilment_status, FilterInList, ",".join(TO_SHIP))],
                    [Order.state == states.PROCESSING, Order.fulfilment_status.in_(TO_SHIP)], "warning"),
        *_receivables_tiles(ctx),
        _chart_tile(ctx),
    ]
