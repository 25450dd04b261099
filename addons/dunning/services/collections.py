"""Customers in collections (after a policy's final notice), and the export an agency reads."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from core.money import quantize

from addons.partners.models import Partner

from ..models import Account, Receivable

COLUMNS = ("customer_code", "customer", "tax_id", "email", "phone", "address", "since", "invoice", "issue_date",
           "due_date", "currency", "open_amount")


def collections_rows(session) -> list[dict]:
    rows = session.execute(
        select(Account.collections_since, Partner, Receivable)
        .join(Partner, Partner.id == Account.partner_id)
        .join(Receivable, (Receivable.partner_id == Account.partner_id) & (Receivable.state == "open"))
        .where(Account.collections_since.is_not(None))
        .order_by(Partner.name, Partner.id, Receivable.due_date, Receivable.id)).all()
    out = []
    for since, partner, rec in rows:
        address = ", ".join(p for p in (partner.street, partner.city, partner.region, partner.postal_code,
                                        partner.country) if p)
        out.append({"customer_code": partner.code, "customer": partner.name, "tax_id": partner.tax_id,
                    "email": partner.email, "phone": partner.phone, "address": address,
                    "since": since.isoformat(), "invoice": rec.number, "issue_date": rec.issue_date.isoformat(),
                    "due_date": rec.due_date.isoformat(), "currency": rec.currency,
                    "open_amount": str(quantize(rec.open_amount, rec.currency))})
    return out


def as_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in COLUMNS})
    return out.getvalue()
