"""``manage.py einvoice export --format kr``: each issued e-tax invoice as NTS standard XML (KEC TaxInvoice).

Registered with einvoice as ``[[providers]] kind = "einvoice_export", code = "kr"``.
A file is written only when ``kec.check`` finds nothing wrong; otherwise the
command stops naming the invoice and the rule.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.errors import NotFound, UserError
from core.i18n import _

from . import kec
from .models import TaxInvoice


def export_kr(session, folder: Path, *, number: str | None = None, since=None) -> list[dict]:
    stmt = select(TaxInvoice).where(TaxInvoice.state.in_(("issued", "transmitted"))).order_by(TaxInvoice.id)
    if number:
        stmt = stmt.where((TaxInvoice.number == number) | (TaxInvoice.nts_confirm_num == number))
    if since:
        stmt = stmt.where(TaxInvoice.write_date >= since)
    rows = list(session.scalars(stmt))
    if number and not rows:
        raise NotFound(_("no issued tax invoice numbered %(number)s in this business", number=repr(number)))
    written = []
    for row in rows:
        data = kec.build(row)
        problems = kec.check(data)
        if problems:
            raise UserError(_("%(number)s: %(problems)s", number=row.number,
                              problems="; ".join(f"{rule} {text}" for rule, text in problems)))
        path = Path(folder) / f"{row.number}.xml"
        path.write_bytes(data)
        written.append({"number": row.number, "nts_confirm_num": row.nts_confirm_num, "state": row.state,
                        "file": str(path), "bytes": len(data)})
    return written
