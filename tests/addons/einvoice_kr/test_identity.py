"""Identity numbers: kinds, check digits (python-stdnum's KR vectors), masking, encryption, mgtKey."""
from __future__ import annotations

import re

import pytest

from addons.einvoice_kr import identity
from core.errors import UserError

from .standards import vectors as _vectors


def test_brn_vectors_valid_and_one_digit_off_invalid():
    valid = [re.sub(r"\D", "", n) for n in _vectors("KR")["valid"]]
    assert valid and all(identity.brn_ok(n) for n in valid)
    assert not identity.brn_ok("1168200277")
    assert identity.classify("116-82-00276", "proof") == ("brn", "1168200276")
    with pytest.raises(UserError, match="identity: .*not a valid business registration number"):
        identity.classify("116-82-00277", "proof")


def test_rrn_vectors_are_deduction_only_and_never_shown():
    for number in _vectors("KR-RRN")["valid"][:5]:
        kind, digits = identity.classify(number, "deduction")
        assert kind == "rrn" and identity.mask(kind, digits) == "******-*******"
    with pytest.raises(UserError, match="rrn number cannot be used for proof"):
        identity.classify(_vectors("KR-RRN")["valid"][0], "proof")


def test_mobile_and_card():
    assert identity.classify("010-1234-5678", "deduction") == ("mobile", "01012345678")
    assert identity.mask("mobile", "01012345678") == "010-****-5678"
    assert identity.mask("mobile", "0161234567") == "016-***-4567"
    assert identity.classify("4111 1111 1111 1111", "proof") == ("card", "4111111111111111")
    assert identity.mask("card", "4111111111111111") == "****-****-****-1111"
    with pytest.raises(UserError, match="Luhn"):
        identity.classify("4111111111111112", "deduction")
    with pytest.raises(UserError, match="mobile number is 010"):
        identity.classify("010-123", "deduction")
    with pytest.raises(UserError, match="only digits"):
        identity.classify("010-abcd-5678", "deduction")
    with pytest.raises(UserError, match="purpose"):
        identity.classify("01012345678", "gift")
    with pytest.raises(UserError, match="brn number cannot be used for deduction"):
        identity.classify("1168200276", "deduction")


def test_encrypted_at_rest_and_mgt_key():
    token = identity.encrypt("01012345678", "secret")
    assert b"01012345678" not in token and identity.decrypt(token, "secret") == "01012345678"
    key = identity.mgt_key("einvoice_kr:cashbill:1:CR-2026-000001")
    assert key == identity.mgt_key("einvoice_kr:cashbill:1:CR-2026-000001")
    assert key != identity.mgt_key("einvoice_kr:cashbill:1:CR-2026-000002")
    assert len(key) <= 24 and re.fullmatch(r"[A-Za-z0-9_-]+", key)
