"""Sales services: the one module callers import (admin, CLI, demo, sales_stock, einvoice).

One module per flow: ``orders`` (create, edit, confirm, cancel, deliver,
complete), ``payment_terms``, ``payments`` (payments and refunds),
``returns`` (returns and exchanges) and ``entry`` (a plain payload from the
New order screen, the CLI or the API becomes an order; ``entry_fields`` holds
its vocabulary, ``entry_lookup`` the screens' searches). They import one way
(orders <- payments <- returns; orders <- entry) and never this package. Every function takes a session bound to a
business, validates, raises a UserError naming the field, and never commits.
"""
from __future__ import annotations

from datetime import date

from core.sequences import ensure_counters

from .orders import (ORDER_SERIES, business_of, cancel_order, complete_order, confirm_order,  # noqa: F401
                     create_order, deliver_order, find_order, get_order, quantize_money, recompute,
                     refresh_fulfilment_status, refresh_payment_status, set_lines, update_order)
from .entry import (OVERRIDE_PRICE, Entered, create_order_from_entry, locked_reason,  # noqa: F401
                    update_order_lines_from_entry)
from .entry_fields import EntryError  # noqa: F401
from .payment_terms import (create_payment_term, ensure_default_terms, get_payment_term,  # noqa: F401
                            validate_payment_term)
from .payments import refund_payment, register_payment  # noqa: F401
from .returns import RETURN_SERIES, create_return, get_return, receive_return, settlement  # noqa: F401


def on_enable(session, business_id: int) -> None:
    """Default payment terms and this year's and next year's order and return counters (idempotent)."""
    ensure_default_terms(session)
    year = date.today().year
    ensure_counters(session, [ORDER_SERIES, RETURN_SERIES], [year, year + 1])
