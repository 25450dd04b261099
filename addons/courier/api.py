"""Courier resources of the REST API: shipments read, with their parcels and tracking timeline.

A shop's web store or marketplace bridge follows its deliveries here instead of asking each
carrier: ``GET /api/v1/shipments`` is a change feed paged by ``(updated_at, id)`` (a carrier
event that moves a shipment changes ``updated_at``), filtered by ``state``, by the order's
number or from ``updated_since``; ``GET /api/v1/shipments/{id}`` adds every carrier event
stored for it, applied or not (a late or replayed event is shown but moved nothing). Writes
stay in the admin and the CLI: creating a shipment calls a carrier and prints labels.
The ``shipment.delivered`` / ``shipment.returned`` webhooks send the same body as the read.
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from addons.sales.models import Order
from addons.sales.services import quantize_money
from core.api.pagination import Page, PageQuery, keyset_page
from core.api.schemas import Money, Number, Out, Timestamp
from core.i18n import _l

from . import states
from .models import Shipment, ShipmentEvent
from .services import shipments


class OrderRef(Out):
    id: int
    number: str


class ReceiverOut(Out):
    """Who the carrier delivers to, as copied from the order when the shipment was made."""
    name: str | None = None
    phone: str | None = None
    street: str | None = None
    ward: str | None = None
    district: str | None = None
    province: str | None = None
    country: str | None = None


class ParcelLineOut(Out):
    order_line_id: int
    qty: Number


class ParcelOut(Out):
    sequence: int
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int
    tracking_number: str | None
    lines: list[ParcelLineOut]


class EventOut(Out):
    """One status report of the carrier (or a clerk); ``applied`` says whether it moved the shipment."""
    at: Timestamp
    state: Literal[states.STATES]  # type: ignore[valid-type]
    carrier_status: str
    applied: bool
    source: Literal["create", "pull", "webhook", "manual"]
    note: str | None


class ShipmentOut(Out):
    id: int
    number: str
    order: OrderRef
    carrier: str
    service: str
    service_label: str | None
    state: Literal[states.STATES]  # type: ignore[valid-type]
    state_at: Timestamp | None
    carrier_status: str | None
    tracking_number: str | None
    request_state: Literal["pending", "sending", "unknown", "done", "failed"]
    currency: str
    cod_amount: Money
    insurance_value: Money
    fee: Money | None
    payer: Literal[states.PAYERS]  # type: ignore[valid-type]
    weight_g: int
    expected_delivery: date | None
    receiver: ReceiverOut
    parcels: list[ParcelOut]
    created_at: Timestamp
    updated_at: Timestamp


class ShipmentDetailOut(ShipmentOut):
    events: list[EventOut] = Field(description="The tracking timeline, oldest first.")


class ShipmentQuery(PageQuery):
    state: Literal[states.STATES] | None = None  # type: ignore[valid-type]
    order_number: str | None = Field(None, max_length=64, description="Only the shipments of this order, e.g. SO-2026-0001.")
    updated_since: Timestamp | None = Field(None, description="Only shipments changed at or after this time.")


def _fields(shipment: Shipment) -> dict:
    q = lambda v: None if v is None else quantize_money(v, shipment.currency)  # noqa: E731
    return dict(
        id=shipment.id, number=shipment.number,
        order=OrderRef(id=shipment.order.id, number=shipment.order.number),
        carrier=shipment.carrier, service=shipment.service, service_label=shipment.service_label,
        state=shipment.state, state_at=shipment.state_at, carrier_status=shipment.carrier_status,
        tracking_number=shipment.tracking_number, request_state=shipment.request_state,
        currency=shipment.currency, cod_amount=q(shipment.cod_amount), insurance_value=q(shipment.insurance_value),
        fee=q(shipment.fee), payer=shipment.payer, weight_g=shipment.weight_g,
        expected_delivery=shipment.expected_delivery, receiver=ReceiverOut(**(shipment.receiver or {})),
        parcels=[ParcelOut(sequence=p.sequence, weight_g=p.weight_g, length_cm=p.length_cm, width_cm=p.width_cm,
                           height_cm=p.height_cm, tracking_number=p.tracking_number,
                           lines=[ParcelLineOut(**item) for item in p.lines or ()]) for p in shipment.parcels],
        created_at=shipment.created_at, updated_at=shipment.updated_at)


def shipment_out(shipment: Shipment) -> ShipmentOut:
    return ShipmentOut(**_fields(shipment))


def shipment_detail(session, shipment_id: int) -> ShipmentDetailOut:
    shipment = shipments.get_shipment(session, shipment_id)
    events = session.scalars(select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id)
                             .order_by(ShipmentEvent.at, ShipmentEvent.id)).all()
    return ShipmentDetailOut(**_fields(shipment), events=[EventOut.model_validate(e) for e in events])


def shipment_payload(session, business_id: int, shipment_id: int, **_event) -> dict:
    """The ``data`` of the shipment webhooks: the shipment as ``GET /api/v1/shipments/{id}`` shows it."""
    return shipment_detail(session, shipment_id).model_dump(mode="json")


def register(api):
    @api.get("/shipments", scope="courier.shipment.read", summary=_l("Shipments, by last change"),
             query=ShipmentQuery, response=Page[ShipmentOut])
    def list_shipments(ctx, query: ShipmentQuery):
        statement = select(Shipment).options(selectinload(Shipment.parcels), selectinload(Shipment.order))
        if query.state:
            statement = statement.where(Shipment.state == query.state)
        if query.order_number:
            statement = statement.where(Shipment.order_id.in_(
                select(Order.id).where(Order.number == query.order_number.strip())))
        if query.updated_since:
            statement = statement.where(Shipment.updated_at >= query.updated_since)
        rows, next_url = keyset_page(ctx.session, statement, (Shipment.updated_at, Shipment.id), query, "shipments")
        return Page[ShipmentOut](data=[shipment_out(s) for s in rows], next=next_url)

    @api.get("/shipments/{shipment_id}", scope="courier.shipment.read",
             summary=_l("A shipment with its parcels and tracking timeline"), response=ShipmentDetailOut)
    def get_shipment(ctx, shipment_id: int):
        return shipment_detail(ctx.session, shipment_id)
