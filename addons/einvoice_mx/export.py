"""``manage.py einvoice export --format cfdi``: each issued Mexican document's CFDI XML.

Registered with einvoice as ``[[providers]] kind = "einvoice_export", code =
"cfdi"``; einvoice's export command calls it when the addon is enabled. The
file is the stamped XML once stamped, else the signed one, named by the UUID
when there is one.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import undefer

from core.errors import NotFound
from core.i18n import _

from .models import Cfdi


def export_cfdi(session, folder: Path, *, number: str | None = None, since=None) -> list[dict]:
    from addons.einvoice.models import Document
    stmt = (select(Cfdi, Document.display_number).join(Document, Document.id == Cfdi.document_id)
            .options(undefer(Cfdi.signed_xml), undefer(Cfdi.stamped_xml)).order_by(Cfdi.id))
    if number:
        stmt = stmt.where(Document.display_number == number)
    if since:
        stmt = stmt.where(Document.issue_date >= since)
    rows = session.execute(stmt).all()
    if number and not rows:
        raise NotFound(_("no CFDI of a document numbered %(number)s in this business", number=repr(number)))
    written = []
    for cfdi, display in rows:
        data = cfdi.xml
        stem = cfdi.uuid or display.replace("/", "_")
        path = Path(folder) / f"{stem}.xml"
        path.write_bytes(data)
        written.append({"number": display, "uuid": cfdi.uuid, "state": cfdi.state, "file": str(path),
                        "bytes": len(data)})
    return written
