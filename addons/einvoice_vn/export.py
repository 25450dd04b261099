"""``manage.py einvoice export --format vn``: one XML per issued Vietnamese invoice (signed when it was signed).

Registered with einvoice as ``[[providers]] kind = "einvoice_export", code = "vn"``.
Files are named ``<template><symbol>-<number>.xml`` (``1C26TAA-00000012.xml``).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import undefer

from core.errors import NotFound

from .models import VnInvoice


def export_vn(session, folder: Path, *, number: str | None = None, since=None) -> list[dict]:
    from addons.einvoice.models import Document
    stmt = (select(VnInvoice, Document.display_number).join(Document, Document.id == VnInvoice.document_id)
            .options(undefer(VnInvoice.xml)).order_by(VnInvoice.id))
    if number:
        stmt = stmt.where(Document.display_number == number)
    if since:
        stmt = stmt.where(VnInvoice.issue_date >= since)
    rows = session.execute(stmt).all()
    if number and not rows:
        raise NotFound(f"no Vietnamese invoice of a document numbered {number!r} in this business")
    written = []
    for row, display in rows:
        path = Path(folder) / f"{row.template}{row.symbol}-{row.number:08d}.xml"
        path.write_bytes(row.xml)
        written.append({"number": display, "invoice": f"{row.template}{row.symbol} {row.number:08d}",
                        "signed": row.signer is not None, "file": str(path), "bytes": len(row.xml)})
    return written
