"""The creation job: at most one parcel at the carrier per client code, never lost.

1. ``create_shipment`` committed the shipment with its client code and the job.
2. The job marks the shipment ``sending`` (with a lease) and commits; only then
   calls the carrier.
3. When an earlier attempt got as far as ``sending`` or ``unknown`` (a timeout,
   a 5xx, a killed worker), the carrier may hold the parcel already: the job
   looks the client code up first (GHN detail-by-client-code; Viettel Post
   ``CHECK_UNIQUE``) and only creates when the carrier has nothing.
4. A timeout leaves the shipment ``unknown`` and the job retries (backoff); a
   refusal leaves it ``failed`` with the carrier's message, for a clerk to fix
   and try again with a new client code.
"""
from __future__ import annotations

from datetime import timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.db import utcnow
from core.errors import UserError

from .. import states
from ..carriers import CarrierError, Created, OutcomeUnknown, instantiate
from ..models import Shipment
from .shipments import content_of, snapshot

LEASE_SECONDS = 120


class CreationPending(Exception):
    """The outcome at the carrier is not known yet: the job is retried and looks the code up first."""


def _locked(session, shipment_id: int) -> Shipment:
    row = session.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update()
                         .options(selectinload(Shipment.parcels)))
    if row is None:
        raise UserError(f"no shipment #{shipment_id}")
    return row


def _aware(value):
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def run_create(runtime, business_id: int, shipment_id: int) -> str:
    """One attempt; returns the request state reached. Safe to run again at any point."""
    with runtime.transaction(business_id) as session:
        shipment = _locked(session, shipment_id)
        if shipment.request_state in ("done", "failed") or shipment.state != states.DRAFT:
            return shipment.request_state
        now = utcnow()
        if shipment.request_state == "sending" and shipment.lease_until and _aware(shipment.lease_until) > now:
            raise CreationPending(f"shipment {shipment.number}: another attempt is talking to the carrier")
        look_up_first = shipment.request_state in ("sending", "unknown")
        shipment.request_state = "sending"
        shipment.lease_until = now + timedelta(seconds=LEASE_SECONDS)
        carrier = instantiate(runtime, session, business_id, shipment.carrier)
        data, code = snapshot(shipment, content_of(shipment.order)), shipment.client_code
    # committed: from here on the carrier may hold a parcel under ``code``
    try:
        created = carrier.lookup(code) if look_up_first else None
        if created is None:
            created = carrier.create(data, code)
    except OutcomeUnknown as exc:
        _settle(runtime, business_id, shipment_id, "unknown", str(exc))
        raise CreationPending(f"shipment {data.number}: outcome unknown ({exc}); the next attempt looks "
                              f"{code} up first") from exc
    except CarrierError as exc:
        _settle(runtime, business_id, shipment_id, "failed", str(exc))
        return "failed"
    return record_created(runtime, business_id, shipment_id, created)


def _settle(runtime, business_id, shipment_id, request_state, error):
    with runtime.transaction(business_id) as session:
        shipment = _locked(session, shipment_id)
        if shipment.request_state == "sending":
            shipment.request_state, shipment.last_error, shipment.lease_until = request_state, error[:2000], None


def record_created(runtime, business_id: int, shipment_id: int, created: Created) -> str:
    from .tracking import record_event
    with runtime.transaction(business_id) as session:
        shipment = _locked(session, shipment_id)
        if shipment.request_state == "done":
            return "done"
        numbers = list(created.tracking_numbers)
        for i, parcel in enumerate(shipment.parcels):
            parcel.tracking_number = numbers[i] if i < len(numbers) else numbers[0]
        shipment.tracking_number = numbers[0]
        shipment.fee = created.fee if created.fee is not None else shipment.fee
        shipment.expected_delivery = created.expected_delivery or shipment.expected_delivery
        shipment.request_state, shipment.last_error, shipment.lease_until = "done", None, None
        record_event(session, shipment, key=f"created:{shipment.client_code}", carrier_status=created.carrier_status
                     or "created", state=states.REQUESTED, at=utcnow(), source="create")
        return "done"


def run_return(runtime, business_id: int, shipment_id: int) -> str:
    """Ask the carrier to send a parcel whose delivery failed back, then record it (returning)."""
    from .tracking import record_event
    with runtime.session(business_id) as session:
        shipment = _locked(session, shipment_id)
        if shipment.state != states.DELIVERY_FAILED:
            return shipment.state     # returned already, or delivered after all: nothing to ask
        carrier = instantiate(runtime, session, business_id, shipment.carrier)
        data = snapshot(shipment)
    carrier.return_to_sender(data)    # OutcomeUnknown: the job retries (asking twice is harmless)
    with runtime.transaction(business_id) as session:
        shipment = _locked(session, shipment_id)
        record_event(session, shipment, key=f"return:{shipment.client_code}", carrier_status="return",
                     state=states.RETURNING, at=utcnow(), source="manual", note="return requested at the carrier")
        return shipment.state


def run_cancel(runtime, business_id: int, shipment_id: int) -> str:
    """Cancel at the carrier, then record it; a carrier that says no leaves the shipment as it is."""
    from .tracking import record_event
    with runtime.session(business_id) as session:
        shipment = _locked(session, shipment_id)
        if shipment.state == states.CANCELLED:
            return shipment.state
        if shipment.state not in states.CANCELLABLE:
            raise UserError(f"shipment {shipment.number} is {shipment.state}; the carrier has it already")
        carrier = instantiate(runtime, session, business_id, shipment.carrier)
        data = snapshot(shipment)
    carrier.cancel(data)      # OutcomeUnknown: the job retries (cancelling twice is harmless)
    with runtime.transaction(business_id) as session:
        shipment = _locked(session, shipment_id)
        record_event(session, shipment, key=f"cancel:{shipment.client_code}", carrier_status="cancel",
                     state=states.CANCELLED, at=utcnow(), source="manual", note="cancelled at the carrier")
        return shipment.state
