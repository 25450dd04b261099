"""Order states, payment and fulfilment statuses, and the label shown to staff.

The order state (New → Processing → Completed, or Cancelled) says where the
order is in its life; payment and fulfilment statuses move independently (a web
order is often paid while New; a COD order is delivered before it is paid), so
they are kept apart and the one-word label is derived, never stored.
"""
from __future__ import annotations

from core.errors import UserError

NEW, PROCESSING, COMPLETED, CANCELLED = "new", "processing", "completed", "cancelled"
STATES = (NEW, PROCESSING, COMPLETED, CANCELLED)
STATE_LABELS = {NEW: "New", PROCESSING: "Processing", COMPLETED: "Completed", CANCELLED: "Cancelled"}

UNPAID, PARTLY_PAID, PAID, REFUNDED = "unpaid", "partly_paid", "paid", "refunded"
PAYMENT_STATUSES = (UNPAID, PARTLY_PAID, PAID, REFUNDED)
PAYMENT_LABELS = {UNPAID: "Unpaid", PARTLY_PAID: "Partly paid", PAID: "Paid", REFUNDED: "Refunded"}

UNFULFILLED, PARTLY, FULFILLED, RETURNED = "unfulfilled", "partly", "fulfilled", "returned"
FULFILMENT_STATUSES = (UNFULFILLED, PARTLY, FULFILLED, RETURNED)
FULFILMENT_LABELS = {UNFULFILLED: "Unfulfilled", PARTLY: "Partly fulfilled", FULFILLED: "Fulfilled",
                     RETURNED: "Returned"}

CHANNELS = ("web", "shopee", "lazada", "tiktok", "phone", "facebook", "counter", "manual")
PAYMENT_METHODS = ("cash", "card", "bank_transfer", "cod", "ewallet")
# Store credit from a returned exchange, applied to the replacement order; never chosen by hand.
RETURN_CREDIT = "return_credit"
SHIPPING_PAYERS = ("customer", "merchant")

# action -> (states it may start from, state it leads to or None when the state does not change)
TRANSITIONS = {
    "confirm": ((NEW,), PROCESSING),
    "cancel": ((NEW, PROCESSING), CANCELLED),
    "complete": ((PROCESSING,), COMPLETED),
    "deliver": ((PROCESSING,), None),
    "edit": ((NEW,), None),
    "pay": ((NEW, PROCESSING, COMPLETED), None),
    "return": ((PROCESSING, COMPLETED), None),
}
VERBS = {"confirm": "confirmed", "cancel": "cancelled", "complete": "completed", "deliver": "delivered",
         "edit": "edited", "pay": "paid", "return": "returned"}


def _or_list(states) -> str:
    names = [STATE_LABELS[s] for s in states]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def check_transition(order, action: str) -> str | None:
    """Raise a UserError saying why ``action`` is not allowed; return the target state."""
    allowed, target = TRANSITIONS[action]
    if order.state not in allowed:
        raise UserError(f"order {order.number} is {STATE_LABELS[order.state]}; only {_or_list(allowed)} "
                        f"orders can be {VERBS[action]}")
    return target


def can(order, action: str) -> bool:
    return order.state in TRANSITIONS[action][0]


def display_label(state: str, payment_status: str, fulfilment_status: str, *,
                  ships_before_payment: bool = False) -> str:
    """The one label a list shows, derived from the three statuses.

    ``ships_before_payment``: COD or credit terms, where an unpaid order is still ready to ship.
    """
    if state == CANCELLED:
        return "Cancelled"
    if payment_status == REFUNDED:
        return "Refunded"
    if fulfilment_status == RETURNED:
        return "Returned"
    if state == COMPLETED:
        return "Completed"
    if state == NEW:
        return "New (paid)" if payment_status == PAID else "New"
    if fulfilment_status == UNFULFILLED and payment_status != PAID and not ships_before_payment:
        return "Awaiting payment"
    return {UNFULFILLED: "To ship", PARTLY: "Partly shipped", FULFILLED: "Shipped"}[fulfilment_status]
