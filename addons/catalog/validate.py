"""Field checks shared by the catalog services and the CSV import.

Each returns the clean value or raises UserError naming the field, so that the
import can prefix the line number and a form can show it next to the field.
"""
from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from core.errors import UserError
from core.models import Business
from core.money import AMOUNT_SCALE, minor_units, to_decimal

SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")
BARCODE_RE = re.compile(r"^[0-9A-Za-z\-]{4,64}$")
COST_DECIMALS = AMOUNT_SCALE  # what the cost columns hold


def sku(value, field="sku") -> str:
    text = (value or "").strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not SKU_RE.match(text):
        raise UserError(f"{field}: {value!r} must be 1-64 letters, digits, '.', '_', '-' or '/', "
                        f"starting with a letter or digit")
    return text


def barcode(value, field="barcode") -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if not BARCODE_RE.match(text):
        raise UserError(f"{field}: {value!r} is not a barcode (4-64 letters, digits or '-')")
    return text


def name(value, field="name", max_len=255) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise UserError(f"{field}: required")
    if len(text) > max_len:
        raise UserError(f"{field}: at most {max_len} characters")
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
    try:
        amount = to_decimal(value)
    except UserError as exc:
        raise UserError(f"{field}: {exc}") from None
    if amount < 0:
        raise UserError(f"{field}: {value} must not be negative")
    places = minor_units(business_currency(session)) if decimals is None else decimals
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise UserError(f"{field}: {value} has more than {places} decimal(s)"
                        + (f" ({business_currency(session)})" if decimals is None else ""))
    if amount >= Decimal("1e14"):
        raise UserError(f"{field}: {value} is too large")
    return amount


def cost(session, value, field="cost_price") -> Decimal:
    return price(session, value, field, decimals=COST_DECIMALS)


def optional_int(value, field, *, minimum=0, maximum=10_000_000) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise UserError(f"{field}: {value!r} must be a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise UserError(f"{field}: {value!r} must be a whole number") from None
    if not minimum <= number <= maximum:
        raise UserError(f"{field}: {number} must be between {minimum} and {maximum}")
    return number


def rate(value, field="rate") -> Decimal:
    try:
        number = to_decimal(value)
    except UserError as exc:
        raise UserError(f"{field}: {exc}") from None
    if not Decimal(0) <= number < 1:
        raise UserError(f"{field}: {value} must be a fraction between 0 and 1 (0.10 is 10 %)")
    if number != number.quantize(Decimal("0.0001")):
        raise UserError(f"{field}: {value} has more than 4 decimals")
    return number
