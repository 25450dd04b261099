from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from babel.numbers import get_currency_precision
from hypothesis import given, strategies as st

from core import money
from core.errors import UserError
from core.money import (allocate, format_money, minor_units, parse_decimal, parse_int, quantize, round_lines, split,
                        to_decimal)

CURRENCIES = ["KRW", "VND", "USD", "MXN", "EUR", "BHD"]
amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=4,
                      allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("code, digits", [("KRW", 0), ("VND", 0), ("MXN", 2), ("USD", 2), ("BHD", 3)])
def test_minor_units(code, digits):
    assert minor_units(code) == digits
    assert minor_units(code.lower()) == digits


@pytest.mark.parametrize("code", ["KRW", "VND", "MXN", "USD"])
def test_pinned_currencies_agree_with_babel(code):
    """The override table pins what Babel says today; if CLDR moves, this shows where."""
    assert get_currency_precision(code) == money.MINOR_UNITS_OVERRIDES[code]


@pytest.mark.parametrize("bad", ["", "XXXX", "ZZZ", None, "us"])
def test_unknown_currency_is_refused_by_name(bad):
    with pytest.raises(UserError, match="ISO 4217"):
        minor_units(bad)


@pytest.mark.parametrize("value, expected", [
    (Decimal("1.10"), Decimal("1.10")), (7, Decimal(7)), (" 12.5 ", Decimal("12.5")), ("-0.01", Decimal("-0.01")),
])
def test_to_decimal_accepts_exact_values(value, expected):
    assert to_decimal(value) == expected
    assert isinstance(to_decimal(value), Decimal)


@pytest.mark.parametrize("bad, fragment", [
    (0.1, "0.1"), (float("nan"), "nan"), (True, "True"), ("NaN", "NaN"), ("inf", "inf"),
    (Decimal("Infinity"), "Infinity"), ("abc", "abc"), ("", "''"), ("1,000", "1,000"), (None, "None"), ([1], "[1]"),
])
def test_to_decimal_refuses_and_names_the_value(bad, fragment):
    with pytest.raises(UserError) as err:
        to_decimal(bad)
    assert fragment in str(err.value)


def test_quantize_rounds_half_up_away_from_zero():
    assert quantize("1.005", "USD") == Decimal("1.01")
    assert quantize("-1.005", "USD") == Decimal("-1.01")
    assert quantize("12345.5", "VND") == Decimal("12346")
    assert quantize("2.5", "KRW") == Decimal("3")
    assert quantize("2.5", "KRW", rounding=ROUND_HALF_EVEN) == Decimal("2")
    assert str(quantize(3, "MXN")) == "3.00"
    with pytest.raises(UserError):
        quantize(1.5, "USD")


def test_line_and_total_rounding_differ_and_say_so():
    lines = ["0.005", "0.005", "0.005"]
    assert round_lines(lines, "USD", "line") == Decimal("0.03")
    assert round_lines(lines, "USD", "total") == Decimal("0.02")
    assert round_lines([], "VND") == Decimal("0")
    with pytest.raises(UserError, match="rounding mode"):
        round_lines(lines, "USD", "per_item")


def test_allocate_and_split_keep_every_unit():
    assert allocate("100", [1, 1, 1], "USD") == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert split("-100", 3, "VND") == [Decimal("-34"), Decimal("-33"), Decimal("-33")]
    assert allocate("10", [0, 1], "KRW") == [Decimal("0"), Decimal("10")]
    for bad_weights in ([], [0, 0], [-1, 2]):
        with pytest.raises(UserError):
            allocate("10", bad_weights, "USD")
    with pytest.raises(UserError):
        split("10", 0, "USD")


def test_format_money_in_the_readers_locale():
    assert format_money(Decimal("12345"), "KRW", "ko_KR") == "₩12,345"
    vnd = format_money(Decimal("12345.4"), "VND", "vi_VN")
    assert "₫" in vnd and vnd.replace("\xa0", " ") == "12.345 ₫"
    assert format_money("1234.5", "MXN", "es_MX") == "$1,234.50"
    assert format_money(3, "USD", "en_US") == "$3.00"
    assert format_money("1234.5", "USD", "ko-KR") == "US$1,234.50"
    with pytest.raises(UserError, match="locale"):
        format_money(1, "USD", "xx_XX_bad")
    with pytest.raises(UserError):
        format_money(0.5, "USD", "en")


@pytest.mark.parametrize("amount, currency, locale, text", [
    ("0.1250", "EUR", "de_DE", "0,125\xa0€"), ("1250.5", "KRW", "ko_KR", "₩1,250.5"), ("1250", "KRW", "ko_KR", "₩1,250"),
    ("12.3", "USD", "en_US", "$12.30"), ("18500000.0000", "VND", "vi_VN", "18.500.000\xa0₫"),
    ("3.14159", "MXN", "es_MX", "$3.14159"),
])
def test_exact_money_keeps_the_decimals_a_unit_price_has(amount, currency, locale, text):
    assert format_money(Decimal(amount), currency, locale, exact=True) == text
    assert format_money(Decimal("0.125"), "EUR", "de_DE") == "0,13\xa0€"  # an amount still rounds


def test_format_money_follows_an_override_not_babels_digits(monkeypatch):
    """When the pinned decimals differ from CLDR, the display follows the pin."""
    monkeypatch.setitem(money.MINOR_UNITS_OVERRIDES, "BHD", 2)
    money.minor_units.cache_clear()
    try:
        assert format_money("1.2345", "BHD", "en") == "BHD1.23"
        monkeypatch.setitem(money.MINOR_UNITS_OVERRIDES, "BHD", 0)
        money.minor_units.cache_clear()
        assert format_money("1.5", "BHD", "en") == "BHD2"
    finally:
        monkeypatch.undo()
        money.minor_units.cache_clear()
    assert minor_units("BHD") == 3


@given(st.lists(amounts, max_size=30), st.sampled_from(CURRENCIES))
def test_line_rounding_is_the_sum_of_rounded_lines(lines, currency):
    by_line = round_lines(lines, currency, "line")
    by_total = round_lines(lines, currency, "total")
    assert by_line == sum((quantize(x, currency) for x in lines), Decimal(0))
    assert by_line == quantize(by_line, currency) and by_total == quantize(by_total, currency)
    # each line moves by at most half a unit, so the regimes stay that close
    assert abs(by_line - by_total) <= money.quantum(currency) * (Decimal(len(lines)) / 2 + 1)


@given(amounts, st.sampled_from(CURRENCIES))
def test_quantize_is_idempotent_and_close(amount, currency):
    once = quantize(amount, currency)
    assert quantize(once, currency) == once
    assert abs(once - amount) <= money.quantum(currency) / 2
    assert -once == quantize(-amount, currency)


@given(amounts, st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12),
       st.sampled_from(CURRENCIES))
def test_allocation_adds_up_exactly(total, weights, currency):
    if sum(weights) == 0:
        weights[0] = 1
    parts = allocate(total, weights, currency)
    assert sum(parts, Decimal(0)) == quantize(total, currency)
    unit = money.quantum(currency)
    exact_total = quantize(total, currency)
    for part, weight in zip(parts, weights):
        assert abs(part - exact_total * weight / sum(weights)) < unit


# ---------------------------------------------------------------- parse_decimal (issue #7 item 7-8)

@pytest.mark.parametrize("bad, words", [
    ("1e309", "price: '1e309' is too large"), ("-1e309", "too large"), ("9" * 29, "too large"),
    ("1E+99999999999999999999", "too large"), ("NaN", "not a number"), ("sNaN", "not a number"),
    ("Infinity", "not a number"), ("-inf", "not a number"), ("१२", "not a number"), ("１２", "not a number"),
    ("1_000", "not a number"), ("0x10", "not a number"), ("1.005", "more than 2 decimal(s)"),
    ("1e-400", "more than 2 decimal(s)"), ("-5", "at least 0"), ("", "required"), (1.5, "float"),
    (Decimal("NaN"), "finite"),
])
def test_parse_decimal_refuses_before_anything_quantizes(bad, words):
    with pytest.raises(UserError) as err:
        parse_decimal(bad, field="price", places=2, minimum=0)
    assert words in str(err.value) and str(err.value).startswith("price: ")


def test_parse_decimal_accepts_plain_numbers_and_normalises_negative_zero():
    assert parse_decimal(" 12.50 ", field="x", places=2) == Decimal("12.50")
    assert parse_decimal("1e3", field="x", places=0) == 1000
    for zero in ("-0", "-0.00", "+0", "-0e3", Decimal("-0")):
        value = parse_decimal(zero, field="x", places=2)
        assert value == 0 and not value.is_signed(), zero
    assert parse_decimal("99999999999999", field="x") == Decimal("99999999999999")   # 14 digits fit
    with pytest.raises(UserError, match="at most 3"):
        parse_decimal("4", field="x", maximum=3)


def test_parse_int_takes_whole_ascii_numbers_only():
    assert parse_int("42", field="days") == 42 and parse_int(7, field="days") == 7
    for bad, words in (("4.5", "whole number"), ("٣", "not a number"), ("1e309", "too large"), (True, "bool")):
        with pytest.raises(UserError, match=words):
            parse_int(bad, field="days")


def test_quantize_of_a_huge_computed_amount_is_a_user_error():
    with pytest.raises(UserError, match="too large"):
        quantize(Decimal("1e40"), "USD")
