"""The counter: a paid walk-in order through the sales services with change, stock through the bridge, a
shift with its float and closing report printed; refusals write nothing."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from addons.pos_print import decoder, services
from addons.sales.models import Order
from core.errors import FieldErrors, UserError

from .conftest import run_jobs


@pytest.fixture(scope="module")
def counter(vn_shop, fake_printer):
    with vn_shop.tx() as session:
        services.create_printer(session, name="Quầy", kind="network", host="127.0.0.1", port=fake_printer.port,
                                profile="TM-T20II", has_drawer=True)
    return "Quầy"


def _orders(shop):
    with shop.session() as session:
        return session.scalar(select(func.count(Order.id)))


def test_shift_sale_with_change_and_closing_report(vn_shop, counter, fake_printer):
    with vn_shop.tx() as session:
        services.open_shift(session, "500000", printer_name=counter)
    with vn_shop.tx() as session:
        with pytest.raises(UserError, match="already open"):
            services.open_shift(session, "0")
    fake_printer.reset()
    with vn_shop.tx() as session:
        sale = services.counter_sale(session, {"lines": [{"sku": vn_shop.skus[0], "qty": "2"},
                                                         {"sku": vn_shop.skus[1]}],
                                               "cash": "300000", "printer": counter})
        total, change, code = sale.order.total, sale.change, sale.receipt.code
        assert (sale.order.channel, sale.order.payment_status, sale.order.partner_id) == ("counter", "paid", None)
        assert sale.receipt.shift_id is not None
    assert total == Decimal("218900")                      # (2 x 85,000 + 29,000) + 10 % VAT
    assert change == Decimal("81100")
    run_jobs(vn_shop.runtime, vn_shop.id)
    out = decoder.decode(fake_printer.content())
    assert any(line.startswith("Tiền thối") and line.endswith("81.100 ₫") for line in out.text_lines)
    assert out.drawer_kicks == 1
    with vn_shop.tx() as session:                         # card and cash together
        split = services.counter_sale(session, {"lines": [{"sku": vn_shop.skus[1]}], "card": "20000",
                                                "cash": "20000", "printer": counter})
        assert sorted((p.method, p.amount) for p in split.order.payments) == [("card", Decimal("20000")),
                                                                               ("cash", Decimal("11900"))]
        services.reprint(session, code, reason="customer_request")
    fake_printer.reset()
    with vn_shop.tx() as session:
        shift, figures, job_id = services.close_shift(session, "750000")
    assert figures["sales"] == 2 and figures["reprints"] >= 1
    assert figures["by_method"] == {"card": Decimal("20000"), "cash": Decimal("230800")}
    assert figures["expected_cash"] == Decimal("730800") and figures["difference"] == Decimal("19200")
    run_jobs(vn_shop.runtime, vn_shop.id)
    report = decoder.decode(fake_printer.content()).text_lines
    assert "Tiền mặt" + " " * (48 - len("Tiền mặt") - len("230.800 ₫")) + "230.800 ₫" in report
    assert any(line.endswith("19.200 ₫") for line in report)
    with vn_shop.tx() as session:
        with pytest.raises(UserError, match="no shift is open"):
            services.close_shift(session, "0")


def test_refusals_write_nothing(vn_shop, counter):
    before = _orders(vn_shop)
    bad = [({"lines": []}, "lines"), ({"lines": [{"sku": "NOPE"}], "cash": "1"}, "lines[0].sku"),
           ({"lines": [{"sku": vn_shop.skus[0], "qty": "-1"}]}, "lines[0].qty"),
           ({"lines": [{"sku": vn_shop.skus[0]}], "cash": "1e309"}, "cash"),
           ({"lines": [{"sku": vn_shop.skus[0]}], "cash": "1000"}, "cash: "),
           ({"lines": [{"sku": vn_shop.skus[0]}], "card": "99999999"}, "card: ")]
    for payload, field in bad:
        with pytest.raises(FieldErrors, match=field.replace("[", r"\[").replace("]", r"\]")):
            with vn_shop.tx() as session:
                services.counter_sale(session, dict(payload, printer=counter))
    assert _orders(vn_shop) == before
