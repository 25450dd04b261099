"""The shipment's document page, and courier's part of the order page.

Buttons POST to the shipment view's ``act`` and ``create`` endpoints, which
call one service each; the carrier is reached only from jobs (the creation and
cancellation) or, for quotes and labels, from the requests that ask for them.
"""
from __future__ import annotations

from decimal import Decimal

from flask import url_for
from sqlalchemy import select

from addons.sales import states as order_states
from core.admin_document import (Action, Column, DocumentPage, Field, Header, Link, Stage, Table, Total, money,
                                 number, when)
from core.formatting import plain_decimal
from core.i18n import _l
from core.web.context import current_runtime, db

from . import states
from .carriers import enabled_codes, registered
from .models import Shipment, ShipmentEvent
from .services import shipments as shipment_service

PERM = "courier.shipment."
PARCEL_COLUMNS = (Column("sequence", "#"), Column("tracking", _l("Tracking number")),
                  Column("weight", _l("Weight (g)"), True), Column("size", _l("Size (cm)")),
                  Column("contents", _l("Contents")))
EVENT_COLUMNS = (Column("at", _l("When")), Column("state", _l("State")), Column("status", _l("Carrier status")),
                 Column("applied", _l("Moved the shipment")), Column("source", _l("Source")),
                 Column("note", _l("Note")))
RECEIVER_COLUMNS = (Column("field", _l("Field")), Column("value", _l("Value")))
RECEIVER_LABELS = {"name": _l("Name"), "phone": _l("Phone"), "street": _l("Street"), "ward": _l("Ward"),
                   "district": _l("District"), "province": _l("Province"), "country": _l("Country")}
SOURCE_LABELS = {"create": _l("Creation"), "pull": _l("Carrier (pull)"), "webhook": _l("Carrier (webhook)"),
                 "manual": _l("By hand")}
REQUEST_LABELS = {"pending": _l("waiting to be sent to the carrier"), "sending": _l("being sent to the carrier"),
                  "unknown": _l("carrier's answer unknown; it is looked up before sending again"),
                  "failed": _l("refused by the carrier")}


def carrier_label(code: str) -> str:
    entry = registered(current_runtime()).get(code)
    return entry[2] if entry else code


class ShipmentDocument(DocumentPage):
    stages = tuple(Stage(s, states.STATE_LABELS[s]) for s in states.MAIN_PATH)
    side_stages = tuple(Stage(s, states.STATE_LABELS[s]) for s in states.RETURN_PATH + states.ENDS)

    def document_passed(self, shipment):
        reached = {states.DRAFT} | set(db().scalars(select(ShipmentEvent.state).where(
            ShipmentEvent.shipment_id == shipment.id, ShipmentEvent.applied.is_(True))))
        return reached

    def document_header(self, shipment):
        notes = []
        if shipment.request_state != "done":
            notes.append(_l("Creation: %(state)s", state=REQUEST_LABELS[shipment.request_state]))
        if shipment.last_error:
            notes.append(shipment.last_error)
        return Header(title=_l("Shipment"), number=shipment.number, party=shipment.receiver.get("name", ""),
                      party_label=_l("Receiver"),
                      dates=[(_l("Created"), when(shipment.created_at)), (_l("Last change"), when(shipment.state_at)),
                             (_l("Expected delivery"), when(shipment.expected_delivery)),
                             (_l("Carrier"), carrier_label(shipment.carrier)),
                             (_l("Service"), shipment.service_label or shipment.service),
                             (_l("Tracking number"), shipment.tracking_number),
                             (_l("Client code"), shipment.client_code),
                             (_l("Fee paid by"), states.PAYER_LABELS[shipment.payer]),
                             (_l("Note for the courier"), states.REQUIRED_NOTE_LABELS.get(shipment.required_note)),
                             (_l("Labels printed"), str(shipment.label_prints))],
                      badges=[states.STATE_LABELS[shipment.state]], notes=notes)

    def document_actions(self, shipment):
        act = self.get_url(".act_view", id=shipment.id)
        found = []
        if shipment.carrier == "manual" and shipment.request_state == "done" and not shipment.is_final:
            options = tuple((s, states.STATE_LABELS[s]) for s in states.STATES
                            if s != states.CANCELLED and states.can_move(shipment.state, s))
            if options:
                found.append(Action(_l("Set state"), act, PERM + "edit", {"act": "state"}, style="primary",
                                    fields=(Field("state", _l("New state"), "select", options=options),
                                            Field("note", _l("Note")))))
        if shipment.carrier != "manual" and shipment.request_state == "done" and not shipment.is_final:
            found.append(Action(_l("Ask the carrier now"), act, PERM + "edit", {"act": "refresh"}, style="info"))
        if shipment.carrier != "manual" and shipment.state == states.DELIVERY_FAILED:
            found.append(Action(_l("Send back to us"), act, PERM + "edit", {"act": "return"}, style="warning",
                                confirm=_l("Ask the carrier to bring this parcel back instead of trying again?")))
        if shipment.request_state == "failed" and shipment.state == states.DRAFT:
            found.append(Action(_l("Try again"), act, PERM + "edit", {"act": "retry"}, style="warning"))
        if shipment.state in states.CANCELLABLE and shipment.request_state not in ("sending", "unknown"):
            found.append(Action(_l("Cancel shipment"), act, PERM + "edit", {"act": "cancel"}, style="outline-danger",
                                confirm=_l("Cancel this shipment at the carrier?")))
        return found

    def document_lines(self, shipment):
        lines = {line.id: line for line in shipment.order.lines}
        rows = []
        for parcel in shipment.parcels:
            contents = ", ".join(f"{lines[int(i['order_line_id'])].sku} × {number(Decimal(str(i['qty'])))}"
                                 for i in parcel.lines or () if int(i["order_line_id"]) in lines)
            rows.append({"sequence": parcel.sequence, "tracking": parcel.tracking_number or "",
                         "weight": str(parcel.weight_g), "size": parcel.size, "contents": contents})
        return Table(_l("Parcels"), PARCEL_COLUMNS, rows, _l("No parcels."))

    def document_totals(self, shipment):
        cur = shipment.currency
        rows = [Total(_l("Cash on delivery"), money(shipment.cod_amount, cur), True),
                Total(_l("Insurance value"), money(shipment.insurance_value, cur))]
        if shipment.fee is not None:
            rows.append(Total(_l("Carrier fee"), money(shipment.fee, cur)))
        if shipment.cod_paid is not None:
            rows.append(Total(_l("COD received in a payout"), money(shipment.cod_paid, cur)))
        return rows

    def document_related(self, shipment):
        links = [Link(shipment.order.number, url_for("sales_order.details_view", id=shipment.order_id),
                      _l("Order"))]
        if shipment.request_state == "done" and shipment.state != states.CANCELLED:
            links += [Link(label, self.get_url(".label_view", id=shipment.id, size=size), "PDF")
                      for size, label in (("a6", _l("Label A6")), ("a5", _l("Label A5")), ("80mm", _l("Label 80 mm")))]
        if shipment.return_id:
            links.append(Link(_l("Return"), url_for("sales_return.details_view", id=shipment.return_id),
                              _l("Return")))
        if shipment.cod_payment_id:
            links.append(Link(_l("COD payment"), url_for("sales_payment.details_view", id=shipment.cod_payment_id),
                              _l("Payment"), money(shipment.cod_paid, shipment.currency)))
        return links

    def document_sections(self, shipment):
        events = db().scalars(select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id)
                              .order_by(ShipmentEvent.at.desc(), ShipmentEvent.id.desc()).limit(200)).all()
        rows = [{"at": when(e.at), "state": states.STATE_LABELS.get(e.state, e.state), "status": e.carrier_status,
                 "applied": _l("yes") if e.applied else _l("no (older or replayed)"),
                 "source": SOURCE_LABELS.get(e.source, e.source), "note": e.note or ""} for e in events]
        receiver = [{"field": RECEIVER_LABELS[k], "value": shipment.receiver[k]} for k in RECEIVER_LABELS
                    if shipment.receiver.get(k)]
        return [Table(_l("Tracking timeline"), EVENT_COLUMNS, rows, _l("No events yet.")),
                Table(_l("Receiver"), RECEIVER_COLUMNS, receiver)]


# ---------------------------------------------------------------- on the order page

def order_links(session, order) -> list:
    rows = session.scalars(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)).all()
    return [Link(s.number, url_for("courier_shipment.details_view", id=s.id), _l("Shipment"),
                 str(states.STATE_LABELS[s.state])) for s in rows]


def order_actions(session, order) -> list:
    """"Ship" on a confirmed order with something left to ship and no open shipment."""
    if order.state != order_states.PROCESSING or not shipment_service.open_lines(order):
        return []
    if session.scalar(select(Shipment.id).where(Shipment.order_id == order.id,
                                                Shipment.state.notin_(tuple(states.FINAL))).limit(1)):
        return []
    runtime = current_runtime()
    draft = shipment_service.prefill(session, order.id)
    parcel = draft["parcels"][0]
    codes = sorted(enabled_codes(runtime, session, order.business_id), key=lambda c: (c != "manual", c))
    carriers = tuple((code, registered(runtime)[code][2]) for code in codes)   # the manual carrier first
    fields = (Field("carrier", _l("Carrier"), "select", options=carriers),
              Field("service", _l("Service code"), value="own", required=True),
              Field("cod", _l("Cash on delivery"), value=plain_decimal(draft["cod_amount"])),
              Field("parcels", _l("Parcels: weight in g:LxWxH cm, separated by spaces"),
                    value=f"{parcel['weight_g']}:{parcel['length_cm']}x{parcel['width_cm']}x{parcel['height_cm']}"),
              Field("payer", _l("Fee paid by"), "select", value=draft["payer"],
                    options=tuple((p, states.PAYER_LABELS[p]) for p in states.PAYERS)),
              Field("required_note", _l("Note for the courier"), "select", value=draft["required_note"],
                    options=tuple((n, states.REQUIRED_NOTE_LABELS[n]) for n in states.REQUIRED_NOTES)),
              Field("insurance", _l("Insurance value")),
              Field("tracking_number", _l("Tracking number (manual carrier)")))
    create = url_for("courier_shipment.create_view", order_id=order.id)
    return [Action(_l("Compare carriers"), url_for("courier_shipment.quote_view", order_id=order.id),
                   PERM + "read", style="outline-info"),
            Action(_l("Ship"), create, PERM + "create", fields=fields, style="info")]
