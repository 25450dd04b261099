"""``manage.py warehouse check|stock|count|reorder``."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from core.cli import CliError, business_command

from . import services as wh
from .models import StockCount
from .services.stock import fmt


@click.group("warehouse")
def group():
    """Stock, counts and reorders."""


@group.command("check")
@click.option("--repair", is_flag=True, help="Set the balances to what the ledger says.")
@business_command
def check(cli, repair):
    """Rebuild balances from the move ledger and report every mismatch (exit 1 if any and not repaired)."""
    if repair:
        with cli.transaction() as session:
            problems = wh.check_balances(session, repair=True)
    else:
        with cli.session() as session:
            problems = wh.check_balances(session)
    rows = [{"warehouse": p["warehouse"], "sku": p["sku"], "ledger_on_hand": fmt(p["ledger_on_hand"]),
             "balance_on_hand": fmt(p["balance_on_hand"]), "ledger_reserved": fmt(p["ledger_reserved"]),
             "balance_reserved": fmt(p["balance_reserved"])} for p in problems]
    if cli.as_json:
        cli.emit({"consistent": not problems, "repaired": bool(problems and repair), "mismatches": rows})
    elif not problems:
        click.echo("balances are consistent with the ledger")
    else:
        cli.emit(rows)
        if repair:
            click.echo(f"{len(rows)} balance(s) rebuilt from the ledger")
    if problems and not repair:
        raise CliError(f"{len(problems)} balance(s) disagree with the ledger; run with --repair to rebuild them")


@group.command("stock")
@click.option("--warehouse", "code", default=None, help="Warehouse code (default: all).")
@click.option("--sku", default=None, help="Only SKUs containing this text.")
@click.option("--limit", default=500, show_default=True)
@business_command
def stock(cli, code, sku, limit):
    """On hand, reserved and available per SKU and warehouse."""
    with cli.session() as session:
        warehouse_id = wh.warehouse_by_code(session, code).id if code else None
        rows = wh.stock_levels(session, warehouse_id, text=sku, limit=limit)
    cli.emit([{"warehouse": r["warehouse"], "sku": r["sku"], "on_hand": fmt(r["on_hand"]),
               "reserved": fmt(r["reserved"]), "available": fmt(r["available"])} for r in rows],
             columns=["warehouse", "sku", "on_hand", "reserved", "available"])


@group.group("count")
def count():
    """Stock counts: new, start, record, import, variance, apply, cancel, list."""


def _count(session, number: str) -> StockCount:
    found = session.scalar(select(StockCount).where(StockCount.number == number))
    if found is None:
        raise CliError(f"no stock count {number!r} (see 'warehouse count list')")
    return found


def _summary(c: StockCount) -> dict:
    return {"number": c.number, "warehouse": c.warehouse.code, "state": c.state, "lines": len(c.lines),
            "counted": sum(1 for line in c.lines if line.counted_qty is not None)}


@count.command("list")
@business_command
def count_list(cli):
    with cli.session() as session:
        counts = session.scalars(select(StockCount).order_by(StockCount.id.desc()).limit(100)).all()
        cli.emit([_summary(c) for c in counts], columns=["number", "warehouse", "state", "lines", "counted"])


@count.command("new")
@click.argument("warehouse_code")
@click.option("--start/--no-start", default=True, help="Start counting at once (snapshot expected quantities).")
@click.option("--note", default=None)
@business_command
def count_new(cli, warehouse_code, start, note):
    with cli.transaction() as session:
        created = wh.create_count(session, wh.warehouse_by_code(session, warehouse_code).id, note=note)
        if start:
            wh.start_count(session, created.id)
        cli.emit(_summary(created))


@count.command("start")
@click.argument("number")
@business_command
def count_start(cli, number):
    with cli.transaction() as session:
        cli.emit(_summary(wh.start_count(session, _count(session, number).id)))


@count.command("record")
@click.argument("number")
@click.argument("sku")
@click.argument("quantity")
@business_command
def count_record(cli, number, sku, quantity):
    """Enter one counted quantity."""
    from addons.catalog.services import variant_by_sku
    with cli.transaction() as session:
        counted = wh.record_counts(session, _count(session, number).id, [(variant_by_sku(session, sku).id, quantity)])
        cli.emit(_summary(counted))


@count.command("import")
@click.argument("number")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@business_command
def count_import(cli, number, path):
    """Record counted quantities from a CSV file with columns sku,counted (all or nothing)."""
    from .services.counts import CountImportError
    try:
        with cli.transaction() as session:
            n = wh.import_counts(session, _count(session, number).id, path.read_text(encoding="utf-8-sig"))
    except CountImportError as exc:
        for line, reason in exc.errors:
            click.echo(f"line {line}: {reason}", err=True)
        raise CliError(f"{len(exc.errors)} bad row(s); nothing was recorded") from None
    cli.emit({"number": number, "recorded": n})


@count.command("variance")
@click.argument("number")
@business_command
def count_variance(cli, number):
    with cli.session() as session:
        rows = wh.variance_report(session, _count(session, number).id)
    cli.emit([{"sku": r["sku"], "expected": fmt(r["expected"]), "counted": fmt(r["counted"]),
               "on_hand": fmt(r["on_hand"]), "variance": fmt(r["variance"]),
               "value": "" if r["value"] is None else str(r["value"])} for r in rows],
             columns=["sku", "expected", "counted", "on_hand", "variance", "value"])


@count.command("apply")
@click.argument("number")
@business_command
def count_apply(cli, number):
    with cli.transaction() as session:
        cli.emit(_summary(wh.apply_count(session, _count(session, number).id)))


@count.command("cancel")
@click.argument("number")
@business_command
def count_cancel(cli, number):
    with cli.transaction() as session:
        cli.emit(_summary(wh.cancel_count(session, _count(session, number).id)))


@group.command("reorder")
@click.option("--draft", is_flag=True, help="Also draft purchase orders to the preferred suppliers.")
@business_command
def reorder(cli, draft):
    """What is below its reorder point (forecast = available + incoming)."""
    if draft:
        with cli.transaction() as session:
            items = wh.below_reorder_points(session)
            orders, _skipped = wh.draft_reorder_purchases(session)
            drafted = [o.number for o in orders]
    else:
        with cli.session() as session:
            items, drafted = wh.below_reorder_points(session), []
    rows = [{"warehouse": i["warehouse"], "sku": i["sku"], "forecast": fmt(i["forecast"]), "min": fmt(i["min_qty"]),
             "max": fmt(i["max_qty"]), "suggested": fmt(i["suggested"]), "supplier": i["supplier"] or ""}
            for i in items]
    if cli.as_json:
        cli.emit({"below": rows, "drafted": drafted})
    else:
        cli.emit(rows, columns=["warehouse", "sku", "forecast", "min", "max", "suggested", "supplier"])
        if drafted:
            click.echo(f"drafted: {', '.join(drafted)}")
