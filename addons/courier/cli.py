"""``manage.py courier list|quote|ship|label|track|cancel|return|set-state|sync-areas|cod-import|webhook-url``.

Thin callers of the services. Commands that reach a carrier run its job right
away in this process (``ship`` runs the creation job, claiming the outbox row,
so a worker never runs it twice) and say when the outcome is not known yet: the
job is then retried by the worker and looks the client code up first.
"""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from addons.sales.services import find_order, quantize_money
from core.cli import CliError, business_command
from core.errors import UserError
from core.jobs import execute
from core.models import OutboxJob

from . import states
from .carriers import OutcomeUnknown, enabled_codes, instantiate, registered
from .models import Shipment, ShipmentEvent
from .services import areas, cod, labels, shipments, tracking


@click.group("courier")
def group():
    """Shipments through couriers: quote, ship, label, track, cancel, areas, COD statements."""


def _money(value, currency):
    return None if value is None else quantize_money(value, currency)


def _row(s: Shipment, order_number: str) -> dict:
    return {"number": s.number, "order": order_number, "carrier": s.carrier, "service": s.service,
            "state": s.state, "tracking_number": s.tracking_number, "cod": _money(s.cod_amount, s.currency),
            "fee": _money(s.fee, s.currency)}


@group.command("list")
@click.option("--state", type=click.Choice(states.STATES), default=None)
@click.option("--carrier", default=None, help="Only this carrier's shipments (code).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--before", type=int, default=None, help="Only shipments with an id below this (next page).")
@business_command
def list_(cli, state, carrier, limit, before):
    """Shipments, newest first."""
    from addons.sales.models import Order
    with cli.session() as session:
        query = select(Shipment, Order.number).join(Order, Order.id == Shipment.order_id)
        if state:
            query = query.where(Shipment.state == state)
        if carrier:
            query = query.where(Shipment.carrier == carrier)
        if before:
            query = query.where(Shipment.id < before)
        rows = [_row(s, number) for s, number in session.execute(query.order_by(Shipment.id.desc()).limit(limit))]
    cli.emit(rows, columns=["number", "order", "carrier", "service", "state", "tracking_number", "cod", "fee"])


@group.command("quote")
@click.argument("order_ref", metavar="ORDER_NUMBER")
@click.option("--carrier", "only", multiple=True, help="Ask only this carrier (repeatable; default: every enabled).")
@click.option("--cod", default=None, metavar="AMOUNT")
@click.option("--parcel", "parcels", multiple=True, metavar="WEIGHT_G:LxWxH")
@business_command
def quote(cli, order_ref, only, cod, parcels):
    """Each enabled carrier's services for the order, with fee and lead time, side by side."""
    runtime, business_id = cli.runtime, cli.business_id
    asks = []
    with cli.session() as session:
        order = find_order(session, order_ref)
        shipments.check_order(session, order)
        codes = list(only) or enabled_codes(runtime, session, business_id)
        for code in codes:
            try:
                carrier = instantiate(runtime, session, business_id, code)
                asks.append((code, carrier, shipments.draft_data(session, order.id, code, cod=cod,
                                                                 parcels=parcels or None), None))
            except UserError as exc:   # a carrier that cannot take this order is listed with why
                asks.append((code, None, None, str(exc)))
    rows = []
    for code, carrier, data, error in asks:
        if error is None:
            try:
                for q in carrier.quote(data):
                    rows.append({"carrier": code, "service": q.service, "label": q.label,
                                 "fee": _money(q.fee, data.currency), "lead_time": q.lead_time, "error": None})
                continue
            except (UserError, OutcomeUnknown) as exc:
                error = str(exc)
        rows.append({"carrier": code, "service": None, "label": None, "fee": None, "lead_time": None,
                     "error": error})
    cli.emit(rows, columns=["carrier", "service", "label", "fee", "lead_time", "error"])


def _run_pending(cli, actor: str, shipment_id: int) -> None:
    with cli.session() as session:
        ids = list(session.scalars(select(OutboxJob.id).where(
            OutboxJob.business_id == cli.business_id, OutboxJob.actor == actor, OutboxJob.state == "pending",
            OutboxJob.args["shipment_id"].as_integer() == shipment_id).order_by(OutboxJob.id)))
    for job_id in ids:
        execute(cli.runtime, actor, job_id)


def _result(cli, shipment_id: int) -> dict:
    with cli.session() as session:
        s = shipments.get_shipment(session, shipment_id)
        row = _row(s, s.order.number)
        row.update(request_state=s.request_state, error=s.last_error)
    return row


@group.command("ship")
@click.argument("order_ref", metavar="ORDER_NUMBER")
@click.option("--carrier", required=True, help="Carrier code (manual, ghn, viettelpost).")
@click.option("--service", required=True, help="Service code (see 'courier quote').")
@click.option("--cod", default=None, metavar="AMOUNT", help="Cash to collect (default: what the COD order owes).")
@click.option("--parcel", "parcels", multiple=True, metavar="WEIGHT_G:LxWxH", help="A box (repeatable).")
@click.option("--payer", type=click.Choice(states.PAYERS), default=None)
@click.option("--required-note", type=click.Choice(states.REQUIRED_NOTES), default=None)
@click.option("--insurance", default=None, metavar="AMOUNT")
@click.option("--tracking-number", default=None, help="Manual carrier: the courier's own number.")
@click.option("--note", default="")
@business_command
def ship(cli, order_ref, carrier, service, cod, parcels, payer, required_note, insurance, tracking_number, note):
    """Create the shipment of a confirmed order and send it to the carrier now."""
    with cli.transaction() as session:
        order = find_order(session, order_ref)
        shipment = shipments.create_shipment(session, order.id, carrier=carrier, service=service, cod=cod,
                                             parcels=list(parcels) or None, payer=payer,
                                             required_note=required_note, insurance_value=insurance,
                                             tracking_number=tracking_number, note=note)
        shipment_id = shipment.id
    _run_pending(cli, "courier.create_at_carrier", shipment_id)
    result = _result(cli, shipment_id)
    if result["request_state"] == "failed":
        raise CliError(f"{result['number']}: the carrier refused it: {result['error']}")
    if result["request_state"] != "done":
        click.echo(f"{result['number']}: the carrier's answer is not known yet ({result['error']}); the worker "
                   f"looks it up before sending again", err=True)
    if cli.as_json:
        cli.emit(result)
    else:
        click.echo(f"{result['number']} {result['state']} {result['tracking_number'] or ''}".rstrip())


@group.command("label")
@click.argument("refs", nargs=-1, required=True, metavar="SHIPMENT...")
@click.option("--size", type=click.Choice(states.LABEL_SIZES), default="a6", show_default=True)
@click.option("--out", "out", required=True, metavar="FILE.pdf", type=click.Path(dir_okay=False))
@business_command
def label(cli, refs, size, out):
    """One PDF with the labels of the shipments."""
    with cli.transaction() as session:
        data = labels.print_labels(session, list(refs), size)
    Path(out).write_bytes(data)
    if cli.as_json:
        cli.emit({"file": out, "shipments": len(refs), "bytes": len(data), "size": size})
    else:
        click.echo(out)


@group.command("track")
@click.argument("ref", metavar="SHIPMENT")
@business_command
def track(cli, ref):
    """Ask the carrier now and print the shipment's timeline."""
    with cli.session() as session:
        shipment_id = shipments.find_shipment(session, ref).id
    tracking.refresh(cli.runtime, cli.business_id, shipment_id, source="pull")
    with cli.session() as session:
        s = shipments.get_shipment(session, shipment_id)
        events = session.scalars(select(ShipmentEvent).where(ShipmentEvent.shipment_id == s.id)
                                 .order_by(ShipmentEvent.at, ShipmentEvent.id)).all()
        timeline = [{"at": e.at, "state": e.state, "carrier_status": e.carrier_status, "applied": e.applied,
                     "source": e.source, "note": e.note} for e in events]
        result = {"number": s.number, "state": s.state, "tracking_number": s.tracking_number, "events": timeline}
    if cli.as_json:
        cli.emit(result)
    else:
        click.echo(f"{result['number']} {result['state']} {result['tracking_number'] or ''}".rstrip())
        cli.emit(timeline, columns=["at", "state", "carrier_status", "applied", "source", "note"])


@group.command("cancel")
@click.argument("ref", metavar="SHIPMENT")
@business_command
def cancel(cli, ref):
    """Cancel a shipment the carrier has not picked up."""
    with cli.transaction() as session:
        shipment = tracking.request_cancel(session, shipments.find_shipment(session, ref).id)
        shipment_id = shipment.id
    _run_pending(cli, "courier.cancel_at_carrier", shipment_id)
    result = _result(cli, shipment_id)
    if result["state"] != states.CANCELLED:
        raise CliError(f"{result['number']}: not cancelled yet; the worker tries again")
    cli.emit(result) if cli.as_json else click.echo(f"{result['number']} {result['state']}")


@group.command("return")
@click.argument("ref", metavar="SHIPMENT")
@business_command
def return_to_sender(cli, ref):
    """Ask the carrier to bring back a parcel whose delivery failed."""
    with cli.transaction() as session:
        shipment_id = tracking.request_return(session, shipments.find_shipment(session, ref).id).id
    _run_pending(cli, "courier.return_at_carrier", shipment_id)
    result = _result(cli, shipment_id)
    if result["state"] != states.RETURNING:
        raise CliError(f"{result['number']}: not sent back yet ({result['state']}); the worker tries again")
    cli.emit(result) if cli.as_json else click.echo(f"{result['number']} {result['state']}")


@group.command("set-state")
@click.argument("ref", metavar="SHIPMENT")
@click.argument("state", type=click.Choice(states.STATES))
@click.option("--note", default="")
@business_command
def set_state(cli, ref, state, note):
    """Move a manual-carrier shipment (states only move forward)."""
    with cli.transaction() as session:
        shipment = tracking.set_state(session, shipments.find_shipment(session, ref).id, state, note)
        shipment_id = shipment.id
    result = _result(cli, shipment_id)
    cli.emit(result) if cli.as_json else click.echo(f"{result['number']} {result['state']}")


@group.command("sync-areas")
@click.option("--carrier", required=True, help="Carrier code (ghn, viettelpost).")
@business_command
def sync_areas(cli, carrier):
    """Load the carrier's provinces, districts and wards."""
    if carrier not in registered(cli.runtime):
        raise CliError(f"--carrier: {carrier!r} is not installed")
    with click.progressbar(length=0, label="areas", file=click.get_text_stream("stderr"),
                           show_pos=True) as bar:
        result = areas.sync_areas(cli.runtime, cli.business_id, carrier, progress=bar.update)
    cli.emit(result)


@group.command("cod-import")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--carrier", required=True, type=click.Choice(cod.CARRIERS))
@click.option("--dry-run", is_flag=True, help="Check and list mismatches; register nothing.")
@business_command
def cod_import(cli, path, carrier, dry_run):
    """Reconcile a carrier's COD payout statement (CSV or XLSX) and register the COD payments."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CliError(f"FILE: cannot read {path!r}: {exc.strerror or exc}") from None
    with cli.transaction() as session:
        with click.progressbar(length=max(1, data.count(b"\n")), label="lines",
                               file=click.get_text_stream("stderr")) as bar:
            summary = cod.import_statement(session, carrier, file.name, data, dry_run=dry_run, progress=bar.update)
        if not summary["balanced"] and not dry_run:
            session.rollback()
    cli.emit(summary)
    if not summary["balanced"]:
        raise SystemExit(1)


@group.command("webhook-url")
@click.option("--carrier", required=True)
@business_command
def webhook_url(cli, carrier):
    """The address to give the carrier for status webhooks (secret per business)."""
    if carrier not in registered(cli.runtime):
        raise CliError(f"--carrier: {carrier!r} is not installed")
    base = cli.runtime.config["BASE_URL"].rstrip("/")
    token = tracking.webhook_token(cli.runtime, cli.business_id, carrier)
    cli.emit({"carrier": carrier, "url": f"{base}/courier/webhook/{carrier}/{token}"})
