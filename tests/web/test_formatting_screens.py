"""Issue #10 on the screens: amounts in the reader's locale and the business's currency,
times in the business's zone, plain decimals in form inputs, dates typed in the locale's order."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from flask import session as flask_session
from wtforms import Form

from addons.catalog import services as catalog
from core.admin_formatting import LocaleDateField, PlainDecimalField


@pytest.fixture
def vnd_product(runtime, make_business, make_user, client_for):
    business = make_business(country="VN", addons=["catalog"], timezone="Asia/Ho_Chi_Minh")
    with runtime.transaction(business.id) as session:
        product = catalog.create_product(session, sku="FMT-1", name="Formatted", sale_price=Decimal("7.425E+5"),
                                         cost_price=Decimal("495000.0000"))
        product_id = product.id
    return client_for(make_user(business)), product_id


def _input_value(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else ""


def test_list_shows_amounts_in_the_locale_and_currency(vnd_product):
    client, _ = vnd_product
    page = client.get("/admin/catalog_product/").get_data(as_text=True)
    assert "₫742,500" in page and "₫495,000" in page and "E+5" not in page and "742500.0000" not in page
    client.post("/language", {"locale": "vi"})
    page = client.get("/admin/catalog_product/").get_data(as_text=True)
    assert "742.500\xa0₫" in page or "742.500&nbsp;₫" in page


def test_edit_form_shows_plain_decimals_and_new_form_no_zero_to_delete(vnd_product):
    client, product_id = vnd_product
    edit = client.get(f"/admin/catalog_product/edit/?id={product_id}").get_data(as_text=True)
    assert _input_value(edit, "sale_price") == "742500"
    assert _input_value(edit, "cost_price") == "495000"
    new = client.get("/admin/catalog_product/new/").get_data(as_text=True)
    assert _input_value(new, "cost_price") == ""


def test_export_keeps_plain_decimals(vnd_product):
    client, _ = vnd_product
    csv_text = client.get("/admin/catalog_product/export/csv/").get_data(as_text=True)
    assert "742500" in csv_text and "₫" not in csv_text and "E+5" not in csv_text


class _Form(Form):
    price = PlainDecimalField(default=Decimal(0))
    due = LocaleDateField()


class _Data(dict):
    def getlist(self, key):
        return [self[key]] if key in self else []


@pytest.mark.parametrize("locale, typed", [("vi", "31/03/2026"), ("en", "3/31/2026"), ("ru", "31.03.2026"),
                                           ("en", "2026-03-31")])
def test_date_input_accepts_the_locales_order(app, locale, typed):
    with app.test_request_context("/"):
        flask_session["locale"] = locale
        form = _Form(_Data(price="", due=typed))
        assert form.validate(), form.errors
        assert form.due.data == date(2026, 3, 31)
        assert form.price.data == Decimal(0)      # empty = the default, nothing to delete first


def test_bad_date_and_number_are_field_errors(app):
    with app.test_request_context("/"):
        form = _Form(_Data(price="12,5,0", due="someday"))
        assert not form.validate()
        assert "2026-03-31" in form.errors["due"][0] and form.errors["price"]
