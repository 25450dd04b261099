"""The Popbill exchange of a cash receipt, safe to repeat (job ``einvoice_kr.issue_receipt``).

1. In one transaction: the receipt (still ``requested``) gets ``attempts + 1``, committed
   before any call, so a later attempt knows an earlier one may have reached Popbill.
2. A repeated attempt first looks the mgtKey up (``GetInfo``): a receipt Popbill has is adopted,
   never sent again.
3. The call (``RegistIssue`` or ``RevokeRegistIssue``). A refusal with "mgtKey in use"
   (-14001019 / -14000004) is answered by the lookup and adopted; any other refusal marks the
   receipt ``failed`` with Popbill's code; a timeout (``OutcomeUnknown``) is noted and re-raised,
   so the job retries and step 2 runs.
4. The answer (approval number, trade date) is recorded; a cancellation that brings the
   cancelled total to the original's moves the original to ``cancelled``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import undefer

from addons.einvoice.providers import OutcomeUnknown

from core.jobs import enqueue

from .. import identity
from ..models import TRADE_OPTS, CashReceipt
from ..popbill import CASHBILL_KEY_IN_USE, STATE_NTS_FAILED, STATE_TRANSMITTED, PopbillError
from ..identity import PURPOSE_POPBILL
from . import common, receipts


def facts(session, row: CashReceipt) -> dict:
    """The Popbill Cashbill object of a receipt (field names as in the SDK and Popbill's guide)."""
    biz = common.business(session)
    number = identity.decrypt(row.identity_encrypted, common.secret_key(session))
    data = {
        "mgtKey": row.mgt_key, "tradeDT": row.trade_date.strftime("%Y%m%d") + "000000",
        "tradeType": "승인거래" if row.trade_type == "approval" else "취소거래",
        "tradeUsage": PURPOSE_POPBILL[row.purpose], "tradeOpt": TRADE_OPTS[row.trade_opt],
        "taxationType": "과세" if row.tax else "비과세",
        "supplyCost": str(int(row.supply_cost + row.tax_free)), "tax": str(int(row.tax)),
        "serviceFee": str(int(row.service_fee)), "totalAmount": str(int(row.total)),
        "franchiseCorpNum": common.corp_num(session) if row.provider == "popbill" else (biz.tax_id or ""),
        "franchiseCorpName": biz.legal_name or biz.name, "franchiseCEOName": common.settings(session)["ceo_name"],
        "franchiseAddr": biz.address or "", "franchiseTEL": biz.phone or "",
        "identityNum": number, "customerName": row.customer_name, "itemName": row.item_name,
        "orderNumber": _order_number(session, row), "email": row.email or "", "smssendYN": False,
    }
    if row.trade_type == "cancel":
        data.update({"orgConfirmNum": row.org_confirm_num, "orgTradeDate": row.org_trade_date.strftime("%Y%m%d"),
                     "cancelType": int(row.cancel_reason), "isPartCancel": bool(row.partial)})
    return data


def _order_number(session, row) -> str:
    from addons.sales.models import Order
    order = session.get(Order, row.order_id) if row.order_id else None
    return order.number if order else ""


def run_issue(runtime, business_id: int, receipt_id: int) -> str:
    with runtime.transaction(business_id) as session:
        row = session.scalar(select(CashReceipt).where(CashReceipt.id == receipt_id).with_for_update()
                             .options(undefer(CashReceipt.identity_encrypted)))
        if row is None or row.state != "requested":
            return row.state if row else "missing"
        repeat = row.attempts > 0
        row.attempts += 1
        data = facts(session, row)
        provider = common.make_provider(session, row.provider)
        approval, mgt_key = row.trade_type == "approval", row.mgt_key
    try:
        answer = provider.lookup_cashbill(mgt_key) if repeat else None
        if answer is None:
            try:
                answer = provider.issue_cashbill(data) if approval else provider.revoke_cashbill(data)
            except PopbillError as exc:
                if exc.code not in CASHBILL_KEY_IN_USE:
                    return _failed(runtime, business_id, receipt_id, exc)
                answer = provider.lookup_cashbill(mgt_key)
                if answer is None:
                    return _failed(runtime, business_id, receipt_id, exc)
    except OutcomeUnknown as exc:
        with runtime.transaction(business_id) as session:
            session.get(CashReceipt, receipt_id).last_error = str(exc)
        raise
    return record(runtime, business_id, receipt_id, answer)


def _failed(runtime, business_id, receipt_id, exc: PopbillError) -> str:
    with runtime.transaction(business_id) as session:
        row = session.get(CashReceipt, receipt_id)
        row.state, row.error_code, row.last_error = "failed", str(exc.code), exc.message
    return "failed"


def record(runtime, business_id: int, receipt_id: int, answer: dict) -> str:
    with runtime.transaction(business_id) as session:
        row = session.scalar(select(CashReceipt).where(CashReceipt.id == receipt_id).with_for_update())
        if row.state != "requested":
            return row.state
        apply_answer(session, row, answer)
        return row.state


def apply_answer(session, row: CashReceipt, answer: dict) -> None:
    """Write Popbill's answer on a requested receipt (also used by the demo's in-process path)."""
    now = datetime.now(timezone.utc)
    row.confirm_num, row.trade_date = answer["confirm_num"], answer.get("trade_date") or row.trade_date
    row.state, row.issued_at, row.last_error, row.error_code = "issued", now, None, None
    if answer.get("state_code") == STATE_TRANSMITTED:
        row.state, row.transmitted_at = "transmitted", now
    if row.trade_type == "cancel":
        original = session.get(CashReceipt, row.original_id)
        session.flush()
        if receipts.cancelled_amount(session, original.id) >= original.total:
            original.state = "cancelled"
    settings = common.settings(session)
    if row.email and settings["receipt_mail"] != "off":
        enqueue(session, "einvoice_kr.mail_receipt", receipt_id=row.id)


def pull_status(runtime, business_id: int, limit: int = 200) -> dict:
    """Ask Popbill (GetInfo) about issued receipts: 304 → transmitted; 305 → the NTS refused (noted)."""
    with runtime.session(business_id) as session:
        rows = session.execute(select(CashReceipt.id, CashReceipt.mgt_key, CashReceipt.provider)
                               .where(CashReceipt.state == "issued").order_by(CashReceipt.id).limit(limit)).all()
        provider = common.make_provider(session, "popbill") if any(p == "popbill" for _i, _k, p in rows) else None
    moved = 0
    for receipt_id, mgt_key, code in rows:
        if code != "popbill":
            continue
        answer = provider.lookup_cashbill(mgt_key)
        if answer is None:
            continue
        with runtime.transaction(business_id) as session:
            row = session.get(CashReceipt, receipt_id)
            if answer["state_code"] == STATE_TRANSMITTED and row.state == "issued":
                row.state, row.transmitted_at = "transmitted", datetime.now(timezone.utc)
                moved += 1
            elif answer["state_code"] == STATE_NTS_FAILED:
                row.last_error = "NTS transmission failed (Popbill state 305)"
    return {"checked": len(rows), "transmitted": moved, **pull_tax_invoices(runtime, business_id, limit)}


def pull_tax_invoices(runtime, business_id: int, limit: int = 200) -> dict:
    """The same for e-tax invoices (GetInfo by mgtKey): 304 → transmitted, and the NTS number if it came later."""
    from ..models import TaxInvoice
    with runtime.session(business_id) as session:
        rows = session.execute(select(TaxInvoice.id, TaxInvoice.mgt_key).where(
            TaxInvoice.state == "issued", TaxInvoice.provider == "popbill").order_by(TaxInvoice.id).limit(limit)).all()
        provider = common.make_provider(session, "popbill") if rows else None
    moved = 0
    for row_id, mgt_key in rows:
        answer = provider.lookup_taxinvoice(mgt_key)
        if answer is None:
            continue
        with runtime.transaction(business_id) as session:
            row = session.get(TaxInvoice, row_id)
            row.nts_confirm_num = row.nts_confirm_num or answer.get("nts_confirm_num")
            if answer["state_code"] == STATE_TRANSMITTED and row.state == "issued":
                row.state = "transmitted"
                moved += 1
    return {"tax_invoices_checked": len(rows), "tax_invoices_transmitted": moved}
