"""AR aging: what customers owe, by how long it is overdue, as of any day, in the business's currency.

Buckets: not yet due, 1-30, 31-60, 61-90 and over 90 days past the due date.
As of today (or later) it sums the cached open amounts of open receivables on
the (business, state, due date) index. As of a past day it replays the ledger:
the totals of invoices issued by then less their allocations dated by then
(cancelled invoices are left out). Both are GROUP BY queries; Python only
converts other currencies at each invoice's rate and pivots the buckets.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, literal_column, select

from core.i18n import _l
from core.money import quantize, sum_of

from addons.partners.models import Partner

from ..models import Allocation, Receivable
from . import context

ZERO = Decimal(0)
BUCKETS = ("not_due", "d1_30", "d31_60", "d61_90", "over_90")
BUCKET_LABELS = {"not_due": _l("Not yet due"), "d1_30": _l("1-30 days"), "d31_60": _l("31-60 days"),
                 "d61_90": _l("61-90 days"), "over_90": _l("Over 90 days")}
# Days past due that open each bucket (its first day), used for the links to the invoices.
BUCKET_DAYS = {"not_due": (None, 0), "d1_30": (1, 30), "d31_60": (31, 60), "d61_90": (61, 90), "over_90": (91, None)}


class AgingRow:
    """One customer's line: the five buckets and their total (kept as the buckets are added)."""
    __slots__ = ("partner_id", "customer", "buckets", "total")

    def __init__(self, partner_id: int | None, customer: str):
        self.partner_id, self.customer = partner_id, customer
        self.buckets = dict.fromkeys(BUCKETS, ZERO)
        self.total = ZERO


@dataclass
class Aging:
    as_of: date
    currency: str
    rows: list
    totals: dict

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), Decimal(0))


def due_range(as_of: date, bucket: str) -> tuple[date | None, date | None]:
    """(earliest, latest) due date of the invoices in ``bucket`` as of ``as_of`` (None: open-ended)."""
    first, last = BUCKET_DAYS[bucket]
    latest = as_of - timedelta(days=first) if first is not None else None
    earliest = as_of - timedelta(days=last) if last is not None else None
    if bucket == "not_due":
        return as_of, None
    return earliest, latest


def _bucket_conditions(as_of: date):
    due = Receivable.due_date
    edges = [as_of - timedelta(days=d) for d in (30, 60, 90)]
    return [due >= as_of, (due < as_of) & (due >= edges[0]), (due < edges[0]) & (due >= edges[1]),
            (due < edges[1]) & (due >= edges[2]), due < edges[2]]


def _pivot(column, as_of: date) -> list:
    """One SUM per bucket of ``column`` (an Amount column): the pivot is done by the database."""
    return [sum_of(case((cond, column), else_=literal_column("0"))) for cond in _bucket_conditions(as_of)]


def aging(session, as_of: date | None = None, *, per_customer: bool = True) -> Aging:
    """The report; ``per_customer=False`` only totals the buckets (the home page's tile).

    One row per (customer, currency, exchange rate) comes back with its five bucket sums (as of a past day:
    the invoices' totals, and their allocations by then, pivoted the same way)."""
    with context.no_gc():
        return _aging(session, as_of, per_customer)


def _aging(session, as_of: date | None, per_customer: bool) -> Aging:
    business = context.business_of(session)
    today = context.today(session)
    as_of = as_of or today
    keys = ((Receivable.partner_id, Partner.name) if per_customer else ()) + (Receivable.currency,
                                                                            Receivable.exchange_rate)

    def grouped(query):
        if per_customer:
            query = query.outerjoin(Partner, Partner.id == Receivable.partner_id)
        return [tuple(r) for r in session.execute(query.group_by(*keys)).all()]

    width = len(keys)
    if as_of >= today:
        owed = grouped(select(*keys, *_pivot(Receivable.open_amount, as_of)).where(Receivable.state == "open"))
    else:
        live = (Receivable.state != "cancelled", Receivable.issue_date <= as_of)
        owed = grouped(select(*keys, *_pivot(Receivable.total, as_of)).where(*live))
        settled = grouped(select(*keys, *_pivot(Allocation.amount, as_of))
                          .join(Allocation, Allocation.receivable_id == Receivable.id)
                          .where(*live, Allocation.entry_date <= as_of))
        minus = {r[:width]: r[width:] for r in settled}
        zero = (Decimal(0),) * len(BUCKETS)
        owed = [r[:width] + tuple(a - b for a, b in zip(r[width:], minus.get(r[:width], zero))) for r in owed]
    base = business.currency
    rows: dict = {}
    totals = {b: Decimal(0) for b in BUCKETS}
    for r in owed:
        currency, rate = r[width - 2], r[width - 1]
        amounts = r[width:]
        if not any(amounts):
            continue
        partner_id, name = (r[0], r[1] or "") if per_customer else (None, "")
        row = rows.get(partner_id)
        if row is None:
            row = rows[partner_id] = AgingRow(partner_id, name if partner_id is not None else "")
        buckets = row.buckets
        for key, value in zip(BUCKETS, amounts):
            if value:
                if currency != base:
                    value = quantize(value * (rate or 1), base)
                buckets[key] += value
                totals[key] += value
                row.total += value
    if not per_customer:
        return Aging(as_of=as_of, currency=base, rows=[], totals=totals)
    ordered = sorted((r for r in rows.values() if r.total), key=lambda r: (-r.total, r.customer))
    return Aging(as_of=as_of, currency=base, rows=ordered, totals=totals)


def as_json(report: Aging) -> dict:
    def q(value):
        return str(quantize(value, report.currency))
    return {"as_of": report.as_of.isoformat(), "currency": report.currency,
            "customers": [{"customer": r.customer or None, "partner_id": r.partner_id,
                           **{b: q(r.buckets[b]) for b in BUCKETS}, "total": q(r.total)} for r in report.rows],
            "totals": {**{b: q(report.totals[b]) for b in BUCKETS}, "total": q(report.total)}}


def as_csv(report: Aging) -> str:
    """Plain decimals and codes, one customer a line, the totals last (what a spreadsheet reads)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["customer", "partner_id", *BUCKETS, "total", "currency", "as_of"])
    def q(value):
        return quantize(value, report.currency)
    for r in report.rows:
        writer.writerow([r.customer, r.partner_id or "", *[q(r.buckets[b]) for b in BUCKETS], q(r.total),
                         report.currency, report.as_of.isoformat()])
    writer.writerow(["TOTAL", "", *[q(report.totals[b]) for b in BUCKETS], q(report.total), report.currency,
                     report.as_of.isoformat()])
    return out.getvalue()


def open_total(session) -> tuple[Decimal, int]:
    """(sum of open amounts in the business's currency at rate 1 rows, count): the dashboard tile."""
    row = session.execute(select(sum_of(Receivable.open_amount), func.count(Receivable.id))
                          .where(Receivable.state == "open")).one()
    return row[0] or Decimal(0), row[1]
