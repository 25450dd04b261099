"""The GHN adapter against a fake GHN gateway on 127.0.0.1: areas, quotes, creation with timeouts
after accepting (looked up by client code, never created twice), refusals, tracking out of order,
unsigned webhooks (replays, forged bodies), cancelling, the scheduled pull."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from addons.courier import states
from addons.courier.models import ShipmentEvent, WebhookHit
from addons.courier.services import shipments, tracking
from addons.courier.services.addresses import resolve_area
from core.errors import UserError

from tests.web.conftest import app  # noqa: F401  fixture

from .conftest import HANOI


def test_areas_map_three_and_two_level_addresses(ghn_shop):
    with ghn_shop.session() as s:
        assert resolve_area(s, "ghn", "GHN", HANOI) == {"province": "201", "district": "1488", "ward": "1A0807"}
        two_level = {"province": "TP. Hồ Chí Minh", "ward": "phuong ben nghe"}
        assert resolve_area(s, "ghn", "GHN", two_level) == {"province": "202", "district": "1442", "ward": "20107"}
        with pytest.raises(UserError, match="receiver ward: 'Phường Không Có' matches no GHN ward in Quận Hai Bà"):
            resolve_area(s, "ghn", "GHN", {**HANOI, "ward": "Phường Không Có"})
        with pytest.raises(UserError, match="receiver district: 'Quận 9'"):
            resolve_area(s, "ghn", "GHN", {**HANOI, "district": "Quận 9"})
        with pytest.raises(UserError, match="receiver province: 'Đà Nẵng'"):
            resolve_area(s, "ghn", "GHN", {**HANOI, "province": "Đà Nẵng"})


def test_quote_lists_services_with_fee_and_lead_time(ghn_shop):
    order_id = ghn_shop.order(cod=True)
    from addons.courier.carriers import instantiate
    with ghn_shop.session() as s:
        data = shipments.draft_data(s, order_id, "ghn")
        carrier = instantiate(ghn_shop.runtime, s, ghn_shop.id, "ghn")
    quotes = carrier.quote(data)
    assert [(q.service, q.label, q.fee) for q in quotes] == [("2", "Hàng nhẹ", 22000), ("5", "Hàng nặng", 65000)]
    assert quotes[0].lead_time.isoformat() == "2030-01-01"


def test_create_sends_the_documented_fields(ghn_shop, fake_ghn):
    order_id = ghn_shop.order(cod=True)
    shipment_id = ghn_shop.ship(order_id, carrier="ghn", service="2", payer="receiver",
                                required_note="CHOTHUHANG")
    row = ghn_shop.shipment(shipment_id)
    held = fake_ghn.orders[row.tracking_number]
    assert (row.state, row.request_state, row.fee) == (states.REQUESTED, "done", 22000)
    assert held["client_order_code"] == row.client_code and held["payment_type_id"] == 2
    assert held["cod_amount"] == int(row.cod_amount) and held["weight"] == 1300
    assert row.expected_delivery.isoformat() == "2026-12-04"


def test_a_timeout_after_accepting_is_looked_up_and_never_creates_twice(ghn_shop, fake_ghn):
    order_id = ghn_shop.order()
    before = fake_ghn.creates()
    fake_ghn.slow_creates = 1           # GHN stores the order, the answer comes after our timeout
    shipment_id = ghn_shop.ship(order_id, carrier="ghn", service="2", run=False)
    first = ghn_shop.run_jobs(rounds=1)
    assert first == [("courier.create_at_carrier", "pending")]
    assert ghn_shop.shipment(shipment_id).request_state == "unknown"
    from addons.courier.services.sending import run_create
    assert run_create(ghn_shop.runtime, ghn_shop.id, shipment_id) == "done"   # the retry looks it up first
    row = ghn_shop.shipment(shipment_id)
    assert fake_ghn.creates() - before == 1
    assert [o["client_order_code"] for o in fake_ghn.orders.values()].count(row.client_code) == 1
    assert fake_ghn.calls[-1] == "/v2/shipping-order/detail-by-client-code"


def test_a_5xx_is_an_unknown_outcome_and_the_lookup_finds_nothing_so_it_creates(ghn_shop, fake_ghn):
    from addons.courier.services.sending import CreationPending, run_create
    order_id = ghn_shop.order()
    shipment_id = ghn_shop.ship(order_id, carrier="ghn", service="2", run=False)
    fake_ghn.fail_next = 1
    with pytest.raises(CreationPending, match="outcome unknown"):
        run_create(ghn_shop.runtime, ghn_shop.id, shipment_id)
    assert run_create(ghn_shop.runtime, ghn_shop.id, shipment_id) == "done"
    code = ghn_shop.shipment(shipment_id).client_code
    assert [o["client_order_code"] for o in fake_ghn.orders.values()].count(code) == 1


def test_a_refusal_is_kept_and_a_retry_uses_a_new_client_code(ghn_shop, fake_ghn):
    order_id = ghn_shop.order()
    shipment_id = ghn_shop.ship(order_id, carrier="ghn", service="2", run=False)
    with ghn_shop.tx() as s:
        shipments.get_shipment(s, shipment_id).area = {"province": "201", "district": "1488", "ward": "BAD"}
    ghn_shop.run_jobs()
    row = ghn_shop.shipment(shipment_id)
    assert row.request_state == "failed" and "Ward code is not valid" in row.last_error
    with ghn_shop.tx() as s:
        fixed = shipments.get_shipment(s, shipment_id)
        fixed.area = {"province": "201", "district": "1488", "ward": "1A0807"}
        shipments.retry_creation(s, shipment_id)
    ghn_shop.run_jobs()
    row = ghn_shop.shipment(shipment_id)
    assert row.request_state == "done" and row.client_code.endswith("-2")


def _created(ghn_shop, fake_ghn, **kw):
    shipment_id = ghn_shop.ship(ghn_shop.order(**kw), carrier="ghn", service="2")
    return shipment_id, ghn_shop.shipment(shipment_id).tracking_number


def test_tracking_sorts_out_of_order_logs_and_stores_each_event_once(ghn_shop, fake_ghn):
    shipment_id, code = _created(ghn_shop, fake_ghn, pay=True)
    for status, at in (("picking", "2026-12-01T09:00:00Z"), ("picked", "2026-12-01T10:00:00Z"),
                       ("transporting", "2026-12-01T12:00:00Z"), ("delivering", "2026-12-02T08:00:00Z")):
        fake_ghn.set_status(code, status, at)
    assert tracking.refresh(ghn_shop.runtime, ghn_shop.id, shipment_id) >= 3
    assert tracking.refresh(ghn_shop.runtime, ghn_shop.id, shipment_id) == 0
    row = ghn_shop.shipment(shipment_id)
    assert row.state == states.DELIVERING and row.carrier_status == "delivering"
    with ghn_shop.session() as s:
        assert s.scalar(select(func.count()).select_from(ShipmentEvent)
                        .where(ShipmentEvent.shipment_id == shipment_id, ShipmentEvent.source == "pull")) == 5
    fake_ghn.set_status(code, "delivered", "2026-12-02T11:00:00Z")
    tracking.refresh(ghn_shop.runtime, ghn_shop.id, shipment_id)
    assert ghn_shop.shipment(shipment_id).state == states.DELIVERED
    assert ghn_shop.order_row(row.order_id).state == "completed"


def _post(app_client, url, body):
    return app_client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def client(app):
    return app.test_client()     # no login, no CSRF token: what a carrier sends


def test_webhooks_are_hints_replays_change_once_and_forged_bodies_nothing(ghn_shop, fake_ghn, runtime, client):
    shipment_id, code = _created(ghn_shop, fake_ghn)
    url = f"/courier/webhook/ghn/{tracking.webhook_token(runtime, ghn_shop.id, 'ghn')}"
    fake_ghn.set_status(code, "picked", "2026-12-01T10:00:00Z")
    body = {"OrderCode": code, "Status": "picked", "Time": "2026-12-01T10:00:00Z", "Type": "switch_status",
            "CODAmount": 0}
    answers = {_post(client, url, body).status_code for _ in range(100)}
    assert answers == {200}
    assert ghn_shop.run_jobs() == [("courier.refresh_shipment", "done")]
    assert ghn_shop.shipment(shipment_id).state == states.PICKED
    with ghn_shop.session() as s:
        assert s.scalar(select(func.count()).select_from(WebhookHit)) == 1
    forged = {**body, "Status": "delivered", "Time": "2026-12-01T11:00:00Z"}
    assert _post(client, url, forged).status_code == 200
    ghn_shop.run_jobs()
    assert ghn_shop.shipment(shipment_id).state == states.PICKED   # GHN's API still says picked
    assert _post(client, "/courier/webhook/ghn/1.forged", body).status_code == 404
    assert _post(client, url, {"nothing": 1}).status_code == 400


def test_cancel_goes_through_the_carrier(ghn_shop, fake_ghn):
    shipment_id, code = _created(ghn_shop, fake_ghn)
    with ghn_shop.tx() as s:
        tracking.request_cancel(s, shipment_id)
    ghn_shop.run_jobs()
    assert ghn_shop.shipment(shipment_id).state == states.CANCELLED and fake_ghn.orders[code]["status"] == "cancel"


def test_the_scheduled_pull_asks_about_every_open_shipment(ghn_shop, fake_ghn):
    created = [_created(ghn_shop, fake_ghn, pay=True) for _ in range(3)]
    for _id, code in created:
        fake_ghn.set_status(code, "picked", "2026-12-01T10:00:00Z")
    result = tracking.pull_open(ghn_shop.runtime, ghn_shop.id, batch=2)
    assert result == {"asked": 3, "moved": 6, "failed": 0}   # ready_to_pick, then picked
    assert {ghn_shop.shipment(i).state for i, _c in created} == {states.PICKED}


def _pdf_text(pdf: bytes) -> str:
    import subprocess
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())     # GHN's style sheet (18 pt codes) wraps lines on 80 mm


@pytest.mark.parametrize("size,page", [("a5", "printA5"), ("80mm", "print80x80")])
def test_ghn_labels_are_ghn_s_own_print_page_rendered_to_pdf(ghn_shop, fake_ghn, size, page):
    from addons.courier.services.labels import print_labels
    first, second = _created(ghn_shop, fake_ghn), _created(ghn_shop, fake_ghn)
    del fake_ghn.gets[:]
    with ghn_shop.tx() as s:
        pdf = print_labels(s, [first[1], second[1]], size)
    text = _pdf_text(pdf)
    assert pdf[:4] == b"%PDF" and "Giao Hàng Nhanh" in text and f"Khổ in: {page}" in text
    assert f"Mã đơn GHN: {first[1]}" in text and f"Mã đơn GHN: {second[1]}" in text and "Tessera" not in text
    assert b"/Subtype /Image" in pdf                       # GHN's barcode pictures are on the page
    assert f"/a5/public-api/{page}" in fake_ghn.gets[0]
    assert "/images/barcode.png" in fake_ghn.gets         # a picture on GHN's own gateway is fetched ...
    assert "/css/label.css" in fake_ghn.gets              # its style sheet too (and the picture it names)
    assert "/images/elsewhere.png" not in fake_ghn.gets and "/css/x.css" not in fake_ghn.gets  # another host never
    assert ghn_shop.shipment(first[0]).label_prints == 1


def test_ghn_labels_use_a_pdf_as_it_comes_and_our_own_when_ghn_answers_neither(ghn_shop, fake_ghn):
    import io

    from reportlab.pdfgen.canvas import Canvas
    from addons.courier.services.labels import print_labels
    shipment_id, code = _created(ghn_shop, fake_ghn)
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(50, 700, f"GHN PDF {code}")
    canvas.save()
    own = buffer.getvalue()
    fake_ghn.print_mode, fake_ghn.print_pdf = "pdf", own
    try:
        with ghn_shop.tx() as s:
            assert print_labels(s, [code], "a5") == own
        fake_ghn.print_mode = "text"
        with ghn_shop.tx() as s:
            pdf = print_labels(s, [code], "80mm")
    finally:
        fake_ghn.print_mode = "html"
    text = _pdf_text(pdf)
    assert "Giao Hàng Nhanh" in text and code in text and "Mã đơn GHN" not in text   # Tessera's own label
    assert ghn_shop.shipment(shipment_id).label_prints == 2


def test_a_failed_delivery_is_sent_back_through_switch_status_return(ghn_shop, fake_ghn):
    shipment_id, code = _created(ghn_shop, fake_ghn, pay=True)
    with ghn_shop.tx() as s, pytest.raises(UserError, match="only a shipment whose delivery failed"):
        tracking.request_return(s, shipment_id)
    fake_ghn.set_status(code, "delivery_fail", "2026-12-02T10:00:00Z")
    tracking.refresh(ghn_shop.runtime, ghn_shop.id, shipment_id)
    assert ghn_shop.shipment(shipment_id).state == states.DELIVERY_FAILED
    with ghn_shop.tx() as s:
        tracking.request_return(s, shipment_id)
    assert ghn_shop.run_jobs() == [("courier.return_at_carrier", "done")]
    assert ghn_shop.shipment(shipment_id).state == states.RETURNING and fake_ghn.orders[code]["status"] == "return"
    assert "/v2/switch-status/return" in fake_ghn.calls
