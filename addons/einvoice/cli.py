"""``manage.py einvoice list|show|issue|send|pdf|gaps|export|series|series-add`` — thin callers of the services.

Documents are named by their display number (INV-2026-000012) or "#<id>" for a draft.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from sqlalchemy import select

from core.cli import CliError, business_command
from core.money import quantize

from . import totals
from .models import DOC_TYPES, STATES, Document, Series
from .services import documents, numbering, orders, sending
from .services.issue import issue_document
from .services.submission import history


@click.group("einvoice")
def group():
    """Fiscal documents: list, issue, send, pdf, gaps, export."""


def _row(d: Document) -> dict:
    return {"id": d.id, "number": d.display_number or f"#{d.id}", "type": d.type, "state": d.state,
            "issue_date": d.issue_date, "buyer_name": d.buyer_name, "buyer_country": d.buyer_country,
            "language": d.language, "total": quantize(d.total, d.currency), "currency": d.currency,
            "order_id": d.order_id}


@group.command("list")
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--type", "doc_type", type=click.Choice(DOC_TYPES), default=None)
@click.option("--series", default=None)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--before", type=int, default=None, help="Only documents with an id below this (next page).")
@business_command
def list_(cli, state, doc_type, series, limit, before):
    """Newest documents first."""
    stmt = select(Document).order_by(Document.created_at.desc(), Document.id.desc()).limit(limit)
    for column, value in ((Document.state, state), (Document.type, doc_type), (Document.series, series)):
        if value:
            stmt = stmt.where(column == value)
    if before:
        stmt = stmt.where(Document.id < before)
    with cli.session() as session:
        rows = [_row(d) for d in session.scalars(stmt)]
    cli.emit(rows, columns=["number", "type", "state", "issue_date", "buyer_name", "buyer_country", "language",
                            "total", "currency"])


@group.command("show")
@click.argument("number")
@business_command
def show(cli, number):
    """One document with its lines, taxes, deliveries and submissions."""
    with cli.session() as session:
        doc = documents.find_document(session, number)
        row = _row(doc) | {"series": doc.series, "due_date": doc.due_date, "buyer": doc.buyer, "seller": doc.seller,
                           "subtotal": doc.subtotal, "tax_total": doc.tax_total, "corrects_id": doc.corrects_id,
                           "correction_reason": doc.correction_reason, "payment_terms": doc.payment_terms}
        row["lines"] = [{"description": l.description, "quantity": l.quantity, "unit": l.unit,
                         "unit_price": l.unit_price, "discount_percent": l.discount_percent, "tax_rate": l.tax_rate,
                         "net": l.net_amount, "tax": l.tax_amount} for l in doc.lines]
        row["taxes"] = totals.tax_breakdown(doc)
        row["deliveries"] = sending.deliveries(session, doc.id)
        row["submissions"] = [{"id": s.id, "provider": s.provider, "action": s.action, "state": s.state,
                               "authority_code": s.authority_code, "reason": s.reason} for s in history(session, doc.id)]
    cli.emit(row)


@group.command("issue")
@click.argument("order_ref")
@click.option("--type", "doc_type", type=click.Choice(DOC_TYPES), default=None,
              help="Default: the invoice type of the settings.")
@click.option("--date", "issue_date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@business_command
def issue(cli, order_ref, doc_type, issue_date):
    """Issue the document of an order (number, external reference or id); once per order and type."""
    from addons.sales.services import find_order
    with cli.transaction() as session:
        order = find_order(session, order_ref)
        doc_type = doc_type or documents.settings(session)["invoice_type"]
        existing = orders.existing_for_order(session, order.id, doc_type)
        if existing is not None and existing.state != "draft":
            raise CliError(f"order {order.number} already has {existing.display_number} ({existing.state})")
        doc = existing or orders.create_from_order(session, order.id, doc_type)
        doc = issue_document(session, doc.id, issue_date=issue_date.date() if issue_date else None)
        row = _row(doc)
    cli.emit(row)


@group.command("send")
@click.argument("number")
@click.option("--to", default=None, help="Another address than the buyer's.")
@click.option("--resend", is_flag=True, help="Send again a document already sent.")
@business_command
def send(cli, number, to, resend):
    """E-mail the document (PDF, and XML when there is one) to its buyer."""
    with cli.transaction() as session:
        doc = documents.find_document(session, number)
        delivery = sending.send_document(session, doc.id, to=to, resend=resend)
        row = {"number": doc.display_number, "to": delivery.to, "language": delivery.language,
               "mail_id": delivery.mail_id}
    cli.emit(row)


@group.command("pdf")
@click.argument("number")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True))
@business_command
def pdf(cli, number, out):
    """Write the stored PDF (rendered once and stored if the document was issued without one)."""
    with cli.transaction() as session:
        doc = documents.find_document(session, number)
        data = documents.ensure_pdf(session, doc)
    Path(out).write_bytes(data)
    cli.emit({"number": number, "out": str(out), "bytes": len(data)})


@group.command("gaps")
@click.option("--series", default=None)
@business_command
def gaps(cli, series):
    """Numbers issued per series and year, and any gap (there should be none)."""
    with cli.session() as session:
        rows = numbering.gap_report(session, series)
    if cli.as_json:
        cli.emit(rows)
        return
    cli.emit([r | {"gaps": ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in r["gaps"]) or "none"}
              for r in rows], columns=["series", "doc_type", "year", "issued", "first", "last", "counter", "gaps"])
    if any(not r["ok"] for r in rows):
        raise CliError("gaps found (see above)")


EXPORT_KIND = "einvoice_export"


def exporters(runtime) -> dict:
    """Formats other addons add to ``einvoice export``: ``[[providers]] kind = "einvoice_export"``, code = the
    format, target = ``fn(session, folder, *, number, since) -> [{"number", "file", "bytes", ...}]``."""
    return {code: (addon, fn) for (kind, code), (addon, fn, _label) in runtime.registry.providers.items()
            if kind == EXPORT_KIND}


@group.command("export")
@click.option("--format", "fmt", required=True,
              help="ubl (UBL 2.1), or a format an enabled addon registers (cfdi with einvoice_mx).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False))
@click.option("--number", default=None, help="One document; default: every issued invoice and credit note.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@business_command
def export(cli, fmt, out, number, since):
    """Write XML files: UBL 2.1 (the stored XML of issued documents, built now if none was stored), or an addon's."""
    from core.addons.state import enabled_addons
    from .rendering.ubl import build_ubl
    extra = exporters(cli.runtime)
    if fmt != "ubl" and fmt not in extra:
        raise CliError(f"--format {fmt!r}: one of {', '.join(['ubl', *sorted(extra)])}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt in extra:
        addon, fn = extra[fmt]
        with cli.session() as session:
            if addon not in enabled_addons(session, cli.business_id):
                raise CliError(f"--format {fmt}: the addon '{addon}' is not enabled for this business")
            written = fn(session, folder, number=number, since=since.date() if since else None)
        cli.emit(written, columns=["number", "file", "bytes"])
        return
    written = []
    with cli.session() as session:
        if number:
            docs = [documents.find_document(session, number)]
        else:
            stmt = select(Document).where(Document.state != "draft", Document.type.in_(documents.XML_TYPES))
            if since:
                stmt = stmt.where(Document.issue_date >= since.date())
            docs = list(session.scalars(stmt.order_by(Document.id)))
        for doc in docs:
            if doc.state == "draft":
                raise CliError(f"{doc.label} is a draft; only issued documents are exported")
            data = doc.xml if doc.xml is not None else build_ubl(doc)
            path = folder / f"{doc.display_number.replace('/', '_')}.xml"
            path.write_bytes(data)
            written.append({"number": doc.display_number, "file": str(path), "bytes": len(data)})
    cli.emit(written, columns=["number", "file", "bytes"])


@group.command("series")
@business_command
def series_list(cli):
    """The numbering series of each document type."""
    with cli.session() as session:
        rows = [{"code": s.code, "doc_type": s.doc_type, "format": s.number_format, "active": s.active,
                 "example": numbering.format_number(s.number_format, s.code, date.today().year, 1)}
                for s in session.scalars(select(Series).order_by(Series.doc_type, Series.code))]
    cli.emit(rows, columns=["code", "doc_type", "format", "active", "example"])


@group.command("series-add")
@click.option("--type", "doc_type", type=click.Choice(DOC_TYPES), required=True)
@click.option("--code", required=True, help='Series or template symbol, e.g. INV or "1C26TAA".')
@click.option("--format", "number_format", default=numbering.DEFAULT_FORMAT, show_default=True)
@business_command
def series_add(cli, doc_type, code, number_format):
    """Add a numbering series."""
    with cli.transaction() as session:
        s = numbering.create_series(session, doc_type=doc_type, code=code, number_format=number_format)
        row = {"code": s.code, "doc_type": s.doc_type, "format": s.number_format}
    cli.emit(row)
