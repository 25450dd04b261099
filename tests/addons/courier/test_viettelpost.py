"""The Viettel Post adapter against a fake partner gateway on 127.0.0.1: the token dance, prices,
creation that a retry never doubles (CHECK_UNIQUE), errors inside HTTP 200, cancelling, and status
webhooks authenticated by the shop's TOKEN."""
from __future__ import annotations

import json

import pytest

from addons.courier import states
from addons.courier.services import tracking
from addons.courier_viettelpost.carrier import STATUS_MAP, order_payment
from tests.web.conftest import app  # noqa: F401  fixture

from .fake_vtp import PASSWORD, USER, FakeVtp

SECRET = "vtp-hook-secret"


@pytest.fixture(scope="module")
def fake_vtp():
    with FakeVtp() as fake:
        yield fake


@pytest.fixture
def vtp_shop(runtime, make_business, fake_vtp):
    from addons.courier.services.areas import sync_areas
    from .conftest import build_shop
    shop = build_shop(runtime, make_business, addons=("courier", "courier_viettelpost"))
    shop.settings("courier_viettelpost", base_url=fake_vtp.url, username=USER, password=PASSWORD,
                  timeout_seconds="0.3", sender_province="2", sender_district="1", webhook_token=SECRET,
                  print_base_url=fake_vtp.url.removesuffix("/v2"))
    # three-level: 2 provinces, 1 district, 1 ward (v2's pseudo district "NEW" and its ward left out);
    # 2025 two-level (v3): 2 more provinces and their 2 wards
    assert sync_areas(runtime, shop.id, "viettelpost") == {"carrier": "viettelpost", "provinces": 4, "districts": 1,
                                                           "wards": 3}
    return shop


def test_status_numbers_and_payment_codes():
    assert STATUS_MAP[501] == states.DELIVERED and STATUS_MAP[504] == states.RETURNED
    assert STATUS_MAP[105] == states.PICKED and STATUS_MAP[500] == states.DELIVERING
    assert {order_payment("shop", 0), order_payment("receiver", 10), order_payment("shop", 10),
            order_payment("receiver", 0)} == {1, 2, 3, 4}


def test_quote_and_create_through_the_long_lived_token(vtp_shop, fake_vtp):
    from addons.courier.carriers import instantiate
    from addons.courier.services.shipments import draft_data
    order_id = vtp_shop.order(cod=True)
    with vtp_shop.session() as s:
        data = draft_data(s, order_id, "viettelpost")
        carrier = instantiate(vtp_shop.runtime, s, vtp_shop.id, "viettelpost")
    assert data.area == {"province": "1", "district": "12", "ward": "120"}
    assert [(q.service, q.fee) for q in carrier.quote(data)] == [("VCN", 32000), ("LCOD", 21000)]
    shipment_id = vtp_shop.ship(order_id, carrier="viettelpost", service="VCN")
    row = vtp_shop.shipment(shipment_id)
    assert (row.state, row.request_state, row.fee) == (states.REQUESTED, "done", 32000)
    held = fake_vtp.orders[row.tracking_number]
    assert held["reference"] == row.client_code and held["payment"] == 3 and held["cod"] == int(row.cod_amount)


def test_a_timeout_after_accepting_is_resent_with_check_unique_and_never_doubles(vtp_shop, fake_vtp):
    from addons.courier.services.sending import run_create
    order_id = vtp_shop.order()
    shipment_id = vtp_shop.ship(order_id, carrier="viettelpost", service="VCN", run=False)
    fake_vtp.slow_creates = 1
    assert vtp_shop.run_jobs(rounds=1) == [("courier.create_at_carrier", "pending")]
    assert vtp_shop.shipment(shipment_id).request_state == "unknown"
    assert run_create(vtp_shop.runtime, vtp_shop.id, shipment_id) == "done"
    row = vtp_shop.shipment(shipment_id)
    assert fake_vtp.count(row.client_code) == 1 and fake_vtp.orders[row.tracking_number]["reference"] == \
        row.client_code


def test_errors_inside_http_200_are_refusals(vtp_shop, fake_vtp):
    shipment_id = vtp_shop.ship(vtp_shop.order(), carrier="viettelpost", service="NOPE")
    row = vtp_shop.shipment(shipment_id)
    assert row.request_state == "failed" and "Dịch vụ không hợp lệ" in row.last_error
    vtp_shop.settings("courier_viettelpost", password="wrong")
    other = vtp_shop.ship(vtp_shop.order(), carrier="viettelpost", service="VCN")
    assert "Sai tên đăng nhập" in vtp_shop.shipment(other).last_error


def test_cancel_only_before_the_post_office_has_it(vtp_shop, fake_vtp):
    first = vtp_shop.ship(vtp_shop.order(), carrier="viettelpost", service="VCN")
    with vtp_shop.tx() as s:
        tracking.request_cancel(s, first)
    vtp_shop.run_jobs()
    assert vtp_shop.shipment(first).state == states.CANCELLED
    second = vtp_shop.ship(vtp_shop.order(), carrier="viettelpost", service="VCN")
    fake_vtp.orders[vtp_shop.shipment(second).tracking_number]["status"] = 200   # the post office has it
    with vtp_shop.tx() as s:
        tracking.request_cancel(s, second)
    assert [state for _a, state in vtp_shop.run_jobs()] == ["failed"]
    assert vtp_shop.shipment(second).state == states.REQUESTED


def test_status_webhooks_need_the_token_replays_change_once_and_old_ones_nothing(vtp_shop, fake_vtp, runtime,
                                                                                 app):  # noqa: F811
    client = app.test_client()
    shipment_id = vtp_shop.ship(vtp_shop.order(pay=True), carrier="viettelpost", service="VCN")
    number = vtp_shop.shipment(shipment_id).tracking_number
    url = f"/courier/webhook/viettelpost/{tracking.webhook_token(runtime, vtp_shop.id, 'viettelpost')}"

    def hook(status, at, token=SECRET):
        body = {"DATA": {"ORDER_NUMBER": number, "ORDER_REFERENCE": "x", "ORDER_STATUS": status,
                         "ORDER_STATUSDATE": at, "STATUS_NAME": "..."}, "TOKEN": token}
        return client.post(url, data=json.dumps(body), content_type="application/json").status_code

    assert {hook(500, "02/12/2026 08:00:00") for _ in range(100)} == {200}
    assert vtp_shop.shipment(shipment_id).state == states.DELIVERING
    assert hook(105, "01/12/2026 15:00:00") == 200                     # older, out of order: stored, ignored
    assert vtp_shop.shipment(shipment_id).state == states.DELIVERING
    assert hook(501, "02/12/2026 11:00:00", token="forged") == 400     # a forged call changes nothing
    assert vtp_shop.shipment(shipment_id).state == states.DELIVERING
    assert hook(501, "02/12/2026 11:00:00") == 200
    row = vtp_shop.shipment(shipment_id)
    assert row.state == states.DELIVERED and vtp_shop.order_row(row.order_id).state == "completed"


TWO_LEVEL_HANOI = {"name": "Trần Thị Bình", "phone": "0987654321", "street": "5 Phố Huế",
                   "ward": "Phường Hai Bà Trưng", "province": "Thành phố Hà Nội", "country": "VN"}


def test_2025_two_level_addresses_use_the_v3_lists_and_three_level_ones_the_old(vtp_shop, fake_vtp):
    from addons.courier.services.shipments import draft_data
    from core.errors import UserError
    two = vtp_shop.order(address=TWO_LEVEL_HANOI)
    saigon = vtp_shop.order(address={**TWO_LEVEL_HANOI, "ward": "Phường Sài Gòn", "province": "TP. Hồ Chí Minh"})
    old_ward = vtp_shop.order(address={**TWO_LEVEL_HANOI, "ward": "Phạm Đình Hổ"})   # old ward, no district
    three = vtp_shop.order()
    with vtp_shop.session() as s:
        assert draft_data(s, two, "viettelpost").area == {"province": "2025:1", "district": None,
                                                          "ward": "2025:49876:12"}
        assert draft_data(s, saigon, "viettelpost").area == {"province": "2025:2", "district": None,
                                                             "ward": "2025:49900"}
        assert draft_data(s, old_ward, "viettelpost").area == {"province": "1", "district": "12", "ward": "120"}
        assert draft_data(s, three, "viettelpost").area == {"province": "1", "district": "12", "ward": "120"}
    bad = vtp_shop.order(address={**TWO_LEVEL_HANOI, "ward": "Phường Không Có"})
    with vtp_shop.session() as s, pytest.raises(UserError, match="receiver ward: 'Phường Không Có' matches no"):
        draft_data(s, bad, "viettelpost")
    row = vtp_shop.shipment(vtp_shop.ship(two, carrier="viettelpost", service="VCN"))
    assert row.request_state == "done"
    sent = fake_vtp.last_create
    assert (sent["RECEIVER_PROVINCE"], sent["RECEIVER_DISTRICT"], sent["RECEIVER_WARD"]) == (1, 12, 49876)
    vtp_shop.ship(saigon, carrier="viettelpost", service="VCN")
    sent = fake_vtp.last_create
    assert (sent["RECEIVER_PROVINCE"], sent["RECEIVER_DISTRICT"], sent["RECEIVER_WARD"]) == (2, 0, 49900)


def test_without_the_v3_lists_the_2025_ones_come_from_v2_s_pseudo_districts(runtime, vtp_shop, fake_vtp):
    from addons.courier.services.areas import sync_areas
    from addons.courier.services.shipments import draft_data
    fake_vtp.v3 = False
    try:
        # three-level as before; 2025: Hà Nội (it has a pseudo district) and the pseudo district's ward
        assert sync_areas(runtime, vtp_shop.id, "viettelpost") == {"carrier": "viettelpost", "provinces": 3,
                                                                   "districts": 1, "wards": 2}
    finally:
        fake_vtp.v3 = True
    with vtp_shop.session() as s:
        assert draft_data(s, vtp_shop.order(address=TWO_LEVEL_HANOI), "viettelpost").area == {
            "province": "2025:1", "district": None, "ward": "2025:49876:100000001"}


def test_the_pull_asks_viettel_post_to_push_open_parcels_again(vtp_shop, fake_vtp):
    open_ids = [vtp_shop.ship(vtp_shop.order(), carrier="viettelpost", service="VCN") for _ in range(2)]
    numbers = {vtp_shop.shipment(i).tracking_number for i in open_ids}
    del fake_vtp.resends[:]
    result = tracking.pull_open(vtp_shop.runtime, vtp_shop.id)
    assert numbers <= set(fake_vtp.resends) and result["failed"] == 0 and result["moved"] == 0
    del fake_vtp.resends[:]
    vtp_shop.settings("courier_viettelpost", pull_resend=False)
    tracking.pull_open(vtp_shop.runtime, vtp_shop.id)
    assert fake_vtp.resends == []


def test_the_secret_may_come_as_the_authorization_header(vtp_shop, fake_vtp, runtime, app):  # noqa: F811
    client = app.test_client()
    shipment_id = vtp_shop.ship(vtp_shop.order(), carrier="viettelpost", service="VCN")
    number = vtp_shop.shipment(shipment_id).tracking_number
    url = f"/courier/webhook/viettelpost/{tracking.webhook_token(runtime, vtp_shop.id, 'viettelpost')}"
    body = json.dumps({"DATA": {"ORDER_NUMBER": number, "ORDER_STATUS": 105, "ORDER_STATUSDATE": "02/12/2026 08:00:00"}})
    assert client.post(url, data=body, content_type="application/json",
                       headers={"Authorization": "wrong"}).status_code == 400
    assert vtp_shop.shipment(shipment_id).state == states.REQUESTED
    assert client.post(url, data=body, content_type="application/json",
                       headers={"Authorization": SECRET}).status_code == 200
    assert vtp_shop.shipment(shipment_id).state == states.PICKED


def test_a_failed_delivery_is_sent_back_with_update_order_type_2(vtp_shop, fake_vtp, runtime, app):  # noqa: F811
    client = app.test_client()
    shipment_id = vtp_shop.ship(vtp_shop.order(), carrier="viettelpost", service="VCN")
    number = vtp_shop.shipment(shipment_id).tracking_number
    url = f"/courier/webhook/viettelpost/{tracking.webhook_token(runtime, vtp_shop.id, 'viettelpost')}"
    fake_vtp.orders[number]["status"] = 505
    body = {"DATA": {"ORDER_NUMBER": number, "ORDER_STATUS": 505, "ORDER_STATUSDATE": "02/12/2026 09:00:00"},
            "TOKEN": SECRET}
    assert client.post(url, data=json.dumps(body), content_type="application/json").status_code == 200
    assert vtp_shop.shipment(shipment_id).state == states.DELIVERY_FAILED
    with vtp_shop.tx() as s:
        tracking.request_return(s, shipment_id)
    assert vtp_shop.run_jobs() == [("courier.return_at_carrier", "done")]
    assert vtp_shop.shipment(shipment_id).state == states.RETURNING and fake_vtp.orders[number]["status"] == 515


def test_labels_are_viettel_post_s_print_page_for_a5_and_a6_and_ours_for_80mm(vtp_shop, fake_vtp):
    import subprocess
    from addons.courier.services.labels import print_labels
    ids = [vtp_shop.ship(vtp_shop.order(), carrier="viettelpost", service="VCN") for _ in range(2)]
    numbers = [vtp_shop.shipment(i).tracking_number for i in ids]

    def text(pdf):
        return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    del fake_vtp.gets[:]
    with vtp_shop.tx() as s:
        pdf = print_labels(s, numbers, "a6")
    page = text(pdf)
    assert pdf[:4] == b"%PDF" and "VIETTEL POST" in page and "Loại nhãn: 2" in page
    assert all(f"Mã vận đơn: {n}" in page for n in numbers) and b"/Subtype /Image" in pdf
    assert fake_vtp.gets == ["/images/vtp-barcode.png"]          # the print host's picture, once; no other host
    assert list(fake_vtp.print_codes.values())[-1] == numbers
    with vtp_shop.tx() as s:
        own = text(print_labels(s, numbers[:1], "80mm"))
    assert "Viettel Post" in own and numbers[0] in own and "Mã vận đơn" not in own
    assert vtp_shop.shipment(ids[0]).label_prints == 2
