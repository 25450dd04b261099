"""Demo dunning data: a disputed invoice, a customer who promised to pay, a small bank statement.

Runs after the einvoice demo, whose issued documents already became
receivables through the events (its hand-made showcase invoices are unpaid, on
Net 30 terms). Small on purpose: the admin crawl opens every page of every
demo business.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.money import quantize

from .models import Receivable
from .services import context, policies, receivables, statements


def load(session, business_id, rng) -> dict:
    today = context.today(session)
    open_recs = list(session.scalars(select(Receivable).where(Receivable.state == "open",
                                                              Receivable.partner_id.is_not(None))
                                     .order_by(Receivable.id).limit(3)))
    out = {"open": len(open_recs), "disputed": 0, "paused": 0, "statement_lines": 0}
    if not open_recs:
        return out
    receivables.set_dispute(session, open_recs[0].number, True, "Customer says one item arrived damaged")
    out["disputed"] = 1
    if len(open_recs) > 1:
        policies.pause(session, str(open_recs[1].partner_id), today + timedelta(days=10),
                       note="Promised to pay after their month-end close")
        out["paused"] = 1
    target = open_recs[-1]
    if target.open_amount > 1:
        half = quantize(target.open_amount / 2, target.currency)
        csv = ("date,amount,currency,reference,counterparty\n"
               f"{today.isoformat()},{half},{target.currency},Payment {target.number},{target.customer_name}\n"
               f"{today.isoformat()},123456,{target.currency},Unknown transfer,Someone Else\n")
        result = statements.import_statement(session, csv.encode(), filename="demo-statement.csv", fmt="csv")
        out["statement_lines"] = result["lines"]
    return out
