"""COD payout statements: CSV and XLSX as the portals export them, the sum check, every mismatch,
all or nothing, and idempotency."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from addons.courier import states
from addons.courier.models import CodStatement
from addons.courier.services import cod, tracking
from addons.sales.models import Payment
from core.errors import UserError


def _delivered(shop, **kw):
    shipment_id = shop.ship(shop.order(cod=True, **kw), carrier="manual", service="own")
    for name in (states.PICKED, states.DELIVERED):
        with shop.tx() as s:
            tracking.set_state(s, shipment_id, name)
    return shop.shipment(shipment_id)


def _csv(rows, transferred=None, transfer_fee=0):
    cod_sum = sum(c for _t, c, _f in rows)
    fees = sum(f for _t, _c, f in rows)
    total = cod_sum - fees - transfer_fee if transferred is None else transferred
    lines = ["Mã vận đơn,Tiền thu hộ (COD),Tổng phí,Phí chuyển khoản,Số tiền chuyển khoản,Ngày chuyển khoản"]
    lines += [f"{t},{c},{f},{transfer_fee},{total},02/12/2026" for t, c, f in rows]
    return ("\n".join(lines) + "\n").encode()


def _import(shop, data, name="payout.csv", dry_run=False):
    with shop.tx() as s:
        return cod.import_statement(s, "ghn", name, data, dry_run=dry_run)


def _shipments_as_ghn(shop, *rows):
    """The statement test uses GHN's format; the shipments here went through the manual carrier."""
    from addons.courier.models import Shipment
    with shop.tx() as s:
        for row in rows:
            s.get(Shipment, row.id).carrier = "ghn"


def test_a_balanced_statement_registers_cod_and_completes_the_orders(shop):
    first, second = _delivered(shop), _delivered(shop)
    _shipments_as_ghn(shop, first, second)
    data = _csv([(first.tracking_number, int(first.cod_amount), 22000),
                 (second.tracking_number, int(second.cod_amount), 25000)], transfer_fee=3300)
    dry = _import(shop, data, dry_run=True)
    assert (dry["matched"], dry["registered"], dry["mismatches"]) == (2, 0, [])
    summary = _import(shop, data)
    assert (summary["registered"], summary["balanced"], summary["transfer_fee"]) == (2, True, 3300)
    assert str(summary["transfer_date"]) == "2026-12-02"
    for row in (first, second):
        order = shop.order_row(row.order_id)
        assert (order.payment_status, order.state) == ("paid", "completed")
        assert [(p.method, p.amount) for p in order.payments] == [("cod", row.cod_amount)]
    again = _import(shop, data)
    assert again["already_imported"] and again["registered"] == 0
    with shop.session() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 2
        assert s.scalar(select(func.count()).select_from(CodStatement)) == 1


def test_every_mismatch_is_listed_and_only_matching_lines_register(shop):
    good, wrong_cod = _delivered(shop), _delivered(shop)
    in_transit = shop.shipment(shop.ship(shop.order(cod=True)))
    _shipments_as_ghn(shop, good, wrong_cod, in_transit)
    data = _csv([(good.tracking_number, int(good.cod_amount), 20000), ("NOPE-1", 5000, 0),
                 (wrong_cod.tracking_number, int(wrong_cod.cod_amount) - 1000, 20000),
                 (in_transit.tracking_number, int(in_transit.cod_amount), 20000)])
    summary = _import(shop, data)
    problems = {m["tracking_number"]: m["problem"] for m in summary["mismatches"]}
    assert problems["NOPE-1"] == "unknown tracking number"
    assert problems[wrong_cod.tracking_number].startswith("COD ") and "is not the expected" in \
        problems[wrong_cod.tracking_number]
    assert problems[in_transit.tracking_number] == "parcel not delivered (it is Requested)"
    assert summary["registered"] == 1 and shop.order_row(good.order_id).payment_status == "paid"
    assert shop.order_row(wrong_cod.order_id).payment_status == "unpaid"


def test_a_statement_that_does_not_add_up_registers_nothing(shop):
    row = _delivered(shop)
    _shipments_as_ghn(shop, row)
    summary = _import(shop, _csv([(row.tracking_number, int(row.cod_amount), 20000)], transferred=1))
    assert not summary["balanced"] and summary["registered"] == 0
    assert "does not add up" in summary["mismatches"][0]["problem"]
    assert shop.order_row(row.order_id).payment_status == "unpaid"
    with shop.session() as s:
        assert s.scalar(select(func.count()).select_from(CodStatement)) == 0


def test_xlsx_statements_are_read_like_the_portal_exports_them(shop):
    from openpyxl import Workbook
    row = _delivered(shop)
    _shipments_as_ghn(shop, row)
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã đơn GHN", "Tiền thu hộ", "Phí dịch vụ", "Thực nhận"])
    sheet.append([row.tracking_number, int(row.cod_amount), 22000.0, int(row.cod_amount) - 22000])
    out = io.BytesIO()
    book.save(out)
    summary = _import(shop, out.getvalue(), name="payout.xlsx")
    assert (summary["registered"], summary["fee_total"]) == (1, 22000)


@pytest.mark.parametrize("data,name,message", [
    (b"a,b\n1,2\n", "x.csv", "no column for tracking_number, cod, fee"),
    (b"\xff\xfe", "x.csv", "not valid UTF-8"),
    (b"tracking_number,cod,fee\n", "x.csv", "no lines under the header"),
    (b"tracking_number,cod,fee\nT1,abc,0\n", "x.csv", "line 2: cod"),
    (b"PK", "x.xlsx", "not a readable XLSX file"),
    (b"x", "x.pdf", "give a .csv or .xlsx file"),
])
def test_bad_files_are_refused_with_the_reason(shop, data, name, message):
    with pytest.raises(UserError, match=message):
        _import(shop, data, name=name)
