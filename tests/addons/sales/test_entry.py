"""The order entry service: one payload shape for the admin screen, the CLI and the API."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from addons.partners.models import Partner
from addons.sales import services
from addons.sales.models import Order
from core.errors import UserError
from tests.addons.sales_stock.conftest import stock_shop


class Clerk:
    """An actor holding only the permissions given."""

    def __init__(self, *permissions):
        self.permissions = set(permissions)

    def can(self, permission):
        return permission in self.permissions


def payload(shop, **over):
    body = {"channel": "phone", "customer": {"name": "Trần Thị B", "phone": "+84 90 123 4567",
                                             "email": "B@Example.vn",
                                             "address": {"street": "12 Lý Thường Kiệt", "ward": "Phường 7",
                                                         "district": "Quận 10", "province": "TP Hồ Chí Minh",
                                                         "postal_code": "700000"}},
            "lines": [{"sku": shop.skus[0], "qty": "2"}, {"sku": shop.skus[1], "qty": 1, "discount_percent": "10"}]}
    body.update(over)
    return body


def problems(shop, body, **kw):
    with pytest.raises(services.EntryError) as err:
        with shop.tx() as s:
            services.create_order_from_entry(s, body, **kw)
    return err.value.problems


def test_new_customer_order_priced_from_catalog(shop):
    with shop.tx() as s:
        entered = services.create_order_from_entry(s, payload(shop, shipping_fee="30000", customer_po="PO-7",
                                                               note="call first", cod=True))
        order = entered.order
        assert entered.created and order.number.startswith("SO-") and order.state == "new"
        assert [(ln.sku, ln.qty, ln.unit_price, ln.discount_percent) for ln in order.lines] == [
            (shop.skus[0], Decimal(2), Decimal(100000), Decimal(0)),
            (shop.skus[1], Decimal(1), Decimal(250000), Decimal(10))]
        assert order.total == Decimal(200000 + 225000 + 30000) and order.cod_amount == order.total
        partner = order.partner
        assert (partner.name, partner.email, partner.country, partner.kind) == \
            ("Trần Thị B", "b@example.vn", "VN", "person")
        assert (partner.street, partner.city, partner.region) == ("12 Lý Thường Kiệt, Phường 7", "Quận 10",
                                                                  "TP Hồ Chí Minh")
        assert order.shipping_address["district"] == "Quận 10" and order.shipping_address["name"] == "Trần Thị B"
        assert (order.customer_po, order.note, order.channel) == ("PO-7", "call first", "phone")


def test_existing_customer_by_code_and_term(shop):
    with shop.session() as s:
        code = s.get(Partner, shop.customer_id).code
    assert code == f"C{shop.customer_id:05d}"
    due = date.today() + timedelta(days=45)
    with shop.tx() as s:
        order = services.create_order_from_entry(s, payload(shop, customer={"code": code}, payment_term="net30",
                                                            due_date=due.isoformat())).order
        assert (order.partner_id, order.payment_term_code, order.term_days) == (shop.customer_id, "NET30", 30)
        services.confirm_order(s, order.id)
        assert order.due_date == due   # the agreed date stands at confirmation


def test_every_bad_field_is_named(shop):
    found = problems(shop, {"channel": "fax", "customer": {"code": "C99999999"}, "colour": "red",
                            "lines": [{"sku": shop.skus[0], "qty": "0"}, {"sku": "NOPE", "qty": "1"},
                                      {"sku": shop.skus[1], "qty": "x", "discount_percent": "120"},
                                      {"sku": shop.skus[2], "qty": "1.23456"}, {"sku": 42, "qty": "1"}, {"qty": 1}, {"sku": "a\x00b", "qty": 1}],
                            "payment_term": "NET99", "shipping_fee": "1.5", "cod": "-3", "due_date": "2026-13-01"})
    text = "\n".join(found)
    for expected in ("colour: unknown field", "channel: 'fax' is not one of",
                     "customer.code: no customer with code 'C99999999'", "lines[0].qty: must be greater than 0",
                     "lines[1].sku: no product with SKU 'NOPE'", "lines[2].qty: 'x' is not a number",
                     "lines[2].discount_percent: at most 100", "lines[3].qty: at most 3 decimals",
                     "lines[4].sku: must be text, got int", "lines[5].sku: required",
                     "lines[6].sku: contains a NUL character",
                     "payment_term: payment term 'NET99' does not exist",
                     "shipping_fee: 1.5 has more decimals than VND allows", "cod: must not be negative",
                     "due_date: '2026-13-01' is not a date"):
        assert expected in text, (expected, found)
    with shop.session() as s:
        assert s.query(Order).count() == 0


def test_customer_fields_named_and_tax_id_validated_by_partners(shop):
    found = problems(shop, payload(shop, customer={"name": "", "tax_id": "0100109107", "email": "nope",
                                                   "phone": 123, "address": {"street": "x", "floor": 3}}))
    text = "\n".join(found)
    assert "customer.name: required" in text and "customer.email: 'nope' is not an e-mail address" in text
    assert "customer.phone: must be text" in text and "customer.address.floor: unknown field" in text
    assert "customer.tax_id:" in "\n".join(problems(shop, payload(shop, customer={"name": "Co", "tax_id": "12345"})))
    assert problems(shop, {"lines": []}) == [
        "customer: required: {\"code\": ...} or the new customer's name, phone, ...",
        "lines: at least one line is needed, e.g. [{\"sku\": \"TEE-RED-M\", \"qty\": 1}]"]


def test_same_tax_id_finds_the_customer_instead_of_a_duplicate(shop):
    company = {"name": "Công ty ABC", "tax_id": "0100109106", "country": "VN"}
    with shop.tx() as s:
        first = services.create_order_from_entry(s, payload(shop, customer=company)).order.partner_id
        second = services.create_order_from_entry(s, payload(shop, customer=dict(company, name="ABC"))).order
        assert second.partner_id == first and second.partner.kind == "company"


def test_price_override_needs_the_permission(shop):
    body = payload(shop, lines=[{"sku": shop.skus[0], "qty": "1", "unit_price": "90000"}])
    assert problems(shop, body, actor=Clerk("sales.order.create")) == [
        "lines[0].unit_price: 90000 differs from the catalog price 100000; changing a price needs the "
        "permission sales.order.override_price"]
    with shop.tx() as s:
        # The catalog's own price is no override; the system (actor None, the CLI) and a holder may override.
        same = dict(body, lines=[{"sku": shop.skus[0], "qty": "1", "unit_price": "100000.00"}])
        assert services.create_order_from_entry(s, same, actor=Clerk()).order.total == Decimal(100000)
        assert services.create_order_from_entry(s, body).order.total == Decimal(90000)
        held = services.create_order_from_entry(s, body, actor=Clerk(services.OVERRIDE_PRICE)).order
        assert held.lines[0].unit_price == Decimal(90000)


def test_channel_price_list_prices_the_line(shop):
    from addons.catalog import services as catalog
    with shop.tx() as s:
        catalog.create_price_list(s, "Phone orders", "phone")
        catalog.set_list_price(s, "phone", shop.variants[0], "95000")
    with shop.tx() as s:
        order = services.create_order_from_entry(s, payload(shop, lines=[{"sku": shop.skus[0], "qty": "1"}])).order
        assert order.lines[0].unit_price == Decimal(95000)
        web = services.create_order_from_entry(s, payload(shop, channel="web",
                                                          lines=[{"sku": shop.skus[0], "qty": "1"}])).order
        assert web.lines[0].unit_price == Decimal(100000)


def test_a_code_of_unicode_digits_is_not_found_not_a_crash(shop):
    assert problems(shop, payload(shop, customer={"code": "C²"})) == ["customer.code: no customer with code 'C²'"]


def test_another_business_sku_and_customer_are_not_found(shop, shop_factory):
    other = shop_factory()
    found = problems(shop, payload(shop, customer={"code": f"C{other.customer_id:05d}"},
                                   lines=[{"sku": other.skus[0], "qty": "1"}]))
    assert found == [f"customer.code: no customer with code 'C{other.customer_id:05d}'",
                     f"lines[0].sku: no product with SKU '{other.skus[0]}'"]


def test_external_ref_resend_returns_the_order_and_other_content_is_refused(shop):
    body = payload(shop, external_ref="FB-1001", channel="facebook")
    with shop.tx() as s:
        first = services.create_order_from_entry(s, body).order.number
    with shop.tx() as s:
        again = services.create_order_from_entry(s, body)
        assert (again.order.number, again.created) == (first, False)
    changed = dict(body, lines=[{"sku": shop.skus[0], "qty": "3"}])
    assert problems(shop, changed) == [f"external_ref: facebook order 'FB-1001' is already {first} with other "
                                       f"content; send exactly the same content to get it back, or use a new "
                                       f"reference"]
    with shop.tx() as s:   # the same reference on another channel is another order
        assert services.create_order_from_entry(s, dict(body, channel="web")).order.number != first


def test_confirm_reserves_and_a_shortfall_refuses_everything(runtime, make_business):
    stocked = stock_shop(runtime, make_business)
    shop = stocked.shop
    with shop.tx() as s:
        order = services.create_order_from_entry(s, payload(shop, lines=[{"sku": shop.skus[0], "qty": "4"}]),
                                                 confirm=True).order
        assert order.state == "processing"
    assert stocked.level(shop.variants[0]) == (Decimal(10), Decimal(4))
    with pytest.raises(UserError) as err:
        with shop.tx() as s:
            services.create_order_from_entry(s, payload(shop, customer={"name": "New Person"},
                                                        lines=[{"sku": shop.skus[0], "qty": "1"},
                                                               {"sku": shop.skus[2], "qty": "1"}]), confirm=True)
    assert shop.skus[2] in str(err.value)
    with shop.session() as s:
        assert s.query(Order).count() == 1
        assert not s.query(Partner).filter_by(name="New Person").count()
    assert stocked.level(shop.variants[0]) == (Decimal(10), Decimal(4))


def test_update_lines_of_a_new_order_and_locked_once_confirmed(shop):
    with shop.tx() as s:
        order = services.create_order_from_entry(
            s, payload(shop, lines=[{"sku": shop.skus[0], "qty": "1", "unit_price": "80000"}])).order
        order_id = order.id
    with shop.tx() as s:
        # The price already on the order is kept without the permission; a new line is priced from the catalog.
        edited = services.update_order_lines_from_entry(
            s, order_id, {"lines": [{"sku": shop.skus[0], "qty": "2", "unit_price": "80000"},
                                    {"sku": shop.skus[2], "qty": "1"}], "shipping_fee": "15000"},
            actor=Clerk("sales.order.edit"), confirm=True)
        assert edited.total == Decimal(160000 + 49000 + 15000) and edited.state == "processing"
    with pytest.raises(services.EntryError) as err:
        with shop.tx() as s:
            services.update_order_lines_from_entry(s, order_id, {"lines": [{"sku": shop.skus[0], "qty": "1"}]})
    assert err.value.problems == [f"lines: order {edited.number} is Processing, so its lines are locked: stock is "
                                  f"reserved against them; cancel the order and enter a new one to change them"]
    with shop.tx() as s:
        fresh = services.create_order_from_entry(s, payload(shop)).order.id
    with pytest.raises(services.EntryError, match="channel: unknown field") as err:
        with shop.tx() as s:
            services.update_order_lines_from_entry(s, fresh, {"channel": "web", "lines": []})
    assert "lines: at least one line is needed" in str(err.value)


def test_explicit_shipping_address_and_merchant_paid_shipping(shop):
    ship = {"name": "Kho Bình Dương", "phone": "0274 1234", "street": "KCN VSIP", "province": "Bình Dương"}
    with shop.tx() as s:
        order = services.create_order_from_entry(s, payload(shop, shipping_address=ship, shipping_fee="25000",
                                                            shipping_paid_by="merchant", cod="100000")).order
        assert order.shipping_address == ship
        assert (order.shipping_fee, order.total, order.cod_amount) == (25000, 200000 + 225000, 100000)
    assert problems(shop, payload(shop, shipping_address={"floor": "3"}, shipping_paid_by="me")) == [
        "shipping_paid_by: 'me' must be customer or merchant",
        "shipping_address.floor: unknown field (known: name, phone, street, ward, district, province, postal_code, "
        "country)"]
