"""Vietnamese VAT rate codes of a document line: the XML's ``TSuat`` and the providers' own codes.

einvoice's line has a rate (a fraction, None when exempt) and a UN/CEFACT category.
Decision 1450/QĐ-TCT names the rate: ``0%``, ``5%``, ``8%``, ``10%``, ``KCT`` (not
subject to VAT), ``KKKNT`` (not declared, not paid: category ``O``), ``KHAC:AB.CD%``
(another rate). Viettel S-Invoice says -2 for KCT, -1 for KKKNT, else the percentage;
MISA meInvoice uses the XML's names.
"""
from __future__ import annotations

from decimal import Decimal

from core.errors import UserError
from core.i18n import _
from core.money import json_number

STANDARD = {Decimal("0"): "0%", Decimal("0.05"): "5%", Decimal("0.08"): "8%", Decimal("0.1"): "10%"}
PERCENT_OF = {"0%": Decimal(0), "5%": Decimal(5), "8%": Decimal(8), "10%": Decimal(10)}
NOT_SUBJECT, NOT_DECLARED = "KCT", "KKKNT"
VIETTEL_CODE = {NOT_SUBJECT: -2, NOT_DECLARED: -1}
# Line nature (TChat): goods/services, promotion, commercial discount, note.
NATURES = {"1": "goods", "2": "promotion", "3": "discount", "4": "note"}
NATURE_CODES = {v: k for k, v in NATURES.items()}


def tsuat(rate, category: str | None) -> str:
    if rate is None:
        return NOT_DECLARED if category == "O" else NOT_SUBJECT
    rate = Decimal(rate).normalize()
    for known, code in STANDARD.items():
        if rate == known:
            return code
    if rate < 0 or rate >= 1:
        raise UserError(_("tax rate %(rate)s%%: not a VAT rate", rate=rate * 100))
    return f"KHAC:{rate * 100:.2f}%"


def percent(code: str) -> Decimal | None:
    """The percentage a TSuat code charges; None for KCT/KKKNT; UserError for an unknown code."""
    if code in (NOT_SUBJECT, NOT_DECLARED):
        return None
    if code in PERCENT_OF:
        return PERCENT_OF[code]
    if code.startswith("KHAC:") and code.endswith("%"):
        try:
            return Decimal(code[5:-1])
        except ArithmeticError:
            pass
    raise UserError(_("TSuat %(code)s: one of 0%%, 5%%, 8%%, 10%%, KCT, KKKNT, KHAC:AB.CD%%", code=repr(code)))


def viettel_percentage(code: str):
    if code in VIETTEL_CODE:
        return VIETTEL_CODE[code]
    return json_number(percent(code))
