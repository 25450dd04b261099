"""``manage.py partners list|show``: customers and suppliers from the command line, thin callers of services.

``list`` searches like the admin list (name, e-mail, phone, tax id) and filters by
role; ``show`` prints one partner by id, tax id or e-mail. Both take ``--json``.
"""
from __future__ import annotations

import click

from core.cli import business_command

from . import services
from .models import Partner

COLUMNS = ["id", "name", "kind", "country", "tax_id", "email", "customer", "supplier", "active"]


@click.group("partners")
def group():
    """Customers and suppliers: list, show."""


def _row(p: Partner) -> dict:
    return {"id": p.id, "name": p.name, "kind": p.kind, "country": p.country, "tax_id": p.tax_id,
            "email": p.email, "phone": p.phone, "customer": p.is_customer, "supplier": p.is_supplier,
            "active": p.active}


@group.command("list")
@click.argument("search", required=False)
@click.option("--customers", "role", flag_value="customers", help="Only customers.")
@click.option("--suppliers", "role", flag_value="suppliers", help="Only suppliers.")
@click.option("--archived", is_flag=True, help="Archived partners instead of active ones.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@business_command
def list_(cli, search, role, archived, limit):
    """Partners by name, optionally matching SEARCH (name, e-mail, phone or tax id)."""
    with cli.session() as session:
        partners = services.find_partners(session, search, customers=True if role == "customers" else None,
                                          suppliers=True if role == "suppliers" else None,
                                          active=not archived, limit=limit)
        rows = [_row(p) for p in partners]
    cli.emit(rows, columns=COLUMNS)


@group.command("show")
@click.argument("partner")
@business_command
def show(cli, partner):
    """One partner (by id, tax id or e-mail) with its address, language, terms and Peppol address."""
    with cli.session() as session:
        p = services.find_partner(session, partner)
        data = _row(p) | {"language": p.language, "street": p.street, "city": p.city, "region": p.region,
                          "postal_code": p.postal_code, "peppol_id": p.peppol_id,
                          "payment_term": p.payment_term_code, "notes": p.notes}
    cli.emit(data)
