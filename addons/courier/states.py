"""The one shipment state machine every carrier maps onto, and its forward-only rule.

Carriers report dozens of statuses (GHN strings, Viettel Post numbers); each
adapter maps them to these states, so lists, the document page, the order
hooks and COD reconciliation speak one language. A state never moves back: a
late or replayed event for an earlier state is stored in the timeline but does
not change the shipment. The one lateral move is a new delivery attempt after a
failed one (``delivery_failed`` -> ``delivering``), accepted only from an event
newer than the failure.
"""
from __future__ import annotations

from core.i18n import _l

DRAFT, REQUESTED, READY_TO_PICK, PICKED, IN_TRANSIT, DELIVERING, DELIVERED = (
    "draft", "requested", "ready_to_pick", "picked", "in_transit", "delivering", "delivered")
DELIVERY_FAILED, RETURNING, RETURNED = "delivery_failed", "returning", "returned"
CANCELLED, LOST, DAMAGED = "cancelled", "lost", "damaged"

MAIN_PATH = (DRAFT, REQUESTED, READY_TO_PICK, PICKED, IN_TRANSIT, DELIVERING, DELIVERED)
RETURN_PATH = (DELIVERY_FAILED, RETURNING, RETURNED)
ENDS = (CANCELLED, LOST, DAMAGED)
STATES = MAIN_PATH + RETURN_PATH + ENDS
FINAL = frozenset({DELIVERED, RETURNED, CANCELLED, LOST, DAMAGED})
OPEN = tuple(s for s in STATES if s not in FINAL)
# Goods have left the shop: the order's lines count as delivered (stock moves out).
LEFT_SHOP = frozenset({PICKED, IN_TRANSIT, DELIVERING, DELIVERED, DELIVERY_FAILED, RETURNING, RETURNED, LOST,
                       DAMAGED})

STATE_LABELS = {
    DRAFT: _l("Draft"), REQUESTED: _l("Requested"), READY_TO_PICK: _l("Ready to pick"), PICKED: _l("Picked up"),
    IN_TRANSIT: _l("In transit"), DELIVERING: _l("Out for delivery"), DELIVERED: _l("Delivered"),
    DELIVERY_FAILED: _l("Delivery failed"), RETURNING: _l("Returning"), RETURNED: _l("Returned"),
    CANCELLED: _l("Cancelled"), LOST: _l("Lost"), DAMAGED: _l("Damaged"),
}
STATE_COLOURS = {DRAFT: "info", REQUESTED: "info", READY_TO_PICK: "primary", PICKED: "primary",
                 IN_TRANSIT: "primary", DELIVERING: "warning", DELIVERED: "success", DELIVERY_FAILED: "danger",
                 RETURNING: "warning", RETURNED: "secondary", CANCELLED: "secondary", LOST: "danger",
                 DAMAGED: "danger"}

# How far along a state is; a move goes to a higher rank only (exceptions below).
RANK = {DRAFT: 0, REQUESTED: 1, READY_TO_PICK: 2, PICKED: 3, IN_TRANSIT: 4, DELIVERING: 5, DELIVERY_FAILED: 6,
        RETURNING: 7, DELIVERED: 9, RETURNED: 9, CANCELLED: 9, LOST: 9, DAMAGED: 9}
# Cancelling is possible only before the carrier has the goods.
CANCELLABLE = frozenset({DRAFT, REQUESTED, READY_TO_PICK})
# Once on the way back, the parcel can only come back (or be lost or damaged).
AFTER_RETURNING = frozenset({RETURNED, LOST, DAMAGED})

PAYERS = ("shop", "receiver")
PAYER_LABELS = {"shop": _l("Shop pays the fee"), "receiver": _l("Receiver pays the fee")}
REQUIRED_NOTES = ("CHOXEMHANGKHONGTHU", "CHOTHUHANG", "KHONGCHOXEMHANG")
REQUIRED_NOTE_LABELS = {"CHOXEMHANGKHONGTHU": _l("Receiver may look, not try"),
                        "CHOTHUHANG": _l("Receiver may try the goods"),
                        "KHONGCHOXEMHANG": _l("Receiver may not look at the goods")}
LABEL_SIZES = ("a5", "a6", "80mm")


def can_move(current: str, new: str, *, newer: bool = True) -> bool:
    """Whether an event reporting ``new`` may move a shipment that is ``current``.

    ``newer``: the event happened after the one that set ``current`` (only a new
    delivery attempt after a failure needs it).
    """
    if new not in RANK or current in FINAL or new == current:
        return False
    if new == CANCELLED:
        return current in CANCELLABLE
    if current == RETURNING:
        return new in AFTER_RETURNING
    if current == DELIVERY_FAILED and new == DELIVERING:
        return newer
    return RANK[new] > RANK[current]
