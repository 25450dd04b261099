"""``manage.py einvoice_vn check-symbol|symbols|invoices|symbol-add|certificate-upload|check-xml|notice``: thin callers.

``check-symbol SYMBOL`` explains a template and symbol ("1C26TAA") part by part
and exits 1 when it is not valid; it needs no business.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from core.cli import CliError, emit, business_command, one_line
from core.errors import UserError

from . import symbols as rules, tctxml
from .models import SYMBOL_DOC_TYPES


@click.group("einvoice_vn")
def group():
    """Vietnam e-invoices: symbols, certificate, XML checks, notices of errors (04/SS-HĐĐT)."""


@group.command("check-symbol")
@click.argument("symbol")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def check_symbol(symbol, as_json):
    """Explain a template and symbol such as 1C26TAA (or C26TAA, template 1)."""
    try:
        data = rules.explain(symbol)
    except UserError as exc:
        raise CliError(one_line(exc)) from None
    emit(data, as_json=as_json)


@group.command("symbols")
@business_command
def symbols_list(cli):
    """The template and symbol of each document type (this year's form)."""
    from .services.symbols import list_symbols, used
    year = date.today().year
    with cli.session() as session:
        rows = [{"id": r.id, "doc_type": r.doc_type, "symbol": r.template + r.symbol(year), "active": r.active,
                 "used": used(session, r)} for r in list_symbols(session)]
    cli.emit(rows, columns=["id", "doc_type", "symbol", "active", "used"])


@group.command("invoices")
@click.option("--mismatch", "only_mismatch", is_flag=True, help="Only invoices the provider numbered otherwise.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@business_command
def invoices_list(cli, only_mismatch, since):
    """The Vietnamese invoices: our template, symbol and number, the provider's, and any mismatch."""
    from sqlalchemy import select
    from addons.einvoice.models import Document
    from .models import VnInvoice
    stmt = select(VnInvoice, Document.display_number).join(Document, Document.id == VnInvoice.document_id)
    if only_mismatch:
        stmt = stmt.where(VnInvoice.number_mismatch.is_not(None))
    if since:
        stmt = stmt.where(VnInvoice.issue_date >= since.date())
    with cli.session() as session:
        rows = [{"number": display, "invoice": str(row), "issue_date": row.issue_date, "kind": row.kind,
                 "signed": row.signer is not None, "provider_number": row.provider_number,
                 "provider_series": row.provider_series,
                 "mismatch": (f"MISMATCH: the provider numbered it {row.number_mismatch}"
                              if row.number_mismatch else None)}
                for row, display in session.execute(stmt.order_by(VnInvoice.id))]
    cli.emit(rows, columns=["number", "invoice", "issue_date", "kind", "signed", "provider_number", "mismatch"])
    if rows and not cli.as_json and any(r["mismatch"] for r in rows):
        click.echo(f"{sum(1 for r in rows if r['mismatch'])} invoice(s) numbered otherwise by the provider: "
                   "the provider's number is the legal one; check the numbering (symbol, sequence) before "
                   "issuing more", err=True)


@group.command("symbol-add")
@click.option("--type", "doc_type", type=click.Choice(SYMBOL_DOC_TYPES), required=True)
@click.option("--symbol", required=True, help="Template and symbol, e.g. 1C26TAA; the year part follows each issue.")
@business_command
def symbol_add(cli, doc_type, symbol):
    """Register the template and symbol a document type is issued under."""
    from .services.symbols import add_symbol
    with cli.transaction() as session:
        row = add_symbol(session, doc_type=doc_type, symbol=symbol)
        data = {"id": row.id, "doc_type": row.doc_type, "symbol": row.template + row.symbol(date.today().year)}
    cli.emit(data)


@group.command("certificate-upload")
@click.option("--p12", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--password-env", default="EINVOICE_VN_P12_PASSWORD", show_default=True,
              help="Environment variable holding the password (asked for when unset).")
@business_command
def certificate_upload(cli, path, password_env):
    """Store the signing certificate (PKCS#12) and its password, encrypted."""
    from .services.certificate import upload_certificate
    password = os.environ.get(password_env)
    if password is None:
        password = click.prompt("Certificate password", hide_input=True, default="", show_default=False)
    with cli.transaction() as session:
        data = upload_certificate(session, Path(path).read_bytes(), password)
    cli.emit(data)


@group.command("check-xml")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--require-signature", is_flag=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def check_xml(path, require_signature, as_json):
    """Check an invoice XML against the rules (exit 1 with the broken rules)."""
    problems = tctxml.check(Path(path).read_bytes(), require_signature=require_signature)
    emit([{"rule": r, "message": m} for r, m in problems], as_json=as_json, columns=["rule", "message"])
    if problems:
        raise SystemExit(1)


@group.command("notice")
@click.argument("number")
@click.option("--action", type=click.Choice(["cancel", "adjust", "replace", "explain"]), default="explain",
              show_default=True, help="What the seller does about the error (explain: name/address-only mistakes).")
@click.option("--reason", required=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@business_command
def notice(cli, number, action, reason, out):
    """Write a notice of an invoice with errors (Form 04/SS-HĐĐT) as an XML file."""
    from addons.einvoice.services.documents import find_document
    from .services.notices import notice_of_errors
    with cli.transaction() as session:
        doc = find_document(session, number)
        row = notice_of_errors(session, doc.id, action=action, reason=reason)
        data, xml = {"id": row.id, "number": number, "action": row.action, "file": out}, row.xml
    Path(out).write_bytes(xml)
    cli.emit(data)


@group.command("provider-pdf")
@click.argument("number")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@business_command
def provider_pdf(cli, number, out):
    """Download the provider's own PDF of an accepted invoice (Viettel S-Invoice or MISA meInvoice)."""
    from sqlalchemy import select
    from addons.einvoice.models import Submission
    from addons.einvoice.providers import instantiate, provider_options
    from addons.einvoice.services.documents import find_document
    with cli.session() as session:
        doc = find_document(session, number)
        code = session.scalar(select(Submission.provider).where(
            Submission.document_id == doc.id, Submission.state == "accepted").order_by(Submission.id.desc()).limit(1))
        if code not in ("viettel", "misa"):
            raise CliError(f"{number}: not accepted by Viettel or MISA (provider: {code or 'none'})")
        provider = instantiate(cli.runtime, session, cli.business_id, code, provider_options(session, code, doc.type))
        session.expunge(doc)
    data = provider.download_pdf(doc)
    Path(out).write_bytes(data)
    from .services.build import invoice_of
    with cli.session() as session:
        row = invoice_of(session, doc.id)
        mismatch = (f"MISMATCH: the provider numbered it {row.number_mismatch}, ours is {row}"
                    if row is not None and row.number_mismatch else None)
    cli.emit({"number": number, "provider": code, "file": out, "bytes": len(data), "mismatch": mismatch})
