"""Tax identifiers, validated with python-stdnum where the country has a validator.

Two rules go beyond python-stdnum: a Korean business registration number must carry
the National Tax Service check digit (stdnum only checks its length and parts), and
an EU VAT number is always stored with its own country's VAT prefix (EL for Greece):
typed without one it gets it, typed with another country's it is refused, so the
prefix is never doubled or wrong on an e-invoice.
"""
from __future__ import annotations

import importlib

from .errors import UserError
from .i18n import _

# The stdnum module that holds each country's business tax number.
VALIDATORS = {
    "KR": "stdnum.kr.brn", "VN": "stdnum.vn.mst", "MX": "stdnum.mx.rfc", "CN": "stdnum.cn.uscc",
    "RU": "stdnum.ru.inn", "US": "stdnum.us.ein", "JP": "stdnum.jp.cn", "TH": "stdnum.th.tin",
    "ID": "stdnum.id.npwp", "MY": "stdnum.my.nric", "SG": "stdnum.sg.uen", "PH": None,
}
EU = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
      "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}
# The NTS weights of a Korean business registration number's first nine digits.
KR_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def validator_for(country: str):
    country = country.upper()
    if country in EU:
        return importlib.import_module("stdnum.eu.vat")
    name = VALIDATORS.get(country)
    if name is None:
        try:
            return importlib.import_module(f"stdnum.{country.lower()}.vat")
        except ImportError:
            return None
    return importlib.import_module(name)


def kr_brn_check_digit(first_nine: str) -> str:
    """The NTS check digit: weighted sum of nine digits plus the carry of the ninth digit × 5."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, KR_BRN_WEIGHTS))
    total += int(first_nine[8]) * 5 // 10
    return str((10 - total % 10) % 10)


def _check_kr_brn(number: str) -> None:
    from stdnum.exceptions import InvalidChecksum
    if kr_brn_check_digit(number[:9]) != number[9]:
        raise InvalidChecksum()


# Checks run after stdnum's own validation, on its compact result.
STRICTER = {"KR": _check_kr_brn}


def vat_prefix(country: str) -> str:
    """The VAT prefix of a country: its ISO code, except Greece, whose VAT numbers start with EL."""
    country = country.upper()
    return "EL" if country == "GR" else country


def eu_vat_with_prefix(country: str, value: str) -> str:
    """``value`` led by ``country``'s VAT prefix: added when missing, refused when another country's.

    Only the prefix is handled here (GR is read as EL); the check digits are stdnum's job.
    """
    value = value.strip()
    own = vat_prefix(country)
    head = value[:2].upper()
    if not (head.isascii() and head.isalpha()):
        return own + value
    if head not in (own, country.upper()):
        raise UserError(_("%(value)s carries the VAT prefix %(prefix)s, but the country is %(country)s: its VAT "
                          "numbers start with %(own)s (or type the number without prefix)", value=repr(value),
                          prefix=head, country=country.upper(), own=own))
    return own + value[2:]


def validate_tax_id(country: str, value: str) -> str:
    """Return the compact, valid form of ``value`` or raise a UserError saying why."""
    country = (country or "").upper()
    value = (value or "").strip()
    module = validator_for(country)
    if module is None:
        if not value:
            raise UserError(_("tax id is empty"))
        return value
    if country in EU and value:
        value = eu_vat_with_prefix(country, value)
    from stdnum.exceptions import ValidationError
    try:
        number = module.validate(value)
        stricter = STRICTER.get(country)
        if stricter:
            stricter(number)
        return number
    except ValidationError as exc:
        label = getattr(module, "__doc__", "").strip().splitlines()[0] if module.__doc__ else module.__name__
        raise UserError(_("%(value)s is not a valid %(kind)s (%(reason)s)", value=repr(value), kind=label.rstrip("."),
                          reason=exc.message)) from None


def vat_identifier(country: str, tax_id: str) -> str:
    """The tax id led by its country's VAT prefix, as EN 16931 BR-CO-09 asks, never doubling it.

    EU numbers go through :func:`eu_vat_with_prefix` (so an id stored with another
    country's prefix is refused rather than printed as ``DEFR…``); others get the ISO
    code unless they already start with it.
    """
    tax_id = (tax_id or "").replace(" ", "").upper()
    country = (country or "").upper()
    if not tax_id or not country:
        return tax_id
    if country in EU:
        return eu_vat_with_prefix(country, tax_id)
    return tax_id if tax_id.startswith(country) else country + tax_id
