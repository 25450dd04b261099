"""The entry payload's vocabulary: its keys, the error that names fields, and readers of plain values.

Every reader appends "<path>: <what is wrong>" to a list instead of raising, so
one pass reports every problem of a payload (``EntryError.problems``) and a
screen can mark each named field.
"""
from __future__ import annotations

from datetime import date

from core.errors import FieldErrors
from core.i18n import _

CUSTOMER_KEYS = ("code", "name", "kind", "phone", "email", "country", "tax_id", "language", "address")
ADDRESS_KEYS = ("street", "ward", "district", "province", "postal_code")
SHIPPING_KEYS = ("name", "phone") + ADDRESS_KEYS + ("country",)
LINE_KEYS = ("sku", "qty", "unit_price", "discount_percent")


class EntryError(FieldErrors):
    """The problems of an order entry payload, each naming its path (``lines[1].qty: ...``)."""


def known_keys(value, allowed, where: str, problems) -> bool:
    """Is ``value`` an object? Records it if not, and every key it has that ``allowed`` does not."""
    if not isinstance(value, dict):
        if value is not None:
            problems.append(_("%(field)s: must be an object, got %(type)s", field=where or "payload",
                              type=type(value).__name__))
        return False
    prefix = f"{where}." if where else ""
    for key in sorted(set(value) - set(allowed), key=str):
        problems.append(_("%(field)s: unknown field (known: %(known)s)", field=prefix + str(key), known=", ".join(allowed)))
    return True


def as_text(value, label: str, max_length: int, problems) -> str | None:
    """Stripped text or None when empty; numbers are refused rather than guessed at."""
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(_("%(field)s: must be text, got %(type)s", field=label, type=type(value).__name__))
        return None
    text = value.strip()
    if "\x00" in text:
        problems.append(_("%(field)s: contains a NUL character", field=label))
        return None
    if len(text) > max_length:
        problems.append(_("%(field)s: at most %(max)s characters, got %(length)s", field=label, max=max_length,
                          length=len(text)))
        return None
    return text or None


def as_bool(value, label: str, problems) -> bool:
    if not isinstance(value, bool):
        problems.append(_("%(field)s: must be true or false, got %(value)r", field=label, value=value))
        return False
    return value


def as_date(value, label: str, problems) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(_("%(field)s: %(value)r is not a date (YYYY-MM-DD)", field=label, value=value))
        return None
