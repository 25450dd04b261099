"""An amount in Vietnamese words (``TgTTTBChu``): 527400 -> "Năm trăm hai mươi bảy nghìn bốn trăm đồng".

The usual reading rules: "mười" for ten, "mốt" for a 1 after a tens digit of two or more,
"lăm" for a 5 after a tens digit, "linh" for a zero tens digit before a unit, "không trăm"
for an empty hundreds digit inside the number, groups "nghìn", "triệu", "tỷ" (and "nghìn
tỷ", "triệu tỷ" beyond). Foreign currencies read their major and minor units.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUPS = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ", "tỷ tỷ")
CURRENCIES = {"VND": ("đồng", None), "USD": ("đô la Mỹ", "xu"), "EUR": ("euro", "xu"), "JPY": ("yên Nhật", None),
              "KRW": ("won Hàn Quốc", None), "CNY": ("nhân dân tệ", "xu"), "GBP": ("bảng Anh", "xu")}


def _three(n: int, full: bool) -> str:
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words = []
    if full or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(DIGITS[units])
    return " ".join(words)


def integer_words(n: int) -> str:
    if n == 0:
        return "không"
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    words = []
    for index in range(len(groups) - 1, -1, -1):
        value = groups[index]
        if not value:
            continue
        words.append(_three(value, full=index < len(groups) - 1))
        if GROUPS[index]:
            words.append(GROUPS[index])
    return " ".join(words)


def amount_in_words(amount, currency: str = "VND") -> str:
    """The amount with its currency, first letter capital; negative amounts (an adjustment down) read "Âm ..."."""
    value = Decimal(amount)
    negative = value < 0
    value = abs(value)
    major_name, minor_name = CURRENCIES.get(currency.upper(), (currency.upper(), None))
    major = int(value)
    text = f"{integer_words(major)} {major_name}"
    if minor_name:
        minor = int(((value - major) * 100).quantize(Decimal(1), ROUND_HALF_UP))
        if minor:
            text += f" và {integer_words(minor)} {minor_name}"
    if negative:
        text = "âm " + text
    return text[0].upper() + text[1:]
