"""One precision contract: the column scale. A price, quantity, discount or rate with more
decimals than its column holds is refused, naming the field and the decimals allowed; what
is accepted is stored exactly, so an issued document's stored XML equals a rebuild from
its rows. Checked over a seeded random corpus of free documents and documents of orders."""
from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest

from core.errors import UserError

# field -> decimals its column holds (quantity/price: core.money Quantity/Amount; Rate(5, 2); Rate(8, 6))
LINE_SCALES = {"quantity": 4, "unit_price": 4, "discount_percent": 2, "tax_rate": 6}
ORDER_SCALES = {"qty": 4, "unit_price": 4, "discount_percent": 2}
RATES = ("0.10", "0.05", "0.08", "0.0825", "0.08875", "0.075", None)


def _decimal(rng, low, high, places) -> str:
    """A random number in [low, high) with exactly ``places`` decimals (the last one not zero)."""
    units = rng.randrange(max(int(low * 10 ** places), 1 if low > 0 else 0), int(high * 10 ** places))
    if places and units % 10 == 0:
        units += 1
    return format(Decimal(units).scaleb(-places), "f")


def _places(rng) -> int:
    return rng.choice((0, 0, 1, 2, 3, 4, 4))


def _free_line(rng) -> dict:
    return {"description": f"Item {rng.randrange(1000)}", "quantity": _decimal(rng, 0.0001, 50, _places(rng)),
            "unit_price": _decimal(rng, 0, 5000, _places(rng)),
            "discount_percent": _decimal(rng, 0, 60, rng.choice((0, 1, 2))), "tax_rate": rng.choice(RATES)}


def _maybe_too_precise(rng, lines: list[dict], scales: dict) -> list[dict]:
    """In about a third of the documents, one field of one line gets digits its column cannot hold."""
    if rng.random() < 0.35:
        line = rng.choice(lines)
        key = rng.choice([k for k in scales if line.get(k) is not None])
        value = format(Decimal(line[key]).quantize(Decimal(1).scaleb(-scales[key])), "f")
        line[key] = value + ("" if "." in value else ".") + str(rng.randint(1, 9)) * rng.randint(1, 3)
    return lines


def _too_precise(values: dict, scales: dict) -> list[tuple[str, int]]:
    out = []
    for key, places in scales.items():
        value = values.get(key)
        if value is not None and -Decimal(value).normalize().as_tuple().exponent > places:
            out.append((key, places))
    return out


def _assert_refused(exc_info, wrong):
    message = str(exc_info.value)
    assert any(re.search(rf"{key}: .* has more than {places} decimals? \(allowed: {places}\)", message)
               for key, places in wrong), message


def _stored_equals_rebuild(shop, doc_id):
    from addons.einvoice.rendering.ubl import build_ubl
    from addons.einvoice.services.documents import get_document
    with shop.session() as s:  # a new session: everything read back from the rows
        doc = get_document(s, doc_id)
        assert doc.xml, "the document was issued without its XML"
        assert doc.xml == build_ubl(doc), f"{doc.label}: stored XML differs from a rebuild from the database"


@pytest.mark.parametrize("rounding", ["line", "total"])
def test_free_documents_refuse_excess_decimals_and_store_what_they_show(shop_factory, rounding):
    from addons.einvoice.services.documents import create_document
    from addons.einvoice.services.issue import issue_document
    from tests.addons.einvoice.conftest import VN_BUYER
    rng = random.Random(f"free-{rounding}")
    shop = shop_factory()
    shop.settings(rounding=rounding, store_xml=True)
    issued = refused = 0
    for n in range(35):
        lines = _maybe_too_precise(rng, [_free_line(rng) for _ in range(rng.randint(1, 4))], LINE_SCALES)
        currency = rng.choice(("VND", "USD", "EUR"))
        wrong = [(f"line {i} {key}", places) for i, line in enumerate(lines, start=1)
                 for key, places in _too_precise(line, LINE_SCALES)]
        with shop.tx() as s:
            if wrong:
                with pytest.raises(UserError) as caught:
                    create_document(s, type="sales_invoice", buyer=VN_BUYER, lines=lines, currency=currency)
                _assert_refused(caught, wrong)
                refused += 1
                continue
            doc_id = issue_document(s, create_document(s, type="sales_invoice", buyer=VN_BUYER, lines=lines,
                                                       currency=currency).id, render_pdf=False).id
        _stored_equals_rebuild(shop, doc_id)
        issued += 1
    assert issued >= 10 and refused >= 5, (issued, refused)


def test_documents_of_orders_refuse_excess_decimals_and_store_what_they_show(shop_factory):
    from addons.einvoice.services.orders import issue_for_order
    from addons.sales.services import create_order
    rng = random.Random("orders")
    shop = shop_factory(prices=("100000", "250000", "99000"))
    shop.settings(store_xml=True)
    issued = refused = 0
    for n in range(40):
        lines = _maybe_too_precise(rng, [
            {"variant_id": rng.choice(shop.variants), "qty": _decimal(rng, 0.0001, 20, _places(rng)),
             "unit_price": _decimal(rng, 1, 900000, _places(rng)),
             "discount_percent": _decimal(rng, 0, 30, rng.choice((0, 1, 2))),
             "tax_rate": rng.choice(("0.10", "0.08", "0.05", "0.08875"))} for _ in range(rng.randint(1, 3))],
            ORDER_SCALES)
        wrong = [(f"line {i} .*{key}", places) for i, line in enumerate(lines, start=1)
                 for key, places in _too_precise(line, ORDER_SCALES)]
        with shop.tx() as s:
            if wrong:
                with pytest.raises(UserError) as caught:
                    create_order(s, partner_id=shop.customer_id, lines=lines,
                                 prices_include_tax=rng.random() < 0.3)
                _assert_refused(caught, wrong)
                refused += 1
                continue
            order = create_order(s, partner_id=shop.customer_id, lines=lines, prices_include_tax=rng.random() < 0.3,
                                 shipping_fee=rng.choice(("0", "15000", "30000")))
            doc_id = issue_for_order(s, order.id, "sales_invoice", render_pdf=False).id
        _stored_equals_rebuild(shop, doc_id)
        issued += 1
    assert issued >= 10 and refused >= 5, (issued, refused)


def test_header_rates_are_held_to_their_columns(shop):
    with pytest.raises(UserError, match=r"^exchange rate: 1\.123456789 has more than 8 decimals \(allowed: 8\)"):
        shop.draft(currency="USD", exchange_rate="1.123456789")
    with pytest.raises(UserError, match=r"^early-payment discount: 2\.125 has more than 2 decimals"):
        shop.draft(early_discount_percent="2.125", early_discount_days=10)
