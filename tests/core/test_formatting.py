"""core.formatting: the one formatter of amounts, quantities, rates, dates and codes (issue #10)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest

from core import formatting as f
from core.errors import UserError

LOCALES = ("en", "ko", "vi", "es", "ru", "zh")


@pytest.mark.parametrize("locale, expected", [
    ("en", "₫495,000"), ("ko", "₫495,000"), ("vi", "495.000\xa0₫"), ("es", "495.000\xa0₫"),
    ("ru", "495\xa0000\xa0₫"), ("zh", "₫495,000")])
def test_vnd_has_no_decimals_no_exponent_and_the_locales_separators(locale, expected):
    assert f.amount(D("4.95E+5"), "VND", locale) == expected


@pytest.mark.parametrize("locale, expected", [
    ("en", "₩1,234,567"), ("ko", "₩1,234,567"), ("vi", "1.234.567\xa0₩"), ("ru", "1\xa0234\xa0567\xa0₩")])
def test_krw_has_no_decimals(locale, expected):
    assert f.amount(D("1234567.0000"), "KRW", locale) == expected


@pytest.mark.parametrize("locale, expected", [
    ("en", "$1,234,567.50"), ("es", "1.234.567,50\xa0US$"), ("ru", "1\xa0234\xa0567,50\xa0$"),
    ("zh", "US$1,234,567.50")])
def test_usd_has_two_decimals(locale, expected):
    assert f.amount(D("1234567.5"), "USD", locale) == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_no_exponent_and_no_trailing_zeros_in_any_locale(locale):
    for text in (f.quantity(D("75000.0000"), locale), f.quantity(D("4.95E+5"), locale),
                 f.rate(D("1E-1"), locale), f.percent(D("1E+1"), locale)):
        assert "E" not in text and not text.rstrip("\xa0%").endswith(("0000", ".0", ",0")), text


def test_quantities_and_rates():
    assert f.quantity(D("75000.0000"), "en") == "75,000"
    assert f.quantity(D("0.500"), "vi") == "0,5"
    assert f.rate(D("0.10"), "en") == "10\xa0%"          # tax rates are fractions
    assert f.rate(D("0.08875"), "en") == "8.875\xa0%"
    assert f.percent(D("1E+1"), "en") == "10\xa0%"       # discount_percent is a number of percent
    assert f.percent(D("12.50"), "es") == "12,5\xa0%"


def test_times_in_the_business_zone_without_microseconds():
    moment = datetime(2026, 3, 5, 0, 30, 15, 123456)       # naive = UTC, as stored
    assert f.datetime_(moment, "Asia/Seoul", "en") == "Mar 5, 2026, 9:30:15\u202fAM"
    assert f.datetime_(moment.replace(tzinfo=timezone.utc), "Asia/Ho_Chi_Minh", "vi").startswith("07:30:15")
    assert "123456" not in f.datetime_(moment, "UTC", "ru")
    assert f.date_(date(2026, 3, 5), "en") == "Mar 5, 2026"
    with pytest.raises(UserError, match="time zone"):
        f.datetime_(moment, "Mars/Olympus", "en")


def test_plain_decimal_for_inputs_and_csv():
    assert f.plain_decimal(D("7.425E+5")) == "742500"
    assert f.plain_decimal(D("0.5000")) == "0.5"
    assert f.plain_decimal(D("1E+1")) == "10"
    assert f.plain_decimal(D("0E-4")) == "0"
    assert f.plain_decimal(D("-3.10")) == "-3.1"
    assert f.plain_decimal(None) == ""


@pytest.mark.parametrize("locale, typed", [
    ("en", "3/31/2026"), ("vi", "31/03/2026"), ("ru", "31.03.2026"), ("es", "31/3/26"), ("ko", "2026. 3. 31."),
    ("zh", "2026/3/31"), ("en", "2026-03-31")])
def test_dates_typed_in_the_locales_order(locale, typed):
    assert f.parse_date(typed, locale) == date(2026, 3, 31)


def test_a_date_that_is_not_one_names_the_expected_form():
    with pytest.raises(UserError, match="31/3/26"):
        f.parse_date("next tuesday", "vi")


def test_code_labels_registered_or_made_readable():
    assert f.code_label("unit", "C62") == "pcs"
    assert f.code_label("payment_method", "bank_transfer") == "Bank transfer"
    f.register_labels("test_kind", {"x1": "Registered"})
    assert f.code_label("test_kind", "x1") == "Registered"
    assert f.code_label("document_type_unregistered", "sales_invoice") == "Sales invoice"
    assert f.code_label("unit", None) == ""


@pytest.mark.parametrize("name, kind", [
    ("total", "amount"), ("unit_price", "amount"), ("tax_rate", "rate"), ("rate", "rate"),
    ("discount_percent", "percent"), ("margin_pct", "percent"), ("qty", "quantity"), ("received_qty", "quantity"),
    ("on_hand", "quantity"), ("exchange_rate", "quantity"), ("available", "quantity")])
def test_column_kind_follows_the_naming_convention(name, kind):
    assert f.column_kind(name) == kind
