"""Tax identifiers, validated with python-stdnum where the country has a validator."""
from __future__ import annotations

import importlib

from stdnum.exceptions import ValidationError

from .errors import UserError

# The stdnum module that holds each country's business tax number.
VALIDATORS = {
    "KR": "stdnum.kr.brn", "VN": "stdnum.vn.mst", "MX": "stdnum.mx.rfc", "CN": "stdnum.cn.uscc",
    "RU": "stdnum.ru.inn", "US": "stdnum.us.ein", "JP": "stdnum.jp.cn", "TH": "stdnum.th.tin",
    "ID": "stdnum.id.npwp", "MY": "stdnum.my.nric", "SG": "stdnum.sg.uen", "PH": None,
}
EU = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
      "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}


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


def validate_tax_id(country: str, value: str) -> str:
    """Return the compact, valid form of ``value`` or raise a UserError saying why."""
    value = (value or "").strip()
    module = validator_for(country)
    if module is None:
        if not value:
            raise UserError("tax id is empty")
        return value
    try:
        return module.validate(value)
    except ValidationError as exc:
        label = getattr(module, "__doc__", "").strip().splitlines()[0] if module.__doc__ else module.__name__
        raise UserError(f"{value!r} is not a valid {label.rstrip('.')} ({exc.message})") from None
