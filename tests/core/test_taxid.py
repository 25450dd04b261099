"""Tax ids: python-stdnum's test vectors, the Korean NTS check digit and EU VAT prefixes."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.errors import UserError
from core.taxid import EU, kr_brn_check_digit, validate_tax_id, vat_identifier, vat_prefix

STANDARDS = Path(os.environ.get("TESSERA_STANDARDS_DIR")
                 or Path(__file__).resolve().parents[2].parent / "shared" / "standards")
VECTORS = json.loads((STANDARDS / "rules" / "taxid" / "stdnum-vectors.json").read_text())["vectors"]


def _eu_country(number: str) -> str:
    prefix = number.strip()[:2].upper()
    return "GR" if prefix == "EL" else prefix


@pytest.mark.parametrize("number", VECTORS["KR"]["valid"])
def test_korean_numbers_stdnum_lists_valid_pass(number):
    assert validate_tax_id("KR", number) == number.replace("-", "").replace(" ", "")


@pytest.mark.parametrize("number", VECTORS["KR"]["invalid"] + VECTORS["KR"]["stricter"])
def test_korean_numbers_failing_format_or_check_digit_are_refused(number):
    with pytest.raises(UserError, match="BRN"):
        validate_tax_id("KR", number)


@pytest.mark.parametrize("number", ["2208162518", "1068843290", "1234567890"])
def test_numbers_stdnum_accepts_have_exactly_one_right_check_digit(number):
    """The issue's three numbers fail the NTS check; of the ten possible last digits exactly one passes."""
    with pytest.raises(UserError, match="check digit"):
        validate_tax_id("KR", number)
    passing = []
    for digit in "0123456789":
        try:
            validate_tax_id("KR", number[:9] + digit)
            passing.append(digit)
        except UserError:
            pass
    assert passing == [kr_brn_check_digit(number[:9])] and passing != [number[9]]


def test_known_registered_numbers_pass_the_nts_check():
    # Naver Corp. and Samsung Electronics, as printed on their invoices
    assert validate_tax_id("KR", "220-81-62517") == "2208162517"
    assert validate_tax_id("KR", "124-81-00998") == "1248100998"


@pytest.mark.parametrize("number", [n for n in VECTORS["EU"]["valid"] if _eu_country(n) in EU])
def test_eu_vat_numbers_stdnum_lists_valid_pass_with_their_own_prefix(number):
    country = _eu_country(number)
    compact = validate_tax_id(country, number)
    assert compact.startswith(vat_prefix(country))
    assert validate_tax_id(country, compact) == compact


@pytest.mark.parametrize("number", [n for n in VECTORS["EU"]["invalid"] if _eu_country(n) in EU])
def test_eu_vat_numbers_stdnum_lists_invalid_fail(number):
    with pytest.raises(UserError):
        validate_tax_id(_eu_country(number), number)


@pytest.mark.parametrize("typed", ["GR094259216", "EL094259216", "094259216", "el 094 259 216"])
def test_greek_vat_numbers_are_stored_with_el(typed):
    assert validate_tax_id("GR", typed) == "EL094259216"


@pytest.mark.parametrize("typed", ["136695976", "136 695 976", "DE136695976", "de 136695976"])
def test_german_vat_number_without_prefix_is_accepted_and_normalised(typed):
    assert validate_tax_id("DE", typed) == "DE136695976"


@pytest.mark.parametrize("country, typed", [("DE", "FR40303265045"), ("GR", "DE136695976"),
                                            ("FR", "EL094259216"), ("AT", "DE 136 695 976")])
def test_vat_number_of_another_country_is_refused(country, typed):
    with pytest.raises(UserError, match=f"prefix {typed[:2].upper()}, but the country is {country}"):
        validate_tax_id(country, typed)


def test_vat_identifier_never_doubles_a_prefix():
    assert vat_identifier("GR", "GR094259216") == "EL094259216"
    assert vat_identifier("GR", "094259216") == "EL094259216"
    assert vat_identifier("DE", "DE136695976") == "DE136695976"
    assert vat_identifier("DE", "136695976") == "DE136695976"
    assert vat_identifier("VN", "0312345673") == "VN0312345673"
    assert vat_identifier("VN", "VN0312345673") == "VN0312345673"
    with pytest.raises(UserError, match="prefix FR"):
        vat_identifier("DE", "FR40303265045")
