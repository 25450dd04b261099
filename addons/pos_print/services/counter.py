"""The counter: a paid ``counter`` order in one call, and shifts with their cash float and closing report.

``counter_sale`` takes a plain payload (the counter screen's fields, the same shape a JSON body has):

    {"lines": [{"sku": "TEE-01", "qty": "2"}], "cash": "500000", "card": "", "bank_transfer": "",
     "printer": "Counter 1"}

and, all or nothing, creates the order through the sales services (channel ``counter``, no customer: a walk-in),
confirms it (the sales_stock bridge reserves stock as for any order), registers the payments (card and bank
transfer as typed, the rest in cash: what is handed over above it is the change), renders the receipt in the
open shift and queues it on the printer. Every problem comes back at once as ``FieldErrors``, each starting with
its field (``lines[1].qty: ...``, ``cash: ...``).

A shift is opened with its float and closed with the cash counted; the closing report (sales by payment method,
expected and counted cash, reprints and cancellations in the shift) is printed on the receipt printer.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from addons.catalog.services import variant_by_sku
from addons.sales import services as sales
from addons.sales.models import Order, Payment
from core.audit import current_user_id
from core.db import utcnow
from core.errors import FieldErrors, NotFound, UserError
from core.formatting import amount, code_label, datetime_
from core.i18n import _, in_language
from core.money import quantize, sum_of
from core.numbers import parse_decimal

from .. import writer
from ..models import Receipt, Reprint, Shift
from .context import business, runtime_of, user_name
from .printers import find_printer, target
from .printing import queue_print
from .receipts import issue_receipt

PAYMENT_FIELDS = ("card", "bank_transfer")


@dataclass
class Sale:
    order: Order
    receipt: Receipt
    job_id: int | None
    change: Decimal


def open_shift(session, opening_float, *, printer_name: str | None = None) -> Shift:
    if current_shift(session) is not None:
        raise UserError(_("shift: a shift is already open; close it first"))
    value = parse_decimal(opening_float if opening_float not in (None, "") else "0", field="opening_float",
                          minimum=0)
    currency = business(session).currency
    if quantize(value, currency) != value:
        raise UserError(_("opening_float: more decimals than %(currency)s has", currency=currency))
    printer = find_printer(session, printer_name)
    shift = Shift(state="open", currency=currency, opening_float=value, opened_by=current_user_id.get(),
                  opened_at=utcnow(), printer_id=printer.id if printer else None)
    session.add(shift)
    session.flush()
    return shift


def current_shift(session) -> Shift | None:
    return session.scalar(select(Shift).where(Shift.state == "open").order_by(Shift.id.desc()).limit(1))


def _lines(session, raw, problems) -> list[dict]:
    lines = []
    if not isinstance(raw, list) or not raw:
        problems.append(_("lines: scan or type at least one product"))
        return lines
    for i, line in enumerate(raw):
        line = line if isinstance(line, dict) else {}
        sku = str(line.get("sku") or "").strip()
        try:
            variant = variant_by_sku(session, sku)
        except (NotFound, UserError):
            problems.append(_("lines[%(i)s].sku: no product with SKU %(sku)r", i=i, sku=sku))
            continue
        try:
            qty = parse_decimal(str(line.get("qty") or "1"), field=f"lines[{i}].qty", places=3)
            if qty <= 0:
                raise UserError(_("lines[%(i)s].qty: must be greater than 0", i=i))
        except UserError as exc:
            problems.append(str(exc))
            continue
        lines.append({"variant_id": variant.id, "qty": qty})
    return lines


def _amounts(payload: dict, currency: str, problems) -> dict[str, Decimal]:
    found = {}
    for key in ("cash",) + PAYMENT_FIELDS:
        raw = payload.get(key)
        if raw in (None, ""):
            continue
        try:
            value = parse_decimal(str(raw), field=key, minimum=0)
            if quantize(value, currency) != value:
                raise UserError(_("%(field)s: more decimals than %(currency)s has", field=key, currency=currency))
            if value:
                found[key] = value
        except UserError as exc:
            problems.append(str(exc))
    return found


def counter_sale(session, payload) -> Sale:
    """Ring up, pay, print: see the module's docstring. Nothing is written when anything is wrong."""
    payload = payload if isinstance(payload, dict) else {}
    problems: list[str] = []
    currency = business(session).currency
    lines = _lines(session, payload.get("lines"), problems)
    paid = _amounts(payload, currency, problems)
    if problems:
        raise FieldErrors(problems)
    printer = find_printer(session, payload.get("printer") or None)
    order = sales.create_order(session, channel="counter", lines=lines)
    sales.confirm_order(session, order.id)
    other = sum((paid.get(key, Decimal(0)) for key in PAYMENT_FIELDS), Decimal(0))
    cash_due = order.total - other
    if cash_due < 0:
        raise FieldErrors([_("card: card and bank transfer together are more than the total %(total)s",
                             total=amount(order.total, currency))])
    tendered = paid.get("cash", Decimal(0))
    if tendered < cash_due:
        raise FieldErrors([_("cash: %(still)s still to pay", still=amount(cash_due - tendered, currency))])
    for method in PAYMENT_FIELDS:
        if paid.get(method):
            sales.register_payment(session, order.id, paid[method], method)
    if cash_due > 0:
        sales.register_payment(session, order.id, cash_due, "cash")
    session.flush()
    shift = current_shift(session)
    receipt, _created = issue_receipt(session, order.id, printer=printer, tendered=tendered if cash_due else None,
                                      shift_id=shift.id if shift else None)
    job = queue_print(session, printer, "receipt", receipt.content, receipt_id=receipt.id) if printer else None
    return Sale(order, receipt, job.id if job else None, tendered - cash_due if cash_due > 0 else Decimal(0))


def shift_figures(session, shift: Shift) -> dict:
    """What the closing report says: payments by method, cash expected, reprints and cancellations."""
    until = shift.closed_at or utcnow()
    orders = select(Receipt.order_id).where(Receipt.shift_id == shift.id)
    by_method = dict(session.execute(
        select(Payment.method, sum_of(Payment.amount)).where(Payment.order_id.in_(orders), Payment.kind == "payment")
        .group_by(Payment.method).order_by(Payment.method)).all())
    refunds = session.scalar(select(sum_of(Payment.amount)).where(
        Payment.order_id.in_(orders), Payment.kind == "refund", Payment.method == "cash")) or Decimal(0)
    reprints = session.scalar(select(func.count(Reprint.id)).where(Reprint.created_at >= shift.opened_at,
                                                                   Reprint.created_at <= until))
    cancelled = session.scalar(select(func.count(Order.id)).where(
        Order.channel == "counter", Order.cancelled_at >= shift.opened_at, Order.cancelled_at <= until))
    sales_count = session.scalar(select(func.count()).select_from(orders.subquery()))
    cash = Decimal(by_method.get("cash") or 0)
    expected = shift.opening_float + cash - Decimal(refunds)
    return {"sales": sales_count, "by_method": {m: Decimal(v or 0) for m, v in by_method.items()},
            "expected_cash": expected, "counted_cash": shift.counted_cash,
            "difference": None if shift.counted_cash is None else shift.counted_cash - expected,
            "reprints": reprints, "cancelled": cancelled}


def close_shift(session, counted_cash) -> tuple[Shift, dict, int | None]:
    """Close the open shift with the cash counted; its report is queued on the shift's printer."""
    shift = current_shift(session)
    if shift is None:
        raise UserError(_("shift: no shift is open"))
    value = parse_decimal(counted_cash if counted_cash not in (None, "") else "", field="counted_cash", minimum=0)
    if quantize(value, shift.currency) != value:
        raise UserError(_("counted_cash: more decimals than %(currency)s has", currency=shift.currency))
    shift.state, shift.counted_cash = "closed", value
    shift.closed_by, shift.closed_at = current_user_id.get(), utcnow()
    session.flush()
    figures = shift_figures(session, shift)
    job_id = None
    if shift.printer_id:
        from .printers import get_printer
        printer = get_printer(session, shift.printer_id)
        job_id = queue_print(session, printer, "report", closing_report(session, shift, figures, printer)).id
    return shift, figures, job_id


def closing_report(session, shift: Shift, figures: dict, printer) -> bytes:
    biz = business(session)
    lang = (biz.languages or ["en"])[0]
    aim = target(printer, lang)
    cur, L = shift.currency, writer.Line
    with in_language(lang, manifests=runtime_of(session).registry.manifests.values()):
        items = [L(_("Shift report"), align="center", bold=True, big=True), L(biz.name, align="center"),
                 L(_("Shift"), f"#{shift.id}"), L(_("Opened at"), datetime_(shift.opened_at, biz.timezone, lang)),
                 L(_("By"), user_name(session, shift.opened_by)),
                 L(_("Closed at"), datetime_(shift.closed_at, biz.timezone, lang)),
                 L(_("By"), user_name(session, shift.closed_by)), L("-" * aim.geometry.chars),
                 L(_("Number of sales"), str(figures["sales"]))]
        for method, total in figures["by_method"].items():
            items.append(L(code_label("payment_method", method), amount(total, cur, lang)))
        items += [L("-" * aim.geometry.chars), L(_("Cash float"), amount(shift.opening_float, cur, lang)),
                  L(_("Cash expected"), amount(figures["expected_cash"], cur, lang), bold=True),
                  L(_("Cash counted"), amount(figures["counted_cash"], cur, lang)),
                  L(_("Difference"), amount(figures["difference"], cur, lang), bold=True),
                  L("-" * aim.geometry.chars), L(_("Reprints"), str(figures["reprints"])),
                  L(_("Cancelled orders"), str(figures["cancelled"]))]
    return writer.render(items, aim)
