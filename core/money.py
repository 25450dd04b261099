"""Money as plain ``Decimal`` with the currency's minor units.

There is no Money class on purpose: amounts travel as ``Decimal`` and the
currency travels beside them (a column, a business setting), so every library
and every database driver handles them without adapters. What must be right
once is here: refusing floats (0.1 + 0.2 is not 0.3), the number of decimals of
each currency, the rounding regime (per line or per total, as a country's tax
rules require), splitting a total without losing a unit, and showing an amount
the way a reader of the user's language expects.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision

from .errors import UserError

# Babel follows CLDR, whose data has changed for some currencies over releases
# (VND and KRW have been listed with decimals that nobody uses in practice).
# The currencies we invoice in are pinned here so a Babel upgrade cannot move
# the decimals of issued documents.
MINOR_UNITS_OVERRIDES = {"KRW": 0, "VND": 0, "JPY": 0, "MXN": 2, "USD": 2, "EUR": 2, "CNY": 2, "RUB": 2}
ROUNDING_MODES = ("line", "total")


# What a person may type for a number: ASCII digits, one optional sign, point and exponent.
# Decimal() itself also takes "NaN", "Infinity", "1_000" and any Unicode digit ("१२"), and an
# exponent of a billion that later makes quantize() raise InvalidOperation.
NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
MAX_INTEGER_DIGITS = 14     # what every amount/quantity column holds with room for decimals


def to_decimal(value, field: str = "amount") -> Decimal:
    """Turn an int, a Decimal or a numeric string into a finite Decimal.

    Floats are refused rather than converted: a float has already lost the
    amount the person typed, so accepting it would hide the bug that produced it.
    Strings must be plain ASCII numbers (see ``NUMBER_RE``). ``-0`` becomes ``0``.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise UserError(f"{field}: {value!r} is a {type(value).__name__}; amounts and quantities need a Decimal, "
                        f"int or numeric string (floats lose cents)")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise UserError(f"{field}: a number is required (got {_shown(value)})")
        if not NUMBER_RE.fullmatch(text):
            raise UserError(f"{field}: {_shown(value)} is not a number (digits 0-9, an optional sign and point)")
        try:
            result = Decimal(text)
        except InvalidOperation:  # an exponent beyond what Decimal can hold at all
            raise UserError(f"{field}: {_shown(value)} is too large") from None
    else:
        raise UserError(f"{field}: {_shown(value)} is not a number (got {type(value).__name__})")
    if not result.is_finite():
        raise UserError(f"{field}: {_shown(value)} is not a finite number")
    return result.copy_abs() if result.is_zero() else result


def parse_decimal(value, *, field: str, places: int | None = None, max_digits: int = MAX_INTEGER_DIGITS,
                  minimum=None, maximum=None) -> Decimal:
    """The one parser of numbers typed by people (forms, CSV files, the CLI, the API).

    Everything that can make later arithmetic raise is refused here, before anything
    quantizes: NaN, infinities, huge or tiny exponents, non-ASCII digits, more than
    ``max_digits`` digits before the point, more than ``places`` decimals. ``-0`` is
    normalised to ``0``. Every message starts with ``field``, so a form can put it
    next to the field and the CSV import can prefix the line.
    """
    number = to_decimal(value, field)
    if not number.is_zero() and number.adjusted() >= max_digits:
        raise UserError(f"{field}: {_shown(value)} is too large (at most {max_digits} digits before the point)")
    if places is not None and not number.is_zero() and number.normalize().as_tuple().exponent < -places:
        raise UserError(f"{field}: {_shown(value)} must be a whole number (no decimals)" if places == 0 else
                        f"{field}: {_shown(value)} has more than {places} decimal(s)")
    if places is None and not number.is_zero() and number.adjusted() < -max_digits:
        raise UserError(f"{field}: {_shown(value)} is too small")
    if minimum is not None and number < minimum:
        raise UserError(f"{field}: {_shown(value)} must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise UserError(f"{field}: {_shown(value)} must be at most {maximum}")
    return number


def parse_int(value, *, field: str, minimum=None, maximum=None) -> int:
    """A whole number typed by a person, through ``parse_decimal`` (so '१२' and '1e9999' are refused)."""
    return int(parse_decimal(value, field=field, places=0, minimum=minimum, maximum=maximum))


def _shown(value) -> str:
    """A value in a message: its repr, cut short (a 5000-character paste is not echoed back)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@lru_cache(maxsize=None)
def minor_units(currency: str) -> int:
    """Decimals of ``currency`` (ISO 4217): KRW and VND 0, USD and MXN 2, BHD 3."""
    code = _currency_code(currency)
    if code in MINOR_UNITS_OVERRIDES:
        return MINOR_UNITS_OVERRIDES[code]
    return int(get_currency_precision(code))


def quantum(currency: str) -> Decimal:
    """The smallest amount of ``currency``: Decimal('1') for VND, Decimal('0.01') for USD."""
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount, currency: str, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round ``amount`` to the currency's minor units (half up = away from zero on ties).

    An amount too large for the context's precision is a UserError, not InvalidOperation
    (input goes through ``parse_decimal`` first; this is the backstop for computed ones)."""
    try:
        return to_decimal(amount).quantize(quantum(currency), rounding=rounding)
    except InvalidOperation:
        raise UserError(f"amount {_shown(amount)} is too large") from None


def round_lines(amounts, currency: str, mode: str = "line", rounding: str = ROUND_HALF_UP) -> Decimal:
    """The total of ``amounts`` under a rounding regime.

    ``"line"``: each line is rounded, then the rounded lines are added (what a
    receipt printing rounded lines must add up to). ``"total"``: the exact lines
    are added and only the total is rounded. The two can differ by up to half a
    minor unit per line, which is why a document must say which one it used.
    """
    if mode not in ROUNDING_MODES:
        raise UserError(f"rounding mode {mode!r}: expected one of {', '.join(ROUNDING_MODES)}")
    values = [to_decimal(a) for a in amounts]
    if mode == "line":
        return sum((quantize(v, currency, rounding) for v in values), quantize(0, currency))
    return quantize(sum(values, Decimal(0)), currency, rounding)


def allocate(total, weights, currency: str) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` so the parts add up to it exactly.

    Each part is the proportional share rounded down to the minor unit; the units
    left over go to the parts with the largest remainders (ties: earlier first).
    Used to spread an order discount or a shipping fee over lines.
    """
    total = quantize(total, currency)
    weights = [to_decimal(w) for w in weights]
    if not weights:
        raise UserError("allocate: needs at least one weight")
    if any(w < 0 for w in weights):
        raise UserError("allocate: weights cannot be negative")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise UserError("allocate: the weights add up to zero")
    unit = quantum(currency)
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    exact = [magnitude * w / weight_sum for w in weights]
    parts = [(e / unit).to_integral_value(rounding="ROUND_FLOOR") * unit for e in exact]
    left = int((magnitude - sum(parts, Decimal(0))) / unit)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += unit
    return [(p * sign).quantize(unit) for p in parts]


def split(total, count: int, currency: str) -> list[Decimal]:
    """Split ``total`` into ``count`` near-equal parts that add up to it (instalments)."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise UserError(f"split: count must be a whole number of at least 1, got {count!r}")
    return allocate(total, [1] * count, currency)


def format_money(amount, currency: str, locale: str = "en") -> str:
    """``amount`` as a reader of ``locale`` writes it: '₩12,345', '12.345 ₫', '$1,234.50'.

    The amount is rounded to the currency's minor units first, so a VND amount
    never shows decimals whatever CLDR says about the locale's pattern.
    """
    code = _currency_code(currency)
    value = quantize(amount, code)
    try:
        parsed = Locale.parse(str(locale).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise UserError(f"locale {locale!r} is not a known locale (e.g. en, ko_KR, vi_VN)") from None
    digits = minor_units(code)
    pattern = None
    if digits != get_currency_precision(code):
        # Babel would pad to its own digit count; give it a pattern with ours.
        base = parsed.currency_formats["standard"].pattern.split(";")[0]
        pattern = _with_decimals(base, digits)
    return format_currency(value, code, format=pattern, locale=parsed,
                           currency_digits=pattern is None)


def _with_decimals(pattern: str, digits: int) -> str:
    head, dot, tail = pattern.partition(".")
    if not dot:
        return pattern if digits == 0 else pattern.replace("0", "0." + "0" * digits, 1)
    rest = tail.lstrip("0#")
    return head + ("." + "0" * digits if digits else "") + rest


def _currency_code(currency) -> str:
    code = str(currency or "").strip().upper()
    if len(code) != 3 or code not in _known_currencies():
        raise UserError(f"currency {currency!r} is not an ISO 4217 code (e.g. USD, KRW, VND, MXN)")
    return code


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset:
    return frozenset(Locale("en").currencies)
