"""E-tax invoices (전자세금계산서 / 계산서) to business buyers, issued through Popbill's RegistIssue, and
amended invoices (수정세금계산서) with the NTS reasons 1–6 linked to the original's NTS number.

``create`` checks the buyer's number (check digit, NTS status: a closed business is
refused) and records a ``requested`` invoice with its number (series
``einvoice_kr.taxinvoice``), idempotency key and mgtKey; the job
``einvoice_kr.issue_tax_invoice`` (``run_issue``) sends it, looking the mgtKey up
first on a repeat, like cash receipts. ``amend`` writes the amended invoice(s) a reason needs:

1 기재사항 착오·정정: a negative copy of the original and the corrected invoice (``lines``);
2 공급가액 변동: the difference (``lines``, negative for a decrease);
3 환입: the returned goods, negative (``lines``);
4 계약의 해제, 6 착오에 의한 이중발급: a negative copy of the original;
5 내국신용장 사후개설: a negative copy and a zero-rated copy of the original.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select

from addons.einvoice.providers import OutcomeUnknown

from core import sequences
from core.errors import NotFound, UserError
from core.i18n import _
from core.jobs import enqueue

from .. import identity, kec
from ..models import AMENDMENT_REASONS, TAX_INVOICE_KINDS, TAX_INVOICE_PURPOSES, TaxInvoice
from ..popbill import TAXINVOICE_KEY_IN_USE, PopbillError
from . import brn, common, taxmail

SERIES = "einvoice_kr.taxinvoice"


def _lines(raw, kind: str, *, zero_rated: bool = False) -> list[dict]:
    if not raw:
        raise UserError(_("lines: at least one line"))
    out = []
    for index, line in enumerate(raw, 1):
        try:
            quantity = Decimal(str(line.get("quantity", 1)))
            unit_price = Decimal(str(line["unit_price"]))
        except (KeyError, ArithmeticError):
            raise UserError(_("line %(n)s: quantity and unit_price are numbers", n=index)) from None
        name = str(line.get("name") or "").strip()
        if not name:
            raise UserError(_("line %(n)s name: required", n=index))
        supply = Decimal(str(line["supply"])) if line.get("supply") is not None else \
            (quantity * unit_price).quantize(Decimal(1), ROUND_DOWN)
        if supply != supply.to_integral_value():
            raise UserError(_("line %(n)s supply: whole won only", n=index))
        if line.get("tax") is not None:
            tax = Decimal(str(line["tax"]))
        elif kind == "exempt" or zero_rated:
            tax = Decimal(0)
        else:
            tax = (supply / 10).quantize(Decimal(1), ROUND_DOWN)   # 10 % VAT, won fractions dropped
        out.append({"name": name[:100], "quantity": str(quantity), "unit_price": str(unit_price),
                    "supply": str(int(supply)), "tax": str(int(tax)), "spec": str(line.get("spec") or ""),
                    "remark": str(line.get("remark") or ""), "date": line.get("date")})
    return out


def supplier_party(session) -> dict:
    biz, conf = common.business(session), common.settings(session)
    return {"brn": common.corp_num(session), "name": biz.legal_name or biz.name, "ceo": conf["ceo_name"],
            "address": biz.address or "", "business_type": conf["business_type"],
            "business_class": conf["business_class"], "branch_id": conf["branch_id"], "email": biz.email or ""}


def buyer_party(session, buyer: dict) -> dict:
    number = brn.normalise(buyer.get("brn") or buyer.get("tax_id") or "")
    brn.require_trading(session, number)
    if not str(buyer.get("name") or "").strip():
        raise UserError(_("buyer name: required"))
    branch = str(buyer.get("branch_id") or "")
    if branch and (len(branch) != 4 or not branch.isdigit()):
        raise UserError(_("buyer branch_id: 종사업장번호 is four digits"))
    return {"brn": number, "name": buyer["name"], "ceo": buyer.get("ceo") or "", "address": buyer.get("address") or "",
            "business_type": buyer.get("business_type") or "", "business_class": buyer.get("business_class") or "",
            "branch_id": branch, "email": buyer.get("email") or ""}


def create(session, *, buyer: dict, lines, kind: str = "taxable", purpose: str = "receipt",
           write_date: date | None = None, order_id: int | None = None, document_id: int | None = None,
           payment: dict | None = None) -> TaxInvoice:
    if kind not in TAX_INVOICE_KINDS:
        raise UserError(_("kind: taxable (세금계산서) or exempt (계산서)"))
    if purpose not in TAX_INVOICE_PURPOSES:
        raise UserError(_("purpose: receipt (영수) or charge (청구)"))
    return _new(session, supplier=supplier_party(session), buyer=buyer_party(session, buyer),
                lines=_lines(lines, kind), kind=kind, purpose=purpose, write_date=write_date or common.today(session),
                order_id=order_id, document_id=document_id, payment=payment or {})


def from_document(session, document_id: int, *, purpose: str = "receipt") -> TaxInvoice:
    """The e-tax invoice of an issued einvoice document to a Korean business (its lines and buyer)."""
    from addons.einvoice.services.documents import get_document
    doc = get_document(session, document_id)
    if doc.state == "draft":
        raise UserError(_("%(number)s is a draft: issue it first", number=doc.display_number))
    kind = "exempt" if all(line.tax_rate is None for line in doc.lines) else "taxable"
    lines = [{"name": line.description, "quantity": line.quantity, "unit_price": line.unit_price,
              "supply": int(Decimal(line.net_amount)), "tax": int(Decimal(line.tax_amount or 0))} for line in doc.lines]
    buyer = dict(doc.buyer or {})
    buyer.setdefault("brn", buyer.get("tax_id"))
    return create(session, buyer=buyer, lines=lines, kind=kind, purpose=purpose, write_date=doc.issue_date,
                  order_id=doc.order_id, document_id=doc.id)


def _new(session, *, supplier, buyer, lines, kind, purpose, write_date, order_id=None, document_id=None,
         payment=None, original=None, amendment_code=None) -> TaxInvoice:
    seq = sequences.next_number(session, SERIES, write_date.year)
    number = f"TI-{write_date.year}-{seq:06d}"
    key = f"einvoice_kr:taxinvoice:{session.info['business_id']}:{number}"
    supply = sum(Decimal(line["supply"]) for line in lines)
    tax = sum(Decimal(line["tax"]) for line in lines)
    row = TaxInvoice(number=number, document_id=document_id, order_id=order_id, kind=kind, purpose=purpose,
                     write_date=write_date, supplier=supplier, buyer=buyer, lines=lines, supply_total=supply,
                     tax_total=tax, total=supply + tax, payment=payment or {},
                     provider=common.settings(session)["provider"], idempotency_key=key,
                     mgt_key=identity.mgt_key(key), state="requested",
                     original_id=original.id if original else None, amendment_code=amendment_code,
                     org_nts_confirm_num=original.nts_confirm_num if original else None)
    session.add(row)
    session.flush()
    enqueue(session, "einvoice_kr.issue_tax_invoice", tax_invoice_id=row.id)
    return row


def find(session, number: str) -> TaxInvoice:
    row = session.scalar(select(TaxInvoice).where((TaxInvoice.number == number) |
                                                  (TaxInvoice.nts_confirm_num == number)))
    if row is None:
        raise NotFound(_("no tax invoice numbered %(number)s in this business", number=repr(number)))
    return row


def _negated(lines) -> list[dict]:
    return [{**line, "quantity": str(-Decimal(line["quantity"])), "supply": str(-int(line["supply"])),
             "tax": str(-int(line["tax"]))} for line in lines]


def amend(session, tax_invoice_id: int, reason: int, *, lines=None, write_date: date | None = None) -> list[TaxInvoice]:
    original = session.get(TaxInvoice, tax_invoice_id)
    if original is None:
        raise NotFound(_("tax invoice #%(id)s not found", id=tax_invoice_id))
    try:
        reason = int(reason)
    except (TypeError, ValueError):
        reason = 0
    if reason not in AMENDMENT_REASONS:
        raise UserError(_("reason: an NTS amendment reason 1 to 6"))
    if original.state not in ("issued", "transmitted") or not original.nts_confirm_num:
        raise UserError(_("%(number)s has no NTS confirmation number yet: it cannot be amended",
                          number=original.number))
    if original.amendment_code is not None:
        raise UserError(_("%(number)s is itself an amendment: amend the original %(original)s",
                          number=original.number, original=original.original.number))
    day = write_date or (original.write_date if reason in (1, 5) else common.today(session))
    common_args = dict(supplier=original.supplier, buyer=original.buyer, kind=original.kind,
                       purpose=original.purpose, order_id=original.order_id, original=original, amendment_code=reason)
    if reason in (2, 3) and not lines:
        raise UserError(_("lines: reason %(reason)s needs the changed or returned lines", reason=reason))
    if reason == 1 and not lines:
        raise UserError(_("lines: reason 1 needs the corrected lines"))
    made = []
    if reason in (1, 4, 5, 6):
        made.append(_new(session, lines=_negated(original.lines), write_date=day, **common_args))
    if reason == 1:
        made.append(_new(session, lines=_lines(lines, original.kind), write_date=day, **common_args))
    elif reason == 2:
        made.append(_new(session, lines=_lines(lines, original.kind), write_date=day, **common_args))
    elif reason == 3:
        parsed = _lines(lines, original.kind)
        made.append(_new(session, lines=_negated(parsed) if Decimal(parsed[0]["supply"]) > 0 else parsed,
                         write_date=day, **common_args))
    elif reason == 5:
        zero = [{**line, "tax": "0"} for line in original.lines]
        made.append(_new(session, lines=zero, write_date=day, **common_args))
    return made


# ---------------------------------------------------------------- the Popbill exchange

def facts(row: TaxInvoice, *, buyer_email: bool = True) -> dict:
    """Popbill's Taxinvoice object (taxinvoiceService.py / developers.popbill.com field names).

    ``buyer_email=False`` (our own mail sends the invoice) leaves ``invoiceeEmail1`` empty, so
    Popbill sends no notice of its own and the buyer gets one mail.
    """
    s, b = row.supplier, row.buyer
    zero = row.kind == "taxable" and not row.tax_total and bool(row.supply_total)
    data = {
        "writeDate": row.write_date.strftime("%Y%m%d"), "chargeDirection": "정과금", "issueType": "정발행",
        "purposeType": "영수" if row.purpose == "receipt" else "청구",
        "taxType": "면세" if row.kind == "exempt" else ("영세" if zero else "과세"),
        "invoicerCorpNum": s["brn"], "invoicerMgtKey": row.mgt_key, "invoicerTaxRegID": s.get("branch_id") or "",
        "invoicerCorpName": s["name"], "invoicerCEOName": s.get("ceo") or "", "invoicerAddr": s.get("address") or "",
        "invoicerBizType": s.get("business_type") or "", "invoicerBizClass": s.get("business_class") or "",
        "invoicerEmail": s.get("email") or "",
        "invoiceeType": "사업자", "invoiceeCorpNum": b["brn"], "invoiceeTaxRegID": b.get("branch_id") or "",
        "invoiceeCorpName": b["name"], "invoiceeCEOName": b.get("ceo") or "", "invoiceeAddr": b.get("address") or "",
        "invoiceeBizType": b.get("business_type") or "", "invoiceeBizClass": b.get("business_class") or "",
        "invoiceeEmail1": (b.get("email") or "") if buyer_email else "",
        "supplyCostTotal": str(int(row.supply_total)), "taxTotal": str(int(row.tax_total)),
        "totalAmount": str(int(row.total)),
        "detailList": [{"serialNum": i, "purchaseDT": (line.get("date") or row.write_date.strftime("%Y%m%d")),
                        "itemName": line["name"], "spec": line.get("spec") or "", "qty": line["quantity"],
                        "unitCost": line["unit_price"], "supplyCost": line["supply"], "tax": line["tax"],
                        "remark": line.get("remark") or ""} for i, line in enumerate(row.lines, 1)],
    }
    for key in ("cash", "chkBill", "note", "credit"):
        value = (row.payment or {}).get({"chkBill": "check"}.get(key, key))
        if value:
            data[key] = str(int(value))
    if row.amendment_code is not None:
        data.update({"modifyCode": row.amendment_code, "orgNTSConfirmNum": row.org_nts_confirm_num})
    return data


def run_issue(runtime, business_id: int, tax_invoice_id: int) -> str:
    with runtime.transaction(business_id) as session:
        row = session.scalar(select(TaxInvoice).where(TaxInvoice.id == tax_invoice_id).with_for_update())
        if row is None or row.state != "requested":
            return row.state if row else "missing"
        repeat = row.attempts > 0
        row.attempts += 1
        data, mgt_key = facts(row, buyer_email=taxmail.popbill_mails(session)), row.mgt_key
        provider = common.make_provider(session, row.provider)
    try:
        answer = provider.lookup_taxinvoice(mgt_key) if repeat else None
        if answer is None:
            try:
                answer = provider.issue_taxinvoice(data)
            except PopbillError as exc:
                answer = provider.lookup_taxinvoice(mgt_key) if exc.code in TAXINVOICE_KEY_IN_USE else None
                if answer is None:
                    with runtime.transaction(business_id) as session:
                        row = session.get(TaxInvoice, tax_invoice_id)
                        row.state, row.error_code, row.last_error = "failed", str(exc.code), exc.message
                    return "failed"
    except OutcomeUnknown as exc:
        with runtime.transaction(business_id) as session:
            session.get(TaxInvoice, tax_invoice_id).last_error = str(exc)
        raise
    with runtime.transaction(business_id) as session:
        row = session.scalar(select(TaxInvoice).where(TaxInvoice.id == tax_invoice_id).with_for_update())
        if row.state == "requested":
            apply_answer(row, answer)
            if taxmail.wants_mail(session, row):
                enqueue(session, "einvoice_kr.mail_tax_invoice", tax_invoice_id=row.id)
        return row.state


def apply_answer(row: TaxInvoice, answer: dict) -> None:
    row.nts_confirm_num = answer.get("nts_confirm_num") or row.nts_confirm_num
    row.state, row.issued_at, row.last_error = "issued", datetime.now(timezone.utc), None


def xml_of(row: TaxInvoice) -> bytes:
    return kec.build(row)


def describe(row: TaxInvoice) -> dict:
    return {"number": row.number, "kind": row.kind, "purpose": row.purpose, "state": row.state,
            "write_date": row.write_date, "buyer": row.buyer["name"], "buyer_brn": row.buyer["brn"],
            "supply_total": int(row.supply_total), "tax_total": int(row.tax_total), "total": int(row.total),
            "nts_confirm_num": row.nts_confirm_num, "amendment_code": row.amendment_code,
            "original": row.original.number if row.original_id else None, "org_nts_confirm_num": row.org_nts_confirm_num,
            "error": row.last_error}
