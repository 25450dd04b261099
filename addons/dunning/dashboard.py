"""Dunning's tile on the home page: what is overdue, split into the aging buckets, linking to the report.

One GROUP BY over the open receivables on their (business_id, state, due_date)
index (``services.aging``), never rows loaded into Python.
"""
from __future__ import annotations

from flask import url_for

from core.dashboard import ChartPoint, Tile
from core.i18n import _

from .services import aging as aging_service


def tiles(ctx) -> list[Tile]:
    report = aging_service.aging(ctx.session, ctx.today, per_customer=False)
    overdue = report.total - report.totals["not_due"]
    chart = tuple(ChartPoint(label=str(aging_service.BUCKET_LABELS[b]), value=report.totals[b],
                             text=ctx.amount(report.totals[b], report.currency)) for b in aging_service.BUCKETS)
    return [Tile(label=_("Overdue invoices (aging)"), value=ctx.amount(overdue, report.currency),
                 url=url_for("dunning_aging.index"), permission="dunning.receivable.read", key="dunning_aging",
                 hint=_("of %(total)s open", total=ctx.amount(report.total, report.currency)),
                 tone="danger" if report.totals["over_90"] else ("warning" if overdue else None), chart=chart)]
