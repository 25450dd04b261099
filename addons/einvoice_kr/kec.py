"""The NTS standard e-tax invoice XML (KEC TaxInvoice, 전자세금계산서 표준), written and checked.

Namespace ``urn:kr:or:kec:standard:Tax:ReusableAggregateBusinessInformationEntitySchemaModule:1:0``
(schema TaxInvoiceSchemaModule_1.0.xsd of the Korea Electronic Commerce institute). No
official XSD is reachable here (``/work/shared/standards/README.md``); the element
order follows the NTS sample in ``shared/standards/samples/kr/`` (taxcerti.org's unit
verification sample), and ``check`` applies the rules the NTS applies to content:

* ``KR-PURP``: TypeCode is one of 0101/0102 (세금계산서 일반/영세율), 0201/0202 (수정세금계산서),
  0301 (계산서), 0401 (수정계산서); PurposeCode 01 (영수) or 02 (청구);
* ``KR-BRN``: supplier's and (business) buyer's registration numbers carry the NTS check digit;
* ``KR-SUM``: lines add up to ChargeTotalAmount and TaxTotalAmount, which add up to GrandTotalAmount,
  and the payment means add up to the grand total;
* ``KR-RATE``: an ordinary (xx01) tax invoice charges 10 % VAT (1 won of rounding per line);
  a zero-rated one (xx02) and a 계산서 (03, 04) charge none.

Amounts are KRW integers; dates YYYYMMDD (IssueDateTime of the document: 작성일자).
"""
from __future__ import annotations

from decimal import Decimal

from lxml import etree

from .identity import brn_ok

NS = "urn:kr:or:kec:standard:Tax:ReusableAggregateBusinessInformationEntitySchemaModule:1:0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} http://www.kec.or.kr/standard/Tax/TaxInvoiceSchemaModule_1.0.xsd"
TYPE_CODES = ("0101", "0102", "0201", "0202", "0301", "0401")
PURPOSE_CODES = {"receipt": "01", "charge": "02"}
# SpecifiedPaymentMeans TypeCode: 10 cash, 20 cheque, 30 promissory note, 40 credit (외상미수금).
PAYMENT_MEANS = (("10", "cash"), ("20", "check"), ("30", "note"), ("40", "credit"))


def type_code(kind: str, amended: bool, zero_rated: bool = False) -> str:
    if kind == "exempt":
        return "0401" if amended else "0301"
    return ("02" if amended else "01") + ("02" if zero_rated else "01")


def _el(parent, name, text=None):
    node = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        node.text = str(text)
    return node


def _party(parent, tag, party: dict, buyer: bool):
    node = _el(parent, tag)
    _el(node, "ID", party["brn"])
    _el(node, "TypeCode", party.get("business_type") or "")
    _el(node, "NameText", party["name"])
    _el(node, "ClassificationCode", party.get("business_class") or "")
    org = _el(node, "SpecifiedOrganization")
    if party.get("branch_id"):
        _el(org, "TaxRegistrationID", party["branch_id"])  # 종사업장번호
    if buyer:
        _el(org, "BusinessTypeCode", "01")  # 01 사업자등록번호
    person = _el(node, "SpecifiedPerson")
    _el(person, "NameText", party.get("ceo") or "")
    contact = _el(node, "PrimaryDefinedContact" if buyer else "DefinedContact")
    _el(contact, "PersonNameText", party.get("contact") or party.get("ceo") or "")
    if party.get("email"):
        _el(contact, "URICommunication", party["email"])
    address = _el(node, "SpecifiedAddress")
    _el(address, "LineOneText", party.get("address") or "")


def build(invoice, *, exchanged_id: str | None = None, issued_at: str | None = None) -> bytes:
    """The KEC TaxInvoice XML of an issued ``TaxInvoice`` row (or any object with its fields)."""
    root = etree.Element(f"{{{NS}}}TaxInvoice", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    write = invoice.write_date.strftime("%Y%m%d")
    exchanged = _el(root, "ExchangedDocument")
    _el(exchanged, "ID", exchanged_id or invoice.mgt_key)
    _el(exchanged, "IssueDateTime", issued_at or write + "000000")
    document = _el(root, "TaxInvoiceDocument")
    _el(document, "IssueID", invoice.nts_confirm_num or "")
    zero = invoice.kind == "taxable" and not invoice.tax_total and bool(invoice.supply_total)
    _el(document, "TypeCode", type_code(invoice.kind, invoice.amendment_code is not None, zero))
    _el(document, "IssueDateTime", write)
    if invoice.amendment_code is not None:
        _el(document, "AmendmentStatusCode", f"{invoice.amendment_code:02d}")
    _el(document, "PurposeCode", PURPOSE_CODES[invoice.purpose])
    if invoice.amendment_code is not None and invoice.org_nts_confirm_num:
        _el(document, "OriginalIssueID", invoice.org_nts_confirm_num)
    settlement = _el(root, "TaxInvoiceTradeSettlement")
    _party(settlement, "InvoicerParty", invoice.supplier, buyer=False)
    _party(settlement, "InvoiceeParty", invoice.buyer, buyer=True)
    payment = invoice.payment or {}
    total = int(invoice.total)
    paid = {key: int(payment.get(key) or 0) for _code, key in PAYMENT_MEANS}
    if not any(paid.values()):
        paid["cash" if invoice.purpose == "receipt" else "credit"] = total
    for code, key in PAYMENT_MEANS:
        means = _el(settlement, "SpecifiedPaymentMeans")
        _el(means, "TypeCode", code)
        _el(means, "PaidAmount", paid[key])
    summation = _el(settlement, "SpecifiedMonetarySummation")
    _el(summation, "ChargeTotalAmount", int(invoice.supply_total))
    _el(summation, "TaxTotalAmount", int(invoice.tax_total))
    _el(summation, "GrandTotalAmount", total)
    for index, line in enumerate(invoice.lines, 1):
        item = _el(root, "TaxInvoiceTradeLineItem")
        _el(item, "SequenceNumeric", index)
        _el(item, "DescriptionText", line.get("spec") or "")
        _el(item, "InvoiceAmount", int(Decimal(line["supply"])))
        _el(item, "ChargeableUnitQuantity", _plain(line["quantity"]))
        _el(item, "InformationText", line.get("remark") or "")
        _el(item, "NameText", line["name"])
        _el(item, "PurchaseExpiryDateTime", (line.get("date") or write).replace("-", ""))
        tax = _el(item, "TotalTax")
        _el(tax, "CalculatedAmount", int(Decimal(line["tax"])))
        price = _el(item, "UnitPrice")
        _el(price, "UnitAmount", _plain(line["unit_price"]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _plain(value) -> str:
    text = format(Decimal(str(value)).normalize(), "f")
    return text


# ---------------------------------------------------------------- checks

def _text(node, path) -> str:
    found = node.find(path, {"k": NS})
    return (found.text or "").strip() if found is not None else ""


def _int(node, path) -> int:
    text = _text(node, path)
    try:
        return int(Decimal(text or "0"))
    except ArithmeticError:
        return -1


def check(xml: bytes) -> list[tuple[str, str]]:
    """(rule, message) of each problem; empty when the invoice passes."""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return [("KR-XML", f"not XML: {exc}")]
    if root.tag != f"{{{NS}}}TaxInvoice":
        return [("KR-XML", f"root element is {root.tag}, not TaxInvoice in the KEC namespace")]
    problems = []
    type_ = _text(root, "k:TaxInvoiceDocument/k:TypeCode")
    purpose = _text(root, "k:TaxInvoiceDocument/k:PurposeCode")
    if type_ not in TYPE_CODES:
        problems.append(("KR-PURP", f"TypeCode {type_!r} is not one of {', '.join(TYPE_CODES)}"))
    if purpose not in ("01", "02"):
        problems.append(("KR-PURP", f"PurposeCode {purpose!r} is neither 01 (영수) nor 02 (청구)"))
    for party in ("InvoicerParty", "InvoiceeParty"):
        number = _text(root, f"k:TaxInvoiceTradeSettlement/k:{party}/k:ID")
        kind = _text(root, f"k:TaxInvoiceTradeSettlement/k:{party}/k:SpecifiedOrganization/k:BusinessTypeCode")
        if party == "InvoicerParty" or kind in ("", "01"):
            if not brn_ok(number):
                problems.append(("KR-BRN", f"{party} ID {number!r} fails the NTS check digit"))
    summation = "k:TaxInvoiceTradeSettlement/k:SpecifiedMonetarySummation/k:"
    charge, tax, grand = (_int(root, summation + name) for name in
                          ("ChargeTotalAmount", "TaxTotalAmount", "GrandTotalAmount"))
    lines = root.findall("k:TaxInvoiceTradeLineItem", {"k": NS})
    line_charge = sum(_int(line, "k:InvoiceAmount") for line in lines)
    line_tax = sum(_int(line, "k:TotalTax/k:CalculatedAmount") for line in lines)
    paid = sum(_int(means, "k:PaidAmount") for means in
               root.findall("k:TaxInvoiceTradeSettlement/k:SpecifiedPaymentMeans", {"k": NS}))
    if charge + tax != grand:
        problems.append(("KR-SUM", f"ChargeTotalAmount {charge} + TaxTotalAmount {tax} ≠ GrandTotalAmount {grand}"))
    if lines and (line_charge != charge or line_tax != tax):
        problems.append(("KR-SUM", f"lines add up to {line_charge} / {line_tax}, totals say {charge} / {tax}"))
    if paid != grand:
        problems.append(("KR-SUM", f"payment means add up to {paid}, not the grand total {grand}"))
    if type_[2:] == "01" and type_[:2] in ("01", "02"):
        tolerance = max(len(lines), 1)
        if abs(tax - (Decimal(charge) / 10)) > tolerance:
            problems.append(("KR-RATE", f"TaxTotalAmount {tax} is not 10 % of {charge}"))
    elif type_ in ("0102", "0202", "0301", "0401") and tax:
        problems.append(("KR-RATE", f"a {type_} invoice charges no VAT, this one {tax}"))
    return problems
