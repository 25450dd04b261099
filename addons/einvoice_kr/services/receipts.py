"""Cash receipts: the identity asked at checkout, approvals from orders, cancellations (취소거래).

Every function takes a session bound to one business and never commits. A new
receipt is a row in state ``requested`` with its number (gapless, series
``einvoice_kr.cashbill``), its idempotency key and the mgtKey derived from it;
the job ``einvoice_kr.issue_receipt`` (``services.issuing``) talks to Popbill.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from core import sequences
from core.errors import NotFound, UserError
from core.i18n import _
from core.jobs import enqueue

from .. import identity
from ..models import CANCEL_REASONS, TRADE_OPTS, CashReceipt, ReceiptRequest
from . import common

SERIES = "einvoice_kr.cashbill"
LIVE = ("requested", "issued", "transmitted", "cancelled")


def capture_identity(session, order_id: int, value, purpose: str, *, trade_opt: str | None = None,
                     email: str | None = None) -> ReceiptRequest:
    """Record (or replace) the receipt a customer asked for on an order: validated, encrypted, masked."""
    from addons.sales.models import Order
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(_("order #%(id)s not found", id=order_id))
    if order.currency != "KRW":
        raise UserError(_("order %(number)s is in %(currency)s: cash receipts are in KRW",
                          number=order.number, currency=order.currency))
    kind, number = identity.classify(value, purpose)
    if kind == "brn":
        from .brn import require_trading
        try:
            require_trading(session, number)
        except NotFound:
            raise
        except UserError as refusal:   # closed (폐업) or not registered: the field the customer typed
            raise UserError(_("identity: %(reason)s", reason=str(refusal))) from None
    trade_opt = _trade_opt(session, trade_opt)
    row = session.scalar(select(ReceiptRequest).where(ReceiptRequest.order_id == order_id))
    if row is None:
        row = ReceiptRequest(order_id=order_id)
        session.add(row)
    row.purpose, row.identity_kind, row.trade_opt = purpose, kind, trade_opt
    row.identity_encrypted = identity.encrypt(number, common.secret_key(session))
    row.identity_masked = identity.mask(kind, number)
    row.email = (email or "").strip() or None
    session.flush()
    return row


def receipt_request(session, order_id: int) -> ReceiptRequest | None:
    """What the customer asked for on an order (the number stays encrypted: only its masked form is read)."""
    return session.scalar(select(ReceiptRequest).where(ReceiptRequest.order_id == order_id))


def _trade_opt(session, value) -> str:
    value = value or common.settings(session)["trade_opt"]
    if value not in TRADE_OPTS:
        raise UserError(_("trade_opt: one of %(opts)s", opts=", ".join(TRADE_OPTS)))
    return value


# ---------------------------------------------------------------- amounts

def order_parts(session, order) -> dict:
    """Taxable supply value, VAT and tax-free amount of an order's lines (KRW integers), shipping included."""
    from addons.sales.models import OrderLine
    supply = tax = free = Decimal(0)
    for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)):
        if line.tax_rate:
            supply += Decimal(line.net_amount)
            tax += Decimal(line.tax_amount)
        else:
            free += Decimal(line.net_amount) + Decimal(line.tax_amount)
    rest = Decimal(order.total) - supply - tax - free   # shipping and anything else on the order: taxable
    if rest:
        rest_tax = _vat_of(rest)
        supply, tax = supply + rest - rest_tax, tax + rest_tax
    return {"supply_cost": _krw(supply), "tax": _krw(tax), "tax_free": _krw(free), "service_fee": Decimal(0)}


def _krw(value) -> Decimal:
    return Decimal(value).quantize(Decimal(1), ROUND_HALF_UP)


def _vat_of(gross: Decimal) -> Decimal:
    """The VAT inside a tax-included KRW amount: gross − round(gross / 1.1)."""
    return _krw(gross - _krw(Decimal(gross) / Decimal("1.1")))


def prorate(parts: dict, amount: Decimal) -> dict:
    """``parts`` scaled to ``amount`` (KRW): the tax-free share first, then supply and VAT of the rest."""
    total = sum(parts.values())
    amount = _krw(amount)
    if amount == total:
        return dict(parts)
    free = _krw(parts["tax_free"] * amount / total) if total else Decimal(0)
    taxable = amount - free
    tax = _vat_of(taxable) if parts["tax"] else Decimal(0)
    return {"supply_cost": taxable - tax, "tax": tax, "tax_free": free, "service_fee": Decimal(0)}


def cash_paid(session, order) -> Decimal:
    """What the order's payments by the receipt methods (setting ``receipt_methods``) brought in."""
    from addons.sales.models import Payment
    methods = methods_for_receipts(session)
    paid = session.scalar(select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.order_id == order.id, Payment.kind == "payment", Payment.method.in_(methods)))
    return _krw(paid)


def methods_for_receipts(session) -> tuple[str, ...]:
    return tuple(m.strip() for m in common.settings(session)["receipt_methods"].split(",") if m.strip())


# ---------------------------------------------------------------- approvals

def live_approval(session, order_id: int) -> CashReceipt | None:
    return session.scalar(select(CashReceipt).where(CashReceipt.order_id == order_id,
                                                    CashReceipt.trade_type == "approval",
                                                    CashReceipt.state.in_(LIVE)).order_by(CashReceipt.id))


def request_receipt(session, order_id: int, *, value=None, purpose: str | None = None, self_issue: bool = False,
                    trade_opt: str | None = None, amount=None) -> CashReceipt:
    """The cash receipt of an order's cash payments; identity from ``value`` or the order's request."""
    from addons.sales.models import Order
    from addons.partners.models import Partner
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(_("order #%(id)s not found", id=order_id))
    if order.currency != "KRW":
        raise UserError(_("order %(number)s is in %(currency)s: cash receipts are in KRW",
                          number=order.number, currency=order.currency))
    existing = live_approval(session, order.id)
    if existing is not None:
        raise UserError(_("order %(number)s already has cash receipt %(receipt)s", number=order.number,
                          receipt=existing.number))
    asked = session.scalar(select(ReceiptRequest).where(ReceiptRequest.order_id == order.id)
                           .options(undefer(ReceiptRequest.identity_encrypted)))
    email = asked.email if asked else None
    if self_issue:
        kind, number, purpose = "mobile", identity.SELF_ISSUE_NUMBER, "deduction"
    elif value is not None:
        kind, number = identity.classify(value, purpose or "deduction")
        purpose = purpose or "deduction"
    elif asked is not None:
        kind, purpose = asked.identity_kind, asked.purpose
        number = identity.decrypt(asked.identity_encrypted, common.secret_key(session))
        trade_opt = trade_opt or asked.trade_opt
    else:
        raise UserError(_("identity: order %(number)s has no receipt request; give the customer's number",
                          number=order.number), cli_hint="use --identity VALUE --purpose deduction|proof")
    if kind == "brn":
        from .brn import require_trading
        try:
            require_trading(session, number)
        except NotFound:
            raise
        except UserError as refusal:   # closed (폐업) or not registered: the field the customer typed
            raise UserError(_("identity: %(reason)s", reason=str(refusal))) from None
    cash = _krw(amount) if amount is not None else cash_paid(session, order)
    if cash <= 0:
        raise UserError(_("order %(number)s has no payment by %(methods)s to receipt", number=order.number,
                          methods=", ".join(methods_for_receipts(session))))
    parts = prorate(order_parts(session, order), cash)
    partner = session.get(Partner, order.partner_id) if order.partner_id else None
    if partner is not None and not email:
        email = partner.email
    row = _new(session, trade_type="approval", order_id=order.id, purpose=purpose, kind=kind, number=number,
               trade_opt=_trade_opt(session, trade_opt), self_issued=self_issue, parts=parts,
               customer_name=partner.name if partner else "", email=email,
               item_name=_item_name(session, order))
    return row


def _item_name(session, order) -> str:
    from addons.sales.models import OrderLine
    names = list(session.scalars(select(OrderLine.description).where(OrderLine.order_id == order.id)
                                 .order_by(OrderLine.id)))
    if not names:
        return order.number
    return names[0][:80] + (f" 외 {len(names) - 1}건" if len(names) > 1 else "")


def _new(session, *, trade_type, order_id, purpose, kind, number, trade_opt, self_issued, parts, customer_name,
         email, item_name, original=None, reason=None, partial=False, return_id=None, encrypted=None,
         masked=None) -> CashReceipt:
    today = common.today(session)
    seq = sequences.next_number(session, SERIES, today.year)
    doc_number = f"CR-{today.year}-{seq:06d}"
    key = f"einvoice_kr:cashbill:{session.info['business_id']}:{doc_number}"
    total = sum(parts.values())
    row = CashReceipt(
        number=doc_number, order_id=order_id, return_id=return_id, original_id=original.id if original else None,
        trade_type=trade_type, purpose=purpose, trade_opt=trade_opt, self_issued=self_issued, identity_kind=kind,
        identity_encrypted=encrypted or identity.encrypt(number, common.secret_key(session)),
        identity_masked=masked or identity.mask(kind, number), customer_name=customer_name or "", email=email,
        item_name=item_name, supply_cost=parts["supply_cost"], tax=parts["tax"], tax_free=parts["tax_free"],
        service_fee=parts["service_fee"], total=total, trade_date=today, cancel_reason=reason, partial=partial,
        provider=common.settings(session)["provider"], idempotency_key=key, mgt_key=identity.mgt_key(key),
        state="requested", org_confirm_num=original.confirm_num if original else None,
        org_trade_date=original.trade_date if original else None)
    session.add(row)
    session.flush()
    enqueue(session, "einvoice_kr.issue_receipt", receipt_id=row.id)
    return row


# ---------------------------------------------------------------- cancellations

def find_receipt(session, number: str) -> CashReceipt:
    row = session.scalar(select(CashReceipt).where((CashReceipt.number == number) |
                                                   (CashReceipt.mgt_key == number) |
                                                   (CashReceipt.confirm_num == number)))
    if row is None:
        raise NotFound(_("no cash receipt numbered %(number)s in this business", number=repr(number)))
    return row


def cancelled_amount(session, original_id: int) -> Decimal:
    return Decimal(session.scalar(select(func.coalesce(func.sum(CashReceipt.total), 0)).where(
        CashReceipt.original_id == original_id, CashReceipt.trade_type == "cancel",
        CashReceipt.state.in_(LIVE))))


def request_cancel(session, receipt_id: int, *, reason: str, amount=None, return_id: int | None = None) -> CashReceipt:
    """A cancellation (취소거래) of an issued receipt: in full, or partial for ``amount`` KRW."""
    original = session.scalar(select(CashReceipt).where(CashReceipt.id == receipt_id).with_for_update()
                              .options(undefer(CashReceipt.identity_encrypted)))
    if original is None:
        raise NotFound(_("cash receipt #%(id)s not found", id=receipt_id))
    if str(reason) not in CANCEL_REASONS:
        raise UserError(_("reason: 1 (deal cancelled), 2 (issued in error) or 3 (other)"))
    if original.trade_type != "approval":
        raise UserError(_("%(number)s is a cancellation; only an approval can be cancelled", number=original.number))
    if original.state == "cancelled":
        raise UserError(_("%(number)s is already cancelled in full", number=original.number))
    if original.state not in ("issued", "transmitted") or not original.confirm_num:
        raise UserError(_("%(number)s is %(state)s: only an issued receipt with an approval number can be cancelled",
                          number=original.number, state=original.state))
    remaining = Decimal(original.total) - cancelled_amount(session, original.id)
    if remaining <= 0:
        raise UserError(_("%(number)s is already cancelled in full", number=original.number))
    if amount is None:
        value = remaining
    else:
        try:
            value = Decimal(str(amount))
        except ArithmeticError:
            raise UserError(_("amount: %(value)r is not a number", value=amount)) from None
        if value != value.to_integral_value() or value <= 0:
            raise UserError(_("amount: a whole number of won above zero"))
        if value > remaining:
            raise UserError(_("amount: %(value)s is more than the %(remaining)s not yet cancelled on %(number)s",
                              value=int(value), remaining=int(remaining), number=original.number))
    parts = prorate({"supply_cost": Decimal(original.supply_cost), "tax": Decimal(original.tax),
                     "tax_free": Decimal(original.tax_free), "service_fee": Decimal(original.service_fee)}, value)
    return _new(session, trade_type="cancel", order_id=original.order_id, purpose=original.purpose,
                kind=original.identity_kind, number="", trade_opt=original.trade_opt,
                self_issued=original.self_issued, parts=parts, customer_name=original.customer_name,
                email=original.email, item_name=original.item_name, original=original, reason=str(reason),
                partial=value < Decimal(original.total), return_id=return_id,
                encrypted=original.identity_encrypted, masked=original.identity_masked)


def chain(session, order_id: int) -> list[CashReceipt]:
    """Every cash receipt of an order, approvals and their cancellations, in order."""
    return list(session.scalars(select(CashReceipt).where(CashReceipt.order_id == order_id)
                                .order_by(CashReceipt.id)))


def describe(row: CashReceipt) -> dict:
    return {"number": row.number, "trade_type": row.trade_type, "purpose": row.purpose, "trade_opt": row.trade_opt,
            "identity": row.identity_masked, "self_issued": row.self_issued, "state": row.state,
            "mgt_key": row.mgt_key, "confirm_num": row.confirm_num, "trade_date": row.trade_date,
            "supply_cost": int(row.supply_cost), "tax": int(row.tax), "tax_free": int(row.tax_free),
            "service_fee": int(row.service_fee), "total": int(row.total),
            "original": row.original.number if row.original_id else None, "org_confirm_num": row.org_confirm_num,
            "org_trade_date": row.org_trade_date, "cancel_reason": row.cancel_reason, "partial": row.partial,
            "error": row.last_error}
