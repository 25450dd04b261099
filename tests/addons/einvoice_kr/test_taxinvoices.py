"""E-tax invoices: Popbill RegistIssue (fake), amendments 1–6 linked to the NTS number, and the KEC XML
checked against the NTS samples in shared/standards/samples/kr."""
from __future__ import annotations

import pytest
from lxml import etree

from addons.einvoice_kr import kec
from addons.einvoice_kr.models import TaxInvoice
from addons.einvoice_kr.services import taxinvoices
from core.errors import UserError

from .conftest import BUYER_BRN, CLOSED_BRN
from .standards import SAMPLES, kr_samples

BUYER = {"brn": BUYER_BRN, "name": "주식회사 한빛", "ceo": "최한빛", "address": "부산 해운대구", "email": "tax@hanbit.kr",
         "branch_id": "0001"}


@pytest.mark.parametrize("sample", kr_samples(), ids=lambda s: s["file"])
def test_checker_agrees_with_the_sample_manifest(sample):
    problems = kec.check((SAMPLES / sample["file"]).read_bytes())
    if sample["expect"] == "PASS":
        assert problems == []
    else:
        assert sample["expect_rule"] in {rule for rule, _text in problems}


def _issued(kr, **kw):
    with kr.tx() as s:
        row_id = taxinvoices.create(s, buyer=BUYER, lines=kw.pop("lines", [
            {"name": "이천쌀 10kg", "quantity": "20", "unit_price": "50000"},
            {"name": "배송비", "quantity": "1", "unit_price": "3000"}]), **kw).id
    kr.run_jobs()
    with kr.session() as s:
        return s.get(TaxInvoice, row_id)


def test_issue_through_popbill_and_the_kec_xml(kr, popbill):
    row = _issued(kr)
    assert row.state == "issued" and len(row.nts_confirm_num) == 24
    sent = popbill.taxinvoices[row.mgt_key]
    assert sent["taxType"] == "과세" and sent["purposeType"] == "영수" and sent["invoiceeCorpNum"] == BUYER_BRN
    assert sent["supplyCostTotal"] == "1003000" and sent["taxTotal"] == "100300" and sent["totalAmount"] == "1103300"
    xml = kec.build(row)
    assert kec.check(xml) == []
    root = etree.fromstring(xml)
    ns = {"k": kec.NS}
    assert root.findtext("k:TaxInvoiceDocument/k:TypeCode", namespaces=ns) == "0101"
    assert root.findtext("k:TaxInvoiceDocument/k:IssueID", namespaces=ns) == row.nts_confirm_num
    assert root.findtext("k:TaxInvoiceDocument/k:IssueDateTime", namespaces=ns) == row.write_date.strftime("%Y%m%d")
    assert root.findtext("k:TaxInvoiceTradeSettlement/k:InvoiceeParty/k:SpecifiedOrganization/k:TaxRegistrationID",
                         namespaces=ns) == "0001"
    assert root.findtext("k:TaxInvoiceTradeSettlement/k:InvoicerParty/k:ID", namespaces=ns) == "1168200276"
    assert [m.findtext("k:PaidAmount", namespaces=ns) for m in
            root.findall("k:TaxInvoiceTradeSettlement/k:SpecifiedPaymentMeans", ns)] == ["1103300", "0", "0", "0"]
    assert len(root.findall("k:TaxInvoiceTradeLineItem", ns)) == 2


def test_exempt_invoice_and_charge_purpose(kr):
    row = _issued(kr, kind="exempt", purpose="charge", lines=[{"name": "도서", "quantity": "3", "unit_price": "18000"}])
    xml = kec.build(row)
    root = etree.fromstring(xml)
    ns = {"k": kec.NS}
    assert root.findtext("k:TaxInvoiceDocument/k:TypeCode", namespaces=ns) == "0301"
    assert root.findtext("k:TaxInvoiceDocument/k:PurposeCode", namespaces=ns) == "02"
    assert int(row.tax_total) == 0 and kec.check(xml) == []


def test_closed_buyer_and_bad_input_are_refused(kr):
    with kr.tx() as s, pytest.raises(UserError, match="closed"):
        taxinvoices.create(s, buyer={**BUYER, "brn": CLOSED_BRN}, lines=[{"name": "x", "unit_price": "1000"}])
    with kr.tx() as s, pytest.raises(UserError, match="kind"):
        taxinvoices.create(s, buyer=BUYER, kind="zero", lines=[{"name": "x", "unit_price": "1000"}])
    with kr.tx() as s, pytest.raises(UserError, match="branch_id"):
        taxinvoices.create(s, buyer={**BUYER, "branch_id": "12"}, lines=[{"name": "x", "unit_price": "1000"}])


@pytest.mark.parametrize("reason, lines, expect", [
    (1, [{"name": "이천쌀 10kg", "quantity": "20", "unit_price": "48000"}], [-1103300, 1056000]),
    (2, [{"name": "단가 인하", "quantity": "20", "unit_price": "-2500"}], [-55000]),
    (3, [{"name": "이천쌀 10kg 반품", "quantity": "2", "unit_price": "50000"}], [-110000]),
    (4, None, [-1103300]),
    (5, None, [-1103300, 1003000]),
    (6, None, [-1103300]),
])
def test_amendments_by_reason(kr, popbill, reason, lines, expect):
    original = _issued(kr)
    with kr.tx() as s:
        made = [r.id for r in taxinvoices.amend(s, original.id, reason, lines=lines)]
    kr.run_jobs()
    with kr.session() as s:
        rows = [s.get(TaxInvoice, i) for i in made]
        assert [int(r.total) for r in rows] == expect
        for row in rows:
            assert row.amendment_code == reason and row.org_nts_confirm_num == original.nts_confirm_num
            assert row.state == "issued"
            sent = popbill.taxinvoices[row.mgt_key]
            assert sent["modifyCode"] == reason and sent["orgNTSConfirmNum"] == original.nts_confirm_num
            xml = kec.build(row)
            assert kec.check(xml) == []
            root = etree.fromstring(xml)
            ns = {"k": kec.NS}
            assert root.findtext("k:TaxInvoiceDocument/k:AmendmentStatusCode", namespaces=ns) == f"{reason:02d}"
            assert root.findtext("k:TaxInvoiceDocument/k:OriginalIssueID", namespaces=ns) == original.nts_confirm_num
            assert root.findtext("k:TaxInvoiceDocument/k:TypeCode", namespaces=ns).startswith("02")


def test_amend_refusals(kr):
    original = _issued(kr)
    with kr.tx() as s, pytest.raises(UserError, match="reason: an NTS amendment reason 1 to 6"):
        taxinvoices.amend(s, original.id, 7)
    with kr.tx() as s, pytest.raises(UserError, match="lines: reason 2"):
        taxinvoices.amend(s, original.id, 2)
    with kr.tx() as s:
        amended = taxinvoices.amend(s, original.id, 4)[0]
        amended.state, amended.nts_confirm_num = "issued", "x" * 24
        with pytest.raises(UserError, match="is itself an amendment"):
            taxinvoices.amend(s, amended.id, 6)
        s.rollback()


def test_lost_answer_and_duplicate_key_are_adopted(kr, popbill):
    with kr.tx() as s:
        row_id = taxinvoices.create(s, buyer=BUYER, lines=[{"name": "x", "unit_price": "10000"}]).id
    popbill.drop_after_issue = 1
    from addons.einvoice.providers import OutcomeUnknown
    with pytest.raises(OutcomeUnknown):
        taxinvoices.run_issue(kr.runtime, kr.id, row_id)
    assert taxinvoices.run_issue(kr.runtime, kr.id, row_id) == "issued"
    with kr.session() as s:
        row = s.get(TaxInvoice, row_id)
        assert row.nts_confirm_num == popbill.taxinvoices[row.mgt_key]["ntsconfirmNum"]
    with kr.tx() as s:
        other_id = taxinvoices.create(s, buyer=BUYER, lines=[{"name": "y", "unit_price": "20000"}]).id
        key = s.get(TaxInvoice, other_id).mgt_key
    popbill.taxinvoices[key] = {"invoicerMgtKey": key, "ntsconfirmNum": "2026120141000000" + "99999999"}
    assert taxinvoices.run_issue(kr.runtime, kr.id, other_id) == "issued"   # "in use": looked up, adopted
    with kr.session() as s:
        assert s.get(TaxInvoice, other_id).nts_confirm_num == "202612014100000099999999"


def test_from_an_issued_einvoice_document_and_status_pull(kr, popbill):
    from addons.einvoice.services.documents import create_document
    from addons.einvoice.services.issue import issue_document
    from addons.einvoice_kr.services import issuing
    with kr.tx() as s:
        doc = create_document(s, type="vat_invoice", currency="KRW", language="ko",
                              buyer={"kind": "company", "name": "주식회사 한빛", "tax_id": BUYER_BRN, "country": "KR"},
                              lines=[{"description": "녹차 선물세트", "quantity": "4", "unit_price": "30000",
                                      "tax_rate": "0.10"}])
        issue_document(s, doc.id, render_pdf=False, submit=False)
        row_id = taxinvoices.from_document(s, doc.id, purpose="charge").id
    kr.run_jobs()
    with kr.session() as s:
        row = s.get(TaxInvoice, row_id)
        assert (int(row.supply_total), int(row.tax_total), row.kind, row.purpose) == (120000, 12000, "taxable",
                                                                                      "charge")
        assert row.state == "issued" and row.document_id is not None
    popbill.transmit_all()
    assert issuing.pull_status(kr.runtime, kr.id)["tax_invoices_transmitted"] >= 1
    with kr.session() as s:
        assert s.get(TaxInvoice, row_id).state == "transmitted"
