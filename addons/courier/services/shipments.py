"""Shipments from confirmed orders: the prefilled draft, validation, and the creation request.

``create_shipment`` writes the shipment, its parcels and a client code, and
enqueues ``courier.create_at_carrier`` in the caller's transaction: the code is
committed before any call reaches the carrier, and a rolled-back transaction
leaves nothing at the carrier (the job never runs). ``services.sending`` is the
job's side.
"""
from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from addons.catalog.models import Product, Variant
from addons.sales import states as order_states
from addons.sales.services import get_order
from core.errors import NotFound, UserError
from core.formatting import plain_decimal
from core.i18n import _
from core.jobs import addon_settings, binding_for, enqueue
from core.money import fit_column, quantize
from core.numbers import parse_decimal, parse_int
from core.sequences import next_number
from core.text import clean_text

from .. import states
from ..carriers import ParcelData, ShipmentData, instantiate
from ..models import Parcel, Shipment
from .addresses import clean_receiver, receiver_of_order, resolve_area

SERIES = "SHP"
MAX_PARCELS = 20
DEFAULT_SIZE_CM = 10


def runtime_of(session):
    return binding_for(session).runtime


def settings(session) -> dict:
    return addon_settings(session, "courier")


def get_shipment(session, shipment_id: int) -> Shipment:
    row = session.scalar(select(Shipment).where(Shipment.id == shipment_id)
                         .options(selectinload(Shipment.parcels)))
    if row is None:
        raise NotFound(_("shipment #%(id)s does not exist", id=shipment_id))
    return row


def find_shipment(session, ref: str) -> Shipment:
    """A shipment by number (SHP-2026-0001), tracking number or id."""
    ref = str(ref).strip()
    row = session.scalar(select(Shipment).where(Shipment.number == ref))
    if row is None:
        row = session.scalars(select(Shipment).where(Shipment.tracking_number == ref)
                              .order_by(Shipment.id.desc()).limit(1)).first()
    if row is None and ref.isdigit():
        row = session.scalar(select(Shipment).where(Shipment.id == int(ref)))
    if row is None:
        raise NotFound(_("no shipment %(ref)r (give the number such as SHP-2026-0001, the tracking number or "
                         "the id)", ref=ref))
    return row


# ---------------------------------------------------------------- the prefilled draft

def parse_parcel(text: str) -> dict:
    """``WEIGHT_G:LxWxH`` (grams, centimetres), e.g. ``1200:30x20x10``; the size may be left out."""
    raw = str(text or "").strip()
    weight, _sep, size = raw.partition(":")
    parcel = {"weight_g": parse_int(weight, field="parcel weight_g", minimum=1, maximum=1_000_000)}
    if size:
        parts = size.lower().split("x")
        if len(parts) != 3:
            raise UserError(_("parcel: %(value)r is not WEIGHT_G:LxWxH (e.g. 1200:30x20x10)", value=raw))
        for key, part in zip(("length_cm", "width_cm", "height_cm"), parts):
            parcel[key] = parse_int(part, field=f"parcel {key}", minimum=1, maximum=1000)
    return parcel


def open_lines(order) -> list[dict]:
    """What is still to ship: each order line's quantity not yet delivered."""
    return [{"order_line_id": line.id, "qty": plain_decimal(line.qty - line.qty_delivered)}
            for line in order.lines if line.qty_delivered < line.qty]


def default_parcel(session, order, fallback_weight: int) -> dict:
    """One box holding every open line: the products' weights times quantities, the largest product's
    size (mm rounded up to cm); a product without a weight counts the ``default_weight_g`` setting."""
    ids = [line.variant_id for line in order.lines]
    sizes = {row.id: row for row in session.execute(
        select(Variant.id, Product.weight_g, Product.length_mm, Product.width_mm, Product.height_mm)
        .join(Product, Product.id == Variant.product_id).where(Variant.id.in_(ids)))} if ids else {}
    weight, dims = Decimal(0), [DEFAULT_SIZE_CM] * 3
    for line in order.lines:
        qty = line.qty - line.qty_delivered
        if qty <= 0:
            continue
        size = sizes.get(line.variant_id)
        weight += qty * (size.weight_g if size is not None and size.weight_g else fallback_weight)
        if size is not None:
            for i, mm in enumerate((size.length_mm, size.width_mm, size.height_mm)):
                if mm:
                    dims[i] = max(dims[i], math.ceil(mm / 10))
    return {"weight_g": max(1, int(weight.to_integral_value(rounding="ROUND_CEILING"))), "length_cm": dims[0],
            "width_cm": dims[1], "height_cm": dims[2], "lines": open_lines(order)}


def default_cod(order) -> Decimal:
    """The order's outstanding amount when it is paid on delivery (the order carries a COD amount), else 0."""
    if order.cod_amount > 0:
        return max(Decimal(0), min(order.balance, order.total))
    return Decimal(0)


def check_order(session, order) -> None:
    if order.state != order_states.PROCESSING:
        raise UserError(_("order %(number)s is %(state)s; only confirmed (Processing) orders are shipped",
                          number=order.number, state=order_states.STATE_LABELS[order.state]))
    if not open_lines(order):
        raise UserError(_("order %(number)s has nothing left to ship", number=order.number))
    busy = session.scalar(select(Shipment.number).where(Shipment.order_id == order.id,
                                                        Shipment.state.notin_(tuple(states.FINAL))).limit(1))
    if busy:
        raise UserError(_("order %(number)s already has the open shipment %(shipment)s; cancel it first",
                          number=order.number, shipment=busy))


def prefill(session, order_id: int) -> dict:
    """Everything the shipment form shows before the clerk changes anything."""
    order = get_order(session, order_id)
    conf = settings(session)
    return {"order": order.number, "receiver": receiver_of_order(session, order), "cod_amount": default_cod(order),
            "currency": order.currency, "payer": conf["payer"], "required_note": conf["required_note"],
            "insurance_value": Decimal(0), "parcels": [default_parcel(session, order, conf["default_weight_g"])]}


def _cod(order, raw) -> Decimal:
    if raw is None or raw == "":
        return default_cod(order)
    amount = parse_decimal(raw, field="cod", minimum=0)
    if quantize(amount, order.currency) != amount:
        raise UserError(_("cod: %(value)s has more decimals than %(currency)s allows", value=amount,
                          currency=order.currency))
    if amount > order.total:
        raise UserError(_("cod: %(value)s is more than the order's total %(total)s", value=amount,
                          total=quantize(order.total, order.currency)))
    return fit_column(amount, Shipment.cod_amount, "cod")


def _parcels(order, raw, default: dict) -> list[dict]:
    found = []
    for i, item in enumerate(raw or (), start=1):
        parcel = parse_parcel(item) if isinstance(item, str) else dict(item)
        for key in ("length_cm", "width_cm", "height_cm"):
            parcel.setdefault(key, default[key])
        for key in ("weight_g", "length_cm", "width_cm", "height_cm"):
            parcel[key] = parse_int(parcel[key], field=f"parcel {i} {key}", minimum=1, maximum=1_000_000)
        parcel.setdefault("lines", default["lines"] if i == 1 else [])
        found.append(parcel)
    if len(found) > MAX_PARCELS:
        raise UserError(_("parcels: at most %(n)s per shipment", n=MAX_PARCELS))
    return found or [default]


def snapshot(shipment: Shipment, content: str = "") -> ShipmentData:
    parcels = tuple(ParcelData(p.weight_g, p.length_cm, p.width_cm, p.height_cm, p.tracking_number)
                    for p in shipment.parcels)
    return ShipmentData(number=shipment.number, client_code=shipment.client_code, service=shipment.service,
                        receiver=dict(shipment.receiver or {}), area=dict(shipment.area or {}), parcels=parcels,
                        cod_amount=shipment.cod_amount, insurance_value=shipment.insurance_value,
                        payer=shipment.payer, required_note=shipment.required_note, currency=shipment.currency,
                        content=content, note=shipment.note or "", tracking_number=shipment.tracking_number,
                        carrier_status=shipment.carrier_status)


def content_of(order) -> str:
    return ", ".join(f"{line.description} x{line.qty.normalize():f}" for line in order.lines)[:200]


def draft_data(session, order_id: int, carrier_code: str, *, cod=None, parcels=None, receiver=None,
               payer=None, required_note=None, insurance_value=None, service: str = "") -> ShipmentData:
    """A shipment as it would be sent, for quotes: nothing is written."""
    order = get_order(session, order_id)
    conf = settings(session)
    carrier = instantiate(runtime_of(session), session, order.business_id, carrier_code)
    recv = clean_receiver(receiver or receiver_of_order(session, order))
    area = resolve_area(session, carrier_code, carrier.name, recv) if carrier.needs_areas else {}
    boxes = _parcels(order, parcels, default_parcel(session, order, conf["default_weight_g"]))
    return ShipmentData(number=order.number, client_code="", service=service, receiver=recv, area=area,
                        parcels=tuple(ParcelData(p["weight_g"], p["length_cm"], p["width_cm"], p["height_cm"])
                                      for p in boxes),
                        cod_amount=_cod(order, cod), insurance_value=_money(order, insurance_value, "insurance"),
                        payer=payer or conf["payer"], required_note=required_note or conf["required_note"],
                        currency=order.currency, content=content_of(order))


def _money(order, raw, field: str) -> Decimal:
    if raw is None or raw == "":
        return Decimal(0)
    amount = parse_decimal(raw, field=field, minimum=0)
    return fit_column(quantize(amount, order.currency), Shipment.insurance_value, field)


# ---------------------------------------------------------------- creating

def client_code(business_id: int, number: str, attempt: int) -> str:
    """The idempotency key of one creation attempt: unique across businesses sharing a carrier account."""
    return f"{business_id}-{number}-{attempt}"


def create_shipment(session, order_id: int, *, carrier: str, service: str, cod=None, parcels=None,
                    receiver=None, payer: str | None = None, required_note: str | None = None,
                    insurance_value=None, note: str = "", tracking_number: str | None = None,
                    service_label: str | None = None) -> Shipment:
    """Write the shipment (draft, client code committed with it) and enqueue its creation at the carrier."""
    order = get_order(session, order_id)
    check_order(session, order)
    conf = settings(session)
    runtime = runtime_of(session)
    adapter = instantiate(runtime, session, order.business_id, carrier)
    service = clean_text(service, "service", max_len=64)
    if not service:
        raise UserError(_("service: required"), cli_hint="see 'manage.py courier quote ORDER' for the codes")
    payer = payer or conf["payer"]
    if payer not in states.PAYERS:
        raise UserError(_("payer: %(value)r is not one of %(choices)s", value=payer, choices=", ".join(states.PAYERS)))
    required_note = required_note or conf["required_note"]
    if required_note not in states.REQUIRED_NOTES:
        raise UserError(_("required_note: %(value)r is not one of %(choices)s", value=required_note,
                          choices=", ".join(states.REQUIRED_NOTES)))
    recv = clean_receiver(receiver or receiver_of_order(session, order))
    area = resolve_area(session, carrier, adapter.name, recv) if adapter.needs_areas else None
    boxes = _parcels(order, parcels, default_parcel(session, order, conf["default_weight_g"]))
    tracking = clean_text(tracking_number, "tracking_number", max_len=64) if tracking_number else None
    if tracking and adapter.needs_areas:
        raise UserError(_("tracking_number: %(carrier)s gives the tracking number itself", carrier=adapter.name))
    year = date.today().year
    number = f"{SERIES}-{year}-{next_number(session, SERIES, year):04d}"
    shipment = Shipment(number=number, order_id=order.id, carrier=carrier, service=service,
                        service_label=(service_label or "")[:120] or None, client_code=client_code(order.business_id, number, 1),
                        currency=order.currency, cod_amount=_cod(order, cod),
                        insurance_value=_money(order, insurance_value, "insurance"), payer=payer,
                        required_note=required_note, note=clean_text(note, "note", max_len=500) or None,
                        receiver=recv, area=area, tracking_number=tracking)
    shipment.parcels = [Parcel(sequence=i, weight_g=p["weight_g"], length_cm=p["length_cm"],
                               width_cm=p["width_cm"], height_cm=p["height_cm"], lines=p.get("lines") or [])
                        for i, p in enumerate(boxes, start=1)]
    session.add(shipment)
    session.flush()
    enqueue(session, "courier.create_at_carrier", shipment_id=shipment.id)
    return shipment


def retry_creation(session, shipment_id: int) -> Shipment:
    """A new attempt after the carrier refused (fix the cause first): a new client code, a new job."""
    shipment = get_shipment(session, shipment_id)
    if shipment.request_state != "failed" or shipment.state != states.DRAFT:
        raise UserError(_("shipment %(number)s: only a creation the carrier refused is tried again",
                          number=shipment.number))
    shipment.attempt += 1
    shipment.client_code = client_code(shipment.business_id, shipment.number, shipment.attempt)
    shipment.request_state, shipment.last_error = "pending", None
    session.flush()
    enqueue(session, "courier.create_at_carrier", shipment_id=shipment.id)
    return shipment

