"""Generate well-formed tax ids with correct check digits, for demo data and tests.

Each generator takes a ``random.Random`` so demo data is reproducible. The check
digit arithmetic comes from python-stdnum where it exposes it, and for the Korean
business registration number (whose check digit stdnum does not verify) from
``core.taxid``, the same code that validates it.
"""
from __future__ import annotations

from core.taxid import kr_brn_check_digit


def kr_brn(rng) -> str:
    body = f"{rng.randint(101, 899)}{rng.randint(81, 88):02d}{rng.randint(1, 9999):04d}"
    number = body + kr_brn_check_digit(body)
    return f"{number[:3]}-{number[3:5]}-{number[5:]}"


def vn_mst(rng) -> str:
    while True:
        body = f"0{rng.randint(10000000, 99999999)}"
        from stdnum.vn import mst   # stdnum imported when demo data is made, not at start-up
        check = mst.calc_check_digit(body)
        if len(check) == 1:  # a remainder that gives "10" has no valid number
            return body + check


def mx_rfc(rng) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while True:
        prefix = "".join(rng.choice(letters) for _ in range(3))
        date = f"{rng.randint(0, 23):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        homoclave = rng.choice("123456789ABCDEFGHIJKLMNPQRSTUV") + rng.choice("123456789ABCDEFGHIJKLMNPQRSTUVWXYZ")
        body = prefix + date + homoclave
        from stdnum.mx import rfc
        check = rfc.calc_check_digit(body)
        if check in "0123456789A":
            return body + check


def cn_uscc(rng) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + f"{rng.randint(110000, 659000):06d}" + "".join(rng.choice(alphabet) for _ in range(9))
    from stdnum.cn import uscc
    return body + uscc.calc_check_digit(body)


def ru_inn(rng) -> str:
    body = f"{rng.randint(1, 99):02d}{rng.randint(0, 9999999):07d}"
    from stdnum.ru import inn
    return body + inn.calc_company_check_digit(body)


def de_vat(rng) -> str:
    body = f"{rng.randint(1, 9)}{rng.randint(0, 9999999):07d}"
    from stdnum.iso7064 import mod_11_10
    return "DE" + body + mod_11_10.calc_check_digit(body)


GENERATORS = {"KR": kr_brn, "VN": vn_mst, "MX": mx_rfc, "CN": cn_uscc, "RU": ru_inn, "DE": de_vat}


def company_tax_id(country: str, rng) -> str:
    return GENERATORS[country](rng)
