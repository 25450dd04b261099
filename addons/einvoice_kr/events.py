"""Event handlers (sync, in the publisher's transaction): they only enqueue; the jobs do the work, so a
payment or a return never waits for (or fails with) Popbill or the NTS."""
from __future__ import annotations

from .services import automation


def on_payment_registered(session, business_id, order_id, kind="payment", **_payload):
    # Every payment (the first part paid by bank transfer, or the one that settles the order).
    if kind == "payment":
        automation.on_payment(session, order_id)


def on_return_received(session, business_id, return_id, order_id, **_payload):
    automation.on_return_received(session, return_id, order_id)
