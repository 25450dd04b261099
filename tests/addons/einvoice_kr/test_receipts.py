"""Cash receipts against the fake Popbill: auto-issue, amounts, lost answers, duplicate mgtKeys, errors,
cancellations (full, partial, from a return), mail, NTS transmission."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from addons.einvoice.providers import OutcomeUnknown
from addons.einvoice_kr.models import CashReceipt
from addons.einvoice_kr.services import issuing, receipts
from core.errors import UserError

from .conftest import CLOSED_BRN


def _last(kr, order_id):
    rows = kr.receipts(order_id)
    return rows[-1] if rows else None


def _receipt_id(kr, number):
    with kr.session() as s:
        return receipts.find_receipt(s, number).id


def test_bank_transfer_with_identity_issues_a_deduction_receipt_and_mails_it(kr, popbill):
    from core.models import MailMessage
    kr.settings(receipt_mail="ours")
    try:
        order_id = kr.order(identity="010-1234-5678")
        kr.run_jobs()
    finally:
        kr.settings(receipt_mail="off")
    row = _last(kr, order_id)
    assert row["state"] == "issued" and row["confirm_num"] and row["identity"] == "010-****-5678"
    sent = popbill.cashbills[row["mgt_key"]]
    assert sent["tradeType"] == "승인거래" and sent["tradeUsage"] == "소득공제용" and sent["tradeOpt"] == "일반"
    assert sent["identityNum"] == "01012345678" and sent["franchiseCorpNum"] == "1168200276"
    # 2 × 33,000 at 10 %: supply 66,000 + VAT 6,600 = 72,600 (prices without tax).
    assert (row["supply_cost"], row["tax"], row["total"]) == (66000, 6600, 72600)
    assert sent["supplyCost"] == "66000" and sent["tax"] == "6600" and sent["totalAmount"] == "72600"
    with kr.runtime.session(all_businesses=True) as s:
        mail = s.scalar(select(MailMessage).where(MailMessage.reference == f"einvoice_kr:{row['number']}"))
        assert mail is not None and "현금영수증" in mail.subject and "010-****-5678" in mail.body_text
        assert "01012345678" not in mail.body_text
        attachment = mail.attachments[0]
        assert attachment.content_type == "application/pdf" and attachment.content.startswith(b"%PDF")


def test_no_receipt_for_card_payments_or_without_identity(kr):
    card = kr.order(identity="010-1234-5678", method="card")
    silent = kr.order()
    kr.run_jobs()
    assert kr.receipts(card) == [] and kr.receipts(silent) == []
    with kr.tx() as s, pytest.raises(UserError, match="identity: order .* has no receipt request"):
        receipts.request_receipt(s, silent)


def test_a_virtual_account_payment_auto_issues_a_receipt(kr, popbill):
    from addons.einvoice.services.orders import _payment_method
    from addons.sales.services import get_order
    with kr.session() as s:
        assert "virtual_account" in receipts.methods_for_receipts(s)   # the default setting names it
    order_id = kr.order(identity="010-2222-3333", method="virtual_account")
    kr.run_jobs()
    row = _last(kr, order_id)
    assert row["state"] == "issued" and row["identity"] == "010-****-3333" and row["total"] == 72600
    assert popbill.cashbills[row["mgt_key"]]["identityNum"] == "01022223333"
    with kr.session() as s:   # an e-invoice of the order says it was paid by bank transfer
        assert _payment_method(get_order(s, order_id)) == "bank_transfer"


def test_tax_free_lines_and_proof_receipt_to_a_checked_business_number(kr, popbill, nts):
    order_id = kr.order(lines=(("0", "1"), ("1", "2")), identity="104-81-25258", purpose="proof", method="cash",
                        partner_id=kr.company_id)
    kr.run_jobs()
    row = _last(kr, order_id)
    assert row["identity"] == "104-81-*****" and row["purpose"] == "proof"
    assert (row["supply_cost"], row["tax"], row["tax_free"], row["total"]) == (33000, 3300, 36000, 72300)
    sent = popbill.cashbills[row["mgt_key"]]
    assert sent["tradeUsage"] == "지출증빙용" and sent["supplyCost"] == "69000" and sent["taxationType"] == "과세"
    assert ("status", 1) in nts.calls


def test_a_closed_business_number_is_refused_at_checkout(kr):
    order_id = kr.order(pay=False)
    with kr.tx() as s, pytest.raises(UserError, match="closed .* since 2024-01-31"):
        receipts.capture_identity(s, order_id, CLOSED_BRN, "proof")


def test_answer_lost_after_issuing_is_looked_up_not_sent_twice(kr, popbill):
    order_id = kr.order(identity="01098765432", pay=False)
    with kr.tx() as s:
        row = receipts.request_receipt(s, order_id, amount="50000")
        receipt_id, key = row.id, row.mgt_key
    popbill.drop_after_issue = 1
    with pytest.raises(OutcomeUnknown):
        issuing.run_issue(kr.runtime, kr.id, receipt_id)
    with kr.session() as s:
        row = s.get(CashReceipt, receipt_id)
        assert row.state == "requested" and row.attempts == 1 and "did not answer" in row.last_error
    assert key in popbill.cashbills
    issues = sum(1 for m, p, a in popbill.calls if a == "ISSUE")
    assert issuing.run_issue(kr.runtime, kr.id, receipt_id) == "issued"
    assert sum(1 for m, p, a in popbill.calls if a == "ISSUE") == issues       # looked up, not resent
    with kr.session() as s:
        assert s.get(CashReceipt, receipt_id).confirm_num == popbill.cashbills[key]["confirmNum"]


def test_duplicate_mgt_key_answer_is_adopted(kr, popbill):
    order_id = kr.order(identity="01011112222", pay=False)
    with kr.tx() as s:
        row = receipts.request_receipt(s, order_id, amount="20000")
        receipt_id, key = row.id, row.mgt_key
    popbill.cashbills[key] = {"mgtKey": key, "confirmNum": "777000111", "tradeDate": "20261201",
                              "tradeType": "승인거래", "totalAmount": "20000", "stateCode": 304}
    assert issuing.run_issue(kr.runtime, kr.id, receipt_id) == "transmitted"
    with kr.session() as s:
        assert s.get(CashReceipt, receipt_id).confirm_num == "777000111"


def test_popbill_refusal_fails_with_its_code_and_a_5xx_is_unknown(kr, popbill):
    order_id = kr.order(identity="01033334444", pay=False)
    with kr.tx() as s:
        receipt_id = receipts.request_receipt(s, order_id, amount="10000").id
    popbill.http500 = 1
    with pytest.raises(OutcomeUnknown, match="HTTP 500"):
        issuing.run_issue(kr.runtime, kr.id, receipt_id)
    popbill.fail_next = (-14001012, "세액이 입력되지 않았습니다.")
    assert issuing.run_issue(kr.runtime, kr.id, receipt_id) == "failed"
    with kr.session() as s:
        row = s.get(CashReceipt, receipt_id)
        assert row.error_code == "-14001012" and "세액" in row.last_error


def test_full_cancellation_carries_the_original_approval(kr, popbill):
    order_id = kr.order(identity="01055556666")
    kr.run_jobs()
    original = _last(kr, order_id)
    with kr.tx() as s:
        receipts.request_cancel(s, _receipt_id(kr, original["number"]), reason="2")
    kr.run_jobs()
    chain = kr.receipts(order_id)
    assert [r["trade_type"] for r in chain] == ["approval", "cancel"]
    assert chain[0]["state"] == "cancelled" and chain[1]["state"] == "issued" and not chain[1]["partial"]
    sent = popbill.cashbills[chain[1]["mgt_key"]]
    assert sent["tradeType"] == "취소거래" and sent["orgConfirmNum"] == original["confirm_num"]
    assert sent["orgTradeDate"] == original["trade_date"].strftime("%Y%m%d") and sent["cancelType"] == 2
    with kr.tx() as s, pytest.raises(UserError, match="cancelled"):
        receipts.request_cancel(s, _receipt_id(kr, original["number"]), reason="1")


def test_a_return_opens_the_partial_cancellation_of_the_returned_lines(kr, popbill):
    from addons.sales.services import complete_order, create_return
    order_id = kr.order(lines=(("0", "3"),), identity="01077778888")
    kr.run_jobs()
    with kr.tx() as s:
        from addons.sales.models import Order
        order = s.get(Order, order_id)
        complete_order(s, order_id)
        create_return(s, order_id, [{"order_line_id": order.lines[0].id, "qty": "1"}], reason="파손")
    kr.run_jobs()
    chain = kr.receipts(order_id)
    assert [r["trade_type"] for r in chain] == ["approval", "cancel"]
    cancel = chain[1]
    assert cancel["partial"] and cancel["cancel_reason"] == "1" and cancel["total"] == 36300
    assert (cancel["supply_cost"], cancel["tax"]) == (33000, 3300) and chain[0]["state"] == "issued"
    sent = popbill.cashbills[cancel["mgt_key"]]
    assert sent["isPartCancel"] is True and sent["totalAmount"] == "36300"
    with kr.tx() as s:
        with pytest.raises(UserError, match="more than the 72600 not yet cancelled"):
            receipts.request_cancel(s, _receipt_id(kr, chain[0]["number"]), reason="1", amount="80000")
    with kr.tx() as s:
        receipts.request_cancel(s, _receipt_id(kr, chain[0]["number"]), reason="1", amount="72600")
    kr.run_jobs()
    assert kr.receipts(order_id)[0]["state"] == "cancelled"


def test_pull_status_marks_transmitted(kr, popbill):
    order_id = kr.order(identity="01012121212")
    kr.run_jobs()
    popbill.transmit_all()
    result = issuing.pull_status(kr.runtime, kr.id)
    assert result["transmitted"] >= 1 and _last(kr, order_id)["state"] == "transmitted"


def test_identity_is_encrypted_in_the_database_and_absent_from_the_audit_log(kr):
    from core.models import AuditEntry
    order_id = kr.order(identity="01024682468")
    kr.run_jobs()
    with kr.session() as s:
        raw = s.execute(select(CashReceipt.identity_encrypted, CashReceipt.identity_masked)
                        .where(CashReceipt.order_id == order_id)).one()
        assert b"01024682468" not in bytes(raw[0]) and raw[1] == "010-****-2468"
        entries = s.scalars(select(AuditEntry).where(AuditEntry.model == "einvoice_kr_cash_receipt")).all()
        assert entries and not any("01024682468" in f"{e.before}{e.after}" for e in entries)


def test_popbill_mails_the_receipt_when_asked(kr, popbill):
    kr.settings(receipt_mail="popbill")
    try:
        order_id = kr.order(identity="01090909090")
        kr.run_jobs()
    finally:
        kr.settings(receipt_mail="off")
    row = _last(kr, order_id)
    assert (row["mgt_key"], "minji@example.kr") in popbill.emails


def test_receipt_pdf_is_in_korean_and_masks_the_identity(kr):
    import io
    from pypdf import PdfReader
    from addons.einvoice_kr.services import mailing
    order_id = kr.order(lines=(("0", "1"), ("1", "1")), identity="010-1357-2468")
    kr.run_jobs()
    with kr.session() as s:
        row = receipts.chain(s, order_id)[0]
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(mailing.receipt_pdf(s, row))).pages)
    for word in ("현금영수증", "국세청 승인번호", "공급가액", "부가세", "면세금액", "소득공제용", "010-****-2468", row.confirm_num):
        assert word in text, word
    assert "01013572468" not in text and "Supply value" not in text
