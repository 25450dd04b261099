"""Numbers, dates and codes as people read them: the one place they are formatted.

Lists, detail pages, forms, exports, PDFs and mail all call these functions, so
an amount reads the same everywhere: Babel in the reader's locale, the
document's currency with its own minor units (KRW and VND without decimals),
never scientific notation nor a ``.0000`` tail, and times in the business's
time zone without microseconds. Machines get ``plain_decimal`` instead (form
inputs and CSV), which is exact and never an exponent.

Codes stored in rows (``bank_transfer``, ``sales_invoice``, ``C62``) are shown
through ``code_label``: one registry, filled by the core and by each addon with
``register_labels(kind, {code: lazy_gettext(...)})``.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_datetime, parse_date as babel_parse_date
from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .errors import UserError
from .money import babel_locale, format_money, to_decimal

NUMBER_PATTERN = "#,##0.##########"


def _locale(locale) -> Locale:
    return babel_locale(locale)


def plain_decimal(value) -> str:
    """Exact digits for a form input or a CSV cell: '742500', '0.5', '-3'; '' for None.

    ``str(Decimal('7.425E+5'))`` is an exponent and ``str(Decimal('0.5000'))``
    keeps the zeros a clerk would have to delete; this gives neither.
    """
    if value is None or value == "":
        return ""
    number = to_decimal(value if not isinstance(value, float) else str(value))
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def amount(value, currency, locale="en") -> str:
    """An amount in ``currency`` for a reader of ``locale``: '₩495,000', '$1,234.50', '75.000 ₫'."""
    if value is None:
        return ""
    return format_money(value, currency, str(locale or "en"))


def quantity(value, locale="en") -> str:
    """A quantity with thousands separators and only the decimals it has: '1,250', '0.5'."""
    if value is None:
        return ""
    return format_decimal(to_decimal(plain_decimal(value)), NUMBER_PATTERN, locale=_locale(locale))


def rate(value, locale="en") -> str:
    """A rate stored as a fraction (tax rates: 0.10) as a percentage: '10 %', '8.875 %'."""
    if value is None:
        return ""
    return percent(to_decimal(plain_decimal(value)) * 100, locale)


def percent(value, locale="en") -> str:
    """A number of percent (discount_percent = 10) as a percentage: '10 %', '12,5 %'."""
    if value is None:
        return ""
    return f"{quantity(value, locale)}\u00a0%"


def _zone(tz) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(str(tz or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"time zone {tz!r} is not a known time zone (e.g. Asia/Seoul)") from None


def datetime_(value, tz="UTC", locale="en") -> str:
    """A moment in the business's time zone, to the second: 'Mar 5, 2026, 9:30:15 AM'.

    Naive datetimes are UTC (that is how the database stores them).
    """
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    local = value.astimezone(_zone(tz)).replace(microsecond=0)
    return format_datetime(local, "medium", tzinfo=local.tzinfo, locale=_locale(locale))


def date_(value, locale="en") -> str:
    """A calendar date in the reader's locale: 'Mar 5, 2026', '2026. 3. 5.'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, "medium", locale=_locale(locale))


def parse_date(text: str, locale="en") -> date:
    """A date typed in ISO form (2026-03-31) or in the locale's order (03/31/2026 in en,
    31/03/2026 in vi, 31.03.2026 in ru); a UserError naming the expected form otherwise."""
    raw = (text or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    try:
        return babel_parse_date(raw, locale=_locale(locale), format="short")
    except (ValueError, IndexError):
        raise UserError(_("date %(value)s: type it as %(example)s or 2026-03-31", value=repr(text),
                          example=format_date(date(2026, 3, 31), "short", locale=_locale(locale)))) from None


# ------------------------------------------------------------------ code labels
_LABELS: dict[str, dict[str, object]] = {}


def register_labels(kind: str, labels: dict) -> None:
    """Declare the human labels of one kind of code (addons call this from their admin module)."""
    _LABELS.setdefault(kind, {}).update(labels)


def code_label(kind: str, code) -> str:
    """The label of ``code``: a registered one, else the code made readable ('bank_transfer' -> 'Bank transfer')."""
    if code is None or code == "":
        return ""
    label = _LABELS.get(kind, {}).get(str(code))
    if label is not None:
        return str(label)
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


register_labels("unit", {"C62": _l("pcs"), "H87": _l("pcs"), "EA": _l("each"), "KGM": _l("kg"),
                         "GRM": _l("g"), "LTR": _l("l"), "MTR": _l("m"), "HUR": _l("h"),
                         "DAY": _l("days"), "BX": _l("box"), "PK": _l("pack")})
register_labels("payment_method", {"bank_transfer": _l("Bank transfer"), "cash": _l("Cash"),
                                   "card": _l("Card"), "cod": _l("Cash on delivery")})



# ------------------------------------------------------------------ column kinds
KINDS = ("amount", "quantity", "rate", "percent")


def column_kind(name: str) -> str:
    """How a Decimal column named ``name`` reads: 'amount', 'quantity', 'rate' or 'percent'.

    Column names follow one convention across the addons: ``*rate`` is a
    fraction (tax_rate 0.10), ``*_percent`` / ``*_pct`` a number of percent,
    ``*qty*``, ``quantity``, stock levels and the exchange rate plain numbers,
    everything else money; a view names the exceptions in ``column_kinds``.
    """
    if name == "exchange_rate" or "qty" in name or name.startswith(("quantity", "on_hand", "reserved",
                                                                    "applied_delta", "available")):
        return "quantity"
    if name.endswith("rate"):
        return "rate"
    if name.endswith(("percent", "pct")):
        return "percent"
    return "amount"


def decimal_for_people(value, kind: str, currency, locale) -> str:
    """A Decimal as ``kind`` says; an amount without a known currency reads as a number."""
    if kind == "rate":
        return rate(value, locale)
    if kind == "percent":
        return percent(value, locale)
    if kind == "amount" and currency:
        return amount(value, currency, locale)
    return quantity(value, locale)
