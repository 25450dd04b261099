"""``manage.py sales create|list|show|confirm|cancel|complete|pay`` — thin callers of the services.

Orders are named by number (SO-2026-0007), external reference or id. Listing
pages with --before (an order id) instead of OFFSET, so it stays fast at any depth.
``create`` reads the entry payload (the sales README documents its shape) and runs
as the system: it holds every permission, ``sales.order.override_price`` included.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import click
from sqlalchemy import select

from core.cli import CliError, business_command

from . import services, states
from .models import Order
from .totals import fmt_qty


@click.group("sales")
def group():
    """Orders: create, list, show, confirm, cancel, complete, pay."""


def read_entry_file(path: str):
    """The payload of ``--file``; money stays exact (JSON decimals become Decimal, never float)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"--file: no file {path!r}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"--file: cannot read {path!r}: {exc}") from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise CliError(f"--file: {file.name} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                       f"column {exc.colno}") from None


@group.command("create")
@click.option("--file", "path", required=True, metavar="ORDER.json", help="The order, as the sales README shows.")
@click.option("--confirm", is_flag=True, help="Confirm it too (stock is reserved; a shortfall refuses the order).")
@business_command
def create(cli, path, confirm):
    """Enter an order from a JSON file and print its number."""
    payload = read_entry_file(path)
    with cli.transaction() as session:
        entered = services.create_order_from_entry(session, payload, confirm=confirm)
        order = entered.order
        result = {"number": order.number, "state": order.state, "currency": order.currency,
                  "total": services.quantize_money(order.total, order.currency)}
    if not entered.created:
        click.echo(f"order {result['number']} was already entered with this external_ref; nothing changed",
                   err=True)
    if cli.as_json:
        cli.emit(result)
    else:
        click.echo(result["number"])   # the number alone, so a script can keep it: NUMBER=$(... sales create ...)


def _row(o: Order) -> dict:
    q = lambda v: services.quantize_money(v, o.currency)  # noqa: E731
    return {"id": o.id, "number": o.number, "created_at": o.created_at, "channel": o.channel,
            "external_ref": o.external_ref, "status": o.label, "state": o.state,
            "payment_status": o.payment_status, "fulfilment_status": o.fulfilment_status,
            "total": q(o.total), "paid": q(o.net_paid), "currency": o.currency}


@group.command("list")
@click.option("--state", type=click.Choice(states.STATES), default=None)
@click.option("--channel", type=click.Choice(states.CHANNELS), default=None)
@click.option("--payment", "payment_status", type=click.Choice(states.PAYMENT_STATUSES), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--before", type=int, default=None, help="Only orders with an id below this (next page).")
@business_command
def list_(cli, state, channel, payment_status, limit, before):
    """Newest orders first, optionally filtered."""
    stmt = select(Order).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    if state:
        stmt = stmt.where(Order.state == state)
    if channel:
        stmt = stmt.where(Order.channel == channel)
    if payment_status:
        stmt = stmt.where(Order.payment_status == payment_status)
    if before:
        stmt = stmt.where(Order.id < before)
    with cli.session() as session:
        rows = [_row(o) for o in session.scalars(stmt)]
    cli.emit(rows, columns=["number", "created_at", "channel", "external_ref", "status", "total", "paid",
                            "currency"])


@group.command("show")
@click.argument("order")
@business_command
def show(cli, order):
    """One order with its lines and payments."""
    with cli.session() as session:
        o = services.find_order(session, order)
        data = _row(o)
        q = lambda v: services.quantize_money(v, o.currency)  # noqa: E731
        data.update(customer=o.partner.name if o.partner else None, customer_po=o.customer_po,
                    order_date=o.order_date, due_date=o.due_date, payment_term=o.payment_term_code,
                    subtotal=q(o.subtotal), tax=q(o.tax_total), shipping_fee=q(o.shipping_fee),
                    shipping_paid_by=o.shipping_paid_by, cod_amount=q(o.cod_amount), balance=q(o.balance),
                    lines=[{"sku": ln.sku, "description": ln.description, "qty": fmt_qty(ln.qty),
                            "unit_price": ln.unit_price.normalize(), "discount_percent": fmt_qty(ln.discount_percent),
                            "tax_rate": None if ln.tax_rate is None else fmt_qty(ln.tax_rate),
                            "total": q(ln.total_amount), "delivered": fmt_qty(ln.qty_delivered),
                            "returned": fmt_qty(ln.qty_returned)} for ln in o.lines],
                    payments=[{"paid_on": p.paid_on, "kind": p.kind, "method": p.method, "amount": q(p.amount),
                               "reference": p.reference} for p in o.payments])
    if cli.as_json:
        cli.emit(data)
        return
    lines, payments = data.pop("lines"), data.pop("payments")
    cli.emit(data)
    click.echo("")
    cli.emit(lines, columns=["sku", "description", "qty", "unit_price", "discount_percent", "tax_rate", "total",
                             "delivered", "returned"])
    if payments:
        click.echo("")
        cli.emit(payments, columns=["paid_on", "kind", "method", "amount", "reference"])


def _transition(cli, order, fn, verb, **kw):
    with cli.transaction() as session:
        o = fn(session, services.find_order(session, order).id, **kw)
        result = _row(o)
    if cli.as_json:
        cli.emit(result)
    else:
        click.echo(f"order {result['number']} {verb}: {result['status']}")


@group.command("confirm")
@click.argument("order")
@business_command
def confirm(cli, order):
    """New → Processing (stock is reserved when sales_stock is on)."""
    _transition(cli, order, services.confirm_order, "confirmed")


@group.command("cancel")
@click.argument("order")
@click.option("--reason", default="", help="Why (kept on the order).")
@business_command
def cancel(cli, order, reason):
    """New or Processing → Cancelled."""
    _transition(cli, order, services.cancel_order, "cancelled", reason=reason)


@group.command("complete")
@click.argument("order")
@business_command
def complete(cli, order):
    """Processing → Completed (remaining goods delivered)."""
    _transition(cli, order, services.complete_order, "completed")


@group.command("pay")
@click.argument("order")
@click.argument("amount")
@click.option("--method", type=click.Choice(states.PAYMENT_METHODS), required=True)
@click.option("--reference", default=None)
@click.option("--paid-on", default=None, help="YYYY-MM-DD (default: today).")
@business_command
def pay(cli, order, amount, method, reference, paid_on):
    """Register a payment of AMOUNT (overpayments are refused)."""
    try:
        day = date.fromisoformat(paid_on) if paid_on else None
    except ValueError:
        raise CliError(f"--paid-on: {paid_on!r} is not a date (YYYY-MM-DD)") from None
    with cli.transaction() as session:
        o = services.find_order(session, order)
        services.register_payment(session, o.id, amount, method, paid_on=day, reference=reference)
        result = _row(o)
    if cli.as_json:
        cli.emit(result)
    else:
        click.echo(f"order {result['number']}: {amount} {result['currency']} registered by {method}; "
                   f"{result['payment_status'].replace('_', ' ')}")
