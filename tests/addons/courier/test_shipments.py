"""Shipments from confirmed orders through the manual carrier: prefill, refusals, the creation job,
the forward-only states and what they do to the order."""
from __future__ import annotations


import pytest
from sqlalchemy import func, select

from addons.courier import states
from addons.courier.models import Parcel, Shipment, ShipmentEvent
from addons.courier.services import shipments, tracking
from addons.sales.models import Return
from core.errors import UserError
from core.models import OutboxJob


def test_prefill_takes_receiver_cod_and_weights_from_the_order(shop):
    cod_order = shop.order(cod=True)
    with shop.session() as s:
        draft = shipments.prefill(s, cod_order)
        order_total = shipments.get_order(s, cod_order).total
    assert draft["receiver"]["ward"] == "Phường Phạm Đình Hổ" and draft["receiver"]["phone"] == "0912345678"
    assert draft["cod_amount"] == order_total
    parcel = draft["parcels"][0]
    # 2 x 400 g + 1 product without a weight (the 500 g default); the weighed product's box, in cm
    assert (parcel["weight_g"], parcel["length_cm"], parcel["width_cm"], parcel["height_cm"]) == (1300, 25, 18, 10)
    prepaid = shop.order(pay=True)
    with shop.session() as s:
        assert shipments.prefill(s, prepaid)["cod_amount"] == 0


def test_the_customer_canonical_address_is_used_without_a_shipping_address(shop):
    from addons.courier.services.addresses import set_partner_address
    with shop.tx() as s:
        set_partner_address(s, shop.customer_id, street="45 Lê Lợi", ward="Phường Sài Gòn",
                            province="TP. Hồ Chí Minh")
    order_id = shop.order(address=None)
    with shop.session() as s:
        receiver = shipments.prefill(s, order_id)["receiver"]
    assert receiver == {"name": "Nguyễn Văn An", "phone": "0912345678", "street": "45 Lê Lợi",
                        "ward": "Phường Sài Gòn", "province": "TP. Hồ Chí Minh", "country": "VN"}


@pytest.mark.parametrize("kw,message", [
    ({"cod": "99999999"}, "cod: 99999999 is more than the order's total"),
    ({"cod": "-1"}, "cod:"), ({"cod": "1.5"}, "more decimals than VND allows"),
    ({"parcels": ["12x"]}, "parcel weight_g"), ({"parcels": ["500:10x10"]}, "not WEIGHT_G:LxWxH"),
    ({"service": ""}, "service: required"), ({"carrier": "dhl"}, "carrier: 'dhl' is not installed"),
    ({"payer": "nobody"}, "payer:"), ({"receiver": {"name": "A", "phone": "1"}}, "receiver.street: required"),
])
def test_bad_input_is_refused_and_writes_nothing(shop, kw, message):
    order_id = shop.order()
    args = {"carrier": "manual", "service": "own", **kw}
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(".", r"\.")), shop.tx() as s:
        shipments.create_shipment(s, order_id, **args)
    with shop.session() as s:
        assert s.scalar(select(func.count()).select_from(Shipment)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxJob).where(
            OutboxJob.business_id == shop.id, OutboxJob.actor.startswith("courier."))) == 0


def test_only_confirmed_orders_with_no_open_shipment_are_shipped(shop):
    new_order = shop.order(confirm=False)
    with pytest.raises(UserError, match="only confirmed"), shop.tx() as s:
        shipments.create_shipment(s, new_order, carrier="manual", service="own")
    order_id = shop.order()
    first = shop.ship(order_id)
    with pytest.raises(UserError, match="already has the open shipment"), shop.tx() as s:
        shipments.create_shipment(s, order_id, carrier="manual", service="own")
    assert shop.shipment(first).state == states.REQUESTED


def test_a_rolled_back_transaction_leaves_no_job_and_no_shipment(shop):
    order_id = shop.order()
    with pytest.raises(RuntimeError), shop.tx() as s:
        shipments.create_shipment(s, order_id, carrier="manual", service="own")
        raise RuntimeError("the caller fails after creating")
    assert shop.run_jobs() == []
    with shop.session() as s:
        assert s.scalar(select(func.count()).select_from(Shipment)) == 0


def test_the_creation_job_gives_tracking_numbers_per_parcel(shop):
    order_id = shop.order(cod=True)
    shipment_id = shop.ship(order_id, tracking_number="OWN-77", parcels=["800:20x15x10", "500"])
    row = shop.shipment(shipment_id)
    assert (row.state, row.request_state, row.tracking_number) == (states.REQUESTED, "done", "OWN-77")
    assert [(p.tracking_number, p.weight_g, p.size) for p in row.parcels] == [
        ("OWN-77", 800, "20x15x10"), ("OWN-77-2", 500, "25x18x10")]
    assert row.client_code == f"{shop.id}-{row.number}-1" and row.cod_amount == shop.order_row(order_id).total
    assert shop.run_jobs() == []      # a redelivered message finds the work done


def _walk(shop, shipment_id, *names):
    for name in names:
        with shop.tx() as s:
            tracking.set_state(s, shipment_id, name)


def test_picked_up_delivers_the_lines_and_delivered_completes_a_prepaid_order(shop):
    order_id = shop.order(pay=True)
    shipment_id = shop.ship(order_id)
    _walk(shop, shipment_id, states.READY_TO_PICK, states.PICKED)
    order = shop.order_row(order_id)
    assert order.fulfilment_status == "fulfilled" and order.state == "processing"
    _walk(shop, shipment_id, states.IN_TRANSIT, states.DELIVERING, states.DELIVERED)
    assert shop.order_row(order_id).state == "completed"


def test_a_cod_order_completes_only_when_its_cod_is_paid(shop):
    order_id = shop.order(cod=True)
    shipment_id = shop.ship(order_id)
    _walk(shop, shipment_id, states.PICKED, states.DELIVERED)
    assert shop.order_row(order_id).state == "processing"   # the courier still holds the cash


def test_states_never_move_back_and_old_events_are_kept_but_ignored(shop):
    from datetime import datetime, timedelta, timezone
    order_id = shop.order(pay=True)
    shipment_id = shop.ship(order_id)
    _walk(shop, shipment_id, states.PICKED, states.IN_TRANSIT)
    with pytest.raises(UserError, match="cannot become Picked up"), shop.tx() as s:
        tracking.set_state(s, shipment_id, states.PICKED)
    with shop.tx() as s:
        row = shipments.get_shipment(s, shipment_id)
        old = datetime.now(timezone.utc) - timedelta(days=1)
        assert tracking.record_event(s, row, key="late-1", carrier_status="picked", state=states.READY_TO_PICK,
                                     at=old, source="pull") is False
        assert tracking.record_event(s, row, key="late-1", carrier_status="picked", state=states.READY_TO_PICK,
                                     at=old, source="pull") is False
    with shop.session() as s:
        events = s.execute(select(ShipmentEvent.event_key, ShipmentEvent.applied)
                           .where(ShipmentEvent.shipment_id == shipment_id)).all()
    assert shop.shipment(shipment_id).state == states.IN_TRANSIT
    assert ("late-1", False) in events and sum(1 for key, _a in events if key == "late-1") == 1


def test_returned_opens_and_receives_a_return_of_the_parcel_lines(shop):
    order_id = shop.order(cod=True, qty=("3", "1"))
    shipment_id = shop.ship(order_id)
    _walk(shop, shipment_id, states.PICKED, states.DELIVERING, states.DELIVERY_FAILED, states.RETURNING,
          states.RETURNED)
    row = shop.shipment(shipment_id)
    with shop.session() as s:
        ret = s.get(Return, row.return_id)
        assert ret.state == "received" and sorted(str(line.qty.normalize()) for line in ret.lines) == ["1", "3"]
    order = shop.order_row(order_id)
    assert order.fulfilment_status == "returned" and order.balance == 0
    with pytest.raises(UserError, match="cannot become"), shop.tx() as s:
        tracking.set_state(s, shipment_id, states.DELIVERED)


def test_cancel_before_pick_up_then_a_new_shipment_is_allowed(shop):
    order_id = shop.order()
    shipment_id = shop.ship(order_id)
    with shop.tx() as s:
        tracking.request_cancel(s, shipment_id)
    assert shop.shipment(shipment_id).state == states.CANCELLED
    again = shop.ship(order_id)
    _walk(shop, again, states.PICKED)
    with pytest.raises(UserError, match="only shipments not yet picked up"), shop.tx() as s:
        tracking.request_cancel(s, again)
    with shop.session() as s:
        assert s.scalar(select(func.count()).select_from(Parcel)) == 2


def test_labels_are_one_pdf_per_selection_and_counted(shop, runtime):
    import io
    from pypdf import PdfReader
    from addons.courier.services.labels import print_labels
    first = shop.ship(shop.order(cod=True), parcels=["500", "700"], tracking_number="LBL-1")
    second = shop.ship(shop.order(), tracking_number="LBL-2")
    sizes = {}
    for size in ("a5", "a6", "80mm"):
        with shop.tx() as s:
            pdf = print_labels(s, [shop.shipment(first).number, "LBL-2"], size)
        reader = PdfReader(io.BytesIO(pdf))
        sizes[size] = (len(reader.pages), round(float(reader.pages[0].mediabox.width)))
        assert "LBL-1" in reader.pages[0].extract_text() and "LBL-2" in reader.pages[2].extract_text()
    assert sizes == {"a5": (3, 420), "a6": (3, 298), "80mm": (3, 227)}
    assert shop.shipment(first).label_prints == 3 and shop.shipment(second).label_prints == 3
    from core.models import AuditEntry
    with shop.session() as s:
        audited = [e.after.get("label_prints") for e in s.scalars(select(AuditEntry).where(
            AuditEntry.model == "courier_shipment", AuditEntry.record_id == str(first),
            AuditEntry.action == "update").order_by(AuditEntry.id)) if "label_prints" in (e.after or {})]
    assert audited == [1, 2, 3]                                    # each print in the audit log
    with pytest.raises(UserError, match="size"), shop.tx() as s:
        print_labels(s, ["LBL-1"], "a4")


@pytest.mark.parametrize("fields,message", [
    ({"province": ""}, "province: required"), ({"province": "Hà Nội", "country": "Vietnam"}, "country: at most 2"),
    ({"province": "Hà Nội", "country": "V1"}, "two-letter"),
    ({"province": "Hà Nội", "ward": "x" * 121}, "ward: at most 120"),
    ({"province": "Hà Nội", "street": "a\x00b"}, "street: contains a NUL byte"),
    ({"province": "Hà Nội", "city": "x"}, "unknown fields city"),
])
def test_the_partner_address_refuses_bad_input(shop, fields, message):
    from addons.courier.models import PartnerAddress
    from addons.courier.services.addresses import set_partner_address
    with pytest.raises(UserError, match=message), shop.tx() as s:
        set_partner_address(s, shop.customer_id, **fields)
    with shop.session() as s:
        assert s.scalar(select(func.count()).select_from(PartnerAddress)) == 0


def test_the_demo_walks_manual_shipments_through_every_state_and_pays_a_cod_statement(runtime, make_business):
    import random
    from addons.courier import demo
    from addons.courier.models import CodStatement
    from .conftest import build_shop
    own = build_shop(runtime, make_business)          # a business of its own: the demo ships every open order
    orders = [own.order(cod=True) for _ in demo.WALKS]
    with own.tx() as s:
        demo.load(s, own.id, random.Random(1))
    with own.session() as s:
        rows = s.scalars(select(Shipment)).all()
        assert {r.order_id for r in rows} == set(orders) and {r.carrier for r in rows} == {"manual"}
        assert {r.state for r in rows} == set(states.STATES) - {states.DRAFT}
        statement = s.scalar(select(CodStatement))
        assert statement is not None and statement.lines and all(line.payment_id for line in statement.lines)
        delivered = [r for r in rows if r.state == states.DELIVERED]
        assert delivered and all(r.order.state == "completed" for r in delivered)
