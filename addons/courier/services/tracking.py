"""Tracking: carrier events stored once, the forward-only state machine, and the order hooks.

Events come from the creation, the scheduled pull, webhooks and (manual
carrier) clerks. Each is stored once under its carrier's key; it moves the
shipment only when ``states.can_move`` allows it, so replays and late or
out-of-order events change nothing. When a shipment moves:

- the goods left the shop (picked up or later): the parcel's lines are delivered
  on the order (``sales.deliver_order``; sales_stock moves the stock out);
- delivered: the order is completed once nothing is owed (a COD order when the
  carrier's payout is imported, ``services.cod``);
- returned: a return of the parcel's lines is opened and received through the
  sales return flow, so the stock comes back.

Reaching delivered or returned is then published (``courier.shipment_delivered`` /
``courier.shipment_returned``), which the REST API's ``shipment.*`` webhooks send.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from addons.sales import states as order_states
from addons.sales.services import complete_order, create_return, deliver_order, get_order
from core.addons.state import enabled_addons
from core.db import utcnow
from core.errors import UserError
from core.events import publish
from core.i18n import _
from core.jobs import enqueue

from .. import states
from ..carriers import OutcomeUnknown, WebhookRequest, instantiate, registered
from ..models import Shipment, ShipmentEvent, WebhookHit
from .shipments import get_shipment, snapshot

PULL_BATCH = 200


def aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def record_event(session, shipment: Shipment, *, key: str, carrier_status: str, state: str, at: datetime,
                 source: str, note: str = "") -> bool:
    """Store the event once and move the shipment if the state machine allows; True when it moved."""
    key = key[:200]
    exists = session.scalar(select(ShipmentEvent.id).where(ShipmentEvent.carrier == shipment.carrier,
                                                           ShipmentEvent.event_key == key))
    if exists is not None:
        return False
    at = aware(at) or utcnow()
    newer = shipment.state_at is None or at > aware(shipment.state_at)
    moves = states.can_move(shipment.state, state, newer=newer)
    event = ShipmentEvent(shipment_id=shipment.id, carrier=shipment.carrier, event_key=key, at=at,
                          carrier_status=str(carrier_status)[:64], state=state, applied=moves, source=source,
                          note=(note or "")[:500] or None)
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:      # a concurrent delivery of the same event stored it first
        return False
    if not moves:
        return False
    before = shipment.state
    shipment.state, shipment.state_at, shipment.carrier_status = state, at, str(carrier_status)[:64]
    session.flush()
    _after_move(session, shipment, before)
    return True


def apply_events(session, shipment: Shipment, events, source: str) -> int:
    """Record the carrier's events in time order; returns how many moved the shipment."""
    moved = 0
    for event in sorted(events, key=lambda e: aware(e.at)):
        if event.tracking_number and shipment.tracking_number and event.tracking_number != shipment.tracking_number \
                and event.tracking_number not in {p.tracking_number for p in shipment.parcels}:
            continue
        moved += record_event(session, shipment, key=event.key, carrier_status=event.carrier_status,
                              state=event.state, at=event.at, source=source, note=event.note)
    return moved


def apply_manual(session, shipment: Shipment, state: str, note: str = "", at: datetime | None = None) -> bool:
    at = at or utcnow()
    return record_event(session, shipment, key=f"manual:{state}:{at.isoformat()}", carrier_status=state,
                        state=state, at=at, source="manual", note=note)


def set_state(session, shipment_id: int, state: str, note: str = "") -> Shipment:
    """A clerk moves a manual-carrier shipment (own staff or a courier without an API)."""
    shipment = get_shipment(session, shipment_id)
    if shipment.carrier != "manual":
        raise UserError(_("shipment %(number)s: the states of %(carrier)s shipments come from the carrier",
                          number=shipment.number, carrier=shipment.carrier))
    if state not in states.STATES:
        raise UserError(_("state: %(value)r is not one of %(choices)s", value=state, choices=", ".join(states.STATES)))
    if shipment.request_state != "done" and state != states.CANCELLED:
        raise UserError(_("shipment %(number)s is not created yet", number=shipment.number))
    if not states.can_move(shipment.state, state):
        raise UserError(_("shipment %(number)s is %(state)s and cannot become %(new)s (states only move forward)",
                          number=shipment.number, state=states.STATE_LABELS[shipment.state],
                          new=states.STATE_LABELS[state]))
    apply_manual(session, shipment, state, note)
    return shipment


def request_cancel(session, shipment_id: int) -> Shipment:
    """Cancel: at once while the carrier has nothing, else through the ``courier.cancel_at_carrier`` job."""
    shipment = get_shipment(session, shipment_id)
    if shipment.state not in states.CANCELLABLE:
        raise UserError(_("shipment %(number)s is %(state)s; only shipments not yet picked up can be cancelled",
                          number=shipment.number, state=states.STATE_LABELS[shipment.state]))
    if shipment.request_state in ("sending", "unknown"):
        raise UserError(_("shipment %(number)s: its creation at the carrier is not settled yet; wait for it",
                          number=shipment.number))
    if shipment.request_state in ("pending", "failed") or shipment.carrier == "manual":
        apply_manual(session, shipment, states.CANCELLED, note="cancelled before the carrier had it")
        return shipment
    enqueue(session, "courier.cancel_at_carrier", shipment_id=shipment.id)
    return shipment


def request_return(session, shipment_id: int) -> Shipment:
    """Send back a parcel whose delivery failed: through the ``courier.return_at_carrier`` job (GHN
    ``switch-status/return``, Viettel Post ``UpdateOrder`` TYPE 2); the manual carrier's by hand."""
    shipment = get_shipment(session, shipment_id)
    if shipment.carrier == "manual":
        raise UserError(_("shipment %(number)s: set the state of a manual shipment by hand", number=shipment.number))
    if shipment.state != states.DELIVERY_FAILED:
        raise UserError(_("shipment %(number)s is %(state)s; only a shipment whose delivery failed can be sent back",
                          number=shipment.number, state=states.STATE_LABELS[shipment.state]))
    enqueue(session, "courier.return_at_carrier", shipment_id=shipment.id)
    return shipment


# ---------------------------------------------------------------- the order hooks

def _parcel_quantities(shipment: Shipment) -> dict[int, Decimal]:
    wanted: dict[int, Decimal] = {}
    for parcel in shipment.parcels:
        for item in parcel.lines or ():
            wanted[int(item["order_line_id"])] = wanted.get(int(item["order_line_id"]), Decimal(0)) + \
                Decimal(str(item["qty"]))
    return wanted


def _after_move(session, shipment: Shipment, before: str) -> None:
    new = shipment.state
    if new in states.LEFT_SHOP and shipment.goods_left_at is None:
        _goods_left(session, shipment)
    if new == states.DELIVERED:
        complete_if_settled(session, shipment.order_id)
    elif new == states.RETURNED and shipment.return_id is None:
        _open_return(session, shipment)
    # after the order hooks, so a receiver (the webhooks) sees the completed order / opened return
    if new in _ANNOUNCED:
        publish(session, _ANNOUNCED[new], shipment_id=shipment.id, order_id=shipment.order_id,
                number=shipment.number)


# A shipment reaching these states is announced once (states only move forward, and the
# events table stores each carrier event once): the API's shipment.* webhooks hang on them.
_ANNOUNCED = {states.DELIVERED: "courier.shipment_delivered", states.RETURNED: "courier.shipment_returned"}


def _goods_left(session, shipment: Shipment) -> None:
    order = get_order(session, shipment.order_id)
    shipment.goods_left_at = utcnow()
    if order.state != order_states.PROCESSING:
        return
    by_id = {line.id: line for line in order.lines}
    quantities = {}
    for line_id, qty in _parcel_quantities(shipment).items():
        line = by_id.get(line_id)
        if line is not None:
            left = min(qty, line.qty - line.qty_delivered)
            if left > 0:
                quantities[line_id] = left
    if quantities:
        deliver_order(session, order.id, quantities)


def complete_if_settled(session, order_id: int) -> bool:
    """Complete a delivered order once nothing is owed on it (or it is on credit terms)."""
    order = get_order(session, order_id)
    if order.state != order_states.PROCESSING:
        return False
    delivered = session.scalar(select(Shipment.id).where(Shipment.order_id == order.id,
                                                         Shipment.state == states.DELIVERED).limit(1))
    if delivered is None or (order.balance > 0 and order.term_days == 0):
        return False
    complete_order(session, order.id)
    return True


def _open_return(session, shipment: Shipment) -> None:
    order = get_order(session, shipment.order_id)
    if order.state not in (order_states.PROCESSING, order_states.COMPLETED):
        return
    by_id = {line.id: line for line in order.lines}
    lines = []
    for line_id, qty in _parcel_quantities(shipment).items():
        line = by_id.get(line_id)
        if line is not None and line.qty_delivered - line.qty_returned > 0:
            lines.append({"order_line_id": line_id, "qty": min(qty, line.qty_delivered - line.qty_returned)})
    if lines:
        ret = create_return(session, order.id, lines, reason=f"Returned by the carrier ({shipment.number})",
                            receive=True)
        shipment.return_id = ret.id


# ---------------------------------------------------------------- pulling from the carrier

def refresh(runtime, business_id: int, shipment_id: int, source: str = "pull") -> int:
    """Ask the carrier for the parcel's history now and record it; returns how many events moved it."""
    with runtime.session(business_id) as session:
        shipment = get_shipment(session, shipment_id)
        if shipment.request_state != "done" or shipment.is_final:
            return 0
        carrier = instantiate(runtime, session, business_id, shipment.carrier)
        data = snapshot(shipment)
    events = carrier.track(data)
    with runtime.transaction(business_id) as session:
        shipment = get_shipment(session, shipment_id)
        return apply_events(session, shipment, events, source)


def open_shipments(session, after_id: int = 0, limit: int = PULL_BATCH) -> list[Shipment]:
    """Created, not final, at a carrier with an API: what the scheduled pull asks about (keyset by id)."""
    return list(session.scalars(
        select(Shipment).where(Shipment.state.in_(states.OPEN), Shipment.state != states.DRAFT,
                               Shipment.carrier != "manual", Shipment.id > after_id)
        .order_by(Shipment.id).limit(limit).options(selectinload(Shipment.parcels))))


def pull_open(runtime, business_id: int, batch: int = PULL_BATCH, progress=None) -> dict:
    """The scheduled pull: every open shipment's history, a batch per transaction.

    A carrier that does not answer for one parcel is skipped this time (the next
    pull asks again); nothing else is held up by it.
    """
    after, asked, moved, failed = 0, 0, 0, 0
    while True:
        with runtime.session(business_id) as session:
            rows = open_shipments(session, after, batch)
            carriers = {code: instantiate(runtime, session, business_id, code) for code in {r.carrier for r in rows}}
            work = [(r.id, r.carrier, snapshot(r)) for r in rows]
        if not work:
            break
        after = work[-1][0]
        answers = []
        for shipment_id, code, data in work:
            try:
                answers.append((shipment_id, carriers[code].track(data)))
            except (OutcomeUnknown, UserError):
                failed += 1
        with runtime.transaction(business_id) as session:
            by_id = {s.id: s for s in session.scalars(select(Shipment).where(
                Shipment.id.in_([sid for sid, _e in answers])).options(selectinload(Shipment.parcels)))}
            for shipment_id, events in answers:
                moved += apply_events(session, by_id[shipment_id], events, "pull")
        asked += len(work)
        if progress is not None:
            progress(len(work))
    return {"asked": asked, "moved": moved, "failed": failed}


# ---------------------------------------------------------------- webhooks

def webhook_token(runtime, business_id: int, carrier: str) -> str:
    """The secret path segment of the business's webhook URL for ``carrier`` (derived, never stored)."""
    digest = hmac.new(runtime.config["SECRET_KEY"].encode(), f"courier-webhook:{business_id}:{carrier}".encode(),
                      hashlib.sha256).hexdigest()[:32]
    return f"{business_id}.{digest}"


def business_of_token(runtime, carrier: str, token: str) -> int | None:
    head, _dot, _tail = str(token).partition(".")
    if not head.isdigit() or len(head) > 12:
        return None
    business_id = int(head)
    return business_id if hmac.compare_digest(webhook_token(runtime, business_id, carrier), str(token)) else None


def receive_webhook(runtime, carrier_code: str, token: str, body: bytes, headers: dict) -> tuple[int, str]:
    """Store a webhook call once and enqueue what it asks for; (HTTP status, message).

    Untrusted carriers (GHN signs nothing): the body only names the parcel, whose
    state is then read back from the carrier's API in a job. A replayed body is
    stored once and queues nothing more.
    """
    if carrier_code not in registered(runtime):
        return 404, "unknown carrier"
    business_id = business_of_token(runtime, carrier_code, token)
    if business_id is None:
        return 404, "unknown webhook"
    addon, cls, _label = registered(runtime)[carrier_code]
    with runtime.transaction(business_id) as session:
        if addon not in enabled_addons(session, business_id):
            return 404, "carrier not enabled"
        # An untrusted carrier's body is parsed for the parcel's number only: no settings (and no
        # secret to decrypt) are needed until the refresh job asks the carrier's API.
        carrier = instantiate(runtime, session, business_id, carrier_code) if cls.webhook_trusted \
            else cls(runtime, {})
        try:
            events = carrier.parse_webhook(WebhookRequest(body, headers))
        except UserError as exc:
            return 400, str(exc)
        digest = hashlib.sha256(body).hexdigest()
        if session.scalar(select(WebhookHit.id).where(WebhookHit.carrier == carrier_code,
                                                      WebhookHit.digest == digest)) is not None:
            return 200, "already received"
        numbers = sorted({e.tracking_number for e in events if e.tracking_number})
        try:
            with session.begin_nested():   # a concurrent replay of the same body may store it first
                session.add(WebhookHit(carrier=carrier_code, digest=digest,
                                       tracking_number=numbers[0] if numbers else None,
                                       body=body.decode("utf-8", "replace")[:20000]))
                session.flush()
        except IntegrityError:
            return 200, "already received"
        found = session.scalars(select(Shipment).where(Shipment.carrier == carrier_code,
                                                       Shipment.tracking_number.in_(numbers))).all() if numbers else []
        for shipment in found:
            if carrier.webhook_trusted:
                apply_events(session, shipment, [e for e in events if e.tracking_number == shipment.tracking_number],
                             "webhook")
            elif not shipment.is_final:
                enqueue(session, "courier.refresh_shipment", shipment_id=shipment.id, source="webhook")
    return 200, "ok"

