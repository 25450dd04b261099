"""The Korean demo: a shop (BRN 116-82-00276) whose receipts and tax invoices go the offline path.

``manage.py demo`` seeds its own businesses and then this addon's ``seed_business``
(``[provides] demo_business``), which creates or tops up ``demo-kr`` and runs
``load`` for it: an order paid by bank transfer with an income-deduction receipt to a
mobile number, one paid in cash with an expense-proof receipt to a business number,
a designated-trade order of 143,000 KRW without identity (self-issued to 010-000-1234),
a return on the first order (its partial cancellation), and an e-tax invoice with an
amended invoice (reason 2, a lower supply value). The NTS status check is off (no
network; the demo's business numbers carry valid check digits). Everything runs
in-process through the jobs, with provider ``offline`` (no fiscal validity).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import select

from .models import CashReceipt, TaxInvoice

SELLER_BRN, BUYER_BRN = "1168200276", "1048125258"
SELLER = dict(tax_id=SELLER_BRN, legal_name="주식회사 테세라마켓", address="서울특별시 중구 세종대로 110",
              phone="02-120-0000", email="tax@tessera-market.kr")
CUSTOMERS = (dict(name="김민지", kind="person", country="KR", email="minji@example.kr", language="ko"),
             dict(name="주식회사 한빛상사", kind="company", country="KR", tax_id=BUYER_BRN, email="buy@hanbit.example.kr",
                  language="ko"),
             dict(name="이서준", kind="person", country="KR", email="seojun@example.kr", language="ko"))


def load(session, business_id, rng) -> dict:
    from .services import common
    if common.business(session).country != "KR" or session.scalar(select(CashReceipt.id).limit(1)) is not None:
        return {"receipts": 0}
    from addons.catalog.services import create_product
    from addons.partners.services import create_partner
    from addons.sales.services import confirm_order, create_order, register_payment
    from core.jobs import binding_for
    from core.settings import set_settings
    from .services import receipts, taxinvoices
    runtime = binding_for(session).runtime
    set_settings(session, runtime.registry, "einvoice_kr",
                 {"provider": "offline", "designated_trade": True, "check_brn_status": False,
                  "ceo_name": "박테세", "business_type": "도소매", "business_class": "전자상거래"},
                 runtime.config["SECRET_KEY"])
    # Green tea is taxed at 10 %; books and unprocessed rice are VAT-exempt in Korea (tax-free part).
    variants = [create_product(session, sku=sku, name=name, sale_price=price, tax_class_code=tax).variants[0].id
                for sku, name, price, tax in (("KR-TEA-01", "제주 녹차 선물세트", "30000", "vat10"),
                                              ("KR-BOOK-02", "한국사 도서", "18000", "exempt"),
                                              ("KR-RICE-10", "이천쌀 10kg", "55000", "exempt"))]
    customers = [create_partner(session, **c).id for c in CUSTOMERS]

    def order(partner, lines, method, identity=None, purpose=None):
        row = create_order(session, partner_id=partner, lines=[{"variant_id": variants[i], "qty": Decimal(q)}
                                                                for i, q in lines])
        confirm_order(session, row.id)
        if identity:
            receipts.capture_identity(session, row.id, identity, purpose)
        register_payment(session, row.id, row.total, method)
        return row
    deduction = order(customers[0], [(0, "2"), (1, "1")], "bank_transfer", "010-1234-5678", "deduction")
    order(customers[1], [(2, "1")], "cash", "104-81-25258", "proof")
    order(customers[2], [(2, "2"), (0, "1")], "bank_transfer")           # 143,000 KRW, no identity: self-issued
    made = _run(session, runtime)
    receipts_ = {"self_issue": receipts_self_issue(session)}
    made += _run(session, runtime)
    _return_one(session, deduction)
    made += _run(session, runtime)
    invoice = taxinvoices.create(session, buyer={"brn": BUYER_BRN, "name": "주식회사 한빛상사", "ceo": "최한빛",
                                                 "address": "부산광역시 해운대구 센텀로 1",
                                                 "email": "tax@hanbit.example.kr"},
                                 lines=[{"name": "제주 녹차 선물세트", "quantity": "20", "unit_price": "30000"}])
    made += _run(session, runtime)
    session.refresh(invoice)
    taxinvoices.amend(session, invoice.id, 2, lines=[{"name": "제주 녹차 선물세트 단가 인하", "quantity": "20",
                                                      "unit_price": "-1500"}])
    made += _run(session, runtime)
    return {"receipts": session.scalar(select(CashReceipt.id).order_by(CashReceipt.id.desc()).limit(1)) or 0,
            "jobs": made, **receipts_}


def receipts_self_issue(session) -> int:
    from .services import automation, common
    return len(automation.self_issue(session, common.today(session))["issued"])


def _return_one(session, order) -> None:
    from addons.sales.services import complete_order, create_return
    complete_order(session, order.id)
    create_return(session, order.id, [{"order_line_id": order.lines[0].id, "qty": "1"}], reason="단순 변심")


def _run(session, runtime) -> int:
    """The offline path in the demo's own transaction: what the worker's jobs would do, with no worker."""
    from .providers import OfflineProvider
    from .services import automation, issuing, mailing, taxinvoices
    from core.models import OutboxJob
    provider, ran = OfflineProvider(), 0
    for _round in range(4):
        session.flush()
        jobs = list(session.scalars(select(OutboxJob).where(OutboxJob.state == "pending",
                                                            OutboxJob.actor.startswith("einvoice_kr."))))
        if not jobs:
            break
        for job in jobs:
            args = dict(job.args or {})
            if job.actor == "einvoice_kr.issue_receipt":
                row = session.get(CashReceipt, args["receipt_id"])
                data = issuing.facts(session, row)
                answer = provider.issue_cashbill(data) if row.trade_type == "approval" else provider.revoke_cashbill(data)
                issuing.apply_answer(session, row, answer)
            elif job.actor == "einvoice_kr.issue_tax_invoice":
                row = session.get(TaxInvoice, args["tax_invoice_id"])
                taxinvoices.apply_answer(row, provider.issue_taxinvoice(taxinvoices.facts(row)))
            elif job.actor == "einvoice_kr.receipt_for_order":
                automation.receipt_for_order(session, args["order_id"])
            elif job.actor == "einvoice_kr.cancel_for_return":
                automation.cancel_for_return(session, args["return_id"])
            elif job.actor == "einvoice_kr.mail_receipt":
                mailing.mail_receipt(session, args["receipt_id"])
            job.state, job.finished_at = "done", datetime.now(timezone.utc)
            ran += 1
    return ran


def seed_business(runtime, slug: str = "demo-kr") -> dict:
    """Create or top up the Korean demo business (``einvoice_kr demo``, ``manage.py demo``)."""
    from core.addons import state
    from core.business import create_business
    from core.models import Business, SettingValue
    with runtime.transaction(all_businesses=True) as session:
        business = session.scalar(select(Business).where(Business.slug == slug))
        if business is None:
            business = create_business(session, name="테세라마켓 (Korea)", slug=slug, country="KR", currency="KRW",
                                       timezone="Asia/Seoul", languages=("ko", "en"), **SELLER)
        business_id = business.id
    with runtime.transaction(business_id) as session:
        state.enable(session, runtime.registry, business_id, ["einvoice_kr"])
    made: dict = {"receipts": 0}
    with runtime.transaction(business_id) as session:
        marker = session.scalar(select(SettingValue).where(SettingValue.addon == "core",
                                                           SettingValue.key == "demo:einvoice_kr"))
        if marker is None:
            import random
            made = load(session, business_id, random.Random("tessera-demo-einvoice_kr"))
            session.add(SettingValue(addon="core", key="demo:einvoice_kr", value="true"))
    with runtime.session(business_id) as session:
        rows = session.execute(select(CashReceipt.trade_type, CashReceipt.purpose, CashReceipt.self_issued,
                                      CashReceipt.state)).all()
        taxes = session.execute(select(TaxInvoice.amendment_code, TaxInvoice.state)).all()
    summary: dict = {}
    for trade_type, purpose, self_issued, st in rows:
        key = f"{trade_type}:{'self' if self_issued else purpose}:{st}"
        summary[key] = summary.get(key, 0) + 1
    return {"business": slug, "business_id": business_id, "created": made, "cash_receipts": summary,
            "tax_invoices": [{"amendment_code": code, "state": st} for code, st in taxes]}
