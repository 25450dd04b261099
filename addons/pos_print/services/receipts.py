"""Receipts: rendered once from a paid order, stored as the exact bytes of the first print, found by code or QR.

The receipt speaks the business's language or the customer's (setting
``language``), shows times in the business's time zone and amounts through
``core.formatting`` in that language, and carries the signed receipt code as a QR
code and as text (``signing``). ``issue_receipt`` is idempotent per order: the
second call returns the stored receipt and its bytes unchanged; a copy is a
reprint (``reprints``), never a second original.

Korean 현금영수증: ``CASH_RECEIPT_LOOKUPS`` is the hook a Korean e-invoice addon fills
with ``fn(session, order) -> approval number or None``; the first answer is printed
on the receipt. No such addon exists yet, so nothing fills it in this repository.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from decimal import Decimal

from sqlalchemy import select

from addons.sales.models import Order
from addons.sales.services import get_order, find_order
from core.audit import current_user_id
from core.errors import NotFound, UserError
from core.formatting import amount, code_label, datetime_, quantity, rate
from core.i18n import _, buyer_language, in_language
from core.models import AuditEntry
from core.money import quantize
from core.numbers import parse_decimal

from .. import signing, writer
from ..models import Printer, Receipt
from .context import row_id, business, runtime_of, save_settings, settings, user_name
from .printers import target

CASH_RECEIPT_LOOKUPS: list = []


def secret(session) -> str:
    """The business's signing key, made on first use (and by ``on_enable``)."""
    value = settings(session).get("receipt_secret") or ""
    if not value:
        value = signing.new_secret()
        save_settings(session, {"receipt_secret": value})
    return value


def receipt_language(session, order: Order) -> str:
    biz = business(session)
    shop = (biz.languages or ["en"])[0]
    if settings(session)["language"] == "customer":
        partner = order.partner
        return buyer_language(partner.language if partner else None, partner.country if partner else biz.country,
                              shop)
    return buyer_language(shop, None, shop)


def _cashier(session, order: Order) -> int | None:
    """Who rang the sale up: whoever prints its first receipt, else whoever created the order."""
    user_id = current_user_id.get()
    if user_id is not None:
        return user_id
    return session.scalar(select(AuditEntry.user_id).where(
        AuditEntry.business_id == order.business_id, AuditEntry.model == "sales_order",
        AuditEntry.record_id == str(order.id), AuditEntry.action == "create").limit(1))


def _cash_receipt_number(session, order: Order) -> str | None:
    for lookup in CASH_RECEIPT_LOOKUPS:
        number = lookup(session, order)
        if number:
            return str(number)
    return None


def _change(order: Order, tendered) -> tuple[Decimal, Decimal] | None:
    """(tendered, change) of a cash sale, checked against the cash the order was paid with."""
    if tendered in (None, ""):
        return None
    value = parse_decimal(tendered, field="tendered")
    cash = sum((p.amount for p in order.payments if p.kind == "payment" and p.method == "cash"), Decimal(0))
    if cash == 0:
        raise UserError(_("tendered: the order was not paid in cash"))
    if quantize(value, order.currency) != value:
        raise UserError(_("tendered: more decimals than %(currency)s has", currency=order.currency))
    if value < cash:
        raise UserError(_("tendered: %(tendered)s is less than the cash paid (%(cash)s)",
                          tendered=amount(value, order.currency), cash=amount(cash, order.currency)))
    return value, value - cash


def receipt_items(session, order: Order, code: str, lang: str, chars: int, cashier: str, tendered=None) -> list:
    """The receipt's lines, in ``lang`` (call inside ``in_language(lang)``)."""
    biz = business(session)
    cur, tz = order.currency, biz.timezone
    L = writer.Line

    def money(value):
        return amount(value, cur, lang)

    items = [L(biz.name, align="center", bold=True, big=True)]
    for line in filter(None, [biz.legal_name if biz.legal_name != biz.name else None,
                              *(biz.address or "").splitlines()]):
        items.append(L(line.strip(), align="center"))
    if biz.tax_id:
        items.append(L(_("Tax ID: %(id)s", id=biz.tax_id), align="center"))
    if biz.phone:
        items.append(L(_("Phone: %(phone)s", phone=biz.phone), align="center"))
    rule = L("-" * chars)
    paid_at = max((p.created_at for p in order.payments if p.kind == "payment"), default=order.created_at)
    items += [rule, L(_("Order"), order.number), L(datetime_(paid_at, tz, lang))]
    if cashier:
        items.append(L(_("Cashier"), cashier))
    items.append(rule)
    taxes: OrderedDict = OrderedDict()
    for line in order.lines:
        items.append(L(line.description))
        shown = line.total_amount if order.prices_include_tax else line.net_amount
        items.append(L(f"  {quantity(line.qty, lang)} x {money(line.unit_price)}", money(shown)))
        gross = quantize(line.qty * line.unit_price, cur)
        if line.discount_percent and gross != shown:
            items.append(L("  " + _("Discount %(percent)s", percent=rate(line.discount_percent / 100, lang)),
                           money(shown - gross)))
        if line.tax_rate is not None:
            taxes[line.tax_rate] = taxes.get(line.tax_rate, Decimal(0)) + line.tax_amount
    # the order's subtotal is after the line discounts: show the goods before them, then the discount
    items += [rule, L(_("Subtotal"), money(order.subtotal + order.discount_total))]
    if order.discount_total:
        items.append(L(_("Discount"), money(-order.discount_total)))
    for tax_rate, tax in taxes.items():
        label = _("VAT %(rate)s included", rate=rate(tax_rate, lang)) if order.prices_include_tax \
            else _("VAT %(rate)s", rate=rate(tax_rate, lang))
        items.append(L(label, money(tax)))
    if order.shipping_fee and order.shipping_paid_by == "customer":
        items.append(L(_("Shipping"), money(order.shipping_fee)))
    items.append(L(_("TOTAL"), money(order.total), bold=True, big=True))
    for payment in order.payments:
        label = code_label("payment_method", payment.method)
        items.append(L(label if payment.kind == "payment" else _("Refund: %(method)s", method=label),
                       money(payment.amount if payment.kind == "payment" else -payment.amount)))
    change = _change(order, tendered)
    if change:
        items += [L(_("Cash tendered"), money(change[0])), L(_("Change"), money(change[1]), bold=True)]
    approval = _cash_receipt_number(session, order)
    if approval:
        items.append(L(_("Cash receipt approval no."), approval))
    items.append(rule)
    footer = (settings(session).get("footer") or "").strip()
    for part in filter(None, (p.strip() for p in footer.split("|"))):
        items.append(L(part, align="center"))
    items.append(writer.Qr(signing.payload(secret(session), biz.slug, code)))
    items.append(L(_("Receipt code: %(code)s", code=code), align="center", bold=True))
    return items


def _new_code(session) -> str:
    while True:
        code = signing.new_code()
        if not session.scalar(select(Receipt.id).where(Receipt.code == code)):
            return code


def receipt_for_order(session, order_id: int) -> Receipt | None:
    return session.scalar(select(Receipt).where(Receipt.order_id == order_id))


def issue_receipt(session, order_id: int, *, printer: Printer | None = None, tendered=None,
                  shift_id: int | None = None) -> tuple[Receipt, bool]:
    """The order's receipt, rendered and stored now if it has none; (receipt, created)."""
    existing = receipt_for_order(session, order_id)
    if existing is not None:
        return existing, False
    order = get_order(session, order_id)
    if order.payment_status != "paid":
        raise UserError(_("order %(number)s is not paid; a receipt is printed for a paid order",
                          number=order.number))
    lang = receipt_language(session, order)
    cash = any(p.method == "cash" and p.kind == "payment" for p in order.payments)
    aim = target(printer, lang, cash=cash and bool(settings(session)["drawer_on_cash"]))
    code = _new_code(session)
    cashier_id = _cashier(session, order)
    cashier = user_name(session, cashier_id)
    with in_language(lang, manifests=runtime_of(session).registry.manifests.values()):
        items = receipt_items(session, order, code, lang, aim.geometry.chars, cashier, tendered)
    content = writer.render(items, aim, kick=aim.drawer_pin is not None)
    receipt = Receipt(order_id=order.id, shift_id=shift_id, code=code, language=lang, content=content,
                      digest=hashlib.sha256(content).hexdigest(), printer_id=printer.id if printer else None,
                      cashier_id=cashier_id, cashier_name=cashier, chars_per_line=aim.geometry.chars,
                      dots=aim.geometry.dots, code_page=aim.code_page, reprint_count=0)
    session.add(receipt)
    session.flush()
    return receipt, True


def issue_for_number(session, number: str, **kw) -> tuple[Receipt, bool]:
    return issue_receipt(session, find_order(session, number).id, **kw)


def find_receipt(session, text: str) -> Receipt:
    """A receipt by its typed code or by a scanned QR payload; a payload we did not sign is refused."""
    text = (text or "").strip()
    if not text:
        raise UserError(_("code: type a receipt code or scan its QR code"))
    if signing.is_payload(text):
        code = signing.verify(secret(session), business(session).slug, text)
        if code is None:
            raise UserError(_("code: this QR code was not issued by this shop or has been altered"))
    else:
        code = signing.normalize_code(text)
    receipt = session.scalar(select(Receipt).where(Receipt.code == code))
    if receipt is None:
        raise NotFound(_("code: no receipt %(code)s", code=code))
    return receipt


def get_receipt(session, receipt_id: int) -> Receipt:
    receipt = session.get(Receipt, row_id(receipt_id) or 0)
    if receipt is None:
        raise NotFound(_("no receipt #%(id)s", id=receipt_id))
    return receipt
