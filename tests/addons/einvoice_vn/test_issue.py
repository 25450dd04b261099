"""Issuing Vietnamese invoices: numbers per template and symbol, the XML signed, corrections, notices, export."""
from __future__ import annotations

from datetime import date

import pytest
from lxml import etree
from sqlalchemy import select

from addons.einvoice_vn import tctxml
from core.errors import UserError

from .conftest import BUYER


def test_numbers_are_gapless_per_template_and_symbol_and_signed(vn):
    day = date.today()
    first = vn.invoice(vn.issue(vn.draft(), issue_date=day))
    second = vn.invoice(vn.issue(vn.draft(), issue_date=day))
    assert (first.template, first.symbol) == ("1", f"C{day.year % 100:02d}TAA")
    assert second.number == first.number + 1
    assert str(second).endswith(f"{second.number:08d}")
    root = etree.fromstring(second.xml)
    assert root.findtext("DLHDon/TTChung/SHDon") == str(second.number)
    assert root.findtext("DLHDon/TTChung/KHHDon") == second.symbol
    assert tctxml.check(second.xml, require_signature=True) == []
    assert second.signer == "Công ty TNHH Thử Nghiệm Tessera"
    # einvoice's stored XML stays einvoice's (UBL); the tax authority's XML is the Vietnamese row's.
    from addons.einvoice.models import Document
    from sqlalchemy.orm import undefer
    with vn.session() as s:
        doc = s.scalar(select(Document).where(Document.id == second.document_id).options(undefer(Document.xml)))
        assert doc.xml is not None and doc.xml != second.xml
        assert etree.fromstring(doc.xml).tag == "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"


def test_a_rolled_back_issue_gives_its_number_back(vn):
    from addons.einvoice.services.issue import issue_document
    doc_id = vn.draft()
    with pytest.raises(RuntimeError):
        with vn.tx() as s:
            issue_document(s, doc_id, render_pdf=False)
            raise RuntimeError("crash after the number was taken")
    before = vn.invoice(vn.issue(vn.draft(), render_pdf=False))
    after = vn.invoice(vn.issue(doc_id))
    assert after.number == before.number + 1


def test_year_part_follows_the_issue_year(vn):
    day = date(date.today().year + 1, 1, 2)
    row = vn.invoice(vn.issue(vn.draft(), issue_date=day))
    assert row.symbol == f"C{day.year % 100:02d}TAA" and row.number == 1


def test_symbol_rules_and_fixed_once_used(vn):
    from addons.einvoice_vn.services import symbols
    with vn.tx() as s:
        with pytest.raises(UserError, match="4th character"):
            symbols.add_symbol(s, doc_type="vat_invoice", symbol="1C26QAA")
        with pytest.raises(UserError, match="VAT invoices use template 1"):
            symbols.add_symbol(s, doc_type="vat_invoice", symbol="2C26TAB")
        with pytest.raises(UserError, match="type letter M"):
            symbols.add_symbol(s, doc_type="receipt", symbol="1C26TAB")
        rows = {r.doc_type: r for r in symbols.list_symbols(s)}
        assert symbols.used(s, rows["vat_invoice"])
        with pytest.raises(UserError, match="fixed once an invoice uses it"):
            symbols.update_symbol(s, rows["vat_invoice"].id, symbol="1C26TAB")
        fresh = symbols.add_symbol(s, doc_type="sales_invoice", symbol="2K26TBB")
        symbols.update_symbol(s, fresh.id, symbol="2K26TBC")  # not used yet: may be corrected
        assert fresh.mark == "BC"


def test_sales_invoice_without_vat_and_a_personal_id(vn):
    from addons.einvoice_vn.services.details import set_details
    doc_id = vn.draft("sales_invoice", lines=[{"description": "Sách", "quantity": "4", "unit_price": "25000",
                                               "tax_rate": None, "tax_category": "E"}],
                      buyer={"kind": "person", "name": "Nguyễn Văn An", "country": "VN"})
    with vn.tx() as s:
        with pytest.raises(UserError, match="12 digits"):
            set_details(s, doc_id, buyer_personal_id="12345")
    with vn.tx() as s:
        set_details(s, doc_id, buyer_personal_id="001203004567", payment_text="TM")
    row = vn.invoice(vn.issue(doc_id))
    root = etree.fromstring(row.xml)
    assert row.template == "2"
    assert root.findtext("DLHDon/NDHDon/NMua/CCCDan") == "001203004567"
    assert root.findtext("DLHDon/TTChung/HTTToan") == "TM"
    assert root.find("DLHDon/NDHDon/TToan/TgTThue") is None
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBChu") == "Một trăm nghìn đồng"
    # einvoice's "sales invoice" charging VAT is, in Vietnam, a VAT invoice (template 1).
    with_vat = vn.invoice(vn.issue(vn.draft("sales_invoice")))
    assert with_vat.template == "1" and with_vat.symbol[3] == "T"
    assert etree.fromstring(with_vat.xml).findtext("DLHDon/NDHDon/TToan/TgTThue") == "47400"


def test_rates_natures_and_foreign_currency(vn):
    from addons.einvoice_vn.services.details import set_details
    doc_id = vn.draft(currency="USD", exchange_rate="25400", lines=[
        {"description": "A", "quantity": "2", "unit_price": "10.00", "tax_rate": "0.05"},
        {"description": "B", "quantity": "1", "unit_price": "3.00", "tax_rate": "0"},
        {"description": "C", "quantity": "1", "unit_price": "4.00", "tax_rate": None, "tax_category": "O"},
        {"description": "Quà tặng", "quantity": "1", "unit_price": "0", "tax_rate": None, "tax_category": "E"},
        {"description": "Ghi chú giao hàng", "quantity": "1", "unit_price": "0", "tax_rate": None,
         "tax_category": "E"}])
    with vn.tx() as s:
        set_details(s, doc_id, line_natures={"5": "note"})
    root = etree.fromstring(vn.invoice(vn.issue(doc_id)).xml)
    assert [h.findtext("TChat") for h in root.iter("HHDVu")] == ["1", "1", "1", "2", "4"]
    assert [h.findtext("TSuat") for h in root.iter("HHDVu")][:4] == ["5%", "0%", "KKKNT", "KCT"]
    assert root.findtext("DLHDon/TTChung/DVTTe") == "USD" and root.findtext("DLHDon/TTChung/TGia") == "25400"
    assert {g.findtext("TSuat") for g in root.iter("LTSuat")} == {"5%", "0%", "KKKNT", "KCT"}
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == "28"


def test_adjustment_and_replacement_refer_to_the_original(vn):
    from addons.einvoice.services import corrections
    original = vn.invoice(vn.issue(vn.draft()))
    with vn.tx() as s:
        draft = corrections.adjust(s, original.document_id, reason="Giảm giá", lines=[
            {"description": "Giảm giá áo", "quantity": "-3", "unit_price": "10000", "tax_rate": "0.10"}])
        draft_id = draft.id
    with pytest.raises(UserError, match="agreement"):
        vn.issue(draft_id)
    with vn.tx() as s:
        adj = corrections.adjust(s, original.document_id, reason="Giảm giá", lines=[
            {"description": "Giảm giá áo", "quantity": "-3", "unit_price": "10000", "tax_rate": "0.10"}],
            agreement_ref="BB-01", agreement_date=date.today())
        adj_id = adj.id
    row = vn.invoice(vn.issue(adj_id))
    assert row.kind == "adjustment" and row.related["number"] == original.number
    assert (row.template, row.symbol) == (original.template, original.symbol) and row.number > original.number
    root = etree.fromstring(row.xml)
    rel = root.find("DLHDon/TTChung/TTHDLQuan")
    assert rel.findtext("TCHDon") == "2" and rel.findtext("SHDCLQuan") == str(original.number)
    assert rel.findtext("GChu").startswith(f"Điều chỉnh cho hóa đơn Mẫu số 1 ký hiệu {original.symbol} số "
                                           f"{original.number:08d} ngày")
    assert root.findtext("DLHDon/NDHDon/TToan/TgTTTBSo") == "-33000"
    assert tctxml.check(row.xml, require_signature=True) == []
    with vn.tx() as s:
        rep = corrections.replace(s, original.document_id, reason="Sai tên", agreement_ref="BB-02",
                                  agreement_date=date.today())
        rep_id = rep.id
    rep_row = vn.invoice(vn.issue(rep_id))
    assert rep_row.kind == "replacement"
    assert etree.fromstring(rep_row.xml).findtext("DLHDon/TTChung/TTHDLQuan/TCHDon") == "1"


def test_notice_04_and_cancellation_only_before_sending(vn):
    from addons.einvoice_vn.services import notices
    row = vn.invoice(vn.issue(vn.draft()))
    with vn.tx() as s:
        notice = notices.notice_of_errors(s, row.document_id, action="explain", reason="Sai địa chỉ người mua")
        xml = notice.xml
    root = etree.fromstring(xml)
    assert root.findtext("DLTBao/MSo") == "04/SS-HĐĐT"
    assert root.findtext("DLTBao/DSHDon/HDon/TCTBao") == "4"
    assert root.findtext("DLTBao/DSHDon/HDon/SHDon") == str(row.number)
    assert root.find("DSCKS/NNT/{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
    with vn.tx() as s:
        with pytest.raises(UserError, match="reason"):
            notices.notice_of_errors(s, row.document_id, action="explain", reason=" ")
        notices.cancel_invoice(s, row.document_id, reason="Giao dịch bị hủy")
    from addons.einvoice.models import Document
    with vn.session() as s:
        assert s.get(Document, row.document_id).state == "cancelled"
    sent = vn.invoice(vn.issue(vn.draft()))
    with vn.tx() as s:
        s.get(Document, sent.document_id).state = "sent"
    with vn.tx() as s:
        with pytest.raises(UserError, match="adjustment or a replacement"):
            notices.cancel_invoice(s, sent.document_id, reason="x")


def test_cash_register_invoice_without_buyer_tax_code(vn):
    doc_id = vn.draft("receipt", buyer={"kind": "person", "name": "Khách lẻ", "country": "VN"},
                      lines=[{"description": "Cà phê", "quantity": "2", "unit_price": "29000", "tax_rate": "0.08"}])
    row = vn.invoice(vn.issue(doc_id))
    assert row.cash_register and row.symbol[3] == "M"
    root = etree.fromstring(row.xml)
    assert root.findtext("DLHDon/TTChung/THDon") == tctxml.CASH_REGISTER_TITLE
    assert root.find("DLHDon/NDHDon/NMua/MST") is None


def test_signing_always_without_certificate_refuses(runtime):
    from .conftest import build_vn_shop
    shop = build_vn_shop(runtime, certificate=False)
    unsigned = shop.invoice(shop.issue(shop.draft()))
    assert unsigned.signer is None and tctxml.check(unsigned.xml) == []
    shop.settings(sign_xml="always")
    doc_id = shop.draft()
    with pytest.raises(UserError, match="no certificate"):
        shop.issue(doc_id)
    assert shop.invoice(doc_id) is None


def test_certificate_is_a_masked_secret(vn):
    from core.models import SettingValue
    with vn.session() as s:
        stored = {r.key: r.value for r in s.scalars(select(SettingValue).where(SettingValue.addon == "einvoice_vn"))}
    assert stored["certificate_password"] != "p12-secret" and "p12-secret" not in stored["certificate_password"]
    assert not stored["certificate_p12"].startswith("MII")
    from addons.einvoice_vn.services.certificate import upload_certificate
    from addons.einvoice_vn.signing import make_test_pkcs12
    with vn.tx() as s:
        with pytest.raises(UserError, match="another tax code"):
            upload_certificate(s, make_test_pkcs12("Other", "0314409058", "pw"), "pw")
        with pytest.raises(UserError, match="password"):
            upload_certificate(s, make_test_pkcs12("Other", "0100233488", "pw"), "nope")


def test_pdf_shows_the_vietnamese_fields(vn):
    from addons.einvoice_vn.rendering import fiscal_block
    from addons.einvoice.models import Document
    row = vn.invoice(vn.issue(vn.draft(language="vi")))
    with vn.session() as s:
        doc = s.get(Document, row.document_id)
        section = fiscal_block(doc)["regime_sections"][0]
    rows = dict(section["rows"])
    assert rows["Mẫu số"] == "1" and rows["Ký hiệu"] == row.symbol and rows["Số"] == f"{row.number:08d}"
    assert rows["Số tiền viết bằng chữ"] == "Năm trăm hai mươi bảy nghìn bốn trăm đồng"
    blocks = dict(section["blocks"])
    assert blocks["Người mua hàng"] == [BUYER["name"]]
    assert blocks["Người bán hàng"][0] == "Ký bởi: Công ty TNHH Thử Nghiệm Tessera"
    from addons.einvoice.services.documents import ensure_pdf, get_document
    with vn.tx() as s:
        pdf = ensure_pdf(s, get_document(s, row.document_id))
    from io import BytesIO
    from pypdf import PdfReader
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages)
    for expected in ("Mẫu số", "Ký hiệu", f"{row.number:08d}", "Người mua hàng", "Người bán hàng",
                     "Năm trăm hai mươi bảy nghìn bốn trăm đồng"):
        assert expected in text, expected


@pytest.fixture(scope="module")
def cli(runtime, tmp_path_factory):
    from tests.cli.conftest import Cli, cli_env
    return Cli(cli_env(runtime.db.engine.url.render_as_string(hide_password=False),
                       instance=tmp_path_factory.mktemp("vn-cli-instance")))


def test_export_and_cli(vn, cli, tmp_path):
    from core.jobs import addon_settings
    with vn.session() as s:
        conf = addon_settings(s, "einvoice")
        assert conf["store_xml"] is True  # enabling einvoice_vn leaves einvoice's UBL alone
    doc_id = vn.issue(vn.draft())
    with vn.session() as s:
        from addons.einvoice.models import Document
        number = s.get(Document, doc_id).display_number
    written = cli.json("einvoice", "export", "--format", "vn", "--business", vn.business.slug, "--out", tmp_path / "vn")
    files = sorted((tmp_path / "vn").glob("*.xml"))
    assert len(files) == len(written) >= 1
    assert all(tctxml.check(f.read_bytes(), require_signature=True) == [] for f in files)
    assert {w["signed"] for w in written} == {True}
    # The same business's UBL export writes UBL invoices, never the Vietnamese XML.
    ubl = cli.json("einvoice", "export", "--format", "ubl", "--business", vn.business.slug, "--out", tmp_path / "ubl")
    assert number in {w["number"] for w in ubl}
    ubl_files = sorted((tmp_path / "ubl").glob("*.xml"))
    assert len(ubl_files) == len(ubl) >= 1
    for f in ubl_files:
        root = etree.fromstring(f.read_bytes())
        assert root.tag.startswith("{urn:oasis:names:specification:ubl:schema:xsd:"), f
        assert root.find("DLHDon") is None
    one = next(f for f in ubl_files if f.stem == number.replace("/", "_"))
    assert etree.fromstring(one.read_bytes()).findtext(
        "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID") == number
    explained = cli.json("einvoice_vn", "check-symbol", "1C26MAA")
    assert explained["cash_register"] is True and explained["khhdon"] == "C26MAA"
    assert "4th character 'Q'" in cli.fails("einvoice_vn", "check-symbol", "1C26QAA")
