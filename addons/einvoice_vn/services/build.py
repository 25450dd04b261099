"""An issued document's Vietnamese invoice: template, symbol and number taken, XML built, checked and signed.

``record_issue`` runs in the issuing transaction (sync handler of
``einvoice.document_issued``): anything it refuses (no symbol for the type, a
sales invoice carrying VAT, a number beyond 8 digits, an XML breaking a rule, a
missing or expired certificate when signing is required) refuses the issue, and
the number taken here and einvoice's go back. ``spec_of`` turns a document into
the plain structure ``tctxml.build`` writes.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.errors import UserError
from core.i18n import _
from core.jobs import addon_settings

from .. import signing, symbols as rules, tctxml
from ..models import VnInvoice
from ..taxcodes import NATURE_CODES, tsuat
from . import certificate, details as vn_details
from .symbols import symbol_for, take_number

KIND_OF_TYPE = {"adjustment_invoice": "adjustment", "replacement_invoice": "replacement"}
NOT_VN_INVOICE = ("credit_note",)  # a full credit note is einvoice's cancellation; Vietnam has no credit notes


def is_vietnamese(session) -> bool:
    from core.models import Business
    return session.get(Business, session.info["business_id"]).country == "VN"


def invoice_of(session, document_id: int) -> VnInvoice | None:
    return session.scalar(select(VnInvoice).where(VnInvoice.document_id == document_id))


def record_issue(session, document_id: int) -> VnInvoice | None:
    from addons.einvoice.models import Document
    doc = session.scalar(select(Document).where(Document.id == document_id).options(selectinload(Document.lines)))
    if doc is None or doc.type in NOT_VN_INVOICE:
        return None
    existing = invoice_of(session, doc.id)
    if existing is not None:
        return existing
    conf = addon_settings(session, "einvoice_vn")
    year = doc.issue_date.year
    kind, related = KIND_OF_TYPE.get(doc.type, "original"), None
    if kind != "original":
        original = invoice_of(session, doc.corrects_id)
        if original is None:
            raise UserError(_("%(doc)s: the document it corrects has no Vietnamese invoice (template, symbol, "
                              "number) to refer to", doc=doc.label))
        symbol = rules.Symbol(original.template, original.symbol[0], year, original.symbol[3], original.symbol[4:])
        related = {"kind": kind, "template": original.template, "symbol": original.symbol,
                   "number": original.number, "date": original.issue_date, "document_id": original.document_id}
        related["note"] = tctxml.related_text(related)
    else:
        symbol = symbol_for(session, _symbol_type(doc), year)
    rules.check_year(symbol, year)
    if symbol.template == "2" and doc.tax_total:
        raise UserError(_("%(doc)s: a sales invoice (template 2) carries no VAT; issue a VAT invoice (template 1) "
                          "for lines with VAT", doc=doc.label))
    extra = vn_details.details_of(session, doc.id)
    number = take_number(session, symbol)
    spec = spec_of(doc, symbol, number, extra, related, conf, payment=vn_details.payment_text(session, doc, extra))
    xml = tctxml.build(spec)
    problems = tctxml.check(xml)
    if problems:
        raise UserError(_("%(doc)s: the invoice XML breaks the tax authority's rules: %(problems)s", doc=doc.label,
                          problems="; ".join(f"{rule} {message}" for rule, message in problems)))
    signer_name, signed_at = None, None
    if conf["sign_xml"] != "never":
        pair = certificate.signer(session)
        if pair is None and conf["sign_xml"] == "always":
            raise UserError(_("%(doc)s: the invoice XML must be signed and no certificate is uploaded (manage.py "
                              "einvoice_vn certificate-upload)", doc=doc.label))
        if pair is not None:
            xml = signing.sign(xml, *pair)
            signer_name, signed_at = signing.describe(pair[1])["subject"], datetime.now(timezone.utc)
    row = VnInvoice(document_id=doc.id, template=symbol.template, symbol=symbol.symbol, number=number,
                    issue_date=doc.issue_date, kind=kind,
                    related={k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in related.items()}
                    if related else None,
                    cash_register=symbol.type == "M", signer=signer_name, signed_at=signed_at, xml=xml)
    session.add(row)  # the tax authority's XML is this row's; einvoice's own stored XML (UBL) is left alone
    session.flush()
    return row


def _symbol_type(doc) -> str:
    """Whose symbol a document takes. The template follows the content: a document of einvoice's type
    ``sales_invoice`` that charges VAT is, in Vietnam, a VAT invoice (template 1); without VAT it is a
    sales invoice (template 2). Receipts are counter sales (cash-register invoices)."""
    if doc.type == "sales_invoice" and any(line.tax_rate is not None for line in doc.lines):
        return "vat_invoice"
    return doc.type


def _nature(line, extra) -> str:
    named = (extra.line_natures or {}).get(str(line.position)) if extra is not None else None
    if named:
        return NATURE_CODES[named]
    if Decimal(line.unit_price) == 0:
        return NATURE_CODES["promotion"]
    if Decimal(line.net_amount) < 0 and Decimal(line.quantity) > 0:
        return NATURE_CODES["discount"]
    return NATURE_CODES["goods"]


def spec_of(doc, symbol: rules.Symbol, number: int, extra, related: dict | None, conf: dict,
            payment: str = "TM/CK") -> dict:
    from addons.einvoice.totals import net_unit_price, tax_breakdown
    lines, discount_total = [], Decimal(0)
    for line in doc.lines:
        nature = _nature(line, extra)
        price = net_unit_price(doc, line)
        amount = Decimal(line.net_amount)
        item = {"nature": nature, "code": line.sku, "name": line.description, "unit": _unit(line.unit),
                "quantity": Decimal(line.quantity), "price": price, "tsuat": tsuat(line.tax_rate, line.tax_category)}
        if nature == "3":
            discount_total += -amount
            item.update(amount=-amount, price=-price if price < 0 else price)
        else:
            gross = Decimal(line.quantity) * price
            if line.discount_percent:
                item["discount_percent"] = Decimal(line.discount_percent)
                item["discount_amount"] = gross - amount
            item["amount"] = amount
        lines.append(item)
    groups: OrderedDict = OrderedDict()
    for group in tax_breakdown(doc):
        code = tsuat(group["rate"], group["category"])
        slot = groups.setdefault(code, {"tsuat": code, "base": Decimal(0), "tax": Decimal(0)})
        slot["base"] += group["base"]
        slot["tax"] += group["tax"]
    seller, buyer = doc.seller or {}, doc.buyer or {}
    person = buyer.get("kind") != "company"
    buyer_spec = {"name": buyer.get("name"), "address": _address(buyer), "phone": buyer.get("phone"),
                  "email": buyer.get("email"),
                  "tax_id": buyer.get("tax_id") if (buyer.get("country") or "VN") == "VN" else None,
                  "personal_id": extra.buyer_personal_id if extra is not None else None,
                  "contact": (extra.buyer_contact if extra is not None and extra.buyer_contact
                              else buyer.get("name") if person else None)}
    title = None
    if symbol.type == "M":
        title = tctxml.CASH_REGISTER_TITLE if symbol.template == "1" else "Hóa đơn bán hàng khởi tạo từ máy tính tiền"
    agreement = ({"ref": doc.buyer_agreement_ref, "date": doc.buyer_agreement_date}
                 if related and doc.buyer_agreement_ref and doc.buyer_agreement_date else None)
    return {"id": f"DLHDon-{symbol.full}-{number:08d}", "version": conf["xml_version"], "title": title,
            "template": symbol.template, "symbol": symbol.symbol, "number": number, "issue_date": doc.issue_date,
            "currency": doc.currency, "exchange_rate": Decimal(doc.exchange_rate or 1),
            "payment": payment, "provider_tax_code": conf["provider_tax_code"] or None,
            "related": related, "agreement": agreement,
            "seller": {"name": seller.get("legal_name"), "tax_id": seller.get("tax_id"), "address": _address(seller),
                       "phone": seller.get("phone"), "email": seller.get("email"),
                       "bank_account": seller.get("bank_account"), "bank_name": seller.get("bank_name")},
            "buyer": buyer_spec, "lines": lines, "with_vat": symbol.template != "2",
            "rates": list(groups.values()),
            "totals": {"base": Decimal(doc.subtotal), "tax": Decimal(doc.tax_total), "total": Decimal(doc.total),
                       "discount": discount_total}}


UNITS = {"C62": "Cái", "H87": "Cái", "EA": "Cái", "KGM": "Kg", "LTR": "Lít", "MTR": "Mét", "HUR": "Giờ",
         "DAY": "Ngày", "MON": "Tháng", "SET": "Bộ", "BX": "Hộp", "E48": "Lần", "ZZ": "Lần"}


def _unit(code: str | None) -> str | None:
    return UNITS.get(code or "", code)


def _address(party: dict) -> str:
    parts = [party.get("address") or party.get("street"), party.get("city")]
    return ", ".join(p for p in parts if p) or ""
