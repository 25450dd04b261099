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

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision
from sqlalchemy import BigInteger, Numeric, String, bindparam, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from .errors import UserError
from .i18n import _, ngettext
from .numbers import MAX_INTEGER_DIGITS, NUMBER_RE, _shown, parse_decimal, parse_int, to_decimal

# The parser of numbers typed by people lives in core.numbers (import-light, see there);
# it is re-exported here because money is where callers look for it.
REEXPORTED = (MAX_INTEGER_DIGITS, NUMBER_RE, parse_decimal, parse_int, to_decimal)

# Babel follows CLDR, whose data has changed for some currencies over releases
# (VND and KRW have been listed with decimals that nobody uses in practice).
# The currencies we invoice in are pinned here so a Babel upgrade cannot move
# the decimals of issued documents.
MINOR_UNITS_OVERRIDES = {"KRW": 0, "VND": 0, "JPY": 0, "MXN": 2, "USD": 2, "EUR": 2, "CNY": 2, "RUB": 2}
ROUNDING_MODES = ("line", "total")


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


def json_number(value):
    """A Decimal as a JSON number for an outside API that wants numbers, not strings: an int when
    whole, else a float (the APIs of carriers, marketplaces and e-invoice providers read them so)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def format_money(amount, currency: str, locale: str = "en", *, exact: bool = False) -> str:
    """``amount`` as a reader of ``locale`` writes it: '₩12,345', '12.345 ₫', '$1,234.50'.

    The amount is rounded to the currency's minor units first, so a VND amount
    never shows decimals whatever CLDR says about the locale's pattern. An
    ``exact`` amount (a unit price: quantity × price must be checkable on paper)
    keeps the decimals it has beyond those: '€0.125', '₩1,250.5'.
    """
    code = _currency_code(currency)
    digits = minor_units(code)
    if exact:
        digits = max(digits, -min(to_decimal(amount).normalize().as_tuple().exponent, 0))
    value = to_decimal(amount).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    parsed = babel_locale(locale)
    pattern = None
    if digits != get_currency_precision(code):
        # Babel would pad to its own digit count; give it a pattern with ours.
        base = parsed.currency_formats["standard"].pattern.split(";")[0]
        pattern = _with_decimals(base, digits)
    return format_currency(value, code, format=pattern, locale=parsed,
                           currency_digits=pattern is None)


def babel_locale(locale) -> Locale:
    """Babel's Locale for a code ('vi', 'ko-KR'); a UserError naming the code when it is none."""
    try:
        return _parsed_locale(str(locale or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise UserError(f"locale {locale!r} is not a known locale (e.g. en, ko_KR, vi_VN)") from None


@lru_cache(maxsize=64)
def _parsed_locale(code: str) -> Locale:
    # Parsing builds a new Locale (and its data lookups) per call: a list page formats
    # hundreds of values in one or two locales. Failures raise, so they are never cached.
    return Locale.parse(code)


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


# ---------------------------------------------------------------- columns

AMOUNT_PRECISION, AMOUNT_SCALE = 18, 4
QUANTITY_PRECISION, QUANTITY_SCALE = 18, 4
# (precision, scale) of the Rate columns
TAX_RATE = (8, 6)        # a fraction: 0.100000 is 10 %, 0.08875 is 8.875 % (US sales tax)
PERCENT = (5, 2)         # discounts: 12.50 is 12.5 %
EXCHANGE_RATE = (18, 8)


class ExactDecimal(TypeDecorator):
    """A fixed-point Decimal column, exact on every backend.

    PostgreSQL stores ``NUMERIC(precision, scale)``. SQLite has no exact decimal
    (its NUMERIC affinity turns fractions into floats), so there the column is a
    64-bit integer counting units of ``10**-scale``: exact, and still summed,
    compared, sorted and checked in SQL with integer arithmetic, as long as both
    sides have the same scale. That is why SQL multiplication and division of
    these columns are refused (the product of two scaled integers has the wrong
    scale): compute in Python with Decimal. A value with more decimals than the
    column holds is refused, never rounded, on both backends: the column scale is
    the precision contract, so what is written is exactly what is read back.
    """
    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int):
        super().__init__(precision=precision, scale=scale)
        self.precision, self.scale = precision, scale

    @property
    def python_type(self):
        return Decimal

    def __repr__(self):
        return f"{type(self).__name__}({self.precision}, {self.scale})"

    class comparator_factory(Numeric.Comparator):
        def __mul__(self, other):
            if isinstance(other, int) and not isinstance(other, bool):
                return super().__mul__(other)
            raise TypeError(_NO_SQL_PRODUCT)

        __rmul__ = __mul__

        def __truediv__(self, other):
            raise TypeError(_NO_SQL_PRODUCT)

        __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __truediv__

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        exact = fit(value, self.precision, self.scale)
        return int(exact.scaleb(self.scale)) if dialect.name == "sqlite" else exact

    def process_literal_param(self, value, dialect):
        return self.process_bind_param(value, dialect)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            if not isinstance(value, int):
                # AVG or a value written around the ORM: a float is no longer exact.
                raise TypeError(f"{value!r} read from a {self.scale}-decimal column is not a scaled integer; "
                                f"aggregate with core.money.sum_of (SUM is exact, AVG is not)")
            return _unscaled(value, self.scale)
        return Decimal(value).quantize(Decimal(1).scaleb(-self.scale))


def _unscaled(units: int, scale: int) -> Decimal:
    """``units`` of ``10**-scale`` as a Decimal with exactly ``scale`` decimals (no context rounding)."""
    return Decimal(f"{units}e-{scale}")


_NO_SQL_PRODUCT = ("multiplying or dividing exact decimal columns in SQL loses their scale on SQLite; "
                   "load the values and compute with Decimal")


class Amount(ExactDecimal):
    """Money: 18 digits, 4 decimals (a currency's minor units are at most 3)."""
    cache_ok = True

    def __init__(self):
        super().__init__(AMOUNT_PRECISION, AMOUNT_SCALE)

    def __repr__(self):
        return "Amount()"


class Quantity(ExactDecimal):
    """Quantities of stock, order and document lines: 18 digits, 4 decimals."""
    cache_ok = True

    def __init__(self):
        super().__init__(QUANTITY_PRECISION, QUANTITY_SCALE)

    def __repr__(self):
        return "Quantity()"


class Rate(ExactDecimal):
    """Ratios with their own precision: ``Rate(*TAX_RATE)``, ``Rate(*PERCENT)``, ``Rate(*EXCHANGE_RATE)``."""
    cache_ok = True


def fit(value, precision: int, scale: int, field: str = "value") -> Decimal:
    """``value`` as a Decimal at exactly ``scale`` decimals, or a UserError naming ``field``.

    Refuses more decimals than ``scale`` (the value would be rounded by the
    database and differ from what documents built from it show) and more digits
    than ``precision``.
    """
    try:
        number = to_decimal(value)
    except UserError as exc:
        raise UserError(f"{field}: {exc}") from None
    places = Decimal(1).scaleb(-scale)
    exact = number.quantize(places) if abs(number) < Decimal(10) ** (precision - scale) else None
    if exact is None:
        raise UserError(_("%(field)s: %(value)s is too large (at most %(digits)s digits before the point)",
                          field=field, value=value, digits=precision - scale))
    if exact != number:
        raise UserError(ngettext("%(field)s: %(value)s has more than %(num)s decimal (allowed: %(num)s)",
                                 "%(field)s: %(value)s has more than %(num)s decimals (allowed: %(num)s)",
                                 scale, field=field, value=value))
    return exact


def fit_column(value, column, field: str | None = None) -> Decimal:
    """``fit`` with the precision and scale of a mapped column (``Product.sale_price``)."""
    kind = column.type
    return fit(value, kind.precision, kind.scale, field or column.key)


def scaled_check(condition: str, kind: ExactDecimal, **values):
    """A CHECK condition whose literals are written as the column stores them.

    ``scaled_check("rate >= 0 AND rate < :one", Rate(*TAX_RATE), one=1)`` renders
    ``rate < 1.0000`` on PostgreSQL and ``rate < 10000`` on SQLite, where the
    column holds scaled integers (a literal ``1`` there would mean 0.0001).
    """
    return text(condition).bindparams(*(bindparam(name, Decimal(value), type_=kind)
                                        for name, value in values.items()))


class sum_of(FunctionElement):
    """SUM over an amount, quantity or rate expression: exact on every backend, 0 over no rows.

    PostgreSQL sums NUMERIC exactly. SQLite sums integers exactly but stops with
    "integer overflow" past 9.2e18 units (10,000 amounts of 18 digits get there),
    so there the expression is summed in two parts that cannot overflow, the
    units above and below 10**9, and the parts are added in Python. The result
    is for reading (select lists, GROUP BY); compare rows, not sums, in SQL.
    """
    inherit_cache = True

    def __init__(self, expression):
        kind = expression.type
        if not isinstance(kind, ExactDecimal):
            raise TypeError(f"sum_of needs an Amount, Quantity or Rate expression, got {kind!r}")
        super().__init__(expression)
        self.type = _ExactSum(kind.scale)


class _ExactSum(TypeDecorator):
    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(String() if dialect.name == "sqlite" else Numeric())

    def process_result_value(self, value, dialect):
        if dialect.name == "sqlite":
            high, low = (int(part) for part in value.split())
            return _unscaled(high * _SPLIT + low, self.scale)
        return Decimal(value).quantize(Decimal(1).scaleb(-self.scale))


_SPLIT = 10 ** 9  # a part's sum stays below 9.2e18 for up to 9.2e9 rows


@compiles(sum_of)
def _sum_numeric(element, compiler, **kw):
    return f"coalesce(sum({compiler.process(element.clauses, **kw)}), 0)"


@compiles(sum_of, "sqlite")
def _sum_scaled_integers(element, compiler, **kw):
    units = compiler.process(element.clauses, **kw)
    return (f"printf('%d %d', coalesce(sum(({units}) / {_SPLIT}), 0), "
            f"coalesce(sum(({units}) % {_SPLIT}), 0))")
