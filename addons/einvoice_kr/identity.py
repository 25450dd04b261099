"""Identity numbers of a cash receipt (현금영수증 식별번호): which kind, valid, masked, encrypted.

Pure functions, no session. Kinds:

* ``mobile``: 010/011/016/017/018/019 + 7 or 8 digits (NTS's self-issue code 010-000-1234 is one);
* ``card``: a cash-receipt or credit card number, 13 to 19 digits, Luhn check digit;
* ``rrn``: a resident registration number (주민등록번호), 13 digits, python-stdnum's check;
  accepted for income deduction only, never shown after entry;
* ``brn``: a business registration number, 10 digits with the NTS check digit
  (``core.taxid.kr_brn_check_digit``); for expense proof only.

Purposes: ``deduction`` (소득공제용: mobile, card, rrn) and ``proof`` (지출증빙용: brn, mobile, card).
"""
from __future__ import annotations

import base64
import hashlib
import re

from core.errors import UserError
from core.i18n import _
from core.taxid import kr_brn_check_digit

PURPOSES = ("deduction", "proof")
# Popbill's tradeUsage values.
PURPOSE_POPBILL = {"deduction": "소득공제용", "proof": "지출증빙용"}
KINDS_BY_PURPOSE = {"deduction": ("mobile", "card", "rrn"), "proof": ("brn", "mobile", "card")}
SELF_ISSUE_NUMBER = "0100001234"  # NTS's designated code 010-000-1234 for a buyer who gave no number
MOBILE = re.compile(r"01[016789]\d{7,8}")


def digits(value) -> str:
    text = str(value or "").strip()
    if re.fullmatch(r"[\d\s-]+", text) is None:
        raise UserError(_("identity: only digits and hyphens are allowed"))
    return re.sub(r"\D", "", text)


def luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        n = int(char)
        if index % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def brn_ok(number: str) -> bool:
    return len(number) == 10 and number.isdigit() and kr_brn_check_digit(number[:9]) == number[9]


def rrn_ok(number: str) -> bool:
    from stdnum.kr import rrn
    return rrn.is_valid(number)


def classify(value, purpose: str) -> tuple[str, str]:
    """(kind, digits) of an identity number for ``purpose``; UserError naming the field otherwise."""
    if purpose not in PURPOSES:
        raise UserError(_("purpose: one of deduction (income deduction) or proof (expense proof)"))
    number = digits(value)
    if not number:
        raise UserError(_("identity: a mobile number, card number or business number is required"))
    allowed = KINDS_BY_PURPOSE[purpose]
    if MOBILE.fullmatch(number):
        kind = "mobile"
    elif len(number) == 10:
        if not brn_ok(number):
            raise UserError(_("identity: %(number)s is not a valid business registration number (NTS check digit)",
                              number=mask("brn", number)))
        kind = "brn"
    elif len(number) == 13 and rrn_ok(number):
        kind = "rrn"
    elif 13 <= len(number) <= 19:
        if not luhn_ok(number):
            raise UserError(_("identity: card number %(number)s fails the Luhn check", number=mask("card", number)))
        kind = "card"
    elif number.startswith("01"):
        raise UserError(_("identity: a mobile number is 010 followed by 7 or 8 digits"))
    else:
        raise UserError(_("identity: not a mobile number (010-…), card number or business registration number"))
    if kind not in allowed:
        raise UserError(_("identity: a %(kind)s number cannot be used for %(purpose)s receipts",
                          kind=kind, purpose=purpose))
    return kind, number


def mask(kind: str, number: str) -> str:
    """What screens, logs and CLI show: 010-****-5678, ****-****-****-1234, 116-82-*****, RRN never."""
    if kind == "mobile":
        if number == SELF_ISSUE_NUMBER:
            return "010-000-1234"
        return f"{number[:3]}-{'*' * (len(number) - 7)}-{number[-4:]}"
    if kind == "card":
        return "****-****-****-" + number[-4:]
    if kind == "brn":
        return f"{number[:3]}-{number[3:5]}-*****"
    return "******-*******"


# ---------------------------------------------------------------- at rest

def _fernet(secret_key: str):
    from cryptography.fernet import Fernet
    digest = hashlib.sha256(("tessera-einvoice-kr-identity:" + secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(number: str, secret_key: str) -> bytes:
    return _fernet(secret_key).encrypt(number.encode())


def decrypt(token: bytes, secret_key: str) -> str:
    return _fernet(secret_key).decrypt(bytes(token)).decode()


def mgt_key(idempotency_key: str) -> str:
    """Popbill's document key (mgtKey: ≤ 24 characters of A-Z a-z 0-9 - _), derived from the idempotency key.

    Deterministic: the same key always gives the same mgtKey, so a resend after a
    timeout is recognised by Popbill (duplicate mgtKey) and found by lookup.
    """
    digest = base64.b32encode(hashlib.sha256(idempotency_key.encode()).digest()).decode().rstrip("=")
    return "TK" + digest[:22]
