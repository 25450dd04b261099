"""Symbols, amounts in words, rate codes and the XML rules against the shared samples (no database)."""
from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from addons.einvoice_vn import symbols, taxcodes, tctxml
from addons.einvoice_vn.words import amount_in_words
from core.errors import UserError

ROOT = Path(__file__).resolve().parents[3]
# The project's way to the official standards: TESSERA_STANDARDS_DIR, else ../shared/standards (as .ci/run).
STANDARDS = Path(os.environ.get("TESSERA_STANDARDS_DIR") or ROOT.parent / "shared" / "standards")
if not STANDARDS.exists():  # a worktree under /work/wt/<name> finds the workplace's shared/ two levels up
    STANDARDS = ROOT.parent.parent / "shared" / "standards"
SAMPLES = STANDARDS / "samples"
VN_CASES = [e for e in json.loads((SAMPLES / "manifest.json").read_text()) if e.get("check") == "vn"]


@pytest.mark.parametrize("case", VN_CASES, ids=lambda e: e["file"] + " ".join(e.get("args", [])))
def test_samples(case):
    problems = tctxml.check((SAMPLES / case["file"]).read_bytes(),
                            require_signature="--require-signature" in case.get("args", []))
    rules = {rule for rule, _message in problems}
    if case["expect"] == "PASS":
        assert problems == []
    else:
        assert case["expect_rule"] in rules, problems


def test_taxid_vectors_through_the_xml_rules():
    """stdnum's VN vectors: valid buyer tax codes pass VN-MST, invalid ones fail it."""
    vectors = json.loads((SAMPLES.parent / "rules" / "taxid" / "stdnum-vectors.json").read_text())["vectors"]["VN"]
    assert vectors["valid"] and vectors["invalid"]
    for number in vectors["valid"][:8]:
        xml = tctxml.build(_spec(buyer={"name": "B", "tax_id": number.replace("-", ""), "address": "HN"}))
        assert "VN-MST" not in {r for r, _m in tctxml.check(xml)}, number
    for number in vectors["invalid"][:8]:
        xml = tctxml.build(_spec(buyer={"name": "B", "tax_id": number, "address": "HN"}))
        assert "VN-MST" in {r for r, _m in tctxml.check(xml)}, number


@pytest.mark.parametrize("text,template,symbol,kind,year", [
    ("1C26TAA", "1", "C26TAA", "T", 2026), ("2K25MAB", "2", "K25MAB", "M", 2025), ("c26taa", "1", "C26TAA", "T", 2026)])
def test_symbol_parse(text, template, symbol, kind, year):
    s = symbols.parse(text) if text[0].isdigit() else symbols.parse(text, template="1")
    assert (s.template, s.symbol, s.type, s.year) == (template, symbol, kind, year)


@pytest.mark.parametrize("text,words", [
    ("1X26TAA", "1st character 'X'"), ("1C2XTAA", "characters 2-3"), ("1C26QAA", "4th character 'Q'"),
    ("1C26T1A", "characters 5-6"), ("9C26TAA", "template (KHMSHDon) '9'"), ("1C26TA", "expected the template digit")])
def test_symbol_refused(text, words):
    with pytest.raises(UserError) as err:
        symbols.parse(text)
    assert words in str(err.value)


def test_symbol_year_and_number_limits():
    s = symbols.parse("1C26TAA")
    symbols.check_year(s, 2026)
    with pytest.raises(UserError, match="1C27TAA"):
        symbols.check_year(s, 2027)
    symbols.check_number(s, 99_999_999)
    with pytest.raises(UserError, match="beyond 8 digits"):
        symbols.check_number(s, 100_000_000)
    assert symbols.explain("1C26MAA")["cash_register"] is True


@pytest.mark.parametrize("amount,currency,words", [
    (527400, "VND", "Năm trăm hai mươi bảy nghìn bốn trăm đồng"), (21, "VND", "Hai mươi mốt đồng"),
    (15, "VND", "Mười lăm đồng"), (105, "VND", "Một trăm linh năm đồng"),
    (1005000, "VND", "Một triệu không trăm linh năm nghìn đồng"), (2_000_000_000, "VND", "Hai tỷ đồng"),
    ("12.50", "USD", "Mười hai đô la Mỹ và năm mươi xu"), (-480000, "VND", "Âm bốn trăm tám mươi nghìn đồng"),
    (0, "VND", "Không đồng")])
def test_words(amount, currency, words):
    assert amount_in_words(amount, currency) == words


def test_rate_codes():
    assert [taxcodes.tsuat(Decimal(r), "S") for r in ("0", "0.05", "0.08", "0.10")] == ["0%", "5%", "8%", "10%"]
    assert taxcodes.tsuat(None, "E") == "KCT" and taxcodes.tsuat(None, "O") == "KKKNT"
    assert taxcodes.tsuat(Decimal("0.035"), "S") == "KHAC:3.50%"
    assert [taxcodes.viettel_percentage(c) for c in ("KCT", "KKKNT", "0%", "5%", "8%", "10%")] == [-2, -1, 0, 5, 8, 10]
    with pytest.raises(UserError):
        taxcodes.percent("7%")


def _spec(**over):
    spec = {"id": "DLHDon-1", "template": "1", "symbol": "C26TAB", "number": 12, "issue_date": date(2026, 9, 15),
            "provider_tax_code": "0101352495",
            "currency": "VND", "exchange_rate": Decimal(1), "payment": "TM/CK",
            "seller": {"name": "Công ty TNHH Thử Nghiệm Tessera", "tax_id": "0100233488", "address": "Hà Nội"},
            "buyer": {"name": "Công ty Cổ phần Khách Hàng", "tax_id": "0314409058", "address": "TP HCM"},
            "lines": [{"nature": "1", "name": "Áo", "unit": "Cái", "quantity": Decimal(3), "price": Decimal(150000),
                       "amount": Decimal(450000), "tsuat": "10%"},
                      {"nature": "1", "name": "Giao hàng", "unit": "Lần", "quantity": Decimal(1),
                       "price": Decimal(30000), "amount": Decimal(30000), "tsuat": "8%"}],
            "rates": [{"tsuat": "10%", "base": Decimal(450000), "tax": Decimal(45000)},
                      {"tsuat": "8%", "base": Decimal(30000), "tax": Decimal(2400)}],
            "totals": {"base": Decimal(480000), "tax": Decimal(47400), "total": Decimal(527400)}}
    spec.update(over)
    return spec


def test_build_matches_the_sample_and_passes():
    from lxml import etree
    xml = tctxml.build(_spec())
    assert tctxml.check(xml) == []
    ours = etree.fromstring(xml)
    sample = etree.fromstring((SAMPLES / "vn/valid-generated-v2.1.0-signed.xml").read_bytes())
    for path in ("DLHDon/TTChung/KHMSHDon", "DLHDon/TTChung/KHHDon", "DLHDon/TTChung/SHDon",
                 "DLHDon/NDHDon/TToan/TgTThue", "DLHDon/NDHDon/TToan/TgTTTBSo",
                 "DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat/TThue", "DLHDon/NDHDon/DSHHDVu/HHDVu/ThTien"):
        assert ours.findtext(path) == sample.findtext(path), path
    assert [e.tag for e in ours.find("DLHDon/TTChung")] == [e.tag for e in sample.find("DLHDon/TTChung")]
    # The sample's words are wrong (512 400); ours read the total.
    assert ours.findtext("DLHDon/NDHDon/TToan/TgTTTBChu") == "Năm trăm hai mươi bảy nghìn bốn trăm đồng"


def test_build_foreign_currency_personal_id_and_corrections():
    spec = _spec(currency="USD", exchange_rate=Decimal("25350.5"),
                 buyer={"name": "Trần Thị B", "personal_id": "001203004567", "contact": "Trần Thị B"},
                 related={"kind": "adjustment", "template": "1", "symbol": "C26TAB", "number": 3,
                          "date": date(2026, 9, 1), "note": "Điều chỉnh cho hóa đơn"},
                 agreement={"ref": "BB-1", "date": date(2026, 9, 14)})
    xml = tctxml.build(spec)
    assert tctxml.check(xml) == []
    from lxml import etree
    root = etree.fromstring(xml)
    assert root.findtext("DLHDon/TTChung/TGia") == "25350.5"
    assert root.findtext("DLHDon/NDHDon/NMua/CCCDan") == "001203004567"
    assert root.find("DLHDon/NDHDon/NMua/MST") is None
    assert root.findtext("DLHDon/TTChung/TTHDLQuan/TCHDon") == "2"
    assert root.findtext("DLHDon/TTChung/TTHDLQuan/SHDCLQuan") == "3"
    assert "đô la Mỹ" in root.findtext("DLHDon/NDHDon/TToan/TgTTTBChu")
    bad = tctxml.build(_spec(buyer={"name": "X", "personal_id": "12345"}))
    assert {r for r, _m in tctxml.check(bad)} == {"VN-MST"}


def test_sign_and_verify_roundtrip_and_tamper():
    from addons.einvoice_vn import signing
    key, cert = signing.load_pkcs12(signing.make_test_pkcs12("Seller", "0100233488", "pw"), "pw")
    signed = signing.sign(tctxml.build(_spec()), key, cert)
    assert tctxml.check(signed, require_signature=True) == []
    assert b'URI="#DLHDon-1"' in signed
    tampered = signed.replace(b"<DGia>150000</DGia>", b"<DGia>140000</DGia>")
    assert "VN-SIG" in {r for r, _m in tctxml.check(tampered)}
    with pytest.raises(UserError, match="password"):
        signing.load_pkcs12(signing.make_test_pkcs12("Seller", "0100233488", "pw"), "wrong")
