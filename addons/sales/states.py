"""Order states, payment and fulfilment statuses, and the label shown to staff.

The order state (New → Processing → Completed, or Cancelled) says where the
order is in its life; payment and fulfilment statuses move independently (a web
order is often paid while New; a COD order is delivered before it is paid), so
they are kept apart and the one-word label is derived, never stored.
"""
from __future__ import annotations

from core.errors import UserError
from core.i18n import _, _l

NEW, PROCESSING, COMPLETED, CANCELLED = "new", "processing", "completed", "cancelled"
STATES = (NEW, PROCESSING, COMPLETED, CANCELLED)
STATE_LABELS = {NEW: _l("New"), PROCESSING: _l("Processing"), COMPLETED: _l("Completed"), CANCELLED: _l("Cancelled")}

UNPAID, PARTLY_PAID, PAID, REFUNDED = "unpaid", "partly_paid", "paid", "refunded"
PAYMENT_STATUSES = (UNPAID, PARTLY_PAID, PAID, REFUNDED)
PAYMENT_LABELS = {UNPAID: _l("Unpaid"), PARTLY_PAID: _l("Partly paid"), PAID: _l("Paid"), REFUNDED: _l("Refunded")}

UNFULFILLED, PARTLY, FULFILLED, RETURNED = "unfulfilled", "partly", "fulfilled", "returned"
FULFILMENT_STATUSES = (UNFULFILLED, PARTLY, FULFILLED, RETURNED)
FULFILMENT_LABELS = {UNFULFILLED: _l("Unfulfilled"), PARTLY: _l("Partly fulfilled"), FULFILLED: _l("Fulfilled"),
                     RETURNED: _l("Returned")}

CHANNELS = ("web", "shopee", "lazada", "tiktok", "phone", "facebook", "counter", "manual")
PAYMENT_METHODS = ("cash", "card", "bank_transfer", "cod", "ewallet", "virtual_account")
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
# The past participle in "only New orders can be confirmed" (translated with the sentence it goes in).
VERBS = {"confirm": _l("confirmed"), "cancel": _l("cancelled"), "complete": _l("completed"),
         "deliver": _l("delivered"), "edit": _l("edited"), "pay": _l("paid"), "return": _l("returned")}


def _or_list(states) -> str:
    names = [str(STATE_LABELS[s]) for s in states]
    if len(names) == 1:
        return names[0]
    return _("%(names)s or %(last)s", names=", ".join(names[:-1]), last=names[-1])


def check_transition(order, action: str) -> str | None:
    """Raise a UserError saying why ``action`` is not allowed; return the target state."""
    allowed, target = TRANSITIONS[action]
    if order.state not in allowed:
        raise UserError(_("order %(number)s is %(state)s; only %(allowed)s orders can be %(verb)s",
                          number=order.number, state=STATE_LABELS[order.state], allowed=_or_list(allowed),
                          verb=VERBS[action]))
    return target


def can(order, action: str) -> bool:
    return order.state in TRANSITIONS[action][0]


def display_label(state: str, payment_status: str, fulfilment_status: str, *,
                  ships_before_payment: bool = False) -> str:
    """The one label a list shows, derived from the three statuses, in the reader's language
    (English outside a request: the CLI prints it).

    ``ships_before_payment``: COD or credit terms, where an unpaid order is still ready to ship.
    """
    if state == CANCELLED:
        return _("Cancelled")
    if payment_status == REFUNDED:
        return _("Refunded")
    if fulfilment_status == RETURNED:
        return _("Returned")
    if state == COMPLETED:
        return _("Completed")
    if state == NEW:
        return _("New (paid)") if payment_status == PAID else _("New")
    if fulfilment_status == UNFULFILLED and payment_status != PAID and not ships_before_payment:
        return _("Awaiting payment")
    return {UNFULFILLED: _("To ship"), PARTLY: _("Partly shipped"), FULFILLED: _("Shipped")}[fulfilment_status]
