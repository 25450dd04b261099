"""What happens without a clerk: a receipt when an order is paid, a partial cancellation when goods
come back, and the daily self-issue (자진발급) for designated trades."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core.jobs import enqueue

from ..models import CashReceipt, ReceiptRequest
from . import common, receipts

SELF_ISSUE_DAYS = 5   # a cash receipt may be issued up to five days after the trade


class NotYetIssued(Exception):
    """The receipt a return cancels has no approval number yet: the job retries later."""


def on_payment(session, order_id: int) -> None:
    """A payment was registered: when the customer asked for a receipt, the job issues it."""
    if common.settings(session)["auto_issue"] and \
            session.scalar(select(ReceiptRequest.id).where(ReceiptRequest.order_id == order_id)) is not None:
        enqueue(session, "einvoice_kr.receipt_for_order", order_id=order_id)


def receipt_for_order(session, order_id: int) -> CashReceipt | None:
    """Auto-issue: the order is paid (partly) by a receipt method and the customer asked for a receipt.

    Runs in a job: a refusal (a closed business number, say) is a failed job in *Jobs*, and the payment stands.
    """
    from addons.sales.models import Order
    order = session.get(Order, order_id)
    if order is None or order.currency != "KRW" or receipts.live_approval(session, order_id) is not None:
        return None
    if session.scalar(select(ReceiptRequest.id).where(ReceiptRequest.order_id == order_id)) is None:
        return None
    if receipts.cash_paid(session, order) <= 0:
        return None
    return receipts.request_receipt(session, order_id)


def on_return_received(session, return_id: int, order_id: int) -> None:
    approval = receipts.live_approval(session, order_id)
    if approval is not None and approval.state != "cancelled":
        enqueue(session, "einvoice_kr.cancel_for_return", return_id=return_id)


def cancel_for_return(session, return_id: int) -> CashReceipt | None:
    """The partial cancellation (reason 1) of the returned lines' amounts, once per return."""
    from addons.sales.models import Return, ReturnLine
    ret = session.get(Return, return_id)
    if ret is None or session.scalar(select(CashReceipt.id).where(CashReceipt.return_id == return_id)):
        return None
    approval = receipts.live_approval(session, ret.order_id)
    if approval is None or approval.state == "cancelled":
        return None
    if approval.state == "requested":
        raise NotYetIssued(f"cash receipt {approval.number} has no approval number yet")
    returned = receipts._krw(session.scalar(select(func.coalesce(func.sum(ReturnLine.amount), 0))
                                            .where(ReturnLine.return_id == return_id)))
    remaining = Decimal(approval.total) - receipts.cancelled_amount(session, approval.id)
    amount = min(returned, remaining)
    if amount <= 0:
        return None
    return receipts.request_cancel(session, approval.id, reason="1", amount=amount, return_id=return_id)


def self_issue(session, as_of: date) -> dict:
    """Receipts to 010-000-1234 for cash payments ≥ the threshold within the window, when no identity was given."""
    from addons.sales.models import Order, Payment
    conf = common.settings(session)
    result = {"as_of": as_of.isoformat(), "designated_trade": bool(conf["designated_trade"]),
              "threshold": int(conf["self_issue_threshold"]), "issued": [], "overdue": []}
    if not conf["designated_trade"]:
        return result
    methods = receipts.methods_for_receipts(session)
    asked = select(ReceiptRequest.order_id)
    receipted = select(CashReceipt.order_id).where(CashReceipt.trade_type == "approval",
                                                   CashReceipt.state.in_(receipts.LIVE),
                                                   CashReceipt.order_id.is_not(None))
    rows = session.execute(
        select(Order.id, Order.number, func.max(Payment.paid_on), func.sum(Payment.amount))
        .join(Payment, Payment.order_id == Order.id)
        .where(Payment.kind == "payment", Payment.method.in_(methods), Order.currency == "KRW",
               Payment.paid_on <= as_of, Order.id.not_in(asked), Order.id.not_in(receipted))
        .group_by(Order.id, Order.number).order_by(Order.id)).all()
    earliest = as_of - timedelta(days=SELF_ISSUE_DAYS)
    for order_id, number, paid_on, paid in rows:
        if Decimal(paid) < Decimal(conf["self_issue_threshold"]):
            continue
        if paid_on < earliest:
            result["overdue"].append({"order": number, "paid_on": paid_on.isoformat(), "amount": int(paid)})
            continue
        row = receipts.request_receipt(session, order_id, self_issue=True)
        result["issued"].append({"order": number, "receipt": row.number, "identity": row.identity_masked,
                                 "total": int(row.total), "paid_on": paid_on.isoformat()})
    return result
