"""``manage.py einvoice_mx cancel|status|csd-upload|csd-list|product-sat|partner-sat``: thin callers of services.

``cancel UUID --motive 01|02|03|04 [--replacement UUID]`` records the request and
enqueues the job that sends it; ``status UUID --json`` prints what is known of a
CFDI (state, stamp, cancellation and SAT's acceptance state, as the last status
query left it).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from core.cli import CliError, business_command

from .models import CANCEL_MOTIVES, Csd
from .services import cancel as cancel_service
from .services import csd, fiscal


@click.group("einvoice_mx")
def group():
    """Mexico CFDI: cancel, status, CSD, SAT data of products and customers."""


@group.command("cancel")
@click.argument("uuid")
@click.option("--motive", required=True, type=click.Choice(CANCEL_MOTIVES),
              help="01 errors with relation (needs --replacement), 02 errors without relation, 03 operation not "
                   "carried out, 04 nominative operation in a global invoice.")
@click.option("--replacement", default=None, metavar="UUID", help="The UUID of the CFDI that replaces it (01).")
@business_command
def cancel(cli, uuid, motive, replacement):
    """Ask SAT to cancel a stamped CFDI (a job sends the request; see 'status')."""
    with cli.transaction() as session:
        row = cancel_service.request_cancel(session, uuid, motive, replacement)
        data = cancel_service.describe(session, row)
    cli.emit(data)


@group.command("status")
@click.argument("uuid")
@business_command
def status(cli, uuid):
    """A CFDI's state, stamp and cancellation (acceptance: without_acceptance, pending, accepted, rejected)."""
    with cli.session() as session:
        data = cancel_service.describe(session, cancel_service.find_cfdi(session, uuid))
    cli.emit(data)


@group.command("global-invoice")
@click.option("--period", type=click.Choice(["daily", "weekly", "monthly"]), default=None,
              help="Default: the setting global_invoice.")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="A day of the period; default: the last closed period.")
@business_command
def global_invoice_cmd(cli, period, day):
    """Issue the global invoice of a period's counter receipts that no nominative CFDI covered."""
    from addons.einvoice.services.documents import business_today
    from .services import build, global_invoice
    with cli.transaction() as session:
        kind = period or build.settings(session)["global_invoice"]
        if kind == "off":
            raise CliError("the setting global_invoice is off; give --period daily|weekly|monthly")
        start, end = (global_invoice.period_of(kind, day.date()) if day
                      else global_invoice.last_closed_period(kind, business_today(session)))
        row = global_invoice.issue_global(session, kind, start, end)
        data = {"period": kind, "from": start.isoformat(), "to": end.isoformat(),
                "cfdi": cancel_service.describe(session, row) if row else None,
                "receipts": global_invoice.covered(session, row.id) if row else []}
    cli.emit(data)


@group.command("demo")
@click.option("--slug", default="demo-mx", show_default=True, help="The Mexican demo business's slug.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def demo_cmd(ctx, slug, as_json):
    """Create or top up the Mexican demo business (RFC EKU9003173C9): every kind of CFDI, stamped offline."""
    from core.cli import CliContext, emit
    from .demo import seed_business
    cli = ctx.find_object(CliContext)
    emit(seed_business(cli.runtime, slug), as_json or cli.as_json)


@group.command("csd-upload")
@click.option("--cer", "cer", required=True, type=click.Path(exists=True, dir_okay=False), help="The .cer file.")
@click.option("--key", "key", required=True, type=click.Path(exists=True, dir_okay=False), help="The .key file.")
@click.option("--password-file", type=click.File("r"), default=None,
              help="A file holding the key's password; default: prompt (or stdin).")
@business_command
def csd_upload(cli, cer, key, password_file):
    """Store the business's CSD; the key and password are encrypted at rest and never shown again."""
    password = password_file.read().strip() if password_file else _read_password()
    with cli.transaction() as session:
        row = csd.upload_csd(session, certificate=Path(cer).read_bytes(), key=Path(key).read_bytes(),
                             password=password)
        data = csd.describe(row)
    cli.emit(data)


def _read_password() -> str:
    """The key's password from stdin when it is not a terminal (scripts), else a hidden prompt."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Key password", hide_input=True, err=True)


@group.command("csd-list")
@business_command
def csd_list(cli):
    """The uploaded CSDs: number, RFC, validity (never the key)."""
    with cli.session() as session:
        rows = [csd.describe(r) for r in session.scalars(select(Csd).order_by(Csd.id.desc()))]
    cli.emit(rows, columns=["certificate_number", "rfc", "legal_name", "valid_from", "valid_to", "active", "expired"])


@group.command("product-sat")
@click.argument("sku")
@click.option("--clave-prod-serv", required=True, help="c_ClaveProdServ, e.g. 43211503.")
@click.option("--clave-unidad", required=True, help="c_ClaveUnidad, e.g. H87.")
@click.option("--objeto-imp", default="02", show_default=True, help="c_ObjetoImp.")
@click.option("--ieps-rate", default=None, help="IEPS trasladado as a fraction, e.g. 0.08.")
@business_command
def product_sat(cli, sku, clave_prod_serv, clave_unidad, objeto_imp, ieps_rate):
    """Set the SAT keys of the product that has variant SKU."""
    from addons.catalog.models import Variant
    with cli.transaction() as session:
        product_id = session.scalar(select(Variant.product_id).where(Variant.sku == sku))
        if product_id is None:
            raise CliError(f"no product with SKU {sku!r} in this business")
        row = fiscal.set_product_sat(session, product_id, clave_prod_serv=clave_prod_serv, clave_unidad=clave_unidad,
                                     objeto_imp=objeto_imp, ieps_rate=ieps_rate)
        data = {"sku": sku, "clave_prod_serv": row.clave_prod_serv, "clave_unidad": row.clave_unidad,
                "objeto_imp": row.objeto_imp, "ieps_rate": row.ieps_rate}
    cli.emit(data)


@group.command("partner-sat")
@click.argument("partner")
@click.option("--legal-name", required=True, help="The name exactly as registered at SAT.")
@click.option("--regimen", required=True, help="c_RegimenFiscal, e.g. 601.")
@click.option("--postcode", required=True, help="Fiscal postcode (DomicilioFiscalReceptor).")
@click.option("--uso", default="G03", show_default=True, help="c_UsoCFDI.")
@click.option("--retains-isr", default=None, help="ISR the customer withholds, as a fraction (0.10).")
@click.option("--retains-iva", default=None, help="IVA the customer withholds, as a fraction (0.106667).")
@business_command
def partner_sat(cli, partner, legal_name, regimen, postcode, uso, retains_isr, retains_iva):
    """Set a customer's SAT data (PARTNER: id, RFC or e-mail)."""
    from addons.partners.services import find_partner
    with cli.transaction() as session:
        p = find_partner(session, partner)
        row = fiscal.set_partner_sat(session, p.id, legal_name=legal_name, regimen_fiscal=regimen,
                                     fiscal_postcode=postcode, uso_cfdi=uso, retains_isr_rate=retains_isr,
                                     retains_iva_rate=retains_iva)
        data = {"partner_id": p.id, "rfc": p.tax_id, "legal_name": row.legal_name, "regimen_fiscal": row.regimen_fiscal,
                "fiscal_postcode": row.fiscal_postcode, "uso_cfdi": row.uso_cfdi,
                "retains_isr_rate": row.retains_isr_rate, "retains_iva_rate": row.retains_iva_rate}
    cli.emit(data)
