"""Order arithmetic: per-line rounding to each currency's minor units (pure, no database)."""
from decimal import Decimal as D

import pytest

from addons.sales.terms import TERM_TEXTS, Term, describe, due_date, early_discount, notation, parse
from addons.sales.totals import clean_amount, line_amounts, order_amounts
from core.errors import UserError


@pytest.mark.parametrize("currency, price, qty, disc, rate, net, tax, total", [
    # KRW: no decimals; 10 % VAT on 33,333 x 3 = 99,999 -> tax 9,999.9 rounds half up to 10,000
    ("KRW", "33333", "3", "0", "0.10", "99999", "10000", "109999"),
    # VND: no decimals; 7 % discount on 3 x 15,500 = 46,500 -> 43,245; 8 % VAT 3,459.6 -> 3,460
    ("VND", "15500", "3", "7", "0.08", "43245", "3460", "46705"),
    # MXN: 2 decimals; 16 % IVA on 2 x 10.125 = 20.25 -> 3.24
    ("MXN", "10.125", "2", "0", "0.16", "20.25", "3.24", "23.49"),
    # USD: 2 decimals; 0.005 rounds half up; 12.5 % off 3 x 9.99 = 29.97 -> 26.22375 -> 26.22
    ("USD", "9.99", "3", "12.5", "0.0825", "26.22", "2.16", "28.38"),
    # exempt line: no tax at all
    ("USD", "5.00", "1", "0", None, "5.00", "0.00", "5.00"),
])
def test_line_amounts_round_per_currency(currency, price, qty, disc, rate, net, tax, total):
    a = line_amounts(D(qty), D(price), D(disc), None if rate is None else D(rate), currency)
    assert (a.net, a.tax, a.total) == (D(net), D(tax), D(total))
    assert a.net.as_tuple().exponent == (0 if currency in ("KRW", "VND") else -2)


def test_tax_included_prices_split_the_gross():
    # Korean consumer price 11,000 KRW incl. 10 % VAT: 10,000 net + 1,000 tax, the gross is kept exactly.
    a = line_amounts(D(1), D(11000), D(0), D("0.10"), "KRW", prices_include_tax=True)
    assert (a.net, a.tax, a.total) == (D(10000), D(1000), D(11000))
    # 3 x 9,999 VND incl. 8 %: gross 29,997 -> net 27,775 (27,775.0), tax 2,222
    b = line_amounts(D(3), D(9999), D(0), D("0.08"), "VND", prices_include_tax=True)
    assert b.total == D(29997) and b.net + b.tax == b.total and b.net == D(27775)


def test_order_amounts_add_rounded_lines_and_customer_shipping():
    lines = [line_amounts(D(1), D("0.333"), D(0), D("0.10"), "USD") for _ in range(3)]
    # each line 0.33 + 0.03; rounded per line, so the sum is 0.99 + 0.09 (not round(0.999) = 1.00)
    totals = order_amounts(lines, D("4.50"), "customer", "USD")
    assert (totals.subtotal, totals.tax_total, totals.shipping, totals.total) == (
        D("0.99"), D("0.09"), D("4.50"), D("5.58"))
    merchant = order_amounts(lines, D("4.50"), "merchant", "USD")
    assert merchant.shipping == 0 and merchant.total == D("1.08")


def test_clean_amount_refuses_floats_and_negatives():
    with pytest.raises(UserError, match="float"):
        clean_amount(1.5, "qty")
    with pytest.raises(UserError, match="negative"):
        clean_amount("-1", "qty")
    with pytest.raises(UserError, match="more than zero"):
        clean_amount("0", "qty", allow_zero=False)
    with pytest.raises(UserError, match="not a number"):
        clean_amount("abc", "qty")
    assert clean_amount("2.5", "qty") == D("2.5")


def test_payment_terms_due_date_and_early_discount():
    from datetime import date
    start = date(2026, 3, 1)
    assert due_date(30, start) == date(2026, 3, 31)
    assert due_date(0, start) == start
    assert early_discount(D("1000.00"), D(2), 10, start, date(2026, 3, 11), "USD") == D("20.00")
    assert early_discount(D("1000.00"), D(2), 10, start, date(2026, 3, 12), "USD") == 0
    assert early_discount(D("12345"), D("2"), 10, start, start, "KRW") == D(247)  # 246.9 rounds up
    assert early_discount(D("1000"), D(0), 0, start, start, "USD") == 0
    assert describe(Term(30, D("2.00"), 10)) == "2 % discount if paid within 10 days, due in 30 days"
    assert describe(Term(0)) == "Due on receipt"


@pytest.mark.parametrize("text, term", [
    ("2/10 net 30", Term(30, D(2), 10)), ("2_10_NET30", Term(30, D(2), 10)), ("2/10, n/30", Term(30, D(2), 10)),
    ("1.5/7 net 45", Term(45, D("1.5"), 7)), ("NET30", Term(30)), ("Net 30 days", Term(30)), ("n/15", Term(15)),
    ("IMMEDIATE", Term(0)), ("due on receipt", Term(0)),
    ("Net 30 days, late fee 1.5 % per month", None), ("50/40 net 30", None), ("", None), ("cash", None),
])
def test_trade_notation_is_read_into_a_term_and_free_text_is_not(text, term):
    assert parse(text) == term
    if term is not None:
        assert parse(notation(term)) == term


@pytest.mark.parametrize("language, text", [
    ("en", "2 % discount if paid within 10 days, due in 30 days"),
    ("ko", "10일 이내 결제 시 2% 할인, 30일 이내 지급"),
    ("vi", "Chiết khấu 2% nếu thanh toán trong 10 ngày, hạn thanh toán 30 ngày"),
    ("zh", "10天内付款享受2%折扣，30天内付款"),
    ("ru", "Скидка 2 % при оплате в течение 10 дн., оплата в течение 30 дн."),
    ("es", "2 % de descuento si se paga dentro de 10 días, vence en 30 días"),
])
def test_a_term_reads_as_words_in_each_document_language(language, text):
    assert describe(parse("2/10 net 30"), language) == text
    assert describe(Term(30, D("2.5"), 10), language) != describe(Term(30, D(2), 10), language)


def test_every_language_words_every_part_of_a_term():
    assert set(TERM_TEXTS) == {"en", "ko", "vi", "zh", "ru", "es"}
    for language, texts in TERM_TEXTS.items():
        assert set(texts) == {"receipt", "net", "discount", "join", "upper"}, language
        assert describe(Term(0), language) and "{" not in describe(Term(15, D(3), 5), language)


def test_document_terms_in_words_from_notation_free_text_and_discount_fields():
    from addons.sales.terms import words
    assert words("2/10 net 30", language="en") == "2 % discount if paid within 10 days, due in 30 days"
    assert words("NET30", D("3"), 7, "ko") == "7일 이내 결제 시 3% 할인, 30일 이내 지급"  # the fields win
    assert words("Net 30 days", language="vi") == "Hạn thanh toán 30 ngày"
    assert words("Wire before shipping", D(2), 10, "zh") == "Wire before shipping，10天内付款享受2%折扣"
    assert words("Wire before shipping", language="ru") == "Wire before shipping"
    assert words("", None, None, "es") == ""
