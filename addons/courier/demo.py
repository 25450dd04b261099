"""Demo shipments through the manual carrier, across every state, and a paid COD statement.

Small on purpose (the demo is seeded for every test of the admin crawl): twelve of
the demo's confirmed orders (to Vietnamese customers first), one shipment each, walked by
hand to every state but draft (a shipment is a draft only until its creation job
runs); the delivered COD parcel is paid by an imported statement.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from addons.partners.models import Partner
from addons.sales import states as order_states
from addons.sales.models import Order

from . import states
from .services import cod, shipments, tracking
from .services.addresses import set_partner_address

# The states each demo shipment is walked through (by hand: the manual carrier).
WALKS = (
    (states.READY_TO_PICK, states.PICKED, states.IN_TRANSIT, states.DELIVERING, states.DELIVERED),
    (),
    (states.READY_TO_PICK,),
    (states.READY_TO_PICK, states.PICKED, states.IN_TRANSIT),
    (states.READY_TO_PICK, states.PICKED, states.IN_TRANSIT, states.DELIVERING),
    (states.READY_TO_PICK, states.PICKED, states.DELIVERING, states.DELIVERY_FAILED, states.RETURNING,
     states.RETURNED),
    (states.CANCELLED,),
    (states.PICKED, states.IN_TRANSIT, states.LOST),
    (states.READY_TO_PICK, states.PICKED),
    (states.PICKED, states.IN_TRANSIT, states.DELIVERING, states.DELIVERY_FAILED),
    (states.PICKED, states.DELIVERING, states.DELIVERY_FAILED, states.RETURNING),
    (states.PICKED, states.IN_TRANSIT, states.DAMAGED),
)
# Canonical addresses: a three-level one (Hanoi) and a 2025 two-level one (Ho Chi Minh City).
ADDRESSES = ({"street": "12 Phố Huế", "ward": "Phường Phạm Đình Hổ", "district": "Quận Hai Bà Trưng",
              "province": "Hà Nội"},
             {"street": "45 Lê Lợi", "ward": "Phường Sài Gòn", "district": None, "province": "TP. Hồ Chí Minh"})


def load(session, business_id: int, rng) -> None:
    orders = session.scalars(
        select(Order).join(Partner, Partner.id == Order.partner_id)
        .where(Order.state == order_states.PROCESSING, Order.fulfilment_status == order_states.UNFULFILLED)
        .order_by((Partner.country != "VN"), Order.cod_amount.desc(), Order.id).limit(len(WALKS))).all()
    for i, (order, walk) in enumerate(zip(orders, WALKS)):
        set_partner_address(session, order.partner_id, country="VN", **ADDRESSES[i % len(ADDRESSES)])
        shipment = shipments.create_shipment(session, order.id, carrier="manual", service="own",
                                             service_label="Own delivery staff",
                                             tracking_number=f"DEMO{order.id:06d}")
        # the manual carrier creates locally: settle it as the job would (no outside call)
        shipment.request_state = "done"
        for parcel in shipment.parcels:
            parcel.tracking_number = shipment.tracking_number
        tracking.record_event(session, shipment, key=f"created:{shipment.client_code}", carrier_status="created",
                              state=states.REQUESTED, at=shipment.created_at, source="create")
        for state in walk:
            tracking.apply_manual(session, shipment, state, note="demo")
    delivered = session.scalars(select(shipments.Shipment).where(
        shipments.Shipment.state == states.DELIVERED, shipments.Shipment.cod_amount > 0)).all()
    if delivered:
        fee = 22000
        rows = ["tracking_number,cod,fee,transfer_fee,transferred,transfer_date"]
        total = sum(int(s.cod_amount) for s in delivered) - fee * len(delivered)
        for s in delivered:
            rows.append(f"{s.tracking_number},{int(s.cod_amount)},{fee},0,{total},{date.today().isoformat()}")
        cod.import_statement(session, "manual", "demo-cod-statement.csv", ("\n".join(rows) + "\n").encode())
