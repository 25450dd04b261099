"""Field checks shared by the catalog services and the CSV import.

Each returns the clean value or raises UserError naming the field, so that the
import can prefix the line number and a form can show it next to the field.
"""
from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from core.errors import UserError
from core.i18n import _
from core.models import Business
from core.money import AMOUNT_SCALE, TAX_RATE, minor_units, parse_decimal, parse_int
from core.text import clean_text

SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")
BARCODE_RE = re.compile(r"^[0-9A-Za-z\-]{4,64}$")
COST_DECIMALS = AMOUNT_SCALE  # what the cost columns hold


def sku(value, field="sku") -> str:
    text = (value or "").strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not SKU_RE.match(text):
        raise UserError(_("%(field)s: %(value)s must be 1-64 letters, digits, '.', '_', '-' or '/', "
                          "starting with a letter or digit", field=field, value=repr(value)))
    return text


def barcode(value, field="barcode") -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if not BARCODE_RE.match(text):
        raise UserError(_("%(field)s: %(value)s is not a barcode (4-64 letters, digits or '-')", field=field,
                          value=repr(value)))
    return text


def name(value, field="name", max_len=255) -> str:
    text = clean_text(value, field, max_len=max_len) if isinstance(value, str) else None
    if not text:
        raise UserError(_("%(field)s: required", field=field))
    return text


def business_currency(session) -> str:
    """The session business's currency, cached on the session (prices are checked against it)."""
    cached = session.info.get("catalog_currency")
    if cached is None:
        cached = session.scalar(select(Business.currency).where(Business.id == session.info["business_id"]))
        session.info["catalog_currency"] = cached
    return cached


def price(session, value, field="price", *, decimals: int | None = None) -> Decimal:
    """A non-negative Decimal with no more decimals than the currency has (cost: 4)."""
    places = minor_units(business_currency(session)) if decimals is None else decimals
    return parse_decimal(value, field=field, places=places, minimum=0)


def cost(session, value, field="cost_price") -> Decimal:
    return price(session, value, field, decimals=COST_DECIMALS)


def optional_int(value, field, *, minimum=0, maximum=10_000_000) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_int(value, field=field, minimum=minimum, maximum=maximum)


def rate(value, field="rate") -> Decimal:
    number = parse_decimal(value, field=field, places=TAX_RATE[1], max_digits=1)
    if not Decimal(0) <= number < 1:
        raise UserError(_("%(field)s: %(value)s must be a fraction between 0 and 1 (0.10 is 10 %%)", field=field,
                          value=value))
    return number
