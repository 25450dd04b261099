"""Parsing numbers typed by people: the one parser, ``parse_decimal`` (and ``parse_int`` on top).

It lives apart from ``core.money`` (which re-exports it) because it needs nothing but
``decimal``: manifest-only commands such as ``manage.py addons list`` validate setting
defaults with it and must not pay for importing SQLAlchemy and Babel, which ``core.money``
needs for its column types and formatting.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .errors import UserError
from .i18n import _

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
        raise UserError(_("%(field)s: %(value)s is a %(type)s; amounts and quantities need a Decimal, int or "
                          "numeric string (floats lose cents)", field=field, value=repr(value),
                          type=type(value).__name__))
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise UserError(_("%(field)s: a number is required (got %(value)s)", field=field, value=_shown(value)))
        if not NUMBER_RE.fullmatch(text):
            raise UserError(_("%(field)s: %(value)s is not a number (digits 0-9, an optional sign and point)",
                              field=field, value=_shown(value)))
        try:
            result = Decimal(text)
        except InvalidOperation:  # an exponent beyond what Decimal can hold at all
            raise UserError(_("%(field)s: %(value)s is too large", field=field, value=_shown(value))) from None
    else:
        raise UserError(_("%(field)s: %(value)s is not a number (got %(type)s)", field=field, value=_shown(value),
                          type=type(value).__name__))
    if not result.is_finite():
        raise UserError(_("%(field)s: %(value)s is not a finite number", field=field, value=_shown(value)))
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
        raise UserError(_("%(field)s: %(value)s is too large (at most %(digits)s digits before the point)",
                          field=field, value=_shown(value), digits=max_digits))
    if places is not None and not number.is_zero() and number.normalize().as_tuple().exponent < -places:
        raise UserError(_("%(field)s: %(value)s must be a whole number (no decimals)", field=field,
                          value=_shown(value)) if places == 0 else
                        _("%(field)s: %(value)s has more than %(places)s decimal(s)", field=field, value=_shown(value),
                          places=places))
    if places is None and not number.is_zero() and number.adjusted() < -max_digits:
        raise UserError(_("%(field)s: %(value)s is too small", field=field, value=_shown(value)))
    if minimum is not None and number < minimum:
        raise UserError(_("%(field)s: %(value)s must be at least %(minimum)s", field=field, value=_shown(value),
                          minimum=minimum))
    if maximum is not None and number > maximum:
        raise UserError(_("%(field)s: %(value)s must be at most %(maximum)s", field=field, value=_shown(value),
                          maximum=maximum))
    return number


def parse_int(value, *, field: str, minimum=None, maximum=None) -> int:
    """A whole number typed by a person, through ``parse_decimal`` (so '१२' and '1e9999' are refused)."""
    return int(parse_decimal(value, field=field, places=0, minimum=minimum, maximum=maximum))


def _shown(value) -> str:
    """A value in a message: its repr, cut short (a 5000-character paste is not echoed back)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
